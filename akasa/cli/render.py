"""Everything akasa shows in a terminal: tables, the manager's summary, JSON, errors.

The library returns result objects and never prints; this module is the only place that
turns them into text. Free text is passed through `privacy.redact` on the way out, and
every cell through `mask_mobiles_in`. Everything that may hold data (a name, a file name,
a reason, a query's column) goes through `privacy.printable` and reaches Rich as `Text`,
never as markup: a customer called `[/]` is shown as `[/]`, and an escape sequence in a
name shows as `?[2J` instead of clearing the screen. JSON keeps every value exactly, with
such characters as `\\uXXXX` escapes (`privacy.printable_json`).

Tables fit the console's width (`layout`): on a terminal its own width, else `COLUMNS`,
else 160 columns of plain text (no colour codes when the output is redirected). Every
`render_*` function takes the console to write to, for tests and callers that know better.
"""

from __future__ import annotations

import json
import os
import re
import sys
import textwrap
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
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
from rich.text import Text

from akasa.cli import layout
from akasa.cli.layout import Column
from akasa.core.numbers import count, grouped, paise_of, rupees
from akasa.core.privacy import mask_mobiles_in, printable, printable_json, redact

if TYPE_CHECKING:
    import polars as pl

    from akasa.backends.base import QueryResult
    from akasa.backends.sql.migrate import MigrateResult
    from akasa.generate import GenerateResult
    from akasa.pipeline.ingest import FileReport, IngestResult
    from akasa.pipeline.rejects import RejectsResult
    from akasa.pipeline.run import KpiRun
    from akasa.pipeline.status import Status
    from akasa.report.build import ReportResult

PIPED_WIDTH = 160
# Kept on one line when prose wraps: compact rupees (a number and its unit), timestamps.
_UNBROKEN = re.compile(r"(?<=\d) (?=(?:L|Cr)\b)|(?<=\d{4}-\d{2}-\d{2}) (?=\d{2}:\d{2})")
MAX_TABLE_ROWS = 20
KPI_TITLES = {
    "repeat_customers": "Repeat customers",
    "monthly_trends": "Monthly trends",
    "regional_revenue": "Regional revenue",
    "top_customers": "Top customers",
}


def stdout(width: int | None = None) -> Console:
    """A console bound to the current stdout (tests swap it).

    Its width: `width`, else the terminal's (Rich reads `COLUMNS` first), else, when the
    output is redirected, `COLUMNS` or 160; redirected output is plain text, and long
    lines are left whole for whatever reads them.
    """
    terminal = sys.stdout.isatty()
    if width is None and not terminal and not os.environ.get("COLUMNS", "").isdigit():
        width = PIPED_WIDTH
    return Console(
        file=sys.stdout,
        width=width,
        highlight=False,
        soft_wrap=not terminal,
        markup=False,  # data is never markup (every renderable here is Text anyway)
        emoji=False,
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


# ---- errors, help, interrupts (stderr) -----------------------------------------------------


def error(message: str, secrets: Iterable[str] = (), usage: tuple[str, str] | None = None) -> None:
    """The one-line `Error: ...` on stderr; a usage error first gets Click's short hint
    (`usage`: the usage line and the `Try ... -h` line)."""
    line = printable(redact(" ".join(message.split()), secrets))
    hint = printable(f"{usage[0]}\n{usage[1]}\n\n", lines=True) if usage else ""
    sys.stderr.write(f"{hint}Error: {line}\n")
    sys.stderr.flush()


def warning(message: str, secrets: Iterable[str] = ()) -> None:
    """One line `Warning: ...` on stderr: something the user should know, not a failure."""
    line = printable(redact(" ".join(message.split()), secrets))
    sys.stderr.write(f"Warning: {line}\n")
    sys.stderr.flush()


def interrupted(line: str) -> None:
    """`Interrupted: ...`, one line on stderr."""
    sys.stderr.write(f"{printable(line)}\n")
    sys.stderr.flush()


def help_page(text: str) -> None:
    """`akasa` alone: the help, on stderr like any usage error."""
    sys.stderr.write(printable(text.rstrip("\n"), lines=True) + "\n")
    sys.stderr.flush()


def stop_writing() -> None:
    """The reader of stdout went away (`| head`): nothing more is written to it, not even
    by the interpreter's last flush."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (tests): nothing to do
        pass


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


# ---- cells ----------------------------------------------------------------------------------


def visible(text: str) -> str:
    """Data as a person may see it: mobiles masked, nothing a terminal would obey."""
    return printable(mask_mobiles_in(text))


def _cell(value: object) -> str:
    return "" if value is None else visible(str(value))


def _json(text: str) -> None:
    """JSON on stdout, exactly, with nothing a terminal would obey."""
    sys.stdout.write(printable_json(text))


def _money(text: object, decimals: bool = True) -> str:
    return "" if text is None else rupees(paise_of(str(text)), decimals=decimals)


def _pct(text: object) -> str:
    return "–" if text is None else f"{text}%"


def _time(text: object, seconds: bool) -> str:
    """An output timestamp (ISO, already in the business zone): `2025-10-02 21:02[:06]`."""
    if text is None:
        return ""
    return str(text)[: 19 if seconds else 16].replace("T", " ")


def _prose(
    out: Console,
    line: str,
    indent: str | None = None,
    style: str = "",
    keep: Iterable[object] = (),
) -> None:
    """A line of words, wrapped between words only, its further lines indented by `indent`
    (a bullet's under its text); left whole when the output is not a terminal. A word
    longer than the room is never cut: it gets a line of its own; so does each of `keep`
    (paths and URLs, which may hold spaces)."""
    line = printable(line)
    for whole in {printable(str(k)) for k in keep}:
        line = line.replace(whole, whole.replace(" ", "\u00a0"))
    if out.soft_wrap or cell_len(line) <= out.width:
        out.print(Text(line, style=style), soft_wrap=True)
        return
    if indent is None:
        indent = "  " if line.startswith("- ") else ""
    lead = line[: len(line) - len(line.lstrip(" "))]
    kept = _UNBROKEN.sub("\u00a0", line[len(lead) :])  # `₹7.35 L`, `2025-11-01 10:00` whole
    for part in textwrap.wrap(
        kept,
        width=out.width,
        initial_indent=lead,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    ):
        out.print(Text(part.replace("\u00a0", " "), style=style), soft_wrap=True)


def _print_table(
    out: Console, columns: Sequence[Column], title: str | None, where: str | None = None
) -> None:
    """A fitted table, then a note naming the columns it had no room for."""
    grid, fitted = layout.table(columns, out.width, title)
    out.print(grid)
    if fitted.dropped:
        names = ", ".join(c.label for c in fitted.dropped)
        more = f" ({where})" if where else ""
        _prose(out, f"Not shown at this width: {names}{more}.")


# ---- ingest ---------------------------------------------------------------------------------


def ingest_columns(files: Sequence[FileReport]) -> list[Column]:
    """One row per file landed: its accounting (read = accepted + rejected + duplicates +
    superseded) and the batch it became."""

    def counts(field: str) -> list[str]:
        return [count(getattr(f.accounting, field)) if f.accounting else "" for f in files]

    return [
        Column("file", [_cell(f.source_file) for f in files], "path", value=9),
        Column("kind", [f.kind for f in files], "fixed", droppable=True, value=1),
        Column("read", counts("read"), "number", value=8),
        Column("accepted", counts("accepted"), "number", value=8),
        Column("rejected", counts("rejected"), "number", value=8),
        Column("duplicates", counts("duplicates"), "number", "dupl.", value=3, droppable=True),
        Column("superseded", counts("superseded"), "number", "supers.", value=2, droppable=True),
        Column("batch", [str(f.batch_id) for f in files], "number", value=9),
    ]


def ingest_document(result: IngestResult) -> dict[str, Any]:
    """`ingest --format json`: each store's files with their accounting, for scripts."""
    stores = []
    for store in result.stores:
        files = []
        for f in store.files:
            acc = f.accounting
            files.append(
                {
                    "file": _cell(f.source_file),
                    "kind": f.kind,
                    "sha256": f.sha256,
                    "status": f.status,
                    "batch_id": f.batch_id,
                    "read": acc.read if acc else None,
                    "accepted": acc.accepted if acc else None,
                    "rejected": acc.rejected if acc else None,
                    "duplicates": acc.duplicates if acc else None,
                    "superseded": acc.superseded if acc else None,
                    "note": f.note,
                    "quarantine_file": None
                    if f.quarantine_file is None
                    else str(f.quarantine_file),
                }
            )
        stores.append(
            {
                "store": str(store.store),
                "ingested": sum(1 for f in store.files if f.status == "ingested"),
                "skipped": sum(1 for f in store.files if f.status == "skipped"),
                "rejected": sum(f.accounting.rejected for f in store.files if f.accounting),
                "files": files,
            }
        )
    return {"stores": stores}


def render_ingest(
    result: IngestResult, fmt: str = "table", quiet: bool = False, console: Console | None = None
) -> None:
    if fmt == "json":
        _json(json.dumps(ingest_document(result), indent=2, ensure_ascii=False) + "\n")
        return
    out = console or stdout()
    for store in result.stores:
        landed = [f for f in store.files if f.status == "ingested"]
        if not quiet and landed:
            _print_table(
                out,
                ingest_columns(landed),
                f"Ingest into the {store.store} store",
                "--format json has everything",
            )
        if not quiet:
            for f in store.files:
                if f.status == "skipped":
                    out.print(Text(f"  skipped {_cell(f.source_file)}: {_cell(f.note)}"))
        skipped = len(store.files) - len(landed)
        rejected = sum(f.accounting.rejected for f in store.files if f.accounting)
        out.print(
            Text(
                f"{store.store}: {count(len(landed))} file(s) ingested, {count(skipped)} skipped, "
                f"{count(rejected)} record(s) rejected."
            )
        )
        for f in store.files:
            if f.quarantine_file is not None:
                out.print(Text(f"  quarantine: {_cell(f.quarantine_file)}"), soft_wrap=True)


# ---- run ------------------------------------------------------------------------------------

# How each output column is shown: header, short header, and kind of cell.
KPI_COLUMNS: dict[str, tuple[str, str | None, str]] = {
    "rank": ("#", None, "count"),
    "month": ("month", None, "fixed"),
    "customer_id": ("customer", None, "fixed"),
    "customer_name": ("name", None, "text"),
    "region": ("region", None, "text"),
    "orders": ("orders", None, "count"),
    "customers": ("customers", "cust.", "count"),
    "units": ("units", None, "count"),
    "revenue": ("revenue", None, "money"),
    "avg_order_value": ("avg order", None, "money"),
    "revenue_growth_pct": ("growth", None, "pct"),
    "revenue_share_pct": ("share", None, "pct"),
    "complete": ("complete", "done", "bool"),
    "first_order_at": ("first order", None, "time"),
    "last_order_at": ("last order", None, "time"),
}
_LAYOUT_KIND: dict[str, layout.Kind] = {
    "count": "number",
    "money": "number",
    "pct": "number",
    "fixed": "fixed",
    "time": "fixed",
    "bool": "fixed",
    "text": "text",
}
# Per table, the columns that may go when the terminal is narrow, least useful first.
KPI_DROPPABLE: dict[str, tuple[str, ...]] = {
    "repeat_customers": ("first_order_at", "region", "last_order_at"),
    "monthly_trends": ("units", "avg_order_value", "complete", "customers"),
    "regional_revenue": ("customers", "orders"),
    "top_customers": ("region", "orders"),
}


def kpi_columns(name: str, frame: pl.DataFrame) -> list[Column]:
    """A KPI output table as columns for people: rupees and counts grouped the Indian way,
    shares and growth in %, times to the second (to the minute when space is short)."""
    droppable = KPI_DROPPABLE.get(name, ())
    columns = []
    for column in frame.columns:
        header, short, kind = KPI_COLUMNS.get(column, (column, None, "text"))
        values = frame[column].to_list()
        value = 1 + droppable.index(column) if column in droppable else 20
        compact: list[str] | None = None
        if kind == "count":
            cells = [count(v) if isinstance(v, int) else _cell(v) for v in values]
        elif kind == "money":
            cells = [_money(v) for v in values]
            compact = [_money(v, decimals=False) for v in values]
        elif kind == "pct":
            cells = [_pct(v) for v in values]
        elif kind == "bool":
            cells = ["" if v is None else "yes" if v else "no" for v in values]
        elif kind == "time":
            cells = [_time(v, seconds=True) for v in values]
            compact = [_time(v, seconds=False) for v in values]
        else:
            cells = [_cell(v) for v in values]
        columns.append(
            Column(
                header,
                cells,
                _LAYOUT_KIND[kind],
                short_header=short,
                compact=compact,
                value=value,
                droppable=column in droppable,
                name=column,
            )
        )
    return columns


def render_run(
    run: KpiRun, fmt: str = "table", quiet: bool = False, console: Console | None = None
) -> None:
    """The four KPI tables, where the outputs went, and the summary (only the summary with
    --quiet)."""
    from akasa.kpi.narrative import summary_lines  # with the KPI model: not for --help

    for line in run.warnings:
        warning(line)
    if fmt == "json":
        _json(run.json_text)
        return
    out = console or stdout()
    if not quiet:
        for name, frame in run.tables.items():
            title = KPI_TITLES[name]
            if name == "top_customers":
                title += f", last {run.context.window_days} days"
            shown = frame.head(MAX_TABLE_ROWS)
            _print_table(out, kpi_columns(name, shown), title, f"all in {name}.csv")
            if frame.height > MAX_TABLE_ROWS:
                more = count(frame.height - MAX_TABLE_ROWS)
                out.print(Text(f"... {more} more rows in {name}.csv"))
        if run.output_dir is None:
            _prose(out, "Outputs not written (--no-write).")
        else:
            _prose(out, f"Outputs written to {run.output_dir}", keep=[run.output_dir])
        out.print()
    for line in summary_lines(run.document):
        _prose(out, visible(line))


# ---- report, sql, migrate, generate ---------------------------------------------------------


def render_report(
    result: ReportResult, quiet: bool = False, console: Console | None = None
) -> None:
    """A staleness warning (unless quiet), then one line naming every file written."""
    out = console or stdout()
    warning = result.freshness.warning()
    if warning and not quiet:
        _prose(out, f"Warning: {warning}")
    charts = ", ".join(path.name for path in result.files[1:])
    _prose(
        out,
        f"Wrote {result.report} and {len(result.files) - 1} chart files in "
        f"{result.report.parent}: {charts}",
        keep=[result.report, result.report.parent, *(p.name for p in result.files[1:])],
    )


def _is_hash(text: str) -> bool:
    return len(text) >= 32 and all(c in "0123456789abcdef" for c in text)


def _id_like(name: str) -> bool:
    """Integers that name something rather than count it: shown without grouping."""
    return name.lower().endswith(("id", "number", "year"))


def query_columns(result: QueryResult, timezone: str | None = None) -> list[Column]:
    """Any query's columns, typed by their values: numbers right-aligned and grouped
    (ids and numbers-as-names ungrouped), times in the business zone, hashes and other
    single words never cut, text cut with an ellipsis. The first column always stays;
    the others may go, the last first."""
    from akasa.core import zones

    zone = zones.zone(timezone) if timezone else None
    columns = []
    for index, name in enumerate(result.columns):
        values = [row[index] for row in result.rows]
        present = [v for v in values if v is not None]
        compact: list[str] | None = None
        kind: layout.Kind = "text"
        if present and all(isinstance(v, int | float | Decimal) for v in present):
            kind = "number"
            cells = [_number(v, _id_like(name)) for v in values]
        elif present and all(isinstance(v, datetime) for v in present):
            kind = "fixed"
            local = [v.astimezone(zone) if zone and v.tzinfo else v for v in present]
            it = iter(local)
            shown = [None if v is None else next(it) for v in values]
            cells = ["" if v is None else v.isoformat(" ", "seconds") for v in shown]
            compact = ["" if v is None else v.strftime("%Y-%m-%d %H:%M") for v in shown]
        else:
            cells = [_cell(v) for v in values]
            words = [c for c in cells if c]
            if words and all(_is_hash(c) for c in words):
                kind = "fixed"
                compact = [c[:12] + layout.ELLIPSIS if c else c for c in cells]
            elif words and all(" " not in c and len(c) <= 32 for c in words):
                kind = "fixed"
        columns.append(
            Column(
                printable(name),
                cells,
                kind,
                compact=compact,
                value=len(result.columns) - index,
                droppable=index > 0,
                name=printable(name),
            )
        )
    return columns


def _number(value: object, as_is: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or as_is:
        return str(value)
    if isinstance(value, int):
        return count(value)
    if isinstance(value, Decimal):
        return grouped(value)
    return str(value)


def render_query(
    result: QueryResult,
    fmt: str = "table",
    quiet: bool = False,
    timezone: str | None = None,
    console: Console | None = None,
) -> None:
    rows = [
        [mask_mobiles_in(str(v)) if isinstance(v, str) else v for v in row] for row in result.rows
    ]
    if fmt == "json":
        records = [dict(zip(result.columns, row, strict=True)) for row in rows]
        _json(json.dumps(records, indent=2, ensure_ascii=False, default=str) + "\n")
        return
    out = console or stdout()
    _print_table(out, query_columns(result, timezone), None, "--format json has everything")
    if not quiet:
        more = " (more rows not shown; add a LIMIT)" if result.truncated else ""
        out.print(Text(f"{count(len(rows))} row(s){more}"))


def render_migrate(result: MigrateResult, console: Console | None = None) -> None:
    """One line: what changed, and where (the URL never carries its password)."""
    before = result.before or "empty"
    if result.changed:
        line = f"Database schema upgraded from {before} to {result.after}: {result.database}"
    else:
        line = f"Database schema already at {result.after} (newest): {result.database}"
    _prose(console or stdout(), redact(line), keep=[redact(result.database)])


def render_generate(result: GenerateResult, console: Console | None = None) -> None:
    _prose(
        console or stdout(),
        f"Wrote {count(result.customers)} customer rows and {count(result.order_lines)} "
        f"order lines ({count(result.orders)} orders) over {count(result.days)} day(s) "
        f"to {result.out_dir}",
        keep=[result.out_dir],
    )


# ---- akasa status ---------------------------------------------------------------------------

LEDGER_COLUMNS = (
    "batch_id",
    "source_file",
    "kind",
    "records_read",
    "accepted",
    "rejected",
    "duplicates",
    "superseded",
)


def _facts(out: Console, title: str, rows: Sequence[tuple[str, str]]) -> None:
    """A titled list of `name  value` lines; a value too long for its line goes on the
    next, indented under its name (wrapped between words, a path whole: see `_prose`)."""
    out.print(Text(title, style="bold"))
    width = max(cell_len(name) for name, _ in rows)
    for name, value in rows:
        line = printable(f"  {name.ljust(width)}  {redact(value)}")
        if out.soft_wrap or cell_len(line) <= out.width:
            out.print(Text(line), soft_wrap=True)
        else:
            out.print(Text(f"  {name}"), soft_wrap=True)
            whole = [redact(value)] if value.startswith("/") or "://" in value else []
            _prose(out, f"    {redact(value)}", indent="    ", keep=whole)


def _bytes(size: int | None) -> str:
    """`1.2 MB` (powers of 1000), `812 bytes`; `-` when unknown."""
    if size is None:
        return "-"
    value = float(size)
    for unit in ("bytes", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def _ago(moment: datetime, now: datetime) -> str:
    """`3 days 4 hours ago`, to the minute; `in 2 hours` for a moment after `now`."""
    lag = now - moment
    future = lag < timedelta(0)
    minutes = int(abs(lag).total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [(days, "day"), (hours, "hour")] if days else [(hours, "hour"), (minutes, "minute")]
    words = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n] or ["0 minutes"]
    return f"in {' '.join(words)}" if future else f"{' '.join(words)} ago"


def _local(moment: datetime | None, timezone: str) -> str | None:
    """An instant in the business zone, to the second: `2025-11-01 14:22:10+05:30`."""
    if moment is None:
        return None
    from akasa.core import zones  # Polars comes with it: not for `akasa --help`

    return moment.astimezone(zones.zone(timezone)).isoformat(sep=" ", timespec="seconds")


def _when(moment: datetime | None, result: Status) -> str:
    local = _local(moment, result.configuration.timezone)
    if moment is None or local is None:
        return "-"
    return f"{local} ({_ago(moment, result.checked_at)})"


def status_document(result: Status) -> dict[str, Any]:
    """`akasa status --format json`: times in the business zone, sizes in bytes."""
    tz = result.configuration.timezone
    config = result.configuration
    store = result.store
    outputs = result.outputs
    return {
        "mode": str(result.mode),
        "checked_at": _local(result.checked_at, tz),
        "ok": result.problem is None,
        "problem": result.problem,
        "configuration": {
            "data_dir": str(config.data_dir),
            "database": config.database,
            "database_problem": config.database_problem,
            "timezone": config.timezone,
            "source_timezone": config.source_timezone,
            "env_file": None if config.env_file is None else str(config.env_file),
        },
        "store": None
        if store is None
        else {
            "location": store.location,
            "version": store.version,
            "expected_version": store.expected,
            "problem": store.problem,
            "bytes_on_disk": store.bytes_on_disk,
        },
        "freshness": {
            "newest_order_at": _local(result.newest_order_at, tz),
            "oldest_order_at": _local(result.oldest_order_at, tz),
            "last_ingest_at": _local(result.last_ingest_at, tz),
        },
        "tables": [
            {"table": t.table, "rows": t.rows, "bytes_on_disk": t.bytes_on_disk}
            for t in result.tables
        ],
        "ledger": {
            "batches": result.batches,
            "newest": [
                {
                    **{name: getattr(entry, name) for name in LEDGER_COLUMNS},
                    "size_bytes": entry.size_bytes,
                    "sha256": entry.sha256,
                    "ingested_at": _local(entry.finished_at, tz),
                }
                for entry in result.ledger
            ],
        },
        "outputs": {
            "kpis_json": str(outputs.path),
            "as_of": outputs.as_of,
            "as_of_requested": outputs.as_of_requested,
            "window_days": outputs.window_days,
            "generated_at": outputs.generated_at,
            "behind_the_store": outputs.behind,
            "problem": outputs.problem,
        },
        "warnings": result.warnings,
    }


def ledger_columns(result: Status) -> list[Column]:
    """The ledger's newest entries: at 80 columns the counts that matter and the time to
    the minute; the kind, the smaller counts, sizes and hashes only where there is room."""
    entries = result.ledger
    zone = result.configuration.timezone

    def counts(name: str) -> list[str]:
        return [count(getattr(e, name)) for e in entries]

    return [
        Column("batch", [str(e.batch_id) for e in entries], "number", value=9),
        Column("file", [_cell(e.source_file) for e in entries], "path", value=9),
        Column("kind", [e.kind for e in entries], "fixed", value=3, droppable=True),
        Column("read", counts("records_read"), "number", value=8),
        Column("accepted", counts("accepted"), "number", value=8),
        Column("rejected", counts("rejected"), "number", value=8),
        Column("duplicates", counts("duplicates"), "number", "dupl.", value=5, droppable=True),
        Column("superseded", counts("superseded"), "number", "supers.", value=4, droppable=True),
        Column(
            "ingested",
            [_local(e.finished_at, zone) or "" for e in entries],
            "fixed",
            compact=[_minute(e.finished_at, zone) for e in entries],
            value=7,
        ),
        Column("size", [_bytes(e.size_bytes) for e in entries], "number", value=2, droppable=True),
        Column(
            "sha256",
            [e.sha256 for e in entries],
            "fixed",
            compact=[e.sha256[:12] + layout.ELLIPSIS for e in entries],
            value=1,
            droppable=True,
        ),
    ]


def table_columns(result: Status) -> list[Column]:
    """Each stored table's rows and, where the store can tell, its size on disk."""
    tables = result.tables
    columns = [
        Column("table", [t.table for t in tables], "fixed", value=9),
        Column("rows", [count(t.rows) for t in tables], "number", value=9),
    ]
    if any(t.bytes_on_disk is not None for t in tables):
        sizes = [_bytes(t.bytes_on_disk) for t in tables]
        columns.append(Column("on disk", sizes, "number", value=5, droppable=True))
    return columns


def _minute(moment: datetime, timezone: str) -> str:
    """`2025-11-01 14:22`: an instant in the business zone, to the minute."""
    from akasa.core import zones

    return moment.astimezone(zones.zone(timezone)).strftime("%Y-%m-%d %H:%M")


def render_status(result: Status, fmt: str = "table", console: Console | None = None) -> None:
    """Every section, even when the store could not be used (the problem says why).

    The settings' warnings are not repeated here: the command line printed them on stderr."""
    if fmt == "json":
        text = json.dumps(status_document(result), indent=2, ensure_ascii=False)
        _json(redact(text) + "\n")
        return
    out = console or stdout()
    config = result.configuration
    checked = _local(result.checked_at, config.timezone)
    _prose(out, f"Status of the {result.mode} store at {checked}")
    database = config.database
    if config.database_problem is not None:
        database = f"unusable: {config.database_problem}"
    _facts(
        out,
        "Configuration",
        [
            ("data dir", str(config.data_dir)),
            ("database", database),
            ("time zone", config.timezone),
            ("order times without offset", config.source_timezone),
            (".env file", "none" if config.env_file is None else str(config.env_file)),
        ],
    )
    store = result.store
    rows = []
    if store is not None:
        version = f"{store.version or 'none (empty)'} (this akasa: {store.expected})"
        rows += [("location", store.location), ("version", version)]
    rows.append(("state", "ok" if result.problem is None else f"cannot be used: {result.problem}"))
    if store is not None:
        rows.append(("on disk", _bytes(store.bytes_on_disk)))
    _facts(out, "Store", rows)
    if result.problem is None:
        _facts(
            out,
            "Freshness",
            [
                ("newest order", _when(result.newest_order_at, result)),
                ("oldest order", _when(result.oldest_order_at, result)),
                ("last ingest", _when(result.last_ingest_at, result)),
            ],
        )
        _print_table(out, table_columns(result), "Tables", "--format json has everything")
        shown = len(result.ledger)
        if not result.batches:
            out.print(Text("Ledger: no files ingested yet", style="bold"))
        else:
            title = (
                f"Ledger: the newest {count(shown)} of {count(result.batches)} files"
                if shown < result.batches
                else f"Ledger: {count(result.batches)} files"
            )
            _print_table(out, ledger_columns(result), title, "--format json has everything")
    outputs = result.outputs
    facts = [("kpis.json", str(outputs.path))]
    if outputs.problem is not None:
        facts.append(("state", outputs.problem))
    else:
        window = f"{outputs.window_days} days"
        facts += [
            ("as of", f"{outputs.as_of} (--as-of {outputs.as_of_requested}), window {window}"),
            ("generated", str(outputs.generated_at)),
        ]
        if outputs.behind:
            facts.append(("state", "files were ingested after this run; run akasa run"))
    _facts(out, "Outputs", facts)


# ---- akasa rejects --------------------------------------------------------------------------


def _masked_rows(frame: pl.DataFrame, how: Callable[[str], str]) -> pl.DataFrame:
    """Reasons and file names as people may read them: mobile numbers masked (`how`:
    `mask_mobiles_in` for JSON, `visible` for text)."""
    import polars as pl

    return frame.with_columns(
        pl.col(name).map_elements(how, return_dtype=pl.String) for name in ("source_file", "reason")
    )


def reason_columns(result: RejectsResult) -> list[Column]:
    """The kinds of problem and how many records have each."""
    reasons = result.reasons.to_dicts()
    return [
        Column("reason", [_cell(r["reason"]) for r in reasons], "text", value=9),
        Column("records", [count(r["records"]) for r in reasons], "number", value=9),
    ]


def record_columns(rows: pl.DataFrame) -> list[Column]:
    """One rejected record a row: its file, batch and record number, and the whole reason
    (a reason is never cut: where it does not fit, `render_rejects` lists the records)."""
    records = rows.to_dicts()
    return [
        Column("file", [r["source_file"] for r in records], "path", value=5),
        Column("batch", [str(r["batch_id"]) for r in records], "number", value=8),
        Column("record", [str(r["record_number"]) for r in records], "number", value=8),
        Column("reason", [r["reason"] for r in records], "fixed", value=9),
    ]


def _records(out: Console, rows: pl.DataFrame) -> None:
    """The records as a table when every reason fits whole beside its file, batch and
    record number. Else a list: the file, batch and record numbers on one line (records
    in a row with the same reason together), the reason on the next, indented when it
    fits so (wrapped between words only when longer than a line)."""
    columns = record_columns(rows)
    if out.soft_wrap or layout.fit(columns, out.width).width <= out.width:
        _print_table(out, columns, "Records")
        return
    out.print(Text("Records", style="bold"))
    groups: list[tuple[str, int, str, list[int]]] = []
    for r in rows.to_dicts():
        key = (r["source_file"], r["batch_id"], r["reason"])
        if groups and groups[-1][:3] == key:
            groups[-1][3].append(r["record_number"])
        else:
            groups.append((*key, [r["record_number"]]))
    for file, batch, reason, numbers in groups:
        records = ", ".join(str(n) for n in numbers)
        _prose(out, f"{file}, batch {batch}, record{'s' if len(numbers) > 1 else ''} {records}:")
        fits = cell_len(reason) + 2 <= out.width or cell_len(reason) > out.width
        _prose(out, f"  {reason}" if fits else reason, indent="  ")


def render_rejects(
    result: RejectsResult, fmt: str = "table", console: Console | None = None
) -> None:
    rows = _masked_rows(result.rows, mask_mobiles_in if fmt == "json" else visible)
    more = result.total - rows.height
    if fmt == "json":
        document = {
            "mode": str(result.mode),
            "file": result.file,
            "reason": result.reason,
            "files": result.files,
            "records": result.total,
            "reasons": [
                {"reason": mask_mobiles_in(r["reason"]), "records": r["records"]}
                for r in result.reasons.to_dicts()
            ],
            "rows": rows.to_dicts(),
            "truncated": result.truncated,
        }
        _json(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        from akasa.core.output import csv_bytes

        columns = ["source_file", "batch_id", "record_number", "reason"]
        data = csv_bytes(rows.select(columns), text_columns=["source_file", "reason"])
        sys.stdout.write(data.decode("utf-8"))
    else:
        out = console or stdout()
        where = f" of {', '.join(result.files)}" if result.file is not None else ""
        about = f' with a problem containing "{result.reason}"' if result.reason else ""
        _prose(
            out,
            f"{count(result.total)} rejected record(s){where} in the {result.mode} store{about}.",
        )
        if result.total:
            _print_table(out, reason_columns(result), "Reasons")
            _records(out, rows)
    if more:
        warning(f"{count(more)} more record(s) not listed; raise --limit to see them")
