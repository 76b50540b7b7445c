"""`akasa generate`: deterministic synthetic daily drops, for demos, tests and benchmarks.

Each day gets one customers CSV and one orders XML, written as it is generated (memory
stays flat whatever the size). Each day draws from its own seeded random stream, so the
same seed always writes the same bytes, and days can be produced independently.

What the data holds: multi-line orders (about 3 lines each), repeat customers (a skewed
choice of customer), every region with messy spelling, naive IST and offset timestamps in
every accepted format, mobile numbers in every accepted format, amounts with currency
marks, customers updated and re-numbered on later days, orders that arrive a day before
their customer, orders from numbers no customer has, and orders re-sent the next day.
With `dirty` > 0, that share of records is broken in each way SPEC §3 rejects.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from functools import partial
from pathlib import Path

from akasa.core.errors import OutputError, UsageError

# What `generate` tells its caller as it goes: (what, order lines written, total).
Progress = Callable[[str, int, int], None]

IST = timezone(timedelta(hours=5, minutes=30))
REGIONS = ["North", "South", "East", "West", "Central", "North East"]
FIRST = [
    "Aarav",
    "Neha",
    "Rohan",
    "Priya",
    "Kabir",
    "Ananya",
    "Vihaan",
    "Diya",
    "Arjun",
    "Isha",
    "Reyansh",
    "Meera",
    "Advait",
    "Saanvi",
    "Kiaan",
    "Tara",
    "Dev",
    "Zara",
]
LAST = [
    "Mehta",
    "Sharma",
    "Gupta",
    "Iyer",
    "Singh",
    "Patel",
    "Reddy",
    "Nair",
    "Das",
    "Khan",
    "Joshi",
    "Rao",
    "Bose",
    "Kapoor",
    "Menon",
    "Verma",
]
LINES_PER_ORDER = [1, 2, 3, 3, 4, 5]  # mean 3
_MOBILE_SPAN = 4_000_000_000
_MOBILE_STEP = 2_654_435_761  # coprime with the span: distinct numbers for distinct keys


@dataclass(frozen=True)
class GenerateResult:
    out_dir: Path
    days: int
    customers: int
    order_lines: int
    orders: int
    files: list[Path]


def mobile_for(key: int) -> str:
    """A distinct valid 10-digit mobile number per key."""
    return str(6_000_000_000 + (key * _MOBILE_STEP) % _MOBILE_SPAN)


def _mobile_text(rng: random.Random, number: str) -> str:
    style = rng.randrange(10)
    if style == 0:
        return f"+91 {number[:5]} {number[5:]}"
    if style == 1:
        return "0" + number
    if style == 2:
        return "91" + number
    if style == 3:
        return f"{number[:5]}-{number[5:]}"
    return number


def _region_text(rng: random.Random, region: str) -> str:
    style = rng.randrange(12)
    if style == 0:
        return region.upper()
    if style == 1:
        return "  " + region.lower() + " "
    if style == 2:
        return region.replace(" ", "  ")
    return region


def _amount_text(rng: random.Random, paise: int) -> str:
    rupees, part = divmod(paise, 100)
    plain = f"{rupees}.{part:02d}"
    grouped = f"{rupees:,}.{part:02d}"
    style = rng.randrange(8)
    if style == 0:
        return f"₹{grouped}"
    if style == 1:
        return f"Rs. {plain}"
    if style == 2:
        return f"INR {grouped}"
    if style == 3 and part == 0:
        return str(rupees)
    return plain


def _time_text(rng: random.Random, moment: datetime) -> str:
    """`moment` is IST; rendered in one of the accepted forms (same instant)."""
    style = rng.randrange(10)
    if style == 0:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == 1:
        return moment.strftime("%Y-%m-%dT%H:%M:%S+05:30")
    if style == 2:
        return moment.strftime("%d-%m-%Y %H:%M:%S")
    if style == 3:
        return moment.strftime("%d/%m/%Y %H:%M:%S")
    if style == 4:
        return moment.strftime("%Y-%m-%d %H:%M:%S") + f".{rng.randrange(1000):03d}"
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


class _Plan:
    """Who exists on which day: derived from the seed, shared by every day."""

    def __init__(self, customers: int, days: int, seed: int) -> None:
        self.customers = customers
        self.days = days
        rng = random.Random(f"akasa-plan:{seed}")
        first_day = max(1, customers * 6 // 10)
        self.arrival = [0 if i < first_day else rng.randrange(days) for i in range(customers)]
        self.by_day: list[list[int]] = [[] for _ in range(days)]
        for i, day in enumerate(self.arrival):
            self.by_day[day].append(i)
        self.region = [REGIONS[rng.randrange(len(REGIONS))] for _ in range(customers)]
        self.name = [
            f"{FIRST[rng.randrange(len(FIRST))]} {LAST[rng.randrange(len(LAST))]}"
            for _ in range(customers)
        ]
        self.arrived_by: list[int] = []
        total = 0
        for day in range(days):
            total += len(self.by_day[day])
            self.arrived_by.append(total)
        # Customers ordered by arrival, so "arrived by day d" is a prefix.
        self.order = [i for day in range(days) for i in self.by_day[day]]

    def customer_id(self, i: int) -> str:
        return f"CUST-{i + 1:06d}"

    def mobile(self, i: int) -> str:
        return mobile_for(i)


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if d < extra else 0) for d in range(parts)]


def generate(
    out_dir: Path,
    customers: int = 1000,
    order_lines: int = 10_000,
    days: int = 7,
    seed: int = 1,
    dirty: float = 0.0,
    start: str | date = "2025-01-01",
    require_empty: bool = False,
    progress: Progress | None = None,
) -> GenerateResult:
    """Writes `days` pairs of files; `order_lines` counts `<order>` elements over all days.

    Files of the same names in `out_dir` are replaced, others left alone; with
    `require_empty` (the command line without --force) a folder holding anything is
    refused. `progress` hears (file being written, order lines written, total).
    """
    if not 0 <= dirty <= 1:
        raise UsageError("--dirty must be between 0 and 1")
    try:
        first = start if isinstance(start, date) else date.fromisoformat(start)
    except ValueError:
        raise UsageError(f"--start must be a date YYYY-MM-DD, not {start!r}") from None
    try:
        first + timedelta(days=days - 1)
    except OverflowError:
        raise UsageError(f"--start {first} plus --days {days} goes past the year 9999") from None
    _prepare(out_dir, require_empty)
    plan = _Plan(customers, days, seed)
    files: list[Path] = []
    customer_rows = orders = written = 0
    for day, lines in enumerate(_split(order_lines, days)):
        stamp = (first + timedelta(days=day)).isoformat()
        rng = random.Random(f"akasa-day:{seed}:{day}")
        path = out_dir / f"customers_{stamp}.csv"
        if progress:
            progress(f"Writing {path.name}", written, order_lines)
        with _writing(path):
            customer_rows += _write_customers(path, plan, day, rng, dirty)
        files.append(path)
        path = out_dir / f"orders_{stamp}.xml"
        report = progress and partial(_advance, progress, path.name, written, order_lines)
        with _writing(path):
            orders += _write_orders(path, plan, day, first, lines, rng, dirty, report)
        files.append(path)
        written += lines
    if progress:
        progress("Done", order_lines, order_lines)
    return GenerateResult(out_dir, days, customer_rows, order_lines, orders, files)


def _prepare(out_dir: Path, require_empty: bool) -> None:
    """A folder to write into (new or, if required, empty); one-line errors otherwise."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir} exists and is not a folder")
    if require_empty and out_dir.is_dir() and any(out_dir.iterdir()):
        raise OutputError(
            f"{out_dir} is not empty; choose a new folder or add --force to write into it"
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {out_dir}: {exc.strerror or exc}") from None


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """A failure to write `path` as one line naming it."""
    try:
        yield
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _advance(progress: Progress, name: str, before: int, total: int, done: int) -> None:
    progress(f"Writing {name}", before + done, total)


def _write_customers(path: Path, plan: _Plan, day: int, rng: random.Random, dirty: float) -> int:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["customer_id", "customer_name", "mobile_number", "region"])
    rows = 0

    def emit(i: int, name: str, mobile: str, region: str, cid: str | None = None) -> None:
        nonlocal rows
        writer.writerow([cid if cid is not None else plan.customer_id(i), name, mobile, region])
        rows += 1

    for i in plan.by_day[day]:
        name = plan.name[i]
        if rng.random() < 0.05:
            name = "  " + name.replace(" ", "   ")
        if dirty and rng.random() < dirty:
            _dirty_customer(rng, plan, i, emit)
            continue
        emit(i, name, _mobile_text(rng, plan.mobile(i)), _region_text(rng, plan.region[i]))
    # Updates of customers who arrived earlier: a new region, or a new mobile number.
    if day > 0 and plan.arrived_by[day - 1]:
        for _ in range(max(1, plan.arrived_by[day - 1] // 50)):
            i = plan.order[rng.randrange(plan.arrived_by[day - 1])]
            if rng.random() < 0.5:
                region = REGIONS[rng.randrange(len(REGIONS))]
                emit(i, plan.name[i], plan.mobile(i), region)
            else:
                new_number = mobile_for(plan.customers * (2 + day) + i)
                emit(i, plan.name[i], _mobile_text(rng, new_number), plan.region[i])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return rows


def _dirty_customer(rng: random.Random, plan: _Plan, i: int, emit: Callable[..., None]) -> None:
    kind = rng.randrange(5)
    mobile = plan.mobile(i)
    if kind == 0:  # missing customer_id
        emit(i, plan.name[i], mobile, plan.region[i], cid="  ")
    elif kind == 1:  # invalid mobile
        emit(i, plan.name[i], "12345", plan.region[i])
    elif kind == 2:  # an exact duplicate row
        emit(i, plan.name[i], mobile, plan.region[i])
        emit(i, plan.name[i], mobile, plan.region[i])
    elif kind == 3:  # superseded: an earlier version in the same file
        emit(i, "Old Name", mobile, "")
        emit(i, plan.name[i], mobile, plan.region[i])
    else:  # a number that belongs to another customer (rejected), then the real row
        emit(i, plan.name[i], mobile, plan.region[i])
        other = f"CUST-X{rng.randrange(10**6):06d}"
        emit(i, "Someone Else", mobile, plan.region[i], cid=other)


def _write_orders(
    path: Path,
    plan: _Plan,
    day: int,
    first: date,
    lines: int,
    rng: random.Random,
    dirty: float,
    progress: Callable[[int], None] | None = None,
) -> int:
    the_day = datetime.combine(first + timedelta(days=day), datetime.min.time(), IST)
    known = plan.arrived_by[day]
    tomorrow = plan.arrived_by[day + 1] if day + 1 < plan.days else known
    written = orders = resent = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<orders>\n')
        if day == 0:
            out.write("  <!-- synthetic data from akasa generate -->\n")
        chunk: list[str] = []
        while written < lines:
            orders += 1
            order_id = f"ORD-{day + 1:04d}-{orders:07d}"
            if day > 0 and rng.random() < 0.01:  # a correction of one of yesterday's orders
                resent += 1
                order_id = f"ORD-{day:04d}-{resent:07d}"
            pick = rng.random()
            if pick < 0.02 or known == 0:
                mobile = mobile_for(plan.customers * 100 + day * 1_000_003 + orders)
            elif pick < 0.05 and tomorrow > known:
                mobile = plan.mobile(plan.order[known + rng.randrange(tomorrow - known)])
            else:
                u = rng.random()
                mobile = plan.mobile(plan.order[int(known * u * u)])
            moment = the_day + timedelta(seconds=rng.randrange(86_400))
            paise = rng.randrange(9_900, 2_000_000)
            if rng.random() < 0.3:
                paise -= paise % 100
            count = min(LINES_PER_ORDER[rng.randrange(len(LINES_PER_ORDER))], lines - written)
            skus = rng.sample(range(1000, 2000), count)
            mobile_text = _mobile_text(rng, mobile)
            time_text = _time_text(rng, moment)
            amount_text = _amount_text(rng, paise)
            for sku in skus:
                fields = [
                    order_id,
                    mobile_text,
                    time_text,
                    f"SKU-{sku}",
                    str(rng.randrange(1, 6)),
                    amount_text,
                ]
                if dirty and rng.random() < dirty and written + 1 < lines:
                    extra = _dirty_line(rng, fields)
                    for extra_fields in extra[:-1]:
                        chunk.append(_order_xml(extra_fields))
                        written += 1
                    fields = extra[-1]
                chunk.append(_order_xml(fields))
                written += 1
                if written >= lines:
                    break
            if len(chunk) > 5000:
                out.write("".join(chunk))
                chunk.clear()
                if progress:
                    progress(written)
        out.write("".join(chunk))
        out.write("</orders>\n")
    return orders


def _dirty_line(rng: random.Random, fields: list[str]) -> list[list[str]]:
    """One good line turned into the records SPEC §3 settles other than 'accepted'."""
    kind = rng.randrange(8)
    bad = list(fields)
    if kind == 0:
        bad[1] = "12345"
    elif kind == 1:
        bad[2] = "31/02/2025 10:00"
    elif kind == 2:
        bad[4] = ["0", "abc", "2.5"][rng.randrange(3)]
    elif kind == 3:
        bad[5] = "-" + fields[5].lstrip("₹RsIN. ")
    elif kind == 4:
        bad[0 if rng.random() < 0.5 else 3] = ""
    elif kind == 5:  # exact duplicate
        return [fields, fields]
    elif kind == 6:  # superseded by the later version
        older = list(fields)
        older[4] = str(int(fields[4]) + 1)
        return [older, fields]
    else:  # header disagreement: this line's total differs from the order's
        bad[5] = "1.00"
    return [bad]


def _order_xml(f: list[str]) -> str:
    return (
        "  <order>\n"
        f"    <order_id>{f[0]}</order_id>\n"
        f"    <mobile_number>{f[1]}</mobile_number>\n"
        f"    <order_date_time>{f[2]}</order_date_time>\n"
        f"    <sku_id>{f[3]}</sku_id>\n"
        f"    <sku_count>{f[4]}</sku_count>\n"
        f"    <total_amount>{f[5]}</total_amount>\n"
        "  </order>\n"
    )
