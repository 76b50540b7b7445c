"""Progress bars: drawn on a terminal, absent when piped or --quiet."""

from __future__ import annotations

import io

from rich.console import Console

from akasa.cli import render as console


def terminal() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=True, width=100), buffer


def test_step_progress_on_a_terminal() -> None:
    out, buffer = terminal()
    with console.step_progress(console=out) as progress:
        assert progress is not None
        progress("Drawing monthly_trends.png", 1, 11)
        progress("Done", 11, 11)
    text = buffer.getvalue()
    assert "Done" in text  # the last state is drawn when the bar stops
    assert "11/11" in text


def test_ingest_progress_on_a_terminal() -> None:
    out, buffer = terminal()
    bar = console.TerminalProgress(delay=0, console=out)
    bar.start(2_500_000, "reading")
    bar.advance(1_500_000)
    bar.advance(1_000_000)
    bar.finish()
    assert "reading" in buffer.getvalue()
    assert "2.5/2.5 MB" in buffer.getvalue()


def test_ingest_progress_only_after_the_delay() -> None:
    out, buffer = terminal()
    bar = console.TerminalProgress(delay=60, console=out)
    bar.start(10, "reading")
    bar.advance(10)
    bar.finish()
    assert buffer.getvalue() == ""


def test_no_progress_when_quiet_or_piped() -> None:
    out, buffer = terminal()
    with console.step_progress(enabled=False, console=out) as progress:
        assert progress is None
    piped = Console(file=io.StringIO(), force_terminal=False)
    with console.step_progress(console=piped) as progress:
        assert progress is None
    assert buffer.getvalue() == ""
