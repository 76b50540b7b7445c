"""Real test databases for table mode: SQLite, MariaDB and PostgreSQL.

Each test gets its own freshly created database (`akasa_test_<hex>`), dropped afterwards,
and `AKASA_DATABASE_URL` pointing at it. A server that cannot be reached skips its tests
on a developer machine, and fails them under `CI=true`: CI must never pass by skipping.

Server URLs (admin access, no database) can be overridden with AKASA_TEST_MARIADB_URL and
AKASA_TEST_POSTGRESQL_URL; they are read at import, before the autouse fixture clears
AKASA_* variables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, inspect, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from akasa.backends.sql import schema
from akasa.core.config import Settings, load_settings

SERVERS = {
    "mariadb": os.environ.get(
        "AKASA_TEST_MARIADB_URL", "mysql+mysqldb://root@127.0.0.1:3306/?charset=utf8mb4"
    ),
    "postgresql": os.environ.get(
        "AKASA_TEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    ),
}
ALL = ["sqlite", "mariadb", "postgresql"]
SERVER_KINDS = ["mariadb", "postgresql"]


@dataclass
class TestDatabase:
    kind: str
    url: URL
    data_dir: Path
    spider_nodes: str | None = None  # AKASA_SPIDER_NODES of a Spider head

    __test__ = False  # not a test class, despite the name

    @property
    def url_text(self) -> str:
        return self.url.render_as_string(hide_password=False)

    def settings(self, **overrides: object) -> Settings:
        values: dict[str, object] = {"data_dir": self.data_dir, "database_url": self.url_text}
        if self.spider_nodes is not None:
            values["spider_nodes"] = self.spider_nodes
        return load_settings(**{**values, **overrides})

    def engine(self) -> Engine:
        return create_engine(self.url, poolclass=NullPool)

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every akasa table, in key order: for before/after comparisons."""
        engine = self.engine()
        try:
            with engine.connect() as conn:
                present = set(inspect(conn).get_table_names())
                return {
                    table.name: [
                        tuple(row)
                        for row in conn.execute(
                            select(table).order_by(*table.primary_key.columns)
                        ).all()
                    ]
                    for table in schema.TABLES
                    if table.name in present
                }
        finally:
            engine.dispose()

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.snapshot().items()}


def _unreachable(kind: str, exc: Exception | str) -> None:
    message = f"{kind} server not reachable ({str(exc).splitlines()[0]})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; under CI=true this is a failure, not a skip")
    pytest.skip(message)


def _admin(kind: str) -> Engine:
    options: dict[str, Any] = {}
    if kind == "postgresql":
        options["isolation_level"] = "AUTOCOMMIT"
    return create_engine(SERVERS[kind], poolclass=NullPool, **options)


@dataclass
class _Server:
    kind: str

    def create(self, name: str) -> URL:
        engine = _admin(self.kind)
        try:
            with engine.connect() as conn:
                if self.kind == "mariadb":
                    # The server's default collation (case-insensitive) on purpose: the
                    # tables must bring their own binary collation.
                    conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
                else:
                    conn.execute(text(f"CREATE DATABASE {name}"))
        except OperationalError as exc:
            _unreachable(self.kind, exc)
        finally:
            engine.dispose()
        return make_url(SERVERS[self.kind]).set(database=name)

    def drop(self, name: str) -> None:
        engine = _admin(self.kind)
        try:
            with engine.connect() as conn:
                if self.kind == "mariadb":
                    conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
                else:
                    conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        finally:
            engine.dispose()


def provide(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestDatabase]:
    """A fresh database of `kind`, configured as the table-mode database of the test."""
    data_dir = tmp_path / "data"
    if kind == "sqlite":
        url = make_url(f"sqlite:///{tmp_path / 'akasa-test.db'}")
        server = None
        name = ""
    else:
        server = _Server(kind)
        name = f"akasa_test_{uuid.uuid4().hex[:8]}"
        url = server.create(name)
    monkeypatch.setenv("AKASA_DATABASE_URL", url.render_as_string(hide_password=False))
    try:
        yield TestDatabase(kind, url, data_dir)
    finally:
        if server is not None:
            server.drop(name)
