"""The KPI rollup gains months: `order_months`, per business-zone month and mobile number.

A KPI run read `order_days` (numbers x days) and grouped it per number and month on every
run. The load now keeps that grouping too (akasa/backends/sql/rollup.py), so a run reads
numbers x months for every month its as_of day and window start do not cut through, and
days only for those (at most two months). Keyed (local_month, mobile_number): a run reads
its months as one range, and the load rebuilds a month as one range.

`order_days_zone` is emptied: a run reads the orders until the next ingest builds both
rollups, as after revisions 0003 and 0004.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa

from akasa.backends.sql.migration_types import TABLE, utc_datetime
from akasa.backends.sql.resumable import has_table
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Resumable: the zone goes first (an empty month rollup is never read as built)."""
    op.execute(sa.text("DELETE FROM order_days_zone"))
    if not has_table("order_months"):
        op.create_table(
            "order_months",
            sa.Column("local_month", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("mobile_number", sa.String(length=10), nullable=False),
            sa.Column("orders", sa.BigInteger(), nullable=False),
            sa.Column("paise", sa.BigInteger(), nullable=False),
            sa.Column("units", sa.BigInteger(), nullable=False),
            sa.Column("first_at", utc_datetime(), nullable=False),
            sa.Column("last_at", utc_datetime(), nullable=False),
            sa.Column("first_day", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("last_day", sa.Integer(), autoincrement=False, nullable=False),
            sa.PrimaryKeyConstraint("local_month", "mobile_number", name="pk_order_months"),
            comment="Current orders per business-zone month and mobile number "
            "(a rollup of order_days).",
            **TABLE,
        )


def downgrade() -> None:
    """The day rollup stays as it is and still matches its recorded zone."""
    if has_table("order_months"):
        op.drop_table("order_months")
