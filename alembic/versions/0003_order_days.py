"""The KPI rollup: current orders per mobile number and business-zone day.

- `order_days`: per (mobile_number, local_day) the orders, paise, units and first and
  last order time of the current orders; `local_month` beside the day. The load keeps it
  in the ingest's transaction (akasa/backends/sql/rollup.py), so a KPI run reads numbers
  x days instead of every order. Indexed by `local_day`: the load rebuilds a day at a time.
- `order_days_zone`: the business time zone the rollup is kept in. It stays empty here;
  the next ingest builds the rollup from the stored orders in its zone (until then a run
  reads the orders, as before).

See docs/table-mode.md, "Query plans".

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa

from akasa.backends.sql.migration_types import TABLE, utc_datetime
from akasa.backends.sql.resumable import has_table, index_columns
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Resumable: each table and index is created only if missing."""
    if not has_table("order_days"):
        op.create_table(
            "order_days",
            sa.Column("mobile_number", sa.String(length=10), nullable=False),
            sa.Column("local_day", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("local_month", sa.Integer(), nullable=False),
            sa.Column("orders", sa.BigInteger(), nullable=False),
            sa.Column("paise", sa.BigInteger(), nullable=False),
            sa.Column("units", sa.BigInteger(), nullable=False),
            sa.Column("first_at", utc_datetime(), nullable=False),
            sa.Column("last_at", utc_datetime(), nullable=False),
            sa.PrimaryKeyConstraint("mobile_number", "local_day", name="pk_order_days"),
            comment="Current orders per mobile number and business-zone day (a rollup of orders).",
            **TABLE,
        )
    if index_columns("order_days", "ix_order_days_local_day") is None:
        op.create_index("ix_order_days_local_day", "order_days", ["local_day"], unique=False)
    if not has_table("order_days_zone"):
        op.create_table(
            "order_days_zone",
            sa.Column("timezone", sa.String(length=64), nullable=False),
            sa.PrimaryKeyConstraint("timezone", name="pk_order_days_zone"),
            comment="The time zone order_days is kept in (one row; none before the first build).",
            **TABLE,
        )


def downgrade() -> None:
    for table in ("order_days_zone", "order_days"):
        if has_table(table):
            op.drop_table(table)
