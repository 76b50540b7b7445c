"""Everything akasa shows in a terminal: Rich tables, the manager's summary, JSON, errors.

The library returns result objects and never prints; this module is the only place that
turns them into text. Free text is passed through `privacy.redact` on the way out.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table as RichTable

from akasa.core.privacy import mask_mobiles_in, redact
from akasa.kpi.narrative import summary_lines

if TYPE_CHECKING:
    from akasa.backends.base import QueryResult
    from akasa.backends.sql.migrate import MigrateResult
    from akasa.generate import GenerateResult
    from akasa.pipeline.ingest import IngestResult
    from akasa.pipeline.run import KpiRun
    from akasa.report.build import ReportResult

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


class TerminalProgress:
    """A Rich progress bar that appears only when a step runs longer than `delay` seconds,
    and only on a terminal."""

    def __init__(self, delay: float = 1.0, console: Console | None = None) -> None:
        self.delay = delay
        self.console = console
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._total = 0
        self._label = ""
        self._done = 0
        self._started = 0.0

    @classmethod
    def maybe(cls, quiet: bool) -> TerminalProgress | None:
        return None if quiet or not sys.stdout.isatty() else cls()

    def start(self, total: int, label: str) -> None:
        self._total, self._label, self._done = total, label, 0
        self._started = time.monotonic()

    def advance(self, amount: int) -> None:
        self._done += amount
        if self._bar is None and time.monotonic() - self._started >= self.delay:
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=self.console or stdout(),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self._label, total=self._total)
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=self._done)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def error(message: str, secrets: Iterable[str] = ()) -> None:
    """The one-line `Error: ...` on stderr."""
    line = redact(" ".join(message.split()), secrets)
    sys.stderr.write(f"Error: {line}\n")
    sys.stderr.flush()


def warning(message: str, secrets: Iterable[str] = ()) -> None:
    """One line `Warning: ...` on stderr: something the user should know, not a failure."""
    line = redact(" ".join(message.split()), secrets)
    sys.stderr.write(f"Warning: {line}\n")
    sys.stderr.flush()


@contextmanager
def step_progress(
    enabled: bool = True, console: Console | None = None
) -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress bar for a job of counted steps (the library reports what, done, total).

    Shown only on a terminal and when not --quiet; otherwise the callback is None.
    """
    console = console or stdout()
    if not enabled or not console.is_terminal:
        yield None
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("Starting", total=None)

        def update(what: str, done: int, total: int) -> None:
            bar.update(task, description=what, completed=done, total=total)

        yield update


def _rich_table(
    title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> RichTable:
    grid = RichTable(title=title, title_justify="left", title_style="bold")
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*("" if v is None else mask_mobiles_in(str(v)) for v in row))
    return grid


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
                _rich_table(
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
        sys.stdout.write(run.json_text)
        return
    out = stdout()
    for name, frame in run.tables.items():
        title = KPI_TITLES[name]
        if name == "top_customers":
            title += f", last {run.context.window_days} days"
        out.print(_rich_table(title, frame.columns, frame.head(MAX_TABLE_ROWS).rows()))
        if frame.height > MAX_TABLE_ROWS:
            out.print(f"... {frame.height - MAX_TABLE_ROWS} more rows in {name}.csv")
    out.print(f"Outputs written to {run.output_dir}")
    out.print()
    for line in summary_lines(run.document):
        out.print(mask_mobiles_in(line))


def render_report(result: ReportResult, quiet: bool = False) -> None:
    """A staleness warning (unless quiet), then one line naming every file written."""
    out = stdout()
    warning = result.freshness.warning()
    if warning and not quiet:
        out.print(f"Warning: {warning}")
    charts = ", ".join(path.name for path in result.files[1:])
    out.print(
        f"Wrote {result.report} and {len(result.files) - 1} chart files in "
        f"{result.report.parent}: {charts}"
    )


def render_query(result: QueryResult, fmt: str = "table") -> None:
    rows = [
        [mask_mobiles_in(str(v)) if isinstance(v, str) else v for v in row] for row in result.rows
    ]
    if fmt == "json":
        records = [dict(zip(result.columns, row, strict=True)) for row in rows]
        sys.stdout.write(json.dumps(records, indent=2, ensure_ascii=False, default=str) + "\n")
        return
    out = stdout()
    out.print(_rich_table(None, result.columns, rows))
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
