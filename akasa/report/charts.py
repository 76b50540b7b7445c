"""The four KPI charts (Altair), built from a `KpiDocument` (kpis.json), in one theme.

Charts get their data as inline values, never as URLs, so they render offline. Money is
passed twice: as a number of rupees for the bar length and the axis (labelled in lakh and
crore by `COMPACT_RUPEES`, as `numbers.rupees_compact` writes them) and as exact text from
`numbers.rupees` for tooltips, so what a chart says to the paisa is what the tables say.
Counts are grouped by the Indian number locale in `THEME` (3,30,357). Names and regions
have their phone-like numbers masked, as everywhere a person reads them.

`specs` gives each chart a fixed width (the PNG's); `for_page` makes one fill its container,
as the HTML pages draw it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any, Protocol

import altair as alt

from akasa.core.numbers import count, paise_of, round_fraction, rupees, rupees_compact, text_2
from akasa.core.privacy import mask_mobiles_in
from akasa.kpi.document import KpiDocument, KpiHead

WIDTH = 640  # the PNG's width; pages draw each chart as wide as its card
LABEL_LIMIT = 150  # pixels of a customer's name on the axis (the tooltip has it whole)
BAR_STEP = 26  # pixels per bar in the horizontal bar charts
MIN_HEIGHT = 180
MAX_BARS = 25  # the regional chart shows at most this many regions; the table has all
SMALL_COUNT = 8  # count axes up to this get one tick per whole number
PRIMARY = "#1f5aa6"
ACCENT = "#e07b18"
MUTED = "#5b6470"
# DejaVu Sans has the rupee sign and is what vl-convert finds on Debian; browsers elsewhere
# fall back to Arial, which has it too. (vl-convert's built-in Liberation Sans lacks it.)
FONT = "DejaVu Sans, Arial, Helvetica, sans-serif"

# d3-format locale for India: 12,34,567 grouping and the rupee sign. d3 cycles the group
# sizes, so the 2-digit groups are listed out rather than given as [3, 2].
INDIAN_NUMBERS = {
    "decimal": ".",
    "thousands": ",",
    "grouping": [3, 2, 2, 2, 2, 2, 2, 2, 2, 2],
    "currency": ["₹", ""],
}
COUNT_FORMAT = ",d"  # whole numbers, grouped by the locale: 3,30,357
# Said by every chart and table with nothing to show, so an empty KPI reads the same everywhere.
NO_DATA = "No data in this period."


def _compact_expr(value: str) -> str:
    """A Vega expression writing the rupee number `value` as `numbers.rupees_compact` does:
    `₹45,300` below a lakh, else lakh (`₹7.35 L`) or crore (`₹33.2 Cr`) with three
    significant digits at least and trailing zeros dropped. (Axis ticks are round numbers,
    so d3's rounding and the exact half-away-from-zero agree on them.)"""
    size = f"abs({value})"

    def scaled(unit: str) -> str:
        amount = f"{size} / {unit}"
        spec = f"({amount} >= 100 ? ',.0f' : {amount} >= 10 ? ',.1~f' : ',.2~f')"
        return f"format({amount}, {spec})"

    return (
        f"({value} < 0 ? '-' : '') + '₹' + ({size} < 1e5 ? format({size}, ',.0f') : "
        f"{size} < 1e7 ? {scaled('1e5')} + ' L' : {scaled('1e7')} + ' Cr')"
    )


# Money axes: lakh and crore, the way managers here read amounts.
COMPACT_RUPEES = _compact_expr("datum.value")

THEME: dict[str, Any] = {
    "background": "white",
    "font": FONT,
    "padding": 8,
    "locale": {"number": INDIAN_NUMBERS},
    "title": {
        "anchor": "start",
        "fontSize": 16,
        "fontWeight": "bold",
        "subtitleFontSize": 12,
        "subtitleColor": MUTED,
        "subtitlePadding": 4,
        "offset": 12,
    },
    "axis": {
        "labelFontSize": 11,
        "titleFontSize": 12,
        "titleFontWeight": "normal",
        "titleColor": MUTED,
        "labelColor": "#333",
        "gridColor": "#e8ebef",
        "domainColor": "#9aa3ad",
        "tickColor": "#9aa3ad",
    },
    "view": {"stroke": None},
    "bar": {"color": PRIMARY},
    "line": {"color": ACCENT, "strokeWidth": 2.5},
    "point": {"color": ACCENT, "filled": True, "size": 60},
    "text": {"fontSize": 11, "color": "#333"},
}

# The order the report shows the charts in.
ORDER = ("monthly_trends", "regional_revenue", "top_customers", "repeat_customers")


def _paise(text: str | None) -> int:
    return 0 if text is None else paise_of(text)


def _rupee_number(paise: int) -> float:
    """A plotting position only (floats are fine for pixels, never for sums)."""
    return paise / 100


def _pct(text: str | None) -> str:
    return "–" if text is None else f"{text}%"


def as_of_day(document: KpiHead) -> str:
    return document.as_of[:10]


def window_text(document: KpiHead) -> str:
    """The top-customers window in words: `last 30 days (2025-10-03 to 2025-11-01)`."""
    days = document.window_days
    noun = "day" if days == 1 else "days"
    return f"last {days} {noun} ({document.window_start[:10]} to {as_of_day(document)})"


def _inline(values: list[dict[str, Any]]) -> alt.Data:
    """Rows kept inside the spec itself (charts read `data.values`), not in `datasets`."""
    return alt.Data(values=values)  # type: ignore[no-untyped-call]  # altair: untyped Data()


def _title(text: str, *subtitle: str) -> alt.Title:
    """A short title and its subtitle, one short line each part: Vega does not wrap text,
    and a chart on a phone is about 330 pixels wide."""
    return alt.Title(text=text, subtitle=list(subtitle))


def _fit(chart: alt.TopLevelMixin, height: int) -> alt.TopLevelMixin:
    """A fixed overall size (axes and titles included), so the PNG size is predictable."""
    sized: alt.TopLevelMixin = chart.properties(
        width=WIDTH, height=height, autosize=alt.AutoSizeParams(type="fit", contains="padding")
    ).configure(**THEME)
    return sized


def _bars_height(count: int) -> int:
    return max(MIN_HEIGHT, 90 + BAR_STEP * count)


def _count_y(field: str, title: str, top: int, **axis: Any) -> alt.Y:
    """A whole-number axis. Small counts get explicit ticks: Vega would put one at 0.5 (it
    does not honour tickMinStep here), and an all-zero column still gets a 0-to-1 axis."""
    if top > SMALL_COUNT:
        return alt.Y(f"{field}:Q", title=title, axis=alt.Axis(format=COUNT_FORMAT, **axis))
    end = max(top, 1)
    return alt.Y(
        f"{field}:Q",
        title=title,
        axis=alt.Axis(format=COUNT_FORMAT, values=list(range(end + 1)), **axis),
        scale=alt.Scale(domain=[0, end]),
    )


def for_page(spec: dict[str, Any]) -> dict[str, Any]:
    """`spec` filling the width of the element it is drawn in (vega-embed reads that width
    when it draws and again when the window is resized); the height stays."""
    return dict(spec, width="container")


def _money_axis(**axis: Any) -> alt.Axis:
    return alt.Axis(labelExpr=COMPACT_RUPEES, **axis)


def _nothing(title: alt.Title) -> alt.TopLevelMixin:
    """A chart with nothing to draw says so (the same words for every KPI), instead of
    showing empty axes."""
    chart = (
        alt.Chart(_inline([{"message": NO_DATA}]))
        .mark_text(fontSize=14, color=MUTED)
        .encode(text="message:N")
        .properties(title=title)
    )
    return _fit(chart, MIN_HEIGHT)


def monthly_trends(document: KpiDocument) -> alt.TopLevelMixin:
    """Revenue bars (left axis) with the order count as a line (right axis)."""
    rows = [
        {
            "month": r.month,
            "revenue": _rupee_number(_paise(r.revenue)),
            "revenue_text": rupees(_paise(r.revenue)),
            "orders": r.orders,
            "customers": r.customers,
            "aov_text": rupees(_paise(r.avg_order_value)),
            "growth_text": _pct(r.revenue_growth_pct),
        }
        for r in document.monthly_trends
    ]
    months = [r.month for r in document.monthly_trends]
    span = f"{months[0]} to {months[-1]}" if months else "no orders"
    title = _title(
        "Monthly revenue and orders", f"as of {as_of_day(document)} · all orders to date", span
    )
    if not rows:
        return _nothing(title)
    tooltip = [
        alt.Tooltip("month:N", title="Month"),
        alt.Tooltip("revenue_text:N", title="Revenue"),
        alt.Tooltip("growth_text:N", title="Growth vs previous month"),
        alt.Tooltip("orders:Q", title="Orders", format=COUNT_FORMAT),
        alt.Tooltip("customers:Q", title="Customers", format=COUNT_FORMAT),
        alt.Tooltip("aov_text:N", title="Avg order value"),
    ]
    base = alt.Chart(_inline(rows)).encode(
        x=alt.X(
            "month:O",
            title=None,
            sort=months,
            axis=alt.Axis(labelAngle=0 if len(months) <= 12 else -45, labelOverlap="parity"),
        ),
        tooltip=tooltip,
    )
    bars = base.mark_bar(color=PRIMARY).encode(
        y=alt.Y(
            "revenue:Q",
            title="Revenue (₹)",
            axis=_money_axis(titleColor=PRIMARY),
        )
    )
    most = max(r.orders for r in document.monthly_trends)
    line = base.mark_line(color=ACCENT, point=alt.OverlayMarkDef(color=ACCENT)).encode(
        y=_count_y("orders", "Orders", most, titleColor=ACCENT, grid=False)
    )
    chart = alt.layer(bars, line).resolve_scale(y="independent").properties(title=title)
    return _fit(chart, 320)


LABEL_CHAR = 7  # about the width of one character of an 11 px label, in pixels


def _label_room(rows: list[dict[str, Any]]) -> alt.Scale:
    """Room right of the longest bar for its text label, whatever the chart's width: the
    domain grows until the longest label fits (`width` is the drawn plot's width)."""
    top = max((r["revenue"] for r in rows), default=0.0)
    if top <= 0:
        return alt.Scale(domain=[0, 1])
    room = LABEL_CHAR * max(len(r["label"]) for r in rows) + 10
    grow = f"max(1.12, width / max(width - {room}, 60))"
    return alt.Scale(domainMin=0, domainMax=alt.ExprRef(expr=f"{top!r} * {grow}"), nice=False)


def regional_revenue(document: KpiDocument) -> alt.TopLevelMixin:
    """Horizontal revenue bars per region, labelled with the rupees and the share."""
    regions = document.regional_revenue
    shown = regions[:MAX_BARS]
    rows: list[dict[str, Any]] = []
    for r in shown:
        paise = _paise(r.revenue)
        share = _pct(r.revenue_share_pct)
        rows.append(
            {
                "region": mask_mobiles_in(r.region),
                "revenue": _rupee_number(paise),
                "revenue_text": rupees(paise),
                "share": share,
                "label": f"{share} · {rupees_compact(paise)}",
                "orders": r.orders,
                "customers": r.customers,
            }
        )
    scope = f"as of {as_of_day(document)} · all orders to date"
    more = [f"largest {len(shown)} of {len(regions)} regions"] if len(regions) > len(shown) else []
    title = _title("Revenue by region", scope, *more)
    if not rows:
        return _nothing(title)
    base = alt.Chart(_inline(rows)).encode(
        y=alt.Y("region:N", title=None, sort=[r["region"] for r in rows]),
        x=_revenue_axis("Revenue (₹)", rows),
        tooltip=[
            alt.Tooltip("region:N", title="Region"),
            alt.Tooltip("revenue_text:N", title="Revenue"),
            alt.Tooltip("share:N", title="Share of revenue"),
            alt.Tooltip("orders:Q", title="Orders", format=COUNT_FORMAT),
            alt.Tooltip("customers:Q", title="Customers", format=COUNT_FORMAT),
        ],
    )
    return _labelled_bars(base, title, len(rows))


def _revenue_axis(title: str, rows: list[dict[str, Any]]) -> alt.X:
    """The rupee axis of a horizontal bar chart, with room for the bars' labels."""
    return alt.X(
        "revenue:Q",
        title=title,
        # About one tick per 90 pixels, however wide the chart is drawn.
        axis=_money_axis(tickCount=alt.ExprRef(expr="max(2, floor(width / 90))")),
        scale=_label_room(rows),
    )


def _labelled_bars(base: alt.Chart, title: alt.Title, count: int) -> alt.TopLevelMixin:
    """Horizontal bars with their money label at the end of each bar."""
    chart = alt.layer(
        base.mark_bar(), base.mark_text(align="left", dx=4).encode(text="label:N")
    ).properties(title=title)
    return _fit(chart, _bars_height(count))


def top_customers(document: KpiDocument) -> alt.TopLevelMixin:
    """Horizontal bars by rank: the biggest spenders of the window."""
    rows: list[dict[str, Any]] = []
    for r in document.top_customers:
        paise = _paise(r.revenue)
        name = r.customer_name or r.customer_id
        rows.append(
            {
                "rank": r.rank,
                "customer": mask_mobiles_in(f"{r.rank}. {name} ({r.customer_id})"),
                "customer_id": mask_mobiles_in(r.customer_id),
                "region": mask_mobiles_in(r.region),
                "orders": r.orders,
                "revenue": _rupee_number(paise),
                "revenue_text": rupees(paise),
                "label": rupees_compact(paise),
            }
        )
    title = _title(
        f"Top {document.top} customers by spend",
        f"as of {as_of_day(document)}",
        window_text(document),
    )
    if not rows:
        return _nothing(title)
    base = alt.Chart(_inline(rows)).encode(
        y=alt.Y(
            "customer:N",
            title=None,
            sort=[r["customer"] for r in rows],
            axis=alt.Axis(labelLimit=LABEL_LIMIT),
        ),
        x=_revenue_axis("Revenue (₹)", rows),
        tooltip=[
            alt.Tooltip("rank:Q", title="Rank"),
            alt.Tooltip("customer:N", title="Customer"),
            alt.Tooltip("region:N", title="Region"),
            alt.Tooltip("orders:Q", title="Orders", format=COUNT_FORMAT),
            alt.Tooltip("revenue_text:N", title="Revenue"),
        ],
    )
    return _labelled_bars(base, title, len(rows))


# Orders-per-customer buckets for the repeat chart: (label, lowest, highest or None).
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("2", 2, 2),
    ("3", 3, 3),
    ("4", 4, 4),
    ("5", 5, 5),
    ("6–9", 6, 9),
    ("10–19", 10, 19),
    ("20+", 20, None),
)


class Repeater(Protocol):
    """What the repeat chart needs of a repeat customer (a `RepeatCustomer` row has it)."""

    @property
    def orders(self) -> int: ...

    @property
    def revenue(self) -> str: ...


def repeat_distribution(repeaters: Sequence[Repeater]) -> list[dict[str, Any]]:
    """Repeat customers per orders-per-customer bucket, every bucket present (zeros too)."""
    total = len(repeaters)
    out = []
    for label, low, high in BUCKETS:
        inside = [r for r in repeaters if r.orders >= low and (high is None or r.orders <= high)]
        paise = sum(_paise(r.revenue) for r in inside)
        share = text_2(round_fraction(Fraction(10_000 * len(inside), total))) if total else "0.00"
        out.append(
            {
                "bucket": label,
                "customers": len(inside),
                "share": f"{share}%",
                "revenue_text": rupees(paise),
            }
        )
    return out


def repeat_customers(document: KpiDocument) -> alt.TopLevelMixin:
    """How often repeat customers ordered: customers per orders-per-customer bucket."""
    rows = repeat_distribution(document.repeat_customers)
    s = document.summary
    title = _title(
        "Repeat customers by orders",
        f"as of {as_of_day(document)} · all orders to date",
        f"{count(s.repeat_customers)} of {count(s.ordering_customers)} customers "
        f"({s.repeat_rate_pct}%) ordered 2+ times",
    )
    if not document.repeat_customers:
        return _nothing(title)
    base = alt.Chart(_inline(rows)).encode(
        x=alt.X(
            "bucket:O",
            title="Orders per customer",
            sort=[b[0] for b in BUCKETS],
            axis=alt.Axis(labelAngle=0),
        ),
        y=_count_y("customers", "Repeat customers", max(r["customers"] for r in rows)),
        tooltip=[
            alt.Tooltip("bucket:N", title="Orders per customer"),
            alt.Tooltip("customers:Q", title="Customers", format=COUNT_FORMAT),
            alt.Tooltip("share:N", title="Share of repeat customers"),
            alt.Tooltip("revenue_text:N", title="Their revenue"),
        ],
    )
    chart = alt.layer(
        base.mark_bar(),
        base.mark_text(baseline="bottom", dy=-3).encode(
            text=alt.Text("customers:Q", format=COUNT_FORMAT)
        ),
    ).properties(title=title)
    return _fit(chart, 300)


BUILDERS: dict[str, Callable[[KpiDocument], alt.TopLevelMixin]] = {
    "monthly_trends": monthly_trends,
    "regional_revenue": regional_revenue,
    "top_customers": top_customers,
    "repeat_customers": repeat_customers,
}


def specs(document: KpiDocument, validate: bool = False) -> dict[str, dict[str, Any]]:
    """The Vega-Lite spec of every chart, in report order. Checking them against the
    Vega-Lite schema takes a fifth of a second a report and they are built by this module
    alone, so the tests check them (`validate=True`) and a report does not."""
    return {name: BUILDERS[name](document).to_dict(validate=validate) for name in ORDER}
