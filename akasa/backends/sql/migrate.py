"""Schema versions: `akasa migrate`, and the check every table-mode command makes first.

The schema changes only through the Alembic scripts in `alembic/` at the project root
(installed with the package as `akasa/migrations`); nothing ever calls `create_all`. A
database that is not at the newest revision is refused with the message that says to run
`akasa migrate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import column, inspect, select, table
from sqlalchemy.engine import Connection

import akasa
from akasa.backends.sql.engine import Database
from akasa.core.errors import DatabaseError, SchemaOutdatedError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

# The newest revision. Every table-mode command compares the database with it first, so it
# is written here instead of read from the scripts, which would import Alembic (about 0.1 s
# of every command's start); a test keeps it equal to the scripts' head.
HEAD = "0006"
# Where Alembic records a database's revision (its default name, which env.py keeps).
VERSIONS = table("alembic_version", column("version_num"))


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
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPTS).replace("%", "%%"))
    config.attributes["database"] = database
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def scripts() -> ScriptDirectory:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(SCRIPTS).replace("%", "%%"))
    return ScriptDirectory.from_config(config)


def head() -> str:
    return HEAD


def current(connection: Connection) -> str | None:
    """The database's revision as Alembic recorded it; None before the first migration."""
    if not inspect(connection).has_table(VERSIONS.name):
        return None
    found = [str(v) for v in connection.execute(select(VERSIONS.c.version_num)).scalars()]
    if len(found) > 1:  # one line of history: Alembic records one head
        raise DatabaseError(f"database schema has several revisions ({', '.join(found)})")
    return found[0] if found else None


def ensure_at_head(connection: Connection) -> None:
    """Refuses a database whose schema is empty, older or unknown to this akasa."""
    revision = current(connection)
    if revision == HEAD:
        return
    known = {script.revision for script in scripts().walk_revisions()}
    if revision is not None and revision not in known:
        raise DatabaseError(
            f"database schema revision {revision} is unknown to this version of akasa "
            f"(newer than {head()}?); upgrade akasa"
        )
    raise SchemaOutdatedError()


def _migrate(database: Database, revision: str, up: bool) -> MigrateResult:
    from alembic.util import CommandError

    from alembic import command

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
