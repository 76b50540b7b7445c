"""`akasa sql`: one read-only query over a mode's current tables."""

from __future__ import annotations

from akasa.backends.base import DEFAULT_LIMITS, Mode, QueryLimits, QueryResult
from akasa.backends.open import open_backend
from akasa.core.config import Settings


def query(
    settings: Settings,
    mode: Mode,
    sql: str,
    limit: int = 1000,
    limits: QueryLimits = DEFAULT_LIMITS,
) -> QueryResult:
    return open_backend(settings, mode).query(sql, limit, limits)
