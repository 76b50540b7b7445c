"""Connecting to the table-mode database, and turning driver errors into one safe line.

`open_database` is where the settings stop: it reads the URL, the secrets to redact and the
data directory once, and everything below it (the store, the KPIs, `akasa migrate`,
Alembic's env.py) works with the `Database` it returns, so every way in uses the same URL,
session settings and error handling.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from akasa.backends.sql.dialects import (
    OPTION,
    SUPPORTED,
    MariaDBSpider,
    MySQL,
    SqlDialect,
    UnsupportedDatabase,
    dialect_named,
)
from akasa.core.config import DEFAULT_TIMEZONE, Settings
from akasa.core.errors import ConfigError, DatabaseError, DiskFullError
from akasa.core.files import is_disk_full
from akasa.core.privacy import redact

# Rows per multi-row INSERT that SQLAlchemy writes for PostgreSQL and SQLite (it makes a page
# smaller when the database's limit on bound parameters requires).
INSERT_PAGE_ROWS = 2_000


def display_url(url: URL) -> str:
    """The URL without its password, for messages."""
    return url.render_as_string(hide_password=True)


@dataclass
class Database:
    """The configured database: its URL, its dialect class, and what errors must hide.

    Engines use no pool: every command is a short process, and a connection must not
    outlive its work (a test can then drop its database at once). `hide_parameters` keeps
    row values, which may hold personal data, out of error messages.
    """

    url: URL
    secrets: list[str]
    temp_dir: Path  # private files of a load (LOAD DATA LOCAL reads them)
    dialect: SqlDialect
    # Whether the loader may ask for LOAD DATA LOCAL (MySQL); the server must allow it too.
    local_infile: bool = True
    # Seconds to wait for a connection or for a lock another session holds.
    timeout: int = 30
    # The business zone (AKASA_TIMEZONE): the load keeps the KPI rollup's days in it.
    timezone: str = DEFAULT_TIMEZONE
    _engines: dict[bool, Engine] = field(default_factory=dict, repr=False)

    @property
    def display(self) -> str:
        return redact(display_url(self.url), self.secrets)

    def engine(self, *, local_infile: bool = False) -> Engine:
        """An engine; `local_infile` only for the loader (`MySQL.connect_args`)."""
        if local_infile not in self._engines:
            self._engines[local_infile] = self._create(local_infile)
        return self._engines[local_infile]

    def _create(self, local_infile: bool) -> Engine:
        try:
            engine = create_engine(
                self.url,
                poolclass=NullPool,
                hide_parameters=True,
                connect_args=self.dialect.connect_args(
                    self.url, local_infile=local_infile, timeout=self.timeout
                ),
                insertmanyvalues_page_size=INSERT_PAGE_ROWS,
            )
        except ImportError as exc:
            command = self.dialect.install_command(self.url.get_driver_name(), exc.name)
            raise ConfigError(
                f"the database driver for {self.url.drivername} is not installed ({command})"
            ) from None
        except ArgumentError as exc:
            raise ConfigError(f"unusable database URL {self.display}: {exc}") from None
        self.dialect.prepare_engine(engine)
        # Every connection knows its dialect class, also one the URL does not name.
        engine.update_execution_options(**{OPTION: self.dialect})
        return engine

    def error_line(self, exc: BaseException) -> str:
        """One line about a driver error: its first line, redacted (no password, no mobile)."""
        original = getattr(exc, "orig", None) or exc
        text = str(original).strip().splitlines()
        return redact(text[0] if text else type(original).__name__, self.secrets)

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Re-raises any SQLAlchemy or driver error as a one-line `DatabaseError`."""
        try:
            yield
        except SQLAlchemyError as exc:
            if is_disk_full(exc):
                local = self.dialect.local_file and self.url.database
                raise DiskFullError(self.url.database if local else self.display) from None
            missing = self.dialect.missing_privilege(exc)
            if missing:
                raise DatabaseError(
                    f"database {self.display}: user {self.url.username} lacks the privilege "
                    f"{missing}; grant it, or use the user that ran akasa migrate"
                ) from None
            waited = self.dialect.timed_out(exc)
            if waited == "connect":
                message = (
                    f"database {self.display} did not answer within {self.timeout} s "
                    f"(AKASA_DB_TIMEOUT); is the server up and the address right?"
                )
            elif waited == "lock":
                message = (
                    f"database {self.display}: waited {self.timeout} s for a lock another "
                    f"session holds (AKASA_DB_TIMEOUT); try again when it ends"
                )
            else:
                message = f"database error on {self.display}: {self.error_line(exc)}"
            raise DatabaseError(message) from None


def open_database(settings: Settings) -> Database:
    """The configured database. No connection is made yet."""
    configured = settings.sqlalchemy_url()
    try:
        dialect = dialect_named(configured.get_backend_name())
    except UnsupportedDatabase as exc:
        raise ConfigError(
            f"AKASA_DATABASE_URL: akasa does not support {exc} databases; "
            f"use one of {', '.join(f'{name}://' for name in SUPPORTED)}"
        ) from None
    nodes = settings.spider_node_names()
    if nodes:
        if not isinstance(dialect, MySQL):
            raise ConfigError(
                "AKASA_SPIDER_NODES needs a MariaDB head server in AKASA_DATABASE_URL "
                f"(mysql:// or mariadb://), not {configured.get_backend_name()}"
            )
        dialect = MariaDBSpider(nodes)
    url = dialect.complete_url(configured)
    dialect.prepare_location(url, settings.data_dir)
    return Database(
        url,
        settings.secrets(),
        settings.data_dir / "tmp",
        dialect,
        timeout=settings.db_timeout,
        timezone=settings.timezone,
    )
