"""What every Alembic revision creates its tables with: MySQL/MariaDB table options and
the UTC time type, defined once (the models in `akasa.backends.sql.schema` say the same;
the drift test compares the two)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

MYSQL = ("mysql", "mariadb")
# InnoDB (transactions), utf8mb4 with binary collation (byte-wise text, as Polars).
TABLE: dict[str, Any] = {
    f"{prefix}_{name}": value
    for prefix in MYSQL
    for name, value in {"engine": "InnoDB", "charset": "utf8mb4", "collate": "utf8mb4_bin"}.items()
}


def utc_datetime() -> sa.types.TypeEngine[Any]:
    """Naive UTC; microseconds on MySQL need DATETIME(6)."""
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), *MYSQL)
