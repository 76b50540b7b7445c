"""What the pages say, from a `KpiDocument`: the values the templates in `templates/` lay out.

`report.html.j2` is the one-file report, `chart.html.j2` one chart on its own page; both
extend `page.html.j2`, the self-contained page (inlined JavaScript, embedded specs, PNGs as
data URIs, a policy that forbids every network request).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from akasa import __version__
from akasa.kpi.document import KpiDocument, Part, QualityFile, columns
from akasa.kpi.narrative import summary_lines
from akasa.report.charts import ORDER, as_of_day, window_text
from akasa.report.freshness import Freshness
from akasa.report.templating import render

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

    @property
    def element_id(self) -> str:
        """The id of the element the chart is drawn in (the key of its spec in the page)."""
        return f"chart-{self.name}"

    @cached_property
    def png_base64(self) -> str:
        return base64.b64encode(self.png).decode("ascii")


@dataclass(frozen=True)
class Section:
    """One KPI in the report: its chart, heading, note and table rows."""

    chart: Chart
    heading: str
    note: str
    rows: Sequence[Part]


def _sections(document: KpiDocument, charts: list[Chart]) -> list[Section]:
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
            sections.append(Section(chart, heading, NOTES[name], rows[name]))
    return sections


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


def _specs(charts: Sequence[Chart]) -> dict[str, dict[str, Any]]:
    return {c.element_id: c.spec for c in charts}


def report_page(
    document: KpiDocument,
    charts: list[Chart],
    fresh: Freshness,
    bundle: str,
    built_at: datetime,
) -> str:
    """The one-file report: freshness, headline numbers, four charts with tables, quality."""
    sections = _sections(document, charts)
    quality = document.data_quality
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
        sections=sections,
        quality=quality,
        file_columns=columns(QualityFile),
        files_total=_files_total(quality.files),
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
