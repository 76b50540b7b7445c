"""The Jinja environment the report's pages render in, and what it makes safe.

Templates live in `templates/` beside this module (shipped as package data). Autoescape is
on and undefined names are errors, so a template prints no value unescaped and no typo
silently. Every printed value also has its phone-like numbers masked first (as the terminal
does), so a name holding a mobile number never reaches the page whole; only Markup (data
URIs, whose bytes must stay as they are) skips that.

Two values are not HTML and cannot be HTML-escaped: the chart specs (JSON) and the
Vega JavaScript, both inside <script> elements, where entities are not decoded. The
`json_for_script` and `script_text` filters make them safe for that place (nothing in them
can end the element early) and mark them so; templates use no other way to skip escaping.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup
from pydantic import BaseModel

from akasa.core.numbers import count, paise_of, rupees
from akasa.core.privacy import mask_mobiles_in
from akasa.report.freshness import age

TABLE_ROWS = 50

LABELS = {
    "customer_id": "Customer ID",
    "customer_name": "Name",
    "region": "Region",
    "orders": "Orders",
    "revenue": "Revenue",
    "first_order_at": "First order",
    "last_order_at": "Last order",
    "month": "Month",
    "customers": "Customers",
    "units": "Units",
    "avg_order_value": "Avg order value",
    "revenue_growth_pct": "Growth vs previous month",
    "revenue_share_pct": "Share of revenue",
    "rank": "Rank",
    "batch_id": "Batch",
    "kind": "Kind",
    "source_file": "File",
    "records_read": "Read",
    "accepted": "Accepted",
    "rejected": "Rejected",
    "duplicates": "Duplicates",
    "superseded": "Superseded",
    "ingested_at": "Ingested at",
    "reason": "Reason",
    "records": "Records",
    "complete": "Month complete",
}
MONEY = frozenset({"revenue", "avg_order_value"})

# A table row: a row model of the KPI document, or a plain mapping (such as a total row).
Row = BaseModel | Mapping[str, Any]


def json_for_script(value: Any) -> str:
    """JSON that cannot end its <script> element early: <, > and & become \\u escapes."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def script_text(code: str) -> str:
    """JavaScript safe inside a <script> element (a literal `</script` would end it)."""
    return code.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")


def escaped(value: Any) -> Any:
    """What `{{ value }}` prints: its mobile numbers masked, then escaped by the standard
    library, which writes `&quot;` and `&#x27;` (markupsafe, autoescape's own, writes `&#34;`
    and `&#39;`: the same to a browser). Markup passes as is; autoescape then leaves the
    result alone."""
    if hasattr(value, "__html__"):
        return value
    return Markup(html.escape(mask_mobiles_in(str(value))))


def when(text: str | None) -> str:
    """`2025-10-12T09:15:32+05:30` -> `2025-10-12 09:15:32` (the report states the zone)."""
    return "–" if not text else text[:19].replace("T", " ")


def clock(moment: datetime | None) -> str:
    return "–" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def money(text: str | None) -> str:
    """Money text from kpis.json -> `₹12,34,567.50`."""
    return "–" if text is None else rupees(paise_of(text))


def cell(column: str, value: Any) -> tuple[str, bool]:
    """A value as display text, and whether it is a number (right-aligned)."""
    if value is None:
        return "–", False
    if column in MONEY:
        return money(str(value)), True
    if column.endswith("_pct"):
        return f"{value}%", True
    if column.endswith("_at"):
        return when(str(value)), False
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, int) and not column.endswith("_id"):
        return count(value), True  # grouped the Indian way: 3,30,357
    if isinstance(value, int | float | Decimal):
        return str(value), True
    return str(value), False


@dataclass(frozen=True)
class Cell:
    text: str
    numeric: bool = False


@dataclass(frozen=True)
class TableView:
    """A table as the `table` macro draws it: every cell already display text."""

    head: list[Cell]
    rows: list[list[Cell]]
    total: list[Cell] | None
    note: str | None
    empty: str


def table_view(
    rows: Sequence[Row],
    columns: Sequence[str] | None = None,
    limit: int | None = TABLE_ROWS,
    total: Mapping[str, Any] | None = None,
    empty: str = "No rows.",
) -> TableView:
    """`rows` as display cells: at most `limit` of them, with an optional total row."""
    shown = [_fields(r) for r in (rows if limit is None else rows[:limit])]
    if not shown:
        return TableView([], [], None, None, empty)
    names = list(columns or shown[0].keys())
    # A column is right-aligned when any of its shown values is a number.
    numeric = {c for c in names if any(cell(c, r.get(c))[1] for r in shown)}

    def line(row: Mapping[str, Any]) -> list[Cell]:
        return [Cell(cell(c, row.get(c))[0] if c in row else "", c in numeric) for c in names]

    note = f"Showing {len(shown)} of {len(rows)} rows." if len(shown) < len(rows) else None
    return TableView(
        head=[Cell(LABELS.get(c, c), c in numeric) for c in names],
        rows=[line(r) for r in shown],
        total=None if total is None else line(total),
        note=note,
        empty=empty,
    )


def _fields(row: Row) -> Mapping[str, Any]:
    return row.model_dump() if isinstance(row, BaseModel) else row


def table(
    rows: Sequence[Row],
    columns: Sequence[str] | None = None,
    limit: int | None = TABLE_ROWS,
    total: Mapping[str, Any] | None = None,
    empty: str = "No rows.",
) -> Markup:
    """An HTML table of `rows`, drawn by the `table` macro (templates call this too)."""
    macro = environment().get_template("macros.html.j2").module.table  # type: ignore[attr-defined]
    return Markup(macro(table_view(rows, columns, limit, total, empty)))


@cache
def environment() -> jinja2.Environment:
    """The one environment (built once: templates compile on first use)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("akasa.report"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=escaped,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,  # included style and script keep their last line end
    )
    env.filters.update(
        # Markup: made safe for a <script> element just above; HTML escaping would break it.
        json_for_script=lambda value: Markup(json_for_script(value)),
        script_text=lambda code: Markup(script_text(code)),
        when=when,
        clock=clock,
        money=money,
        age=age,
    )
    env.globals["table"] = table
    return env


def render(template: str, **values: Any) -> str:
    return environment().get_template(template).render(**values)
