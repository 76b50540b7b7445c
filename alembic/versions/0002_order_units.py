"""Units on the order header; indexes for the one-pass KPI scope.

- `orders.units`: the sum of `sku_count` over the order's lines. The loader sets it
  (an order is always replaced whole, with its lines), so the KPIs read units from the
  header instead of joining a million lines; existing rows are filled here.
- `ix_orders_ordered_at` also carries `units`, so the KPI scope (orders at or before
  as_of: number, time, total, units) is read from this index alone.
- `ix_orders_mobile_number` goes: no query uses it any more (the KPI plans drive from
  the scope above), and every loaded order paid for it.

See docs/table-mode.md, "Query plans".

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa

from akasa.backends.sql.resumable import has_column, index_columns
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


SCOPE_INDEX = ["ordered_at", "mobile_number", "total_amount", "units"]


def upgrade() -> None:
    """Resumable: each step checks what a killed earlier run already did (MySQL commits
    each DDL statement on its own)."""
    if not has_column("orders", "units"):
        op.add_column(
            "orders", sa.Column("units", sa.BigInteger(), nullable=False, server_default="0")
        )
    orders = sa.table("orders", sa.column("order_id"), sa.column("units"))
    lines = sa.table("order_lines", sa.column("order_id"), sa.column("sku_count"))
    units = (
        sa.select(sa.func.coalesce(sa.func.sum(lines.c.sku_count), 0))
        .where(lines.c.order_id == orders.c.order_id)
        .scalar_subquery()
    )
    op.execute(orders.update().values(units=units))  # the same result when run again
    if index_columns("orders", "ix_orders_mobile_number") is not None:
        op.drop_index("ix_orders_mobile_number", table_name="orders")
    existing = index_columns("orders", "ix_orders_ordered_at")
    if existing != SCOPE_INDEX:
        if existing is not None:
            op.drop_index("ix_orders_ordered_at", table_name="orders")
        op.create_index("ix_orders_ordered_at", "orders", SCOPE_INDEX, unique=False)


def downgrade() -> None:
    op.drop_index("ix_orders_ordered_at", table_name="orders")
    op.create_index(
        "ix_orders_ordered_at",
        "orders",
        ["ordered_at", "mobile_number", "total_amount"],
        unique=False,
    )
    op.create_index("ix_orders_mobile_number", "orders", ["mobile_number"], unique=False)
    op.drop_column("orders", "units")
