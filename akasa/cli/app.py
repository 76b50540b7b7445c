"""The `akasa` command line: parse options, call one library function, render the result.

Library modules are imported inside each command so that `akasa --help` stays fast.
All errors pass through `AkasaGroup.main`, the one place that maps them to exit codes.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
import threading
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup, TyperOption

from akasa import __version__
from akasa.backends.mode import Mode
from akasa.cli.options import (
    Format,
    FormatOption,
    IngestMode,
    ModeOption,
    QuietOption,
    TableFormat,
)
from akasa.core.errors import AkasaError, Interrupted, UsageError
from akasa.core.waiting import DEFAULT_WAIT_SECONDS

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
DEBUG = "--debug"
log = logging.getLogger("akasa.cli")


def spread_values(args: list[str], options: set[str]) -> list[str]:
    """`-c a b -m x` -> `-c a -c b -m x`: the words after one of `options` and its value,
    up to the next option (a word starting with `-`) or `--`, each get the option again."""
    out: list[str] = []
    taking: str | None = None  # the option whose further values are being collected
    words = iter(args)
    for word in words:
        if word == "--":
            out.append(word)
            out.extend(words)
            break
        if not (word.startswith("-") and len(word) > 1):
            out.extend([taking, word] if taking else [word])
            continue
        out.append(word)
        taking, attached = _option_in(word, options)
        if taking and not attached and (value := next(words, None)) is not None:
            out.append(value)
    return out


def _option_in(word: str, options: set[str]) -> tuple[str | None, bool]:
    """Which of `options` the word gives, and whether its value is attached
    (`--customers=a.csv`, `-ca.csv`)."""
    if word in options:
        return word, False
    name = word.split("=", 1)[0]
    if word.startswith("--") and name in options:
        return name, True
    if not word.startswith("--") and word[:2] in options:
        return word[:2], True
    return None, False


class AkasaGroup(TyperGroup):
    """The one error boundary: every failure becomes one `Error: ...` line (a usage error
    also gets Click's usage hint) and an exit code: 0 done, 1 failed, 2 bad usage,
    130 interrupted."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> NoReturn:
        prog_name = prog_name or "akasa"
        self._main_shell_completion(extra, prog_name, complete_var)  # exits when completing
        argv, debug = take_debug(list(sys.argv[1:] if args is None else args))
        sys.exit(self._run(self._spread(argv), prog_name, debug, extra))

    def _command(self, argv: list[str]) -> tuple[int, str] | None:
        """Where the command's name is in `argv`, and the name (after akasa's own flags)."""
        for i, word in enumerate(argv):
            if word in self.commands:
                return i, word
            if not word.startswith("-"):
                return None
        return None

    def _spread(self, argv: list[str]) -> list[str]:
        """An option that may be given several times (`ingest --customers`) also takes the
        values that follow it up to the next option, so `-c data/*.csv` works unquoted."""
        found = self._command(argv)
        if found is None:
            return argv
        at, name = found
        many = {
            flag
            for param in self.commands[name].params
            if isinstance(param, TyperOption) and param.multiple
            for flag in param.opts
        }
        return argv[: at + 1] + spread_values(argv[at + 1 :], many)

    def _usage_hint(self, prog_name: str, argv: list[str]) -> tuple[str, str] | None:
        """Click's short usage hint of the command in `argv` (for akasa's own usage errors,
        raised once Click's parsing is over)."""
        found = self._command(argv)
        if found is None:
            return None
        name = found[1]
        with self.make_context(prog_name, [name], resilient_parsing=True) as parent:
            command = self.commands[name]
            with command.make_context(name, [], parent=parent, resilient_parsing=True) as ctx:
                return _hint(ctx)

    def _run(self, argv: list[str], prog_name: str, debug: bool, extra: dict[str, Any]) -> int:
        _reported.reset()
        if not argv:  # the help once, on stderr like every usage error
            from akasa.cli import render

            with self.make_context(prog_name, [], resilient_parsing=True) as ctx:
                render.help_page(ctx.get_help())
            return EXIT_USAGE
        if not logging.getLogger("akasa").handlers:
            # A command without a log file logs nowhere: not Python's last-resort stderr.
            logging.getLogger("akasa").addHandler(logging.NullHandler())
        try:
            warnings = _warn_about_settings(argv, set(self.commands))
            _start_log(argv, set(self.commands))
            for warning in warnings:  # shown first, even when the settings fail to load
                logging.getLogger("akasa.cli").warning("%s", warning)
            with self.make_context(prog_name, argv, **extra) as ctx:
                self.invoke(ctx)
            return 0
        except typer.Exit as exc:  # --help, --version
            return exc.exit_code
        except typer.TyperException as exc:  # Click's errors, usage errors with their context
            code = int(getattr(exc, "exit_code", EXIT_USAGE))
            context = getattr(exc, "ctx", None)
            hint = _hint(context) if context is not None else None
            return _fail(exc.format_message(), code, debug, hint)
        except UsageError as exc:
            return _fail(str(exc), exc.exit_code, debug, self._usage_hint(prog_name, argv))
        except typer.Abort:
            return _fail("aborted", 1, debug)
        except Interrupted as exc:
            return _interrupted(str(exc), debug)
        except KeyboardInterrupt:
            return _interrupted(None, debug)
        except AkasaError as exc:
            return _fail(str(exc), exc.exit_code, debug)
        except BrokenPipeError:  # `akasa sql ... | head`: the reader has what it wanted
            from akasa.cli import render

            render.stop_writing()
            return 1
        except Exception as exc:  # a bug: still one line, traceback only with --debug
            more = "" if debug else " (run with --debug for the traceback)"
            return _fail(f"unexpected {type(exc).__name__}: {exc}{more}", 1, debug)
        finally:
            _stop_log()


def take_debug(argv: list[str]) -> tuple[list[str], bool]:
    """`--debug` is taken anywhere before `--`, before or after the command."""
    end = argv.index("--") if "--" in argv else len(argv)
    kept = [word for word in argv[:end] if word != DEBUG] + argv[end:]
    return kept, len(kept) != len(argv)


def _hint(ctx: Any) -> tuple[str, str]:
    """Click's short usage hint of a context: `Usage: akasa run [OPTIONS]` and
    `Try 'akasa run -h' for help.`"""
    usage, path, option = ctx.get_usage(), ctx.command_path, ctx.help_option_names[0]
    return str(usage), f"Try '{path} {option}' for help."


LOGGED_COMMANDS = {"ingest", "run", "report", "migrate", "sql"}


def _start_log(argv: list[str], commands: set[str]) -> None:
    """A log for each command that touches the data dir (not for --help)."""
    command = next((a for a in argv if a in commands), None)
    if command not in LOGGED_COMMANDS or {"--help", "-h"} & set(argv):
        return
    from akasa.core import logs
    from akasa.core.config import load_settings

    settings = load_settings()
    logs.start(settings.logs_dir, command, settings.secrets(), settings.timezone, settings.log_days)
    log.info("akasa %s %s", __version__, " ".join(argv))


# Commands that read the settings: each warns once about variables akasa would ignore.
SETTINGS_COMMANDS = LOGGED_COMMANDS | {"status", "rejects"}


def _warn_about_settings(argv: list[str], commands: set[str]) -> list[str]:
    """Prints the settings' warnings (`Warning: ...` on stderr); returns them for the log."""
    command = next((a for a in argv if a in commands), None)
    if command not in SETTINGS_COMMANDS or {"--help", "-h"} & set(argv):
        return []
    from akasa.cli import render
    from akasa.core.config import environment_warnings

    warnings = environment_warnings()
    for warning in warnings:
        render.warning(warning)
    return warnings


def _stop_log() -> None:
    if "akasa.core.logs" in sys.modules:
        sys.modules["akasa.core.logs"].stop()


def _traceback(debug: bool) -> None:
    if debug:  # the traceback too goes through the redaction
        from akasa.core.privacy import printable, redact

        sys.stderr.write(printable(redact(traceback.format_exc(), _secrets()), lines=True))


def _fail(message: str, code: int, debug: bool, hint: tuple[str, str] | None = None) -> int:
    from akasa.cli import render

    _traceback(debug)
    log.error("exit %s: %s", code, message)
    render.error(message, _secrets(), hint)
    return code


class _Once:
    """An interrupt is reported once per command, by the command or by the deadline
    (`main`), whichever comes first."""

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def first(self) -> bool:
        return self.lock.acquire(blocking=False)

    def reset(self) -> None:
        self.lock = threading.Lock()


_reported = _Once()


def _interrupted(what: str | None, debug: bool) -> int:
    from akasa.cli import render

    if _reported.first():
        _traceback(debug)
        line = "Interrupted" + (f": {what}" if what else "")
        log.warning("exit %s: %s", EXIT_INTERRUPTED, line)
        render.interrupted(line)
    return EXIT_INTERRUPTED


def _secrets() -> list[str]:
    try:
        from akasa.core.config import load_settings

        return load_settings().secrets()
    except Exception:
        return []


app = typer.Typer(
    cls=AkasaGroup,
    name="akasa",
    help="Daily customer (CSV) and order (XML) drops into trustworthy business KPIs.",
    epilog=(
        "Every command has -h. --debug (anywhere on the line) shows the traceback of an "
        "error. Exit codes: 0 done, 1 failed, 2 bad usage, 130 interrupted."
    ),
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"akasa {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    debug: Annotated[
        bool, typer.Option(DEBUG, help="Show the traceback on errors (anywhere on the line).")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Configuration comes from the environment or a .env file (see .env.example)."""


def examples(*lines: str) -> str:
    """A command's --help epilog: examples kept on their own lines (Click's \\b)."""
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


PATHS_HELP = (
    "a file, directory or glob; several may follow one {flag} (an unquoted shell glob works)."
)


@app.command(
    epilog=examples(
        "akasa ingest -c /drops/customers_2025-11-02.csv -o /drops/orders_2025-11-02.xml",
        "akasa ingest -c /drops/customers_*.csv -o /drops/orders_*.xml --mode both",
        "akasa ingest -c data/sample -o data/sample --quiet --format json",
    ),
)
def ingest(
    customers: Annotated[
        list[str] | None,
        typer.Option(
            "--customers",
            "-c",
            metavar="PATH...",
            help="Customers CSV: " + PATHS_HELP.format(flag="-c"),
        ),
    ] = None,
    orders: Annotated[
        list[str] | None,
        typer.Option(
            "--orders", "-o", metavar="PATH...", help="Orders XML: " + PATHS_HELP.format(flag="-o")
        ),
    ] = None,
    mode: Annotated[
        IngestMode,
        typer.Option(
            "--mode",
            "-m",
            metavar="memory|table|both",
            help="Store(s) to load: memory (Parquet), table (SQL database) or both.",
        ),
    ] = IngestMode.memory,
    max_reject_rate: Annotated[
        float | None,
        typer.Option(
            "--max-reject-rate",
            min=0.0,
            max=1.0,
            metavar="RATE",
            help="Apply nothing when a file rejects more than this share of its records "
            "(0 to 1, e.g. 0.05).",
        ),
    ] = None,
    wait: Annotated[
        int,
        typer.Option(
            "--wait",
            metavar="SECONDS",
            help="Wait this long for another ingest's lock on the data directory or the "
            "database (0: fail at once).",
        ),
    ] = DEFAULT_WAIT_SECONDS,
    fmt: FormatOption = Format.rich,
    quiet: QuietOption = False,
) -> None:
    """Clean, validate and store the drops; rejected records go to the quarantine."""
    from akasa.cli import render
    from akasa.core.config import load_settings
    from akasa.core.waiting import LockWait
    from akasa.pipeline.ingest import ingest as run_ingest

    if not customers and not orders:
        raise UsageError("give --customers and/or --orders")
    if wait < 0:
        raise UsageError("--wait takes 0 or more seconds")
    result = run_ingest(
        load_settings(),
        customers or [],
        orders or [],
        mode.modes(),
        max_reject_rate,
        progress=render.TerminalProgress.maybe(quiet or fmt is Format.json),
        wait=LockWait(wait, render.warning),
    )
    render.render_ingest(result, fmt, quiet=quiet)


@app.command(
    epilog=examples(
        "akasa run",
        "akasa run --mode table --as-of 2025-10-31 --top 5",
        "akasa run --quiet",
        "akasa run --format json > kpis.json",
    ),
)
def run(
    mode: ModeOption = Mode.memory,
    as_of: Annotated[
        str,
        typer.Option(
            "--as-of", metavar="DATE", help="latest (default), now, or a date YYYY-MM-DD."
        ),
    ] = "latest",
    window_days: Annotated[
        int,
        typer.Option(
            "--window-days", min=1, metavar="DAYS", help="Days in the top-customers window."
        ),
    ] = 30,
    top: Annotated[
        int, typer.Option("--top", min=1, metavar="N", help="How many top customers.")
    ] = 10,
    fmt: FormatOption = Format.rich,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            file_okay=False,
            metavar="DIR",
            help="Write the outputs to this folder instead of data/outputs/MODE/.",
        ),
    ] = None,
    no_write: Annotated[
        bool, typer.Option("--no-write", help="Print the KPIs only; write no files.")
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """Compute the four KPIs, print them and write the outputs."""
    from akasa.cli import render
    from akasa.core.config import load_settings
    from akasa.kpi.context import AsOf
    from akasa.pipeline.run import run as run_kpis

    if output is not None and no_write:
        raise UsageError("give --output or --no-write, not both")
    parsed = AsOf.parse(as_of)
    result = run_kpis(
        load_settings(), mode, parsed, window_days, top, output_dir=output, write=not no_write
    )
    render.render_run(result, fmt, quiet=quiet)


@app.command(
    epilog=examples("akasa report", "akasa report --mode table --quiet"),
)
def report(
    mode: ModeOption = Mode.memory,
    no_png: Annotated[
        bool, typer.Option("--no-png", help="Draw the charts as HTML only (faster).")
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """Draw the KPI charts (PNG and HTML) and one offline report.html from the newest outputs
    of `akasa run`, into data/reports/MODE/."""
    from akasa.cli import render
    from akasa.core.config import load_settings
    from akasa.report.build import build_report

    with render.step_progress(enabled=not quiet) as progress:
        result = build_report(load_settings(), mode, progress=progress, png=not no_png)
    render.render_report(result, quiet=quiet)


@app.command(epilog=examples("akasa migrate", "akasa migrate --quiet"))
def migrate(quiet: QuietOption = False) -> None:
    """Bring the table-mode database to the newest schema (same as `alembic upgrade head`)."""
    from akasa.cli import render
    from akasa.core.config import load_settings
    from akasa.pipeline.migrate import migrate as run_migrate

    render.render_migrate(run_migrate(load_settings()))


@app.command(
    epilog=examples(
        'akasa sql "SELECT source_file, reason, count(*) FROM rejects GROUP BY ALL"',
        'akasa sql "SELECT * FROM batches ORDER BY batch_id DESC" --limit 5 --mode table',
        'akasa sql "SELECT count(*) AS n FROM orders" --format json --quiet',
    ),
)
def sql(
    query: Annotated[str, typer.Argument(metavar="QUERY", help="One read-only SELECT.")],
    mode: ModeOption = Mode.memory,
    fmt: FormatOption = Format.rich,
    limit: Annotated[
        int, typer.Option("--limit", min=1, metavar="N", help="Rows shown at most.")
    ] = 1000,
    memory_limit: Annotated[
        int, typer.Option("--memory-limit", min=64, metavar="MB", help="Memory the query may use.")
    ] = 1024,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, metavar="SECONDS", help="Stop the query after.")
    ] = 60.0,
    quiet: QuietOption = False,
) -> None:
    """Ad-hoc read-only SQL (DuckDB) over customers, customer_mobiles, orders, order_lines,
    rejects and batches."""
    from akasa.backends.base import QueryLimits
    from akasa.cli import render
    from akasa.core.config import load_settings
    from akasa.pipeline.query import query as run_query

    settings = load_settings()
    limits = QueryLimits(memory_mb=memory_limit, timeout_seconds=timeout)
    result = run_query(settings, mode, query, limit, limits)
    render.render_query(result, fmt, quiet=quiet, timezone=settings.timezone)


@app.command(epilog=examples("akasa status", "akasa status --mode table --format json"))
def status(
    mode: ModeOption = Mode.memory,
    fmt: FormatOption = Format.rich,
    last: Annotated[
        int, typer.Option("--last", min=0, metavar="N", help="Newest ledger entries shown.")
    ] = 10,
) -> None:
    """Configuration, store, ledger, freshness and outputs of one mode; exits 1 when the
    store cannot be used (the rest is still shown)."""
    from akasa.cli import render
    from akasa.core.config import load_settings
    from akasa.pipeline.status import status as run_status

    result = run_status(load_settings(), mode, last)
    render.render_status(result, fmt)
    if result.problem is not None:
        raise AkasaError(result.problem)


@app.command(
    epilog=examples(
        "akasa rejects", "akasa rejects --mode table --file 'orders_2025-10-*' --format csv"
    )
)
def rejects(
    mode: ModeOption = Mode.memory,
    file: Annotated[
        str | None,
        typer.Option("--file", metavar="NAME", help="Only this ingested file (name or glob)."),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option("--reason", metavar="TEXT", help="Only problems containing this text."),
    ] = None,
    fmt: Annotated[
        TableFormat,
        typer.Option(
            "--format",
            "-f",
            metavar="table|json|csv",
            help="table: Rich tables; json; csv: the records.",
        ),
    ] = TableFormat.rich,
    limit: Annotated[
        int, typer.Option("--limit", min=1, metavar="N", help="Records listed at most.")
    ] = 1000,
) -> None:
    """The quarantine: rejected records counted by kind of problem, then each with its file,
    record number and reason."""
    from akasa.cli import render
    from akasa.core.config import load_settings
    from akasa.pipeline.rejects import rejects as find_rejects

    render.render_rejects(find_rejects(load_settings(), mode, file, reason, limit), fmt)


@app.command(
    epilog=examples(
        "akasa generate demo --customers 80 --orders 900 --days 5 --dirty 0.02",
        "akasa generate /tmp/big --orders 1000000 --days 2 --force --quiet",
    ),
)
def generate(
    out_dir: Annotated[Path, typer.Argument(metavar="OUT_DIR", help="Folder for the daily files.")],
    customers: Annotated[
        int, typer.Option("--customers", min=1, metavar="N", help="Customers.")
    ] = 1000,
    orders: Annotated[
        int,
        typer.Option(
            "--orders", min=1, metavar="N", help="Order lines (<order> elements), all days."
        ),
    ] = 10_000,
    days: Annotated[int, typer.Option("--days", min=1, metavar="N", help="Daily file pairs.")] = 7,
    seed: Annotated[int, typer.Option("--seed", metavar="N", help="Same seed, same bytes.")] = 1,
    dirty: Annotated[
        float,
        typer.Option(
            "--dirty", min=0.0, max=1.0, metavar="RATE", help="Share of records made bad (0 to 1)."
        ),
    ] = 0.0,
    start: Annotated[
        str, typer.Option("--start", metavar="DATE", help="First day, YYYY-MM-DD.")
    ] = "2025-01-01",
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Write into OUT_DIR even if it holds files (same names are replaced)."
        ),
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """Deterministic synthetic daily files in the input formats, for demos and benchmarks.
    OUT_DIR must be empty or new unless --force is given."""
    from akasa.cli import render
    from akasa.generate import generate as run_generate

    with render.step_progress(enabled=not quiet) as progress:
        result = run_generate(
            out_dir,
            customers=customers,
            order_lines=orders,
            days=days,
            seed=seed,
            dirty=dirty,
            start=start,
            require_empty=not force,
            progress=progress,
        )
    render.render_generate(result)


INTERRUPT_GRACE = 1.0  # seconds a Ctrl-C'd command has to end before the process is ended


PRIVATE_UMASK = 0o077


def main() -> None:
    """The `akasa` program.

    After a Ctrl-C the process ends at once: the store is already rolled back and the
    message written, and tearing down a process that holds a large ingest (its modules,
    its memory) can take longer than the 2 s an operator waits. Should the command itself
    be stuck in a long native call, `interrupts.deadline` ends it after INTERRUPT_GRACE.

    Everything akasa creates (store, outputs, quarantine, logs: personal data) is for
    this user only: files 0600, folders 0700.
    """
    from akasa.core import interrupts

    os.umask(PRIVATE_UMASK)

    command = next((word for word in sys.argv[1:] if not word.startswith("-")), None)
    what = interrupts.NOTHING_APPLIED if command == "ingest" else None

    def last_words() -> None:
        _interrupted(what, debug=False)
        _stop_log()

    try:
        with interrupts.deadline(INTERRUPT_GRACE, last_words, EXIT_INTERRUPTED):
            app()
    except SystemExit as exc:
        if exc.code != EXIT_INTERRUPTED:
            # The process ends now: the collector's last passes over every object the
            # command made (SQLAlchemy's, Pydantic's) only delay the exit, by up to 0.3 s
            # after a table-mode run. Objects are still freed and atexit still runs.
            gc.freeze()
            raise
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(EXIT_INTERRUPTED)
