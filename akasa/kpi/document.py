"""`kpis.json` as one typed document: what `akasa run` writes and `akasa report` reads.

The models are the format. Their field order is the file's key order, and the columns of the
four KPI tables are defined here once (`kpi.spec` takes them from `ROWS`). Money and
percentages stay text with two decimals (`"7450.00"`) so no reader turns them into binary
floats; times stay the ISO text the run wrote, in the business zone with its offset.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from akasa.core.errors import OutputsUnreadableError
from akasa.core.output import json_with_tables

if TYPE_CHECKING:
    import polars as pl

# The format this akasa writes and the only one it reads. Raise it when a change would let
# an older reader misread a newer file (a field removed, renamed or given another meaning).
VERSION = 1

Money = Annotated[str, Field(pattern=r"^-?\d+\.\d{2}$")]  # rupees: "1234.50"
Percent = Annotated[str, Field(pattern=r"^-?\d+\.\d{2}$")]  # "29.25" for 29.25 %
# The offset has seconds only in zones' local mean time before 1900 (`+05:53:28`).
Timestamp = Annotated[
    str, Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}(?::\d{2})?$")
]
Month = Annotated[str, Field(pattern=r"^\d{4}-\d{2}$")]
Count = Annotated[int, Field(strict=True, ge=0)]  # strict: "3" or 3.0 is not a count
Positive = Annotated[int, Field(strict=True, ge=1)]

MAX_PROBLEMS = 3  # validation problems named in the error; the rest are counted
DESCRIBES = ("as_of", "timezone", "window_days", "window_start", "top")  # named first


class Part(BaseModel):
    """Every part of the document: read-only, and a key the model does not know is an error,
    so nothing in a file is silently dropped."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class RepeatCustomer(Part):
    customer_id: str
    customer_name: str
    region: str
    orders: Count
    revenue: Money
    first_order_at: Timestamp
    last_order_at: Timestamp


class MonthlyTrend(Part):
    month: Month
    orders: Count
    customers: Count
    units: Count
    revenue: Money
    avg_order_value: Money
    # None for the first month and when the base revenue is 0; the month in progress is
    # compared like for like (the previous month over the same elapsed time).
    revenue_growth_pct: Percent | None
    complete: bool  # the month ended at or before as_of; only the as_of month can be false


class RegionalRevenue(Part):
    region: str
    revenue: Money
    orders: Count
    customers: Count
    revenue_share_pct: Percent


class TopCustomer(Part):
    rank: Positive
    customer_id: str
    customer_name: str
    region: str
    orders: Count
    revenue: Money


class SummaryCustomer(Part):
    customer_id: str
    customer_name: str
    revenue: Money


class MonthToDate(Part):
    """The month in progress at as_of, compared like for like (SPEC §4.2)."""

    month: Month
    revenue: Money
    days: Positive  # local days of the month elapsed at as_of (the as_of day included)
    previous_month: Month
    previous_days: Count  # days of the previous month it is compared with
    previous_revenue: Money
    growth_pct: Percent | None  # None when the previous month had no revenue by then


class Summary(Part):
    """The headline numbers (see docs/kpis.md for each one's definition). Growth and the
    peak month speak of complete months only; the month in progress has `month_to_date`."""

    total_revenue: Money
    orders: Count
    ordering_customers: Count
    repeat_customers: Count
    repeat_rate_pct: Percent
    peak_month: Month | None  # among complete months where there is one
    peak_month_revenue: Money | None
    avg_monthly_revenue_growth_pct: Percent | None  # over complete months only
    month_to_date: MonthToDate | None  # None when the as_of month is complete
    # Every order of the top-customers window (window_start to as_of), matched or not.
    window_orders: Count
    window_revenue: Money
    leading_region: str | None
    leading_region_share_pct: Percent | None
    top_customer: SummaryCustomer | None
    avg_revenue_per_customer: Money
    unmatched_orders: Count


class Watermark(Part):
    """How far the stored data reaches: the newest order and the last ingest."""

    newest_order_at: Timestamp | None  # None: no order yet (a run for an explicit date)
    last_ingest_at: Timestamp | None


class QualityFile(Part):
    """One ingested file's accounting: read = accepted + rejected + duplicates + superseded."""

    batch_id: Positive
    kind: Literal["customers", "orders"]
    source_file: str
    records_read: Count
    accepted: Count
    rejected: Count
    duplicates: Count
    superseded: Count
    ingested_at: Timestamp


class RejectReason(Part):
    """One kind of problem among the rejected records of one kind (customers or orders)."""

    kind: Literal["customers", "orders"]
    reason: str
    records: Count


class DataQuality(Part):
    files: list[QualityFile]
    # The most common reasons of each kind: customers' first, then orders', each most
    # frequent first.
    top_reject_reasons: list[RejectReason]


class KpiHead(Part):
    """kpis.json without the four KPI tables: what the run was and its headline numbers.

    `akasa run` builds only this as a model; the tables go from Polars straight to the file
    (see `kpis_json`), since a hundred thousand row objects would slow every run.
    """

    version: int
    mode: Annotated[str, Field(pattern=r"^(memory|table)$")]  # the mode's name, as users say it
    # Table mode's kind of database (`SQLite`, `MySQL`, `PostgreSQL`); None in memory mode.
    database: str | None
    as_of: Timestamp
    as_of_requested: str
    timezone: str
    window_days: Positive
    window_start: Timestamp
    top: Positive
    generated_at: Timestamp
    watermark: Watermark
    unmatched_orders: Count
    summary: Summary
    data_quality: DataQuality

    @field_validator("version")
    @classmethod
    def _readable(cls, version: int) -> int:
        if version != VERSION:
            raise PydanticCustomError(
                "version",
                "format version {version}; this akasa reads version {readable}",
                {"version": version, "readable": VERSION},
            )
        return version


class KpiDocument(KpiHead):
    """The whole kpis.json: the head and the four KPI tables, each a list of rows."""

    repeat_customers: list[RepeatCustomer]
    monthly_trends: list[MonthlyTrend]
    regional_revenue: list[RegionalRevenue]
    top_customers: list[TopCustomer]


# Each KPI table's row model, in the order the tables appear in the file.
ROWS: dict[str, type[Part]] = {
    "repeat_customers": RepeatCustomer,
    "monthly_trends": MonthlyTrend,
    "regional_revenue": RegionalRevenue,
    "top_customers": TopCustomer,
}


def columns(row: type[Part]) -> tuple[str, ...]:
    """A row model's fields: the columns of its table, in the file's order."""
    return tuple(row.model_fields)


def kpis_json(head: KpiHead, tables: Mapping[str, pl.DataFrame]) -> str:
    """The kpis.json text: the head indented from the model, then each table's rows.

    A table whose columns are not its row model's fields would write a file that no reader
    accepts, so that is refused here, before anything is written.
    """
    for name, row in ROWS.items():
        if tuple(tables[name].columns) != columns(row):
            raise ValueError(f"{name} has columns {tables[name].columns}, not {columns(row)}")
    return json_with_tables(head.model_dump(mode="json"), {name: tables[name] for name in ROWS})


def read_document(path: Path, shown_as: Path | None = None) -> KpiDocument:
    """The KPI document in `path`, or one line saying why it is not one (naming the file
    as `shown_as`, when it is read through another path than the one people know)."""
    read, path = path, shown_as or path
    try:
        text = read.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = f"{path} cannot be read ({exc}); run akasa run again"
        raise OutputsUnreadableError(problem) from None
    try:
        return KpiDocument.model_validate_json(text)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        broken = [e for e in errors if e["type"] == "json_invalid"]
        if broken:
            raise OutputsUnreadableError(
                f"{path} cannot be read ({broken[0]['msg']}); run akasa run again"
            ) from None
        raise OutputsUnreadableError(
            f"{path} is not a KPI document ({_problems(errors)}); run akasa run again"
        ) from None


def _problems(errors: list[ErrorDetails]) -> str:
    """Validation errors in a few words: another version alone, else the missing fields,
    then the first few invalid values."""
    for error in errors:
        if error["type"] == "version":  # another format: what its fields lack says nothing
            return str(error["msg"])
    missing = sorted(
        (_where(e["loc"]) for e in errors if e["type"] == "missing"), key=_naming_order
    )
    invalid = [
        f"{_where(e['loc'])}: {e['msg']}" if e["loc"] else str(e["msg"])
        for e in errors
        if e["type"] != "missing"
    ]
    problems = ([f"missing {', '.join(missing)}"] if missing else []) + invalid[:MAX_PROBLEMS]
    if len(invalid) > MAX_PROBLEMS:
        problems.append(f"{len(invalid) - MAX_PROBLEMS} more invalid values")
    return "; ".join(problems)


def _naming_order(field: str) -> int:
    """Missing fields are named what-the-KPIs-describe first (as the report's header says
    it), the rest in file order, and the version last: that a file lacking fields has no
    version either only adds that it is older than the format, or not akasa's."""
    if field in DESCRIBES:
        return 0
    return 2 if field == "version" else 1


def _where(loc: tuple[int | str, ...]) -> str:
    """`("repeat_customers", 3, "revenue")` -> `repeat_customers[3].revenue`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text
