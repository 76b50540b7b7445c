"""Typer option types shared by several commands, defined once."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from akasa.backends.mode import Mode


class IngestMode(StrEnum):
    """`ingest --mode`: one backend or both."""

    memory = "memory"
    table = "table"
    both = "both"

    def modes(self) -> list[Mode]:
        return list(Mode) if self is IngestMode.both else [Mode(self.value)]


class Format(StrEnum):
    """`--format`: `table` means Rich tables on the terminal (not SQL tables)."""

    rich = "table"
    json = "json"


class TableFormat(StrEnum):
    """`--format` of commands that print rows: also `csv` (on stdout)."""

    rich = "table"
    json = "json"
    csv = "csv"


ModeOption = Annotated[
    Mode,
    typer.Option(
        "--mode", "-m", metavar="memory|table", help="memory: Parquet store; table: SQL database."
    ),
]
FormatOption = Annotated[
    Format,
    typer.Option(
        "--format",
        "-f",
        metavar="table|json",
        help="table: tables for people; json: JSON on stdout, for scripts.",
    ),
]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print only the final result line(s).")
]
