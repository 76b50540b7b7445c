"""The modes users choose between (no heavy imports: the CLI's options need it)."""

from __future__ import annotations

from enum import StrEnum


class Mode(StrEnum):
    """Where the data lives, as users name it: `memory` is the Parquet file store (queried
    with Polars), `table` the SQL database. `akasa.backends.open` maps each to its backend."""

    memory = "memory"
    table = "table"
