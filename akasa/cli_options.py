"""Typer option types shared by several commands, defined once."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer


class Mode(StrEnum):
    memory = "memory"
    table = "table"


class IngestMode(StrEnum):
    memory = "memory"
    table = "table"
    both = "both"


class Format(StrEnum):
    table = "table"
    json = "json"


ModeOption = Annotated[
    Mode, typer.Option("--mode", "-m", help="memory: Parquet store; table: SQL database.")
]
FormatOption = Annotated[
    Format, typer.Option("--format", "-f", help="table: Rich tables; json: JSON on stdout.")
]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print only the final result line(s).")
]
