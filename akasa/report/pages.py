"""What the pages say, from a `KpiDocument`: the values the templates in `templates/` lay out.

`report.html.j2` is the one-file report, `chart.html.j2` one chart on its own page; both
extend `page.html.j2`, the self-contained page (inlined JavaScript, embedded specs, PNGs and
the KPI CSVs as data URIs, a policy that forbids every network request).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from markupsafe import Markup

from akasa import __version__
from akasa.core.numbers import count, paise_of, rupees, rupees_compact
from akasa.kpi.document import KpiDocument, KpiHead, Part, QualityFile, RejectReason, columns
from akasa.kpi.narrative import summary_lines
from akasa.report.charts import NO_DATA, ORDER, as_of_day, window_text
from akasa.report.freshness import Freshness
from akasa.report.templating import render

SHOWN_ROWS = 10  # rows of a KPI table in the page; the embedded CSV has them all
KINDS = {"customers": "Customers", "orders": "Order lines"}

TITLES = {
    "monthly_trends": "Monthly trends",
    "regional_revenue": "Regional revenue",
    "top_customers": "Top customers",
    "repeat_customers": "Repeat customers",
}

NOTES = {
    "monthly_trends": "Revenue (bars) and orders (line) per calendar month, months without "
    "orders as zeros. Point at a month for its growth over the previous month.",
    "regional_revenue": "Revenue per customer region, with each region's share. Orders "
    "without a matching customer count under Unknown.",
    "top_customers": "Customers ranked by revenue in the window; equal revenue shares a rank.",
    "repeat_customers": "Customers with two or more orders, grouped by how many orders they "
    "placed. The table lists them, most orders first.",
}


def store_text(document: KpiHead) -> str:
    """Where the KPIs were computed, in words: `table mode (MySQL)` or `file store` (only
    table mode records a database)."""
    return "file store" if document.database is None else f"table mode ({document.database})"


def data_uri(data: bytes, media_type: str) -> Markup:
    """`data` inside a URL. Markup: base64 and the media type hold nothing HTML would read,
    and the page must print these bytes untouched (no masking of digit runs)."""
    return Markup(f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}")


@dataclass(frozen=True)
class Chart:
    """One drawn chart: its Vega-Lite spec and its PNG."""

    name: str
    spec: dict[str, Any]
    png: bytes | None  # None: drawn without PNGs (`akasa report --no-png`)

    @property
    def title(self) -> str:
        return TITLES[self.name]

    @property
    def height(self) -> int:
        return int(self.spec["height"])

    @property
    def element_id(self) -> str:
        """The id of the element the chart is drawn in (the key of its spec in the page)."""
        return f"chart-{self.name}"

    @cached_property
    def png_uri(self) -> Markup | None:
        return None if self.png is None else data_uri(self.png, "image/png")


@dataclass(frozen=True)
class Download:
    """A KPI's whole CSV, carried inside the page (an emailed report carries its data)."""

    filename: str
    data: bytes
    rows: int

    @property
    def uri(self) -> Markup:
        return data_uri(self.data, "text/csv")

    @property
    def text(self) -> str:
        size = len(self.data)
        amount = f"{count(size)} bytes" if size < 1024 else f"{count(round(size / 1024))} KB"
        noun = "row" if self.rows == 1 else "rows"
        return f"Download all {count(self.rows)} {noun} ({self.filename}, {amount})"


@dataclass(frozen=True)
class Section:
    """One KPI in the report: its chart, heading, note, the first table rows and the CSV."""

    chart: Chart
    heading: str
    note: str
    rows: Sequence[Part]
    download: Download

    @property
    def shown(self) -> Sequence[Part]:
        return self.rows[:SHOWN_ROWS]

    @property
    def more(self) -> str | None:
        """`and 40 more` under a cut table (the download has every row)."""
        rest = len(self.rows) - SHOWN_ROWS
        return f"and {count(rest)} more (in the download below)" if rest > 0 else None


@dataclass(frozen=True)
class Card:
    label: str
    value: str
    detail: str = ""


def _window_card(document: KpiDocument) -> Card:
    """The revenue of the top-customers window: every order in it, matched or not."""
    s = document.summary
    paise = paise_of(s.window_revenue)
    noun = "order" if s.window_orders == 1 else "orders"
    return Card(
        f"Last {document.window_days} days",
        rupees_compact(paise),
        f"{rupees(paise)} · {count(s.window_orders)} {noun} since {document.window_start[:10]}",
    )


def _month_card(document: KpiDocument) -> Card | None:
    """The month in progress at as_of, like for like (None when that month is complete)."""
    mtd = document.summary.month_to_date
    if mtd is None:
        return None
    days = f"{mtd.days} day{'' if mtd.days == 1 else 's'}"
    detail = f"{mtd.month}, {days} so far"
    if mtd.growth_pct is not None:
        sign = "+" if not mtd.growth_pct.startswith("-") else ""
        detail += f" · {sign}{mtd.growth_pct}% on the same days of {mtd.previous_month}"
    return Card("Month to date", rupees_compact(paise_of(mtd.revenue)), detail)


def cards(document: KpiDocument) -> list[Card]:
    """The headline numbers: all-time revenue, the window's, the month to date's, orders,
    customers and the repeat rate."""
    s = document.summary
    total = paise_of(s.total_revenue)
    found = [
        Card("Revenue", rupees_compact(total), f"{rupees(total)} · all orders to date"),
        _window_card(document),
        _month_card(document),
        Card("Orders", count(s.orders)),
        Card(
            "Customers",
            count(s.ordering_customers),
            f"{rupees(paise_of(s.avg_revenue_per_customer))} per customer",
        ),
        Card(
            "Repeat rate",
            f"{s.repeat_rate_pct}%",
            f"{count(s.repeat_customers)} ordered more than once",
        ),
    ]
    return [c for c in found if c is not None]


@dataclass(frozen=True)
class KindQuality:
    """The data-quality figures of one kind of record (customers or order lines)."""

    kind: str
    label: str
    files: list[QualityFile]
    reasons: list[RejectReason]

    @property
    def total(self) -> dict[str, Any]:
        return _files_total(self.files)


def quality_by_kind(document: KpiDocument) -> list[KindQuality]:
    quality = document.data_quality
    return [
        KindQuality(
            kind,
            label,
            [f for f in quality.files if f.kind == kind],
            [r for r in quality.top_reject_reasons if r.kind == kind],
        )
        for kind, label in KINDS.items()
    ]


def _sections(document: KpiDocument, charts: list[Chart], csvs: dict[str, bytes]) -> list[Section]:
    """The drawn charts in report order, each with its KPI's rows."""
    rows: dict[str, Sequence[Part]] = {
        "monthly_trends": document.monthly_trends,
        "regional_revenue": document.regional_revenue,
        "top_customers": document.top_customers,
        "repeat_customers": document.repeat_customers,
    }
    by_name = {c.name: c for c in charts}
    sections = []
    for name in ORDER:
        if name in by_name:
            chart = by_name[name]
            heading = chart.title
            if name == "top_customers":
                heading += f", last {document.window_days} days"
            download = Download(f"{name}.csv", csvs[name], len(rows[name]))
            sections.append(Section(chart, heading, NOTES[name], rows[name], download))
    return sections


def _files_total(files: Sequence[QualityFile]) -> dict[str, Any]:
    """The total row under a files table."""
    return {
        "batch_id": "Total",
        "source_file": f"{count(len(files))} file{'' if len(files) == 1 else 's'}",
        "records_read": sum(f.records_read for f in files),
        "accepted": sum(f.accepted for f in files),
        "rejected": sum(f.rejected for f in files),
        "duplicates": sum(f.duplicates for f in files),
        "superseded": sum(f.superseded for f in files),
    }


def _specs(charts: Sequence[Chart]) -> dict[str, dict[str, Any]]:
    return {c.element_id: c.spec for c in charts}


def report_page(
    document: KpiDocument,
    charts: list[Chart],
    fresh: Freshness,
    bundle: str,
    built_at: datetime,
    csvs: dict[str, bytes],
) -> str:
    """The one-file report: freshness, headline numbers, four charts with their tables and
    CSVs (`csvs`: each KPI's CSV as `akasa run` wrote it), data quality."""
    sections = _sections(document, charts, csvs)
    return render(
        "report.html.j2",
        title=f"Sales KPIs as of {as_of_day(document)}",
        specs=_specs([s.chart for s in sections]),
        bundle=bundle,
        document=document,
        as_of_day=as_of_day(document),
        window=window_text(document),
        fresh=fresh,
        facts=[line.removeprefix("- ") for line in summary_lines(document)[1:]],
        store=store_text(document),
        cards=cards(document),
        sections=sections,
        kinds=quality_by_kind(document),
        file_columns=[c for c in columns(QualityFile) if c != "kind"],
        no_data=NO_DATA,
        version=__version__,
        built_at=built_at,
    )


def chart_page(document: KpiDocument, chart: Chart, bundle: str) -> str:
    """One chart on its own page, drawn the same offline way as in the report."""
    return render(
        "chart.html.j2",
        title=f"{chart.title} as of {as_of_day(document)}",
        specs=_specs([chart]),
        bundle=bundle,
        chart=chart,
    )
