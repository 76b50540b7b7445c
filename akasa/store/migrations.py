"""Schema versions: `akasa migrate`, and the check every table-mode command makes first.

The schema changes only through the Alembic scripts in `akasa/migrations`; nothing ever
calls `create_all`. A database that is not at the newest revision is refused with the
message that says to run `akasa migrate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection

from akasa.config import Settings
from akasa.errors import DatabaseError, SchemaOutdatedError
from akasa.store.database import database_errors, database_url, display_url, make_engine

SCRIPTS = Path(__file__).resolve().parent.parent / "migrations"


@dataclass(frozen=True)
class MigrateResult:
    database: str  # URL without password
    before: str | None
    after: str | None

    @property
    def changed(self) -> bool:
        return self.before != self.after


def alembic_config(settings: Settings, connection: Connection | None = None) -> Config:
    """An in-process Alembic config: the packaged scripts, our settings, our connection."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS).replace("%", "%%"))
    config.attributes["settings"] = settings
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS).replace("%", "%%"))
    return ScriptDirectory.from_config(config)


def head() -> str:
    revision = scripts().get_current_head()
    assert revision is not None, "no migration scripts found"
    return revision


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def ensure_at_head(connection: Connection) -> None:
    """Refuses a database whose schema is empty, older or unknown to this akasa."""
    revision = current(connection)
    if revision == head():
        return
    known = {script.revision for script in scripts().walk_revisions()}
    if revision is not None and revision not in known:
        raise DatabaseError(
            f"database schema revision {revision} is unknown to this version of akasa "
            f"(newer than {head()}?); upgrade akasa"
        )
    raise SchemaOutdatedError()


def _migrate(settings: Settings, revision: str, up: bool) -> MigrateResult:
    url = database_url(settings)
    engine = make_engine(settings)
    try:
        with database_errors(settings, url), engine.begin() as connection:
            before = current(connection)
            config = alembic_config(settings, connection)
            if up:
                command.upgrade(config, revision)
            else:
                command.downgrade(config, revision)
            after = current(connection)
    except CommandError as exc:  # e.g. a revision this akasa does not know
        raise DatabaseError(f"migration refused: {exc}") from None
    return MigrateResult(display_url(url), before, after)


def upgrade(settings: Settings, revision: str = "head") -> MigrateResult:
    """`akasa migrate`: the configured database to `revision` (default the newest)."""
    return _migrate(settings, revision, up=True)


def downgrade(settings: Settings, revision: str) -> MigrateResult:
    return _migrate(settings, revision, up=False)
