"""The rollup's key becomes (mobile_number, local_month, local_day).

A KPI run groups `order_days` by number and month; keyed by (number, day) that grouping
needed a temporary table and a sort (about a second at a million order lines on MariaDB),
keyed by (number, month, day) it reads the rows in key order. The rollup holds nothing
that cannot be built again, so the table is dropped and created with the new key, and
`order_days_zone` emptied: a run reads the orders until the next ingest builds the rollup
again (akasa/backends/sql/rollup.py), as after revision 0003.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa

from akasa.backends.sql.migration_types import TABLE, utc_datetime
from akasa.backends.sql.resumable import has_table, index_columns, primary_key
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NEW_KEY = ["mobile_number", "local_month", "local_day"]
OLD_KEY = ["mobile_number", "local_day"]


def _rekey(key: list[str]) -> None:
    """Resumable: the zone goes first (an emptied rollup is never read as built), then a
    table with another key, then whatever is missing."""
    op.execute(sa.text("DELETE FROM order_days_zone"))
    if has_table("order_days") and primary_key("order_days") != key:
        op.drop_table("order_days")
    if not has_table("order_days"):
        op.create_table(
            "order_days",
            sa.Column("mobile_number", sa.String(length=10), nullable=False),
            sa.Column("local_month", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("local_day", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("orders", sa.BigInteger(), nullable=False),
            sa.Column("paise", sa.BigInteger(), nullable=False),
            sa.Column("units", sa.BigInteger(), nullable=False),
            sa.Column("first_at", utc_datetime(), nullable=False),
            sa.Column("last_at", utc_datetime(), nullable=False),
            sa.PrimaryKeyConstraint(*key, name="pk_order_days"),
            comment="Current orders per mobile number and business-zone day (a rollup of orders).",
            **TABLE,
        )
    if index_columns("order_days", "ix_order_days_local_day") is None:
        op.create_index("ix_order_days_local_day", "order_days", ["local_day"], unique=False)


def upgrade() -> None:
    _rekey(NEW_KEY)


def downgrade() -> None:
    _rekey(OLD_KEY)
