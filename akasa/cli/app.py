"""The `akasa` command line: parse options, call one library function, render the result.

Library modules are imported inside each command so that `akasa --help` stays fast.
All errors pass through `AkasaGroup.main`, the one place that maps them to exit codes.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

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
from akasa.core.errors import AkasaError, UsageError

EXIT_INTERRUPTED = 130


class AkasaGroup(TyperGroup):
    """Turns every failure into one `Error: ...` line and an exit code (0/1/2)."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv
        if not logging.getLogger("akasa").handlers:
            # A command without a log file logs nowhere: not Python's last-resort stderr.
            logging.getLogger("akasa").addHandler(logging.NullHandler())
        try:
            warnings = _warn_about_settings(argv, set(self.commands))
            _start_log(argv, set(self.commands))
            for warning in warnings:  # shown first, even when the settings fail to load
                logging.getLogger("akasa.cli").warning("%s", warning)
            code = super().main(
                args=argv,
                prog_name=prog_name or "akasa",
                complete_var=complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
        except typer.TyperException as exc:  # click's usage errors
            _fail(exc.format_message(), getattr(exc, "exit_code", 2), debug)
        except typer.Abort:
            _fail("aborted", 1, debug)
        except AkasaError as exc:
            _fail(str(exc), exc.exit_code, debug)
        except KeyboardInterrupt:
            _fail("interrupted", EXIT_INTERRUPTED, debug)
        except Exception as exc:  # a bug: still one line, traceback only with --debug
            hint = "" if debug else " (run with --debug for the traceback)"
            _fail(f"unexpected {type(exc).__name__}: {exc}{hint}", 1, debug)
        finally:
            _stop_log()
        sys.exit(code if isinstance(code, int) else 0)


LOGGED_COMMANDS = {"ingest", "run", "report", "migrate", "sql"}


def _start_log(argv: list[str], commands: set[str]) -> None:
    """A log file per run of a command that touches the data dir (not for --help)."""
    command = next((a for a in argv if a in commands), None)
    if command not in LOGGED_COMMANDS or {"--help", "-h"} & set(argv):
        return
    from akasa.core import logs
    from akasa.core.config import load_settings

    settings = load_settings()
    logs.start(settings.logs_dir, command, settings.secrets())
    logging.getLogger("akasa.cli").info("akasa %s %s", __version__, " ".join(argv))


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


def _fail(message: str, code: int, debug: bool) -> None:
    from akasa.cli import render

    if debug:  # the traceback too goes through the redaction
        from akasa.core.privacy import redact

        sys.stderr.write(redact(traceback.format_exc(), _secrets()))
    logging.getLogger("akasa.cli").error("exit %s: %s", code, message)
    render.error(message, _secrets())
    _stop_log()
    sys.exit(code)


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
    no_args_is_help=True,
    add_completion=False,
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
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback on errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Configuration comes from the environment or a .env file (see .env.example)."""


@app.command()
def ingest(
    customers: Annotated[
        list[str] | None,
        typer.Option("--customers", "-c", help="Customers CSV: a file, directory or glob."),
    ] = None,
    orders: Annotated[
        list[str] | None,
        typer.Option("--orders", "-o", help="Orders XML: a file, directory or glob."),
    ] = None,
    mode: Annotated[
        IngestMode, typer.Option("--mode", "-m", help="Store(s) to load: memory, table or both.")
    ] = IngestMode.memory,
    max_reject_rate: Annotated[
        float | None,
        typer.Option(
            "--max-reject-rate",
            min=0.0,
            max=1.0,
            help="Apply nothing when a file rejects more than this share of its records.",
        ),
    ] = None,
    quiet: QuietOption = False,
) -> None:
    """Clean, validate and store the drops; rejected records go to the quarantine."""
    from akasa.cli import render
    from akasa.core.config import load_settings
    from akasa.pipeline.ingest import ingest as run_ingest

    if not customers and not orders:
        raise UsageError("give --customers and/or --orders")
    result = run_ingest(
        load_settings(),
        customers or [],
        orders or [],
        mode.modes(),
        max_reject_rate,
        progress=render.TerminalProgress.maybe(quiet),
    )
    render.render_ingest(result, quiet=quiet)


@app.command()
def run(
    mode: ModeOption = Mode.memory,
    as_of: Annotated[
        str, typer.Option("--as-of", help="latest (default), now, or a date YYYY-MM-DD.")
    ] = "latest",
    window_days: Annotated[
        int, typer.Option("--window-days", min=1, help="Days in the top-customers window.")
    ] = 30,
    top: Annotated[int, typer.Option("--top", min=1, help="How many top customers.")] = 10,
    fmt: FormatOption = Format.rich,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            file_okay=False,
            help="Write the outputs to this folder instead of data/outputs/<mode>/.",
        ),
    ] = None,
    no_write: Annotated[
        bool, typer.Option("--no-write", help="Print the KPIs only; write no files.")
    ] = False,
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
    render.render_run(result, fmt)


@app.command()
def report(mode: ModeOption = Mode.memory, quiet: QuietOption = False) -> None:
    """Draw the KPI charts (PNG and HTML) and one offline report.html from the newest outputs
    of `akasa run`."""
    from akasa.cli import render
    from akasa.core.config import load_settings
    from akasa.report.build import build_report

    with render.step_progress(enabled=not quiet) as progress:
        result = build_report(load_settings(), mode, progress=progress)
    render.render_report(result, quiet=quiet)


@app.command()
def migrate() -> None:
    """Bring the table-mode database to the newest schema (same as `alembic upgrade head`)."""
    from akasa.cli import render
    from akasa.core.config import load_settings
    from akasa.pipeline.migrate import migrate as run_migrate

    render.render_migrate(run_migrate(load_settings()))


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="One read-only SELECT.")],
    mode: ModeOption = Mode.memory,
    fmt: FormatOption = Format.rich,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows shown at most.")] = 1000,
    memory_limit: Annotated[
        int, typer.Option("--memory-limit", min=64, metavar="MB", help="Memory the query may use.")
    ] = 1024,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, metavar="SECONDS", help="Stop the query after.")
    ] = 60.0,
) -> None:
    """Ad-hoc read-only SQL (DuckDB) over customers, customer_mobiles, orders, order_lines,
    rejects and batches."""
    from akasa.backends.base import QueryLimits
    from akasa.cli import render
    from akasa.core.config import load_settings
    from akasa.pipeline.query import query as run_query

    limits = QueryLimits(memory_mb=memory_limit, timeout_seconds=timeout)
    render.render_query(run_query(load_settings(), mode, query, limit, limits), fmt)


@app.command()
def status(
    mode: ModeOption = Mode.memory,
    fmt: FormatOption = Format.rich,
    last: Annotated[
        int, typer.Option("--last", min=0, help="Newest ledger entries (files) shown.")
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


@app.command()
def rejects(
    mode: ModeOption = Mode.memory,
    file: Annotated[
        str | None,
        typer.Option("--file", help="Only this ingested file: its name, or a glob."),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Only problems containing this text (any case)."),
    ] = None,
    fmt: Annotated[
        TableFormat,
        typer.Option("--format", "-f", help="table: Rich tables; json; csv: the records."),
    ] = TableFormat.rich,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Records listed at most.")] = 1000,
) -> None:
    """The quarantine: rejected records counted by kind of problem, then each with its file,
    record number and reason."""
    from akasa.cli import render
    from akasa.core.config import load_settings
    from akasa.pipeline.rejects import rejects as find_rejects

    render.render_rejects(find_rejects(load_settings(), mode, file, reason, limit), fmt)


@app.command()
def generate(
    out_dir: Annotated[Path, typer.Argument(help="Folder for the daily files.")],
    customers: Annotated[int, typer.Option("--customers", min=1, help="Customers.")] = 1000,
    orders: Annotated[
        int, typer.Option("--orders", min=1, help="Order lines (<order> elements), all days.")
    ] = 10_000,
    days: Annotated[int, typer.Option("--days", min=1, help="Daily file pairs.")] = 7,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same bytes.")] = 1,
    dirty: Annotated[
        float, typer.Option("--dirty", min=0.0, max=1.0, help="Share of records made bad.")
    ] = 0.0,
    start: Annotated[str, typer.Option("--start", help="First day, YYYY-MM-DD.")] = "2025-01-01",
) -> None:
    """Deterministic synthetic daily files in the input formats, for demos and benchmarks."""
    from akasa.cli import render
    from akasa.generate import generate as run_generate

    render.render_generate(
        run_generate(
            out_dir,
            customers=customers,
            order_lines=orders,
            days=days,
            seed=seed,
            dirty=dirty,
            start=start,
        )
    )


def main() -> None:
    app()
