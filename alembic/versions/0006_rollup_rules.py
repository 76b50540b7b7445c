"""The KPI rollups record the time-zone rules they were built under: `order_days_zone`
gains `tzdata`, the version of the pinned tzdata package.

A local day or month is only right under the rules it was computed with; an upgrade that
brings other rules for the business zone must not leave runs reading days cut by the old
ones. The recorded zone is emptied, so runs read the orders until the next ingest rebuilds
both rollups and records zone and rules (as memory mode's rollup records them).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa

from akasa.backends.sql.resumable import has_column
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Resumable: the zone goes first (rollups are never read as built under rules nobody
    recorded)."""
    op.execute(sa.text("DELETE FROM order_days_zone"))
    if not has_column("order_days_zone", "tzdata"):
        op.add_column("order_days_zone", sa.Column("tzdata", sa.String(length=32), nullable=True))


def downgrade() -> None:
    """The rollups stay as they are and still match their recorded zone."""
    if has_column("order_days_zone", "tzdata"):
        op.drop_column("order_days_zone", "tzdata")
