"""A database user that may only read: the ingest names the privilege it lacks, in one line,
and nothing lands. Real users, created by the test with SELECT only."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from akasa.cli.options import IngestMode
from akasa.core.errors import DatabaseError
from akasa.pipeline.ingest import ingest
from akasa.pipeline.migrate import migrate
from tests.conftest import OFFICIAL_CUSTOMERS
from tests.db import TestDatabase, _admin

PASSWORD = "Read0nly-pw"


def run(url: URL, statements: list[str], autocommit: bool = False) -> None:
    options = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
    engine = create_engine(url, poolclass=NullPool, **options)  # type: ignore[arg-type]
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture
def reader(server_database: TestDatabase) -> Iterator[tuple[TestDatabase, URL, str]]:
    """`server_database`, migrated, and the URL of a new user who may only SELECT."""
    migrate(server_database.settings())
    name = f"akasa_ro_{uuid.uuid4().hex[:8]}"
    database = server_database.url.database
    admin = _admin(server_database.kind)
    if server_database.kind == "mariadb":
        grants = [f"CREATE USER '{name}'@'%' IDENTIFIED BY '{PASSWORD}'",
                  f"GRANT SELECT ON {database}.* TO '{name}'@'%'"]  # fmt: skip
        with admin.begin() as conn:
            for statement in grants:
                conn.execute(text(statement))
        drop = [f"DROP USER '{name}'@'%'"]
    else:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE USER {name} PASSWORD '{PASSWORD}'"))
        run(server_database.url, [f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {name}"])
        drop = [f"DROP USER {name}"]
    try:
        yield server_database, server_database.url.set(username=name, password=PASSWORD), name
    finally:
        if server_database.kind == "postgresql":
            run(server_database.url, [f"DROP OWNED BY {name}"])
        with admin.begin() as conn:
            for statement in drop:
                conn.execute(text(statement))
        admin.dispose()


def test_a_read_only_user_is_told_which_privilege_is_missing(
    reader: tuple[TestDatabase, URL, str],
) -> None:
    server, url, name = reader
    settings = server.settings(database_url=url.render_as_string(hide_password=False))
    with pytest.raises(DatabaseError) as caught:
        ingest(settings, [OFFICIAL_CUSTOMERS], [], IngestMode.table.modes())
    # MariaDB's bulk load first creates its staging tables; PostgreSQL's are always allowed.
    missing = {
        "mariadb": f"CREATE TEMPORARY TABLES on database {url.database}",
        "postgresql": "INSERT on batches",
    }[server.kind]
    shown = url.render_as_string(hide_password=True)
    assert str(caught.value) == (
        f"database {shown}: user {name} lacks the privilege {missing}; grant it, or use the "
        "user that ran akasa migrate"
    )
    assert PASSWORD not in str(caught.value)
    assert sum(server.counts().values()) == 0


@pytest.mark.db
@pytest.mark.parametrize("server_database", ["mariadb"], indirect=True)
def test_mariadb_names_the_table_privilege_once_temporary_tables_are_allowed(
    reader: tuple[TestDatabase, URL, str],
) -> None:
    server, url, name = reader
    with _admin("mariadb").begin() as conn:
        conn.execute(text(f"GRANT CREATE TEMPORARY TABLES ON {url.database}.* TO '{name}'@'%'"))
    settings = server.settings(database_url=url.render_as_string(hide_password=False))
    with pytest.raises(DatabaseError, match=f"user {name} lacks the privilege INSERT on batches;"):
        ingest(settings, [OFFICIAL_CUSTOMERS], [], IngestMode.table.modes())
    assert sum(server.counts().values()) == 0
