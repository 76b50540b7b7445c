"""SPEC §3 record rules and the accounting: every record read ends in exactly one bucket.

Order lines go through three stages, in the order the spec gives: each line on its own,
then duplicates and superseded versions of the same (order_id, sku_id), then agreement of
the order header among each order's remaining lines. Customers: each row on its own, then
mobile-number ownership, then duplicates and superseded versions of the same customer_id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import polars as pl

from akasa.core import zones
from akasa.core.exprs import fixed_2
from akasa.core.tables import CUSTOMER_COLUMNS, MAX_LENGTH, MAX_RAW_CHARS, ORDER_LINE_COLUMNS
from akasa.ingest import normalise as n
from akasa.ingest.csv_reader import LINE_COLUMN, MALFORMED_COLUMN

RECORD = "record_number"
REASON = "reason"
FUTURE_SLACK = timedelta(hours=24)
FAILED = "__akasa_failed"
SLICE_ROWS = 200_000  # customer records checked at a time

# ---- reasons ------------------------------------------------------------------------------
# A record's reason lists each of its problems, joined by SEPARATOR. Each problem starts with
# its kind (what `akasa rejects` and the report count by) and goes on to say what was wrong
# with the value: `invalid sku_count: "two" (need ...)`. A mobile number is never shown
# whole (`98XXXXXX10`); other values are quoted, cut at SHOWN_CHARS characters.
SEPARATOR = "; "
SHOWN_CHARS = 40
MAX_SHOWN_VALUES = 5  # distinct values named per disagreeing header field
MAX_SHOWN_LINES = 10  # record numbers named per inconsistent order
HEADER_FIELDS = {  # as the file names them -> the cleaned column compared
    "mobile_number": "mobile_number",
    "order_date_time": "ordered_at",
    "total_amount": "total_paise",
}
MOBILE_RULE = "need 10 digits starting 6-9"
KINDS = (
    r"missing \w+",
    r"invalid \w+",
    r"\w+ longer than \d+ characters",
    r"\w+ contains a NUL character",
    r"\w+ differs within order",
    r"mobile_number already belongs to customer",
    r"order time in the future",
    r"malformed CSV line",
    r"<\w+> appears more than once",
    r"<\w+> holds nested elements",
)
_KIND = "^(" + "|".join(KINDS) + ")"

# Cleaned values beside the raw ones while records are checked.
C_MOBILE, C_TIME, C_SKU, C_TOTAL = "__c_mobile", "__c_time", "__c_sku", "__c_total"


@dataclass(frozen=True)
class Accounting:
    """How the records of one file were settled; the parts add up to `read`."""

    read: int
    accepted: int
    rejected: int
    duplicates: int
    superseded: int

    def __post_init__(self) -> None:
        settled = self.accepted + self.rejected + self.duplicates + self.superseded
        if settled != self.read:
            raise AssertionError(f"accounting does not add up: {self} ({settled} settled)")


@dataclass(frozen=True)
class CleanCustomers:
    customers: pl.DataFrame  # customer_id, customer_name, mobile_number, region, record_number
    new_mobiles: pl.DataFrame  # mobile_number, customer_id: numbers not yet owned
    rejects: pl.DataFrame  # record_number, reason, raw
    accounting: Accounting


@dataclass(frozen=True)
class CleanOrders:
    orders: pl.DataFrame  # order_id, mobile_number, ordered_at, total_paise, units
    lines: pl.DataFrame  # order_id, sku_id, sku_count, record_number
    rejects: pl.DataFrame
    accounting: Accounting


Check = tuple[pl.Expr, str | pl.Expr]  # (the record fails it, what to say)


def reason_kind(reason: pl.Expr) -> pl.Expr:
    """The kind of one problem (`invalid mobile_number`, `total_amount differs within
    order`): its text without what it says about the value. Unknown texts (reasons written
    by an older akasa) are their own kind."""
    return pl.coalesce(reason.str.extract(_KIND, 1), reason)


def reason_counts(rejects: pl.LazyFrame) -> pl.LazyFrame:
    """`reason` (a record's whole reason) and `records` -> records per kind of problem, most
    frequent first; a record with several problems counts once for each."""
    return (
        rejects.with_columns(pl.col(REASON).str.split(SEPARATOR))
        .explode(REASON)
        .with_columns(reason_kind(pl.col(REASON)))
        .group_by(REASON)
        .agg(pl.col("records").sum())
        .sort(["records", REASON], descending=[True, False])
    )


def _failed(checks: list[Check]) -> pl.Expr:
    """Whether a record fails any check (a check on a null value does not fail)."""
    return pl.any_horizontal([failed for failed, _ in checks]).fill_null(False)


def _reason(*checks: Check) -> pl.Expr:
    """All failed checks of a record, joined; null when the record is valid. Evaluated on
    the few failed records only, so a reason may take some work to say."""
    parts = [
        pl.when(failed).then(pl.lit(text) if isinstance(text, str) else text)
        for failed, text in checks
    ]
    joined = pl.concat_str(parts, separator=SEPARATOR, ignore_nulls=True)
    return pl.when(joined.str.len_chars() > 0).then(joined)


def _plain(text: pl.Expr) -> pl.Expr:
    """Text as a reason may carry it: one line (control characters as `?`), and never the
    separator between problems."""
    return text.str.replace_all(r"\p{Cc}", "?").str.replace_all(SEPARATOR, ";", literal=True)


def _shown(raw: pl.Expr) -> pl.Expr:
    """A raw value as a reason quotes it: trimmed, one line, cut at SHOWN_CHARS."""
    text = _plain(raw.cast(pl.String).fill_null("").str.strip_chars())
    cut = (
        pl.when(text.str.len_chars() > SHOWN_CHARS)
        .then(text.str.slice(0, SHOWN_CHARS) + pl.lit("..."))
        .otherwise(text)
    )
    return pl.lit('"') + cut + pl.lit('"')


def _masked(numbers: pl.Expr) -> pl.Expr:
    """Digits with all but the first two and the last two as X (`98XXXXXX10`); all X when
    there are four or fewer."""
    count = numbers.str.len_chars()
    middle = numbers.str.slice(2, count - 4).str.replace_all(r"[0-9]", "X")
    return (
        pl.when(count > 4)
        .then(numbers.str.slice(0, 2) + middle + numbers.str.slice(-2))
        .otherwise(numbers.str.replace_all(r"[0-9]", "X"))
    )


def _invalid_mobile(raw: pl.Expr) -> pl.Expr:
    """What is wrong with a mobile number, without showing it: how many digits it has, or
    the digit it starts with."""
    found = n.digits(raw)
    count = found.str.len_chars()
    number = n.national(raw)
    return (
        pl.when(count == 0)
        .then(pl.lit(f"invalid mobile_number: no digits ({MOBILE_RULE})"))
        .when(number.str.len_chars() != 10)
        .then(
            pl.format(
                f"invalid mobile_number: {{}} has {{}} digit{{}} ({MOBILE_RULE})",
                _masked(found),
                count,
                pl.when(count == 1).then(pl.lit("")).otherwise(pl.lit("s")),
            )
        )
        .otherwise(
            pl.format(
                f"invalid mobile_number: {{}} starts with {{}} ({MOBILE_RULE})",
                _masked(number),
                number.str.slice(0, 1),
            )
        )
    )


def _invalid(column: str, rule: str) -> pl.Expr:
    return pl.format(f"invalid {column}: {{}} ({rule})", _shown(pl.col(column)))


def _too_long(*columns: str) -> list[Check]:
    """Longer than the stores keep (`akasa.core.tables.MAX_LENGTH`)."""
    return [
        (
            pl.col(c).str.len_chars() > MAX_LENGTH[c],
            pl.format(
                f"{c} longer than {MAX_LENGTH[c]} characters (it has {{}})",
                pl.col(c).str.len_chars(),
            ),
        )
        for c in columns
    ]


def _too_long_raw(*columns: str) -> list[Check]:
    """`_too_long` on the trimmed raw text (the cleaned value is the trimmed text)."""
    return [
        (
            n.trimmed(pl.col(c)).str.len_chars() > MAX_LENGTH[c],
            pl.format(
                f"{c} longer than {MAX_LENGTH[c]} characters (it has {{}})",
                n.trimmed(pl.col(c)).str.len_chars(),
            ),
        )
        for c in columns
    ]


def _has_nul(*columns: str) -> list[Check]:
    """A NUL character: PostgreSQL cannot store it in text, so no store takes it."""
    return [
        (pl.col(c).str.contains("\x00", literal=True), f"{c} contains a NUL character")
        for c in columns
    ]


def _raw_value(column: str) -> pl.Expr:
    """The value as read, cut (and marked) if huge, so a quarantine stays readable."""
    value = pl.col(f"raw_{column}").fill_null("")
    cut = value.str.slice(0, MAX_RAW_CHARS) + pl.format(
        "...[{} characters in all]", value.str.len_chars()
    )
    return pl.when(value.str.len_chars() > MAX_RAW_CHARS).then(cut).otherwise(value).alias(column)


def _raw_json(columns: tuple[str, ...]) -> pl.Expr:
    return pl.struct([_raw_value(c) for c in columns]).struct.json_encode()


def _rejects(frame: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
    raw = _raw_json(columns)
    if LINE_COLUMN in frame.columns:  # a malformed CSV line keeps its text, not fields
        line = pl.struct(pl.col(LINE_COLUMN).alias("line")).struct.json_encode()
        raw = pl.when(pl.col(LINE_COLUMN).is_not_null()).then(line).otherwise(raw)
    return frame.select(RECORD, REASON, raw.alias("raw"))


def _settle_versions(
    valid: pl.DataFrame, key: list[str], values: list[str]
) -> tuple[pl.DataFrame, int, int]:
    """Keeps the last version of each key; earlier ones are duplicates when their values
    equal the kept version, superseded otherwise."""
    # Repeats are rare: a 64-bit hash of the key finds the candidates cheaply (a collision
    # only adds a candidate), and the exact grouping below runs on those alone.
    repeated = valid.select(pl.struct(key).hash().is_duplicated().alias("repeated"))["repeated"]
    if not repeated.any():
        return valid, 0, 0
    group = valid.filter(repeated)
    last = pl.col(RECORD) == pl.col(RECORD).max().over(key)
    keep = pl.concat([valid.filter(~repeated), group.filter(last)]).sort(RECORD)
    earlier = group.filter(~last)
    kept_values = keep.select(*key, *(pl.col(v).alias(f"kept_{v}") for v in values))
    compared = earlier.join(kept_values, on=key, how="left")
    same = pl.all_horizontal(pl.col(v).eq_missing(pl.col(f"kept_{v}")) for v in values)
    duplicates = compared.select(same.sum()).item()
    return keep, duplicates, earlier.height - duplicates


def _check_customers(raw: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One slice of records -> (its rejects, its valid records with cleaned values)."""
    frame = raw.select(
        RECORD,
        *(pl.col(c).alias(f"raw_{c}") for c in CUSTOMER_COLUMNS),
        n.trimmed(pl.col("customer_id")).alias("customer_id"),
        n.collapsed(pl.col("customer_name")).alias("customer_name"),
        n.mobile(pl.col("mobile_number")).alias("mobile_number"),
        n.region(pl.col("region")).alias("region"),
        MALFORMED_COLUMN,
        LINE_COLUMN,
    )
    raw_mobile = pl.col("raw_mobile_number")
    checks: list[Check] = [
        (pl.col("customer_id").is_null(), "missing customer_id"),
        *_too_long("customer_id", "customer_name", "region"),
        (n.trimmed(raw_mobile).is_null(), "missing mobile_number"),
        (
            n.trimmed(raw_mobile).is_not_null() & pl.col("mobile_number").is_null(),
            _invalid_mobile(raw_mobile),
        ),
        *_has_nul("customer_id", "customer_name", "region"),
    ]
    frame = frame.with_columns(
        (pl.col(MALFORMED_COLUMN).is_not_null() | _failed(checks)).alias(FAILED)
    )
    invalid = frame.filter(pl.col(FAILED)).with_columns(
        pl.coalesce(pl.col(MALFORMED_COLUMN), _reason(*checks)).alias(REASON)
    )
    return _rejects(invalid, CUSTOMER_COLUMNS), frame.filter(~pl.col(FAILED))


def clean_customers(raw: pl.DataFrame, owners: pl.DataFrame) -> CleanCustomers:
    """`owners`: every mobile number already in the store with its customer_id."""
    if MALFORMED_COLUMN not in raw.columns:  # a frame built by hand (tests)
        raw = raw.with_columns(
            pl.lit(None, pl.String).alias(MALFORMED_COLUMN),
            pl.lit(None, pl.String).alias(LINE_COLUMN),
        )
    # Each record's own checks, a slice at a time: the checks' columns for a whole file
    # of rejects would take many times its size.
    slices = range(0, max(raw.height, 1), SLICE_ROWS)  # an empty file is one empty slice
    checked = [_check_customers(raw.slice(at, SLICE_ROWS)) for at in slices]
    invalid = pl.concat([rejects for rejects, _ in checked])
    valid = pl.concat([valid for _, valid in checked]).sort(RECORD)
    del checked

    # A number belongs to whoever had it first: the store, else the earliest row here.
    owners = owners.select(
        pl.col("mobile_number"), pl.col("customer_id").alias("store_owner")
    ).unique("mobile_number", keep="first")
    valid = valid.join(owners, on="mobile_number", how="left", maintain_order="left")
    valid = valid.with_columns(
        pl.coalesce("store_owner", pl.col("customer_id").first().over("mobile_number")).alias(
            "owner"
        )
    )
    conflict = pl.col("owner") != pl.col("customer_id")
    taken = valid.filter(conflict).with_columns(
        (pl.lit("mobile_number already belongs to customer ") + _plain(pl.col("owner"))).alias(
            REASON
        )
    )
    valid = valid.filter(~conflict)

    keep, duplicates, superseded = _settle_versions(
        valid, ["customer_id"], ["customer_name", "mobile_number", "region"]
    )
    new_mobiles = (
        valid.filter(pl.col("store_owner").is_null())
        .select("mobile_number", "customer_id")
        .unique("mobile_number", keep="first", maintain_order=True)
    )
    rejected = pl.concat([invalid, _rejects(taken, CUSTOMER_COLUMNS)])
    accounting = Accounting(
        read=raw.height,
        accepted=keep.height,
        rejected=rejected.height,
        duplicates=duplicates,
        superseded=superseded,
    )
    return CleanCustomers(
        customers=keep.select(
            "customer_id", "customer_name", "mobile_number", "region", RECORD
        ).sort(RECORD),
        new_mobiles=new_mobiles,
        rejects=rejected.sort(RECORD),
        accounting=accounting,
    )


def _local_times(utc: pl.Series, timezone: str) -> pl.Series:
    """UTC instants as the source zone's wall clock with its offset, as a person wrote them:
    `2025-10-12 09:15:32+05:30` (microseconds only when there are some)."""
    table = zones.offsets_for(utc, timezone)
    local = zones.local_naive(pl.col("t"), table)
    seconds = (
        pl.when(local.dt.microsecond() > 0)
        .then(local.dt.strftime("%Y-%m-%d %H:%M:%S%.6f"))
        .otherwise(local.dt.strftime("%Y-%m-%d %H:%M:%S"))
    )
    offset = zones.offset_text(table.offsets_of(pl.col("t")))
    return utc.to_frame("t").select((seconds + offset).alias(utc.name)).to_series()


def _disagreements(lines: pl.DataFrame, source_timezone: str) -> pl.DataFrame:
    """`record_number`, `reason` for the lines of orders whose header disagrees: per field
    that differs, its distinct cleaned values (in the order the lines give them) and the
    order's lines, e.g. `total_amount differs within order ORD-9: 1.00 vs 1599.84 on lines
    3, 4`. Mobile numbers are masked; should two differ only in the hidden digits, the
    reason says so."""
    if lines.is_empty():
        return pl.DataFrame(schema={RECORD: pl.Int64, REASON: pl.String})
    lines = lines.sort(RECORD)
    lines = lines.with_columns(
        _masked(pl.col("mobile_number")).alias("shown_mobile_number"),
        _local_times(lines["ordered_at"], source_timezone).alias("shown_order_date_time"),
        fixed_2(pl.col("total_paise")).alias("shown_total_amount"),
    )
    per_field = []
    for name, column in HEADER_FIELDS.items():
        values = pl.col(f"shown_{name}").filter(pl.col(column).is_first_distinct())
        per_field += [
            pl.col(column).n_unique().alias(f"n_{name}"),
            values.n_unique().alias(f"shown_n_{name}"),
            values.head(MAX_SHOWN_VALUES).str.join(" vs ").alias(f"values_{name}"),
        ]
    orders = lines.group_by("order_id", maintain_order=True).agg(
        *per_field,
        pl.col(RECORD).head(MAX_SHOWN_LINES).cast(pl.String).str.join(", ").alias("lines"),
        pl.len().alias("line_count"),
    )

    def more(count: pl.Expr, limit: int, what: str) -> pl.Expr:
        return pl.when(count > limit).then(pl.format(f" and {{}} more {what}", count - limit))

    lines_text = pl.concat_str(
        [pl.col("lines"), more(pl.col("line_count"), MAX_SHOWN_LINES, "lines")],
        ignore_nulls=True,
    )
    clauses = []
    for name in HEADER_FIELDS:
        distinct = pl.col(f"n_{name}")
        hidden = pl.when(pl.col(f"shown_n_{name}") < distinct).then(
            pl.lit(" (they differ in the hidden digits)")
        )
        text = pl.concat_str(
            [
                pl.lit(f"{name} differs within order "),
                _plain(pl.col("order_id")),
                pl.lit(": "),
                pl.col(f"values_{name}"),
                more(distinct, MAX_SHOWN_VALUES, "values"),
                hidden,
                pl.lit(" on lines "),
                lines_text,
            ],
            ignore_nulls=True,
        )
        clauses.append(pl.when(distinct > 1).then(text))
    reasons = orders.select(
        "order_id", pl.concat_str(clauses, separator=SEPARATOR, ignore_nulls=True).alias(REASON)
    )
    return lines.select(RECORD, "order_id").join(reasons, on="order_id").select(RECORD, REASON)


def clean_orders(
    raw: pl.DataFrame, source_timezone: str, started: datetime | None = None
) -> CleanOrders:
    """Order lines -> one row per order plus its lines; rejects keep the raw values.

    `started`: when the ingest started; an order time more than `FUTURE_SLACK` after it is
    rejected (a mistyped year must not stretch every KPI to 9025).

    Only cleaned values travel through the stages; the raw text of the few rejected lines
    is joined back from `raw` by record number at the end (large files stay lean).
    """

    def missing(column: str) -> pl.Expr:
        return n.trimmed(pl.col(column)).is_null()

    def bad(column: str, cleaned: str) -> pl.Expr:
        return ~missing(column) & pl.col(cleaned).is_null()

    # Header fields repeat on every line of an order: parse each distinct text once.
    latest = (started or datetime.now(UTC)) + FUTURE_SLACK
    frame = raw.with_columns(
        n.by_distinct(raw["mobile_number"], n.mobile).alias(C_MOBILE),
        n.timestamps_utc(raw["order_date_time"], source_timezone).alias(C_TIME),
        n.amounts_paise(raw["total_amount"]).alias(C_TOTAL),
        raw.select(n.sku_count(pl.col("sku_count")))["sku_count"].alias(C_SKU),
    )
    checks: list[Check] = [
        (missing("order_id"), "missing order_id"),
        (missing("sku_id"), "missing sku_id"),
        *_too_long_raw("order_id", "sku_id"),
        (missing("mobile_number"), "missing mobile_number"),
        (bad("mobile_number", C_MOBILE), _invalid_mobile(pl.col("mobile_number"))),
        (missing("order_date_time"), "missing order_date_time"),
        (
            bad("order_date_time", C_TIME),
            _invalid(
                "order_date_time",
                "need a real date and time, years 1000-9998, e.g. 2025-10-12 09:15:32",
            ),
        ),
        (
            pl.col(C_TIME) > latest,
            pl.format(
                "order time in the future: {} (more than 24 hours after the ingest started)",
                _shown(pl.col("order_date_time")),
            ),
        ),
        (missing("sku_count"), "missing sku_count"),
        (
            bad("sku_count", C_SKU),
            _invalid("sku_count", f"need a whole number from 1 to {n.MAX_SKU_COUNT}"),
        ),
        (missing("total_amount"), "missing total_amount"),
        (
            bad("total_amount", C_TOTAL),
            _invalid("total_amount", "need a decimal from 0 to 999999999999.99"),
        ),
    ]
    malformed = pl.col("malformed")  # a structural problem says it all
    frame = frame.with_columns((malformed.is_not_null() | _failed(checks)).alias(FAILED))
    invalid = frame.filter(pl.col(FAILED)).select(
        RECORD, pl.coalesce(malformed, _reason(*checks)).alias(REASON)
    )
    valid = frame.filter(~pl.col(FAILED)).select(
        RECORD,
        n.trimmed(pl.col("order_id")).alias("order_id"),
        n.trimmed(pl.col("sku_id")).alias("sku_id"),
        pl.col(C_SKU).alias("sku_count"),
        pl.col(C_MOBILE).alias("mobile_number"),
        pl.col(C_TIME).alias("ordered_at"),
        pl.col(C_TOTAL).alias("total_paise"),
    )
    del frame

    keep, duplicates, superseded = _settle_versions(
        valid,
        ["order_id", "sku_id"],
        ["mobile_number", "ordered_at", "sku_count", "total_paise"],
    )
    del valid

    header = pl.struct(*HEADER_FIELDS.values())
    disagree = header.n_unique().over("order_id") > 1
    inconsistent = _disagreements(keep.filter(disagree), source_timezone)
    keep = keep.filter(~disagree)

    reasons = pl.concat([invalid, inconsistent])
    rejected = _rejects(
        raw.rename({c: f"raw_{c}" for c in ORDER_LINE_COLUMNS}).join(
            reasons, on=RECORD, how="inner"
        ),
        ORDER_LINE_COLUMNS,
    ).sort(RECORD)
    orders = keep.group_by("order_id", maintain_order=True).agg(
        pl.col("mobile_number").first(),
        pl.col("ordered_at").first(),
        pl.col("total_paise").first(),
        pl.col("sku_count").sum().alias("units"),
    )
    accounting = Accounting(
        read=raw.height,
        accepted=keep.height,
        rejected=rejected.height,
        duplicates=duplicates,
        superseded=superseded,
    )
    return CleanOrders(
        orders=orders,
        lines=keep.select("order_id", "sku_id", "sku_count", RECORD).sort(RECORD),
        rejects=rejected,
        accounting=accounting,
    )
