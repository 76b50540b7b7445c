"""What a migration step finds already done, so every revision can be run again.

MySQL/MariaDB commit each DDL statement on its own: a revision killed half-way leaves some
of its tables, columns or indexes behind while `alembic_version` still names the revision
before it. Each step of a revision asks here first and does only what is missing, so
running `akasa migrate` again finishes the revision instead of failing with `Table ...
already exists`. (PostgreSQL and SQLite roll the whole revision back; the checks cost them
nothing.)
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op


def _inspector() -> sa.Inspector:
    # A new inspector each time: a cached one would not see what the revision just did.
    return sa.inspect(op.get_bind())


def has_table(table: str) -> bool:
    return _inspector().has_table(table)


def has_column(table: str, column: str) -> bool:
    return any(c["name"] == column for c in _inspector().get_columns(table))


def index_columns(table: str, index: str) -> list[str] | None:
    """The index's columns, or None when the table has no index of that name."""
    for found in _inspector().get_indexes(table):
        if found["name"] == index:
            return [str(c) for c in found["column_names"]]
    return None


def primary_key(table: str) -> list[str]:
    return [str(c) for c in _inspector().get_pk_constraint(table)["constrained_columns"]]
