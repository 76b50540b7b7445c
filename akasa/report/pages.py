"""What the report says: its sections, built from a `KpiDocument` with `html` parts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from akasa import __version__
from akasa.core.numbers import paise_of, rupees
from akasa.kpi.document import KpiDocument, KpiHead, Part, QualityFile
from akasa.kpi.narrative import summary_lines
from akasa.kpi.spec import QUALITY_FILE_COLUMNS
from akasa.report import html
from akasa.report.charts import ORDER, as_of_day, window_text
from akasa.report.freshness import Freshness, age

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

FILE_COLUMNS = QUALITY_FILE_COLUMNS


@dataclass(frozen=True)
class Chart:
    """One drawn chart: its Vega-Lite spec and its PNG."""

    name: str
    spec: dict[str, Any]
    png: bytes

    @property
    def title(self) -> str:
        return TITLES[self.name]

    @property
    def width(self) -> int:
        return int(self.spec["width"])


def _money(text: str | None) -> str:
    return "–" if text is None else rupees(paise_of(text))


def _when(moment: datetime | None) -> str:
    return "–" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def _header(document: KpiHead) -> str:
    parts = [
        f"As of {html.when(document.as_of)} ({document.timezone})",
        f"Top customers: {window_text(document)}",
        f"{document.mode} mode",
    ]
    spans = "".join(f"<span>{escape(p)}</span>" for p in parts)
    return (
        f"<header><h1>Sales KPIs as of {escape(as_of_day(document))}</h1>"
        f'<p class="meta">{spans}</p></header>'
    )


def _freshness(fresh: Freshness) -> str:
    rows = [
        ("Newest order", _when(fresh.newest_order_at)),
        ("Last ingest", _when(fresh.last_ingest_at)),
        ("KPIs computed", _when(fresh.run_at)),
        ("Newest order's age at the run", age(fresh.lag)),
    ]
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    warning = fresh.warning()
    alert = f'<p class="warning" role="alert">{escape(warning)}</p>' if warning else ""
    return (
        f'<section id="freshness"><h2>Data freshness</h2><dl class="freshness">{items}</dl>'
        f"{alert}</section>"
    )


def _card(label: str, value: str, detail: str = "") -> str:
    extra = f'<div class="detail">{escape(detail)}</div>' if detail else ""
    return (
        f'<div class="card"><div class="label">{escape(label)}</div>'
        f'<div class="value">{escape(value)}</div>{extra}</div>'
    )


def _headline(document: KpiHead) -> str:
    s = document.summary
    cards = [
        _card("Revenue", _money(s.total_revenue), "all orders to date"),
        _card("Orders", str(s.orders)),
        _card(
            "Customers",
            str(s.ordering_customers),
            f"{_money(s.avg_revenue_per_customer)} per customer",
        ),
        _card(
            "Repeat rate",
            f"{s.repeat_rate_pct}%",
            f"{s.repeat_customers} ordered more than once",
        ),
    ]
    facts = [line.removeprefix("- ") for line in summary_lines(document)[1:]]
    return (
        '<section id="headline"><h2>Headline numbers</h2>'
        f'<div class="cards">{"".join(cards)}</div>'
        f'<ul class="facts">{html.items(facts)}</ul></section>'
    )


def _rows(document: KpiDocument) -> dict[str, Sequence[Part]]:
    """Each KPI's table rows, by name."""
    return {
        "monthly_trends": document.monthly_trends,
        "regional_revenue": document.regional_revenue,
        "top_customers": document.top_customers,
        "repeat_customers": document.repeat_customers,
    }


def _kpi_section(document: KpiDocument, chart: Chart) -> str:
    title = chart.title
    if chart.name == "top_customers":
        title += f", last {document.window_days} days"
    holder = html.chart_holder(f"chart-{chart.name}", chart.png, f"{title} chart", chart.width)
    rows = _rows(document)[chart.name]
    table = (
        html.table(rows, empty="No rows: nothing in scope for this KPI.")
        + f'<p class="note">All rows: {escape(chart.name)}.csv beside kpis.json.</p>'
    )
    return (
        f'<section id="{escape(chart.name)}"><h2>{escape(title)}</h2>'
        f'<p class="note">{escape(NOTES[chart.name])}</p>{holder}{table}</section>'
    )


def _files_total(files: Sequence[QualityFile]) -> dict[str, Any]:
    """The total row under the files table."""
    return {
        "batch_id": "Total",
        "source_file": f"{len(files)} file(s)",
        "records_read": sum(f.records_read for f in files),
        "accepted": sum(f.accepted for f in files),
        "rejected": sum(f.rejected for f in files),
        "duplicates": sum(f.duplicates for f in files),
        "superseded": sum(f.superseded for f in files),
    }


def _data_quality(document: KpiHead) -> str:
    quality = document.data_quality
    files = quality.files
    total = _files_total(files)
    reasons = quality.top_reject_reasons
    return (
        '<section id="data_quality"><h2>Data quality</h2>'
        '<p class="note">Every record read is accepted, rejected (set aside in the quarantine '
        "with its reason), dropped as an exact duplicate, or superseded by a later version: "
        "read = accepted + rejected + duplicates + superseded.</p>"
        "<h3>Files ingested</h3>"
        + html.table(files, FILE_COLUMNS, limit=None, total=total, empty="No files ingested.")
        + "<h3>Most common reject reasons</h3>"
        + html.table(reasons, ("reason", "records"), limit=None, empty="No records rejected.")
        + "</section>"
    )


def report_page(
    document: KpiDocument,
    charts: list[Chart],
    fresh: Freshness,
    bundle: str,
    built_at: datetime,
) -> str:
    """The one-file report: freshness, headline numbers, four charts with tables, quality."""
    by_name = {c.name: c for c in charts}
    sections = [by_name[name] for name in ORDER if name in by_name]
    body = (
        "<main>"
        + _header(document)
        + _freshness(fresh)
        + _headline(document)
        + "".join(_kpi_section(document, c) for c in sections)
        + _data_quality(document)
        + f"<footer>Made by akasa {escape(__version__)} on {escape(_when(built_at))} from the "
        f"{escape(document.mode)}-mode outputs. Times are in {escape(document.timezone)}."
        "</footer></main>"
    )
    specs = {f"chart-{c.name}": c.spec for c in sections}
    return html.page(f"Sales KPIs as of {as_of_day(document)}", body, specs, bundle)


def chart_page(document: KpiHead, chart: Chart, bundle: str) -> str:
    """One chart on its own page, drawn the same offline way as in the report."""
    holder = html.chart_holder(f"chart-{chart.name}", chart.png, chart.title, chart.width)
    body = f"<main><section>{holder}</section></main>"
    title = f"{chart.title} as of {as_of_day(document)}"
    return html.page(title, body, {f"chart-{chart.name}": chart.spec}, bundle)
