"""`akasa migrate`: the configured database to the newest schema."""

from __future__ import annotations

from akasa.backends.sql.engine import open_database
from akasa.backends.sql.migrate import MigrateResult, upgrade
from akasa.core.config import Settings


def migrate(settings: Settings, revision: str = "head") -> MigrateResult:
    return upgrade(open_database(settings), revision)
