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

from akasa.core.tables import CUSTOMER_COLUMNS, MAX_LENGTH, MAX_RAW_CHARS, ORDER_LINE_COLUMNS
from akasa.ingest import normalise as n
from akasa.ingest.csv_reader import LINE_COLUMN, MALFORMED_COLUMN

RECORD = "record_number"
REASON = "reason"
FUTURE_SLACK = timedelta(hours=24)


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


def _reason(*checks: tuple[pl.Expr, str]) -> pl.Expr:
    """All failed checks of a record, joined; null when the record is valid."""
    parts = [pl.when(failed).then(pl.lit(text)) for failed, text in checks]
    joined = pl.concat_str(parts, separator="; ", ignore_nulls=True)
    return pl.when(joined.str.len_chars() > 0).then(joined)


def _too_long(*columns: str) -> list[tuple[pl.Expr, str]]:
    """Longer than the stores keep (`akasa.core.tables.MAX_LENGTH`)."""
    return [
        (pl.col(c).str.len_chars() > MAX_LENGTH[c], f"{c} longer than {MAX_LENGTH[c]} characters")
        for c in columns
    ]


def _too_long_raw(*columns: str) -> list[tuple[pl.Expr, str]]:
    """`_too_long` on the trimmed raw text (the cleaned value is the trimmed text)."""
    return [
        (
            n.trimmed(pl.col(c)).str.len_chars() > MAX_LENGTH[c],
            f"{c} longer than {MAX_LENGTH[c]} characters",
        )
        for c in columns
    ]


def _has_nul(*columns: str) -> list[tuple[pl.Expr, str]]:
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


def clean_customers(raw: pl.DataFrame, owners: pl.DataFrame) -> CleanCustomers:
    """`owners`: every mobile number already in the store with its customer_id."""
    if MALFORMED_COLUMN not in raw.columns:  # a frame built by hand (tests)
        raw = raw.with_columns(
            pl.lit(None, pl.String).alias(MALFORMED_COLUMN),
            pl.lit(None, pl.String).alias(LINE_COLUMN),
        )
    frame = raw.select(
        RECORD,
        *(pl.col(c).alias(f"raw_{c}") for c in CUSTOMER_COLUMNS),
        n.trimmed(pl.col("customer_id")).alias("customer_id"),
        n.collapsed(pl.col("customer_name")).alias("customer_name"),
        n.mobile(pl.col("mobile_number")).alias("mobile_number"),
        n.region(pl.col("region")).alias("region"),
        MALFORMED_COLUMN,
        LINE_COLUMN,
    ).with_columns(
        pl.coalesce(
            pl.col(MALFORMED_COLUMN),
            _reason(
                (pl.col("customer_id").is_null(), "missing customer_id"),
                *_too_long("customer_id", "customer_name", "region"),
                (
                    n.trimmed(pl.col("raw_mobile_number")).is_null(),
                    "missing mobile_number",
                ),
                (
                    n.trimmed(pl.col("raw_mobile_number")).is_not_null()
                    & pl.col("mobile_number").is_null(),
                    "invalid mobile_number (need 10 digits starting 6-9)",
                ),
                *_has_nul("customer_id", "customer_name", "region"),
            ),
        ).alias(REASON)
    )
    invalid = frame.filter(pl.col(REASON).is_not_null())
    valid = frame.filter(pl.col(REASON).is_null()).sort(RECORD)

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
        (pl.lit("mobile_number already belongs to customer ") + pl.col("owner")).alias(REASON)
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
    rejected = pl.concat([_rejects(invalid, CUSTOMER_COLUMNS), _rejects(taken, CUSTOMER_COLUMNS)])
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

    def bad(column: str, cleaned: pl.Series) -> pl.Expr:
        return ~missing(column) & cleaned.is_null()

    # Header fields repeat on every line of an order: parse each distinct text once.
    mobile = n.by_distinct(raw["mobile_number"], n.mobile)
    ordered_at = n.timestamps_utc(raw["order_date_time"], source_timezone)
    latest = (started or datetime.now(UTC)) + FUTURE_SLACK
    total = n.by_distinct(raw["total_amount"], n.amount_paise)
    sku_count = raw.select(n.sku_count(pl.col("sku_count")))["sku_count"]
    checked = raw.select(
        RECORD,
        n.trimmed(pl.col("order_id")).alias("order_id"),
        n.trimmed(pl.col("sku_id")).alias("sku_id"),
        sku_count.alias("sku_count"),
        mobile.alias("mobile_number"),
        ordered_at.alias("ordered_at"),
        total.alias("total_paise"),
        pl.coalesce(
            pl.col("malformed"),  # a structural problem says it all
            _reason(
                (missing("order_id"), "missing order_id"),
                (missing("sku_id"), "missing sku_id"),
                *_too_long_raw("order_id", "sku_id"),
                (missing("mobile_number"), "missing mobile_number"),
                (
                    bad("mobile_number", mobile),
                    "invalid mobile_number (need 10 digits starting 6-9)",
                ),
                (missing("order_date_time"), "missing order_date_time"),
                (bad("order_date_time", ordered_at), "invalid order_date_time"),
                (pl.lit(ordered_at) > latest, "order time in the future"),
                (missing("sku_count"), "missing sku_count"),
                (bad("sku_count", sku_count), "invalid sku_count (need a whole number >= 1)"),
                (missing("total_amount"), "missing total_amount"),
                (bad("total_amount", total), "invalid total_amount (need a decimal >= 0)"),
            ),
        ).alias(REASON),
    )
    del mobile, ordered_at, total, sku_count
    invalid = checked.filter(pl.col(REASON).is_not_null()).select(RECORD, REASON)
    valid = checked.filter(pl.col(REASON).is_null()).drop(REASON)
    del checked

    keep, duplicates, superseded = _settle_versions(
        valid,
        ["order_id", "sku_id"],
        ["mobile_number", "ordered_at", "sku_count", "total_paise"],
    )
    del valid

    header = pl.struct("mobile_number", "ordered_at", "total_paise")
    disagree = header.n_unique().over("order_id") > 1
    inconsistent = keep.filter(disagree).select(
        RECORD, pl.lit("inconsistent order header").alias(REASON)
    )
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
