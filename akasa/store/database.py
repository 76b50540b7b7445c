"""Connecting to the table-mode database, and turning driver errors into one safe line.

Shared by the loader, the table KPIs, `akasa migrate` and Alembic's env.py, so that every
way in uses the same URL, session settings and error handling.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from akasa.config import Settings
from akasa.errors import ConfigError, DatabaseError
from akasa.privacy import redact

# Strict mode on MySQL/MariaDB: a bad value fails its statement (and so the whole load)
# instead of being stored as a silently adjusted value with a warning.
MYSQL_SESSION = "SET SESSION sql_mode = 'TRADITIONAL'"
# Rows per multi-row INSERT that SQLAlchemy writes for PostgreSQL and SQLite (it makes a page
# smaller when the database's limit on bound parameters requires).
INSERT_PAGE_ROWS = 2_000
DRIVER_EXTRAS = {"mysql": "mysql", "mariadb": "mysql", "postgresql": "postgres"}


def database_url(settings: Settings) -> URL:
    """The configured URL, with the session options akasa relies on."""
    url = settings.sqlalchemy_url()
    if url.get_backend_name() in ("mysql", "mariadb") and "charset" not in url.query:
        url = url.update_query_dict({"charset": "utf8mb4"})
    return url


def display_url(url: URL) -> str:
    """The URL without its password, for messages."""
    return url.render_as_string(hide_password=True)


def make_engine(settings: Settings, *, local_infile: bool = False) -> Engine:
    """An engine for the configured database. The default SQLite file lives in the data dir,
    which is created first.

    No pool: every command is a short process, and a connection must not outlive its work
    (a test can then drop its database at once). `hide_parameters` keeps row values, which
    may hold personal data, out of error messages.

    `local_infile` allows `LOAD DATA LOCAL INFILE` on MySQL/MariaDB connections. It lets the
    server ask the client for any file the client can read, so only the loader asks for it;
    every other connection turns it off (libmariadb would allow it by default).
    """
    url = database_url(settings)
    backend = url.get_backend_name()
    connect_args: dict[str, Any] = {}
    if backend == "sqlite" and url.database not in (None, "", ":memory:"):
        data_dir = settings.data_dir.resolve()
        if Path(url.database).parent == data_dir:  # type: ignore[arg-type]
            data_dir.mkdir(parents=True, exist_ok=True)
    if backend in ("mysql", "mariadb") and url.get_driver_name() in ("mysqldb", "pymysql"):
        connect_args["init_command"] = MYSQL_SESSION
        connect_args["local_infile"] = 1 if local_infile else 0
    try:
        engine = create_engine(
            url,
            poolclass=NullPool,
            hide_parameters=True,
            connect_args=connect_args,
            insertmanyvalues_page_size=INSERT_PAGE_ROWS,
        )
    except ImportError:
        extra = DRIVER_EXTRAS.get(backend, backend)
        raise ConfigError(
            f"the database driver for {url.drivername} is not installed "
            f"(pip install 'akasa[{extra}]')"
        ) from None
    except ArgumentError as exc:
        raise ConfigError(f"unusable database URL {display_url(url)}: {exc}") from None
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    if backend in ("postgresql", "sqlite"):
        # An executemany INSERT goes as multi-row VALUES pages, not one statement per row
        # (mysqlclient already does this for MySQL).
        engine.dialect.use_insertmanyvalues_wo_returning = True
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite checks foreign keys only when asked, per connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def error_line(exc: BaseException, settings: Settings) -> str:
    """One line about a driver error: its first line, redacted (no password, no mobile)."""
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()
    return redact(text[0] if text else type(original).__name__, settings.secrets())


@contextmanager
def database_errors(settings: Settings, url: URL | None = None) -> Iterator[None]:
    """Re-raises any SQLAlchemy or driver error as a one-line `DatabaseError`."""
    try:
        yield
    except SQLAlchemyError as exc:
        where = display_url(url or database_url(settings))
        message = (
            f"database error on {redact(where, settings.secrets())}: {error_line(exc, settings)}"
        )
        raise DatabaseError(message) from None
