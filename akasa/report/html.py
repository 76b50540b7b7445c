"""Self-contained HTML pages: the report and one page per chart.

A page carries everything it needs: the Vega, Vega-Lite and vega-embed JavaScript inlined
(from vl-convert), the chart specs as JSON, the chart PNGs as data URIs (shown until the
script draws the interactive chart, and all a reader sees where scripts do not run, such as
a mail preview). A Content-Security-Policy forbids every network request, so a page opened
from an email attachment never reaches out. Every value inserted is escaped.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from html import escape
from typing import Any

from pydantic import BaseModel

from akasa.core.numbers import paise_of, rupees

# No network at all: only inline scripts and styles, data:/blob: images (chart exports).
# Vega compiles its expressions with Function(), hence 'unsafe-eval'.
CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'unsafe-inline'; img-src data: blob:; font-src data:"
)
TABLE_ROWS = 50

STYLE = """
:root { --ink: #1d232b; --muted: #5b6470; --line: #dde2e8; --primary: #1f5aa6;
        --warn-bg: #fff4e0; --warn: #8a4b00; }
* { box-sizing: border-box; }
body { margin: 0; background: #f5f7fa; color: var(--ink);
       font: 14px/1.45 system-ui, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 0 0 12px; }
h3 { font-size: 15px; margin: 20px 0 8px; }
section { background: white; border: 1px solid var(--line); border-radius: 8px;
          padding: 18px 20px; margin-top: 18px; }
.meta, .note { color: var(--muted); }
.meta span + span::before { content: " · "; }
.warning { background: var(--warn-bg); color: var(--warn); border: 1px solid #f0c27a;
           border-radius: 6px; padding: 10px 14px; margin-top: 12px; font-weight: 600; }
dl.freshness { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px;
               margin: 12px 0 0; }
dl.freshness dt { color: var(--muted); }
dl.freshness dd { margin: 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr));
         gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.card .label { color: var(--muted); font-size: 13px; }
.card .value { font-size: 22px; font-weight: 700; color: var(--primary); }
.card .detail { color: var(--muted); font-size: 12px; }
ul.facts { margin: 14px 0 0; padding-left: 20px; }
.chart { overflow-x: auto; min-height: 120px; }
.chart img { max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; margin-top: 14px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left;
         vertical-align: top; }
th { color: var(--muted); font-weight: 600; background: #fafbfc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: 700; }
footer { color: var(--muted); font-size: 12px; margin-top: 24px; }
"""

EMBED = """
(function () {
  var specs = JSON.parse(document.getElementById("akasa-specs").textContent);
  var options = {
    renderer: "svg",
    actions: { export: true, source: false, compiled: false, editor: false }
  };
  Object.keys(specs).forEach(function (id) {
    var holder = document.getElementById(id);
    var target = document.createElement("div");
    vegaEmbed(target, specs[id], options).then(function () {
      holder.replaceChildren(target);
      holder.setAttribute("data-rendered", "true");
    }).catch(function (error) {
      holder.setAttribute("data-rendered", "failed");
      console.error("chart " + id + " could not be drawn: " + error);
    });
  });
})();
"""

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


def when(text: str | None) -> str:
    """`2025-10-12T09:15:32+05:30` -> `2025-10-12 09:15:32` (the report states the zone)."""
    return "–" if not text else text[:19].replace("T", " ")


def cell(column: str, value: Any) -> tuple[str, bool]:
    """A value as display text, and whether it is a number (right-aligned)."""
    if value is None:
        return "–", False
    if column in MONEY:
        return rupees(paise_of(str(value))), True
    if column.endswith("_pct"):
        return f"{value}%", True
    if column.endswith("_at"):
        return when(str(value)), False
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value), True
    return str(value), False


def table(
    rows: Sequence[Row],
    columns: Sequence[str] | None = None,
    limit: int | None = TABLE_ROWS,
    total: Mapping[str, Any] | None = None,
    empty: str = "No rows.",
) -> str:
    """An HTML table of `rows`, at most `limit` of them, with an optional total row."""
    if not rows:
        return f'<p class="note">{escape(empty)}</p>'
    shown = [_fields(r) for r in (rows if limit is None else rows[:limit])]
    columns = list(columns or shown[0].keys())

    # A column is right-aligned when any of its shown values is a number.
    numeric = {c for c in columns if any(cell(c, r.get(c))[1] for r in shown)}
    num = ' class="num"'

    def tr(row: Mapping[str, Any], css: str = "") -> str:
        cells = []
        for column in columns:
            text = cell(column, row.get(column))[0] if column in row else ""
            cells.append(f"<td{num if column in numeric else ''}>{escape(text)}</td>")
        attr = f' class="{css}"' if css else ""
        return f"<tr{attr}>{''.join(cells)}</tr>"

    head = "".join(
        f"<th{num if c in numeric else ''}>{escape(LABELS.get(c, c))}</th>" for c in columns
    )
    body = [tr(r) for r in shown]
    if total is not None:
        body.append(tr(total, "total"))
    note = ""
    if len(shown) < len(rows):
        note = f'<p class="note">Showing {len(shown)} of {len(rows)} rows.</p>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}"


def _fields(row: Row) -> Mapping[str, Any]:
    return row.model_dump() if isinstance(row, BaseModel) else row


def png_img(png: bytes, alt: str, width: int) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}" width="{width}">'


def chart_holder(element_id: str, png: bytes, alt: str, width: int) -> str:
    """Where a chart goes: its PNG until the script replaces it with the live chart."""
    return (
        f'<div class="chart" id="{escape(element_id)}" data-rendered="false">'
        f"{png_img(png, alt, width)}</div>"
    )


def page(title: str, body: str, specs: dict[str, dict[str, Any]], bundle: str) -> str:
    """A whole document: head with CSP and style, body, then the inlined scripts."""
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{escape(CSP)}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title>",
            f"<style>{STYLE}</style>",
            "</head>",
            "<body>",
            body,
            f'<script type="application/json" id="akasa-specs">{json_for_script(specs)}</script>',
            f"<script>{script_text(bundle)}</script>",
            f"<script>{EMBED}</script>",
            "</body>",
            "</html>",
            "",
        ]
    )


def items(texts: Iterable[str]) -> str:
    return "".join(f"<li>{escape(text)}</li>" for text in texts)
