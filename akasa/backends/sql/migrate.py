"""Schema versions: `akasa migrate`, and the check every table-mode command makes first.

The schema changes only through the Alembic scripts in `alembic/` at the project root
(installed with the package as `akasa/migrations`); nothing ever calls `create_all`. A
database that is not at the newest revision is refused with the message that says to run
`akasa migrate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection

import akasa
from akasa.backends.sql.engine import Database
from akasa.core.errors import DatabaseError, SchemaOutdatedError
from alembic import command


def _scripts_folder() -> Path:
    """The Alembic scripts: inside an installed package, else the checkout's alembic/."""
    package = Path(akasa.__file__).resolve().parent
    installed = package / "migrations"
    return installed if installed.is_dir() else package.parent / "alembic"


SCRIPTS = _scripts_folder()


@dataclass(frozen=True)
class MigrateResult:
    database: str  # URL without password
    before: str | None
    after: str | None

    @property
    def changed(self) -> bool:
        return self.before != self.after


def alembic_config(database: Database, connection: Connection | None = None) -> Config:
    """An in-process Alembic config: the packaged scripts, our database, our connection."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS).replace("%", "%%"))
    config.attributes["database"] = database
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


def _migrate(database: Database, revision: str, up: bool) -> MigrateResult:
    try:
        with database.errors(), database.engine().begin() as connection:
            before = current(connection)
            config = alembic_config(database, connection)
            if up:
                command.upgrade(config, revision)
            else:
                command.downgrade(config, revision)
            after = current(connection)
    except CommandError as exc:  # e.g. a revision this akasa does not know
        raise DatabaseError(f"migration refused: {exc}") from None
    return MigrateResult(database.display, before, after)


def upgrade(database: Database, revision: str = "head") -> MigrateResult:
    """`akasa migrate`: the database to `revision` (default the newest)."""
    return _migrate(database, revision, up=True)


def downgrade(database: Database, revision: str) -> MigrateResult:
    return _migrate(database, revision, up=False)
