"""Everything akasa shows in a terminal: Rich tables, the manager's summary, JSON, errors.

The library returns result objects and never prints; this module is the only place that
turns them into text. Free text is passed through `privacy.redact` on the way out.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from akasa.numbers import decimal_to_paise, rupees
from akasa.privacy import mask_mobiles_in, redact

if TYPE_CHECKING:
    from akasa.generate import GenerateResult
    from akasa.ingest.batch import IngestResult
    from akasa.kpi.run import KpiRun
    from akasa.query import QueryResult
    from akasa.store.migrations import MigrateResult

MAX_TABLE_ROWS = 20
KPI_TITLES = {
    "repeat_customers": "Repeat customers",
    "monthly_trends": "Monthly trends",
    "regional_revenue": "Regional revenue",
    "top_customers": "Top customers",
}


def stdout() -> Console:
    """A console bound to the current stdout (tests swap it), wide enough when piped."""
    terminal = sys.stdout.isatty()
    return Console(
        file=sys.stdout, width=None if terminal else 160, highlight=False, soft_wrap=not terminal
    )


def error(message: str, secrets: Iterable[str] = ()) -> None:
    """The one-line `Error: ...` on stderr."""
    line = redact(" ".join(message.split()), secrets)
    sys.stderr.write(f"Error: {line}\n")
    sys.stderr.flush()


def _table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    return table


def render_ingest(result: IngestResult, quiet: bool = False) -> None:
    out = stdout()
    for store in result.stores:
        rows = []
        for f in store.files:
            acc = f.accounting
            counts = (
                [acc.read, acc.accepted, acc.rejected, acc.duplicates, acc.superseded]
                if acc
                else ["", "", "", "", ""]
            )
            status = f"batch {f.batch_id}" if f.status == "ingested" else f"skipped: {f.note}"
            rows.append([f.source_file, f.kind, *counts, status])
        if not quiet:
            out.print(
                _table(
                    f"Ingest into the {store.store} store",
                    [
                        "file",
                        "kind",
                        "read",
                        "accepted",
                        "rejected",
                        "duplicates",
                        "superseded",
                        "result",
                    ],
                    rows,
                )
            )
        landed = sum(1 for f in store.files if f.status == "ingested")
        skipped = len(store.files) - landed
        rejected = sum(f.accounting.rejected for f in store.files if f.accounting)
        out.print(
            f"{store.store}: {landed} file(s) ingested, {skipped} skipped, "
            f"{rejected} record(s) rejected."
        )
        for f in store.files:
            if f.quarantine_file is not None:
                out.print(f"  quarantine: {f.quarantine_file}")


def render_run(run: KpiRun, fmt: str = "table") -> None:
    if fmt == "json":
        sys.stdout.write(json.dumps(run.document, indent=2, ensure_ascii=False) + "\n")
        return
    out = stdout()
    for name, frame in run.tables.items():
        title = KPI_TITLES[name]
        if name == "top_customers":
            title += f", last {run.context.window_days} days"
        out.print(_table(title, frame.columns, frame.head(MAX_TABLE_ROWS).rows()))
        if frame.height > MAX_TABLE_ROWS:
            out.print(f"... {frame.height - MAX_TABLE_ROWS} more rows in {name}.csv")
    out.print(f"Outputs written to {run.output_dir}")
    out.print()
    for line in summary_lines(run.document):
        out.print(line)


def summary_lines(document: dict[str, Any]) -> list[str]:
    """The summary in words a manager reads in ten seconds."""
    s = document["summary"]

    def money(text: str | None) -> str:
        return "-" if text is None else rupees(decimal_to_paise(Decimal(text)))

    as_of = document["as_of"][:10]
    lines = [
        f"Summary as of {as_of} ({document['mode']} mode):",
        f"- Revenue {money(s['total_revenue'])} from {_count(s['orders'], 'order')} by "
        f"{_count(s['ordering_customers'], 'customer')} "
        f"({money(s['avg_revenue_per_customer'])} per customer).",
        f"- {_count(s['repeat_customers'], 'repeat customer')}: {s['repeat_rate_pct']}% of "
        f"customers ordered more than once.",
    ]
    if s["peak_month"]:
        growth = s["avg_monthly_revenue_growth_pct"]
        lines.append(
            f"- Best month {s['peak_month']} with {money(s['peak_month_revenue'])}"
            + (f"; revenue changed {growth}% a month on average." if growth else ".")
        )
    if s["leading_region"]:
        lines.append(
            f"- Leading region {s['leading_region']} with {s['leading_region_share_pct']}% of "
            f"revenue."
        )
    top = s["top_customer"]
    if top:
        lines.append(
            f"- Top customer of the last {document['window_days']} days: "
            f"{top['customer_name']} ({top['customer_id']}), {money(top['revenue'])}."
        )
    else:
        lines.append(f"- No customer ordered in the last {document['window_days']} days.")
    if s["unmatched_orders"]:
        lines.append(
            f"- {_count(s['unmatched_orders'], 'order')} without a matching customer yet "
            f"(counted under region Unknown)."
        )
    return lines


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def render_query(result: QueryResult, fmt: str = "table") -> None:
    rows = [
        [mask_mobiles_in(str(v)) if isinstance(v, str) else v for v in row] for row in result.rows
    ]
    if fmt == "json":
        records = [dict(zip(result.columns, row, strict=True)) for row in rows]
        sys.stdout.write(json.dumps(records, indent=2, ensure_ascii=False, default=str) + "\n")
        return
    out = stdout()
    out.print(_table(None, result.columns, rows))
    more = " (more rows not shown; add a LIMIT)" if result.truncated else ""
    out.print(f"{len(rows)} row(s){more}")


def render_migrate(result: MigrateResult) -> None:
    """One line: what changed, and where (the URL never carries its password)."""
    before = result.before or "empty"
    if result.changed:
        line = f"Database schema upgraded from {before} to {result.after}: {result.database}"
    else:
        line = f"Database schema already at {result.after} (newest): {result.database}"
    stdout().print(redact(line), markup=False)


def render_generate(result: GenerateResult) -> None:
    out = stdout()
    out.print(
        f"Wrote {result.customers} customer rows and {result.order_lines} order lines "
        f"({result.orders} orders) over {result.days} day(s) to {result.out_dir}"
    )
