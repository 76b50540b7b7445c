"""Initial table-mode schema.

customers, customer_mobiles, orders, order_lines, batches, rejects; see
akasa/core/tables.py and docs/table-mode.md for the keys and indexes and why.

Revision ID: 0001
Revises:
Create Date: 2025-11-27
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from akasa.backends.sql.migration_types import MYSQL, TABLE, utc_datetime
from akasa.backends.sql.resumable import has_table, index_columns
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Resumable: each table and index is created only if missing (MySQL commits each DDL
    statement, so a killed run leaves part of the revision done)."""
    create_table(
        "batches",
        sa.Column("batch_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_file", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("records_read", sa.BigInteger(), nullable=False),
        sa.Column("accepted", sa.BigInteger(), nullable=False),
        sa.Column("rejected", sa.BigInteger(), nullable=False),
        sa.Column("duplicates", sa.BigInteger(), nullable=False),
        sa.Column("superseded", sa.BigInteger(), nullable=False),
        sa.Column("started_at", utc_datetime(), nullable=False),
        sa.Column("finished_at", utc_datetime(), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", name="pk_batches"),
        sa.UniqueConstraint("sha256", name="uq_batches_sha256"),
        comment="The batch ledger: one row per landed input file.",
        **TABLE,
    )
    create_table(
        "rejects",
        sa.Column(
            "reject_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("source_file", sa.String(length=255), nullable=False),
        sa.Column("record_number", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text().with_variant(mysql.LONGTEXT(), *MYSQL), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.batch_id"], name="fk_rejects_batch_id"),
        sa.PrimaryKeyConstraint("reject_id", name="pk_rejects"),
        sa.UniqueConstraint("batch_id", "record_number", name="uq_rejects_batch_id_record_number"),
        comment="The quarantine: every rejected record with its reason.",
        **TABLE,
    )
    create_table(
        "customers",
        sa.Column("customer_id", sa.String(length=100), nullable=False),
        sa.Column("customer_name", sa.String(length=255), nullable=False),
        sa.Column("mobile_number", sa.String(length=10), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("record_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name="pk_customers"),
        comment="Latest version of each customer (a later batch replaces it).",
        **TABLE,
    )
    create_table(
        "customer_mobiles",
        sa.Column("mobile_number", sa.String(length=10), nullable=False),
        sa.Column("customer_id", sa.String(length=100), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.customer_id"], name="fk_customer_mobiles_customer_id"
        ),
        sa.PrimaryKeyConstraint("mobile_number", name="pk_customer_mobiles"),
        comment="Every number a customer ever had; a number never changes owner.",
        **TABLE,
    )
    create_index(
        "ix_customer_mobiles_customer_id", "customer_mobiles", ["customer_id"], unique=False
    )
    create_table(
        "orders",
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("mobile_number", sa.String(length=10), nullable=False),
        sa.Column("ordered_at", utc_datetime(), nullable=False),
        sa.Column("total_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("order_id", name="pk_orders"),
        comment="One row per order: the header its lines share; total counted once.",
        **TABLE,
    )
    create_index(
        "ix_orders_ordered_at",
        "orders",
        ["ordered_at", "mobile_number", "total_amount"],
        unique=False,
    )
    create_index("ix_orders_mobile_number", "orders", ["mobile_number"], unique=False)
    create_table(
        "order_lines",
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("sku_id", sa.String(length=100), nullable=False),
        sa.Column("sku_count", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("record_number", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.order_id"], name="fk_order_lines_order_id"),
        sa.PrimaryKeyConstraint("order_id", "sku_id", name="pk_order_lines"),
        comment="Lines of the current version of each order.",
        **TABLE,
    )


def create_table(name: str, *items: Any, **options: Any) -> None:
    if not has_table(name):
        op.create_table(name, *items, **options)


def create_index(name: str, table: str, columns: list[str], **options: Any) -> None:
    if index_columns(table, name) is None:
        op.create_index(name, table, columns, **options)


def downgrade() -> None:
    # Children first; a table's indexes go with it (MySQL refuses to drop an index a
    # foreign key still needs).
    for table in ("order_lines", "orders", "customer_mobiles", "customers", "rejects", "batches"):
        if has_table(table):
            op.drop_table(table)
