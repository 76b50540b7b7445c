"""Honest growth (SPEC §4.2, §6) in every backend: complete months against whole months,
the month in progress like for like, and a summary that never mixes the two."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from akasa.generate import generate
from akasa.kpi.narrative import summary_lines
from tests.builders import customers_csv, line, load, orders_xml, rows
from tests.conftest import OFFICIAL_CUSTOMERS, OFFICIAL_ORDERS
from tests.db import TestDatabase
from tests.parity.helpers import assert_same_outputs

MOBILE = "9000000001"


def _growth(run: object) -> dict[str, tuple[str | None, bool]]:
    return {
        r["month"]: (r["revenue_growth_pct"], r["complete"])
        for r in rows(run, "monthly_trends")  # type: ignore[arg-type]
    }


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("latest", {"2025-10": ("-16.57", True), "2025-11": (None, False)}),
        ("2025-11-30", {"2025-10": ("-16.57", True), "2025-11": ("-28.87", True)}),
        ("2025-10-20", {"2025-09": (None, True), "2025-10": (None, False)}),
    ],
)
def test_official_answers_in_every_backend(
    migrated: TestDatabase, as_of: str, expected: dict[str, tuple[str | None, bool]]
) -> None:
    settings = migrated.settings()
    load(settings, [OFFICIAL_CUSTOMERS], [OFFICIAL_ORDERS], "both")
    memory, _ = assert_same_outputs(settings, as_of=as_of)
    growth = _growth(memory)
    assert {month: growth[month] for month in expected} == expected


def _orders(folder: Path, *when_amount: tuple[str, str]) -> Path:
    lines = [
        line(f"O{i}", MOBILE, when, "S", 1, amount) for i, (when, amount) in enumerate(when_amount)
    ]
    return orders_xml(folder / "o.xml", lines)


def _load(settings: object, folder: Path, *when_amount: tuple[str, str]) -> None:
    customers = customers_csv(folder / "c.csv", [("C1", "Asha", MOBILE, "West")])
    load(settings, [customers], [_orders(folder, *when_amount)], "both")  # type: ignore[arg-type]


def test_a_month_start_day(migrated: TestDatabase, tmp_path: Path) -> None:
    """On the 1st the new month has one day: it is compared with the 1st of the month
    before, never with the whole of it (which read as a collapse every month start)."""
    settings = migrated.settings()
    _load(
        settings,
        tmp_path,
        ("2025-02-01T10:00:00", "100"),
        ("2025-02-20T10:00:00", "900"),
        ("2025-03-01T10:00:00", "150"),
    )
    memory, _ = assert_same_outputs(settings, as_of="2025-03-01")
    assert _growth(memory) == {"2025-02": (None, True), "2025-03": ("50.00", False)}
    mtd = memory.summary.month_to_date
    assert mtd is not None
    assert (mtd.days, mtd.previous_days, mtd.previous_revenue) == (1, 1, "100.00")


def test_a_shorter_previous_month_is_taken_whole(migrated: TestDatabase, tmp_path: Path) -> None:
    """As of 30 March, March is compared with days 1-30 of February: all 28 of them."""
    settings = migrated.settings()
    _load(
        settings,
        tmp_path,
        ("2025-02-27T10:00:00", "200"),
        ("2025-02-28T23:00:00", "200"),  # the last evening of February (IST) counts
        ("2025-03-29T10:00:00", "600"),
    )
    memory, _ = assert_same_outputs(settings, as_of="2025-03-30")
    assert _growth(memory)["2025-03"] == ("50.00", False)
    mtd = memory.summary.month_to_date
    assert mtd is not None and (mtd.days, mtd.previous_days) == (30, 28)
    line_ = next(t for t in summary_lines(memory.document) if "so far" in t)
    assert line_ == ("- March 2025 so far (30 days): ₹600, +50.00% on all 28 days of February.")
    # As of the 31st March is complete and compared with the whole of February.
    memory, _ = assert_same_outputs(settings, as_of="2025-03-31")
    assert _growth(memory)["2025-03"] == ("50.00", True)
    assert memory.summary.month_to_date is None


def test_as_of_now_compares_up_to_the_same_day_and_time(
    migrated: TestDatabase, tmp_path: Path
) -> None:
    settings = migrated.settings()
    _load(
        settings,
        tmp_path,
        ("2025-02-10T09:00:00", "100"),  # before 10 February 12:00 IST: in the base
        ("2025-02-10T13:00:00", "900"),  # after it: not
        ("2025-03-10T08:00:00", "300"),
    )
    now = datetime(2025, 3, 10, 6, 30, tzinfo=UTC)  # 10 March 12:00 IST
    memory, _ = assert_same_outputs(settings, as_of="now", now=now)
    assert _growth(memory)["2025-03"] == ("200.00", False)


def test_the_summary_never_compares_part_of_a_month_with_a_whole_one(
    migrated: TestDatabase, tmp_path: Path
) -> None:
    """A month of generated daily drops run on the 1st of the next month: the average
    growth covers complete months only, and the new month gets its own sentence."""
    settings = migrated.settings()
    files = generate(
        tmp_path / "in", customers=60, order_lines=900, days=32, seed=5, start="2025-01-01"
    ).files
    load(settings, files[0::2], files[1::2], "both")
    memory, _ = assert_same_outputs(settings)  # latest: 1 February
    growth = _growth(memory)
    assert growth["2025-02"][1] is False
    summary = memory.summary
    assert summary.peak_month == "2025-01"  # the complete month, not the one-day February
    assert summary.avg_monthly_revenue_growth_pct is None  # one complete month: no growth
    words = summary_lines(memory.document)
    assert not any("a month on average" in w for w in words)
    assert any(w.startswith("- February 2025 so far (1 day): ") for w in words)
    assert any("on the same day of January" in w for w in words)
