"""Progress bars: drawn on a terminal, absent when piped or --quiet."""

from __future__ import annotations

import io

from rich.console import Console

from akasa import console


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


def test_byte_progress_on_a_terminal() -> None:
    out, buffer = terminal()
    with console.byte_progress(console=out) as progress:
        assert progress is not None
        progress(1_500_000)
        progress(1_000_000)
    assert "Reading input files" in buffer.getvalue()
    assert "2.5" in buffer.getvalue()  # MB read so far


def test_no_progress_when_quiet_or_piped() -> None:
    out, buffer = terminal()
    with console.step_progress(enabled=False, console=out) as progress:
        assert progress is None
    with console.byte_progress(enabled=False, console=out) as progress:
        assert progress is None
    piped = Console(file=io.StringIO(), force_terminal=False)
    with console.step_progress(console=piped) as progress:
        assert progress is None
    assert buffer.getvalue() == ""
