"""Shared fixtures: an isolated data dir and settings per test, real files only."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from akasa.core.config import Settings, load_settings
from tests import db, spider_cluster

# Property tests run real Polars work: no per-example deadline, so a busy machine cannot
# turn a slow example into a failure.
hypothesis_settings.register_profile("akasa", deadline=None)
hypothesis_settings.load_profile("akasa")

FIXTURES = Path(__file__).parent / "fixtures"
OFFICIAL_CUSTOMERS = FIXTURES / "official" / "task_DE_new_customers.csv"
OFFICIAL_ORDERS = FIXTURES / "official" / "task_DE_new_orders.xml"
# Every command that opens the table-mode database, for tests of what each says about it.
each_table_command = pytest.mark.parametrize(
    "args",
    [
        ("migrate",),
        ("run", "--mode", "table"),
        ("ingest", "-c", str(OFFICIAL_CUSTOMERS), "-m", "table"),
    ],
    ids=["migrate", "run", "ingest"],
)
SAMPLE_DIR = Path(__file__).parent.parent / "data" / "sample"

_ENV_PREFIXES = ("AKASA_", "DB_")


@pytest.fixture(autouse=True)
def isolated_env(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """No developer .env or AKASA_* variable leaks into a test; cwd is a fresh folder; the
    cache (what akasa builds once per library version) is the test session's own."""
    for name in list(os.environ):
        if name.startswith(_ENV_PREFIXES):
            monkeypatch.delenv(name)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("AKASA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AKASA_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    yield


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data")


def _kinds(kinds: list[str]) -> list[object]:
    """Server-backed kinds carry the `db` marker (`-m "not db"` runs without servers)."""
    return [pytest.param(k, id=k, marks=() if k == "sqlite" else pytest.mark.db) for k in kinds]


@pytest.fixture(params=_kinds(db.ALL))
def database(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[db.TestDatabase]:
    """A fresh, empty table-mode database: SQLite, MariaDB and PostgreSQL in turn."""
    yield from db.provide(request.param, tmp_path, monkeypatch)


@pytest.fixture(params=_kinds(db.SERVER_KINDS))
def server_database(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[db.TestDatabase]:
    """Like `database`, servers only (for what SQLite has no notion of, e.g. connections)."""
    yield from db.provide(request.param, tmp_path, monkeypatch)


@pytest.fixture
def mariadb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[db.TestDatabase]:
    """A fresh, empty MariaDB database, for what only MariaDB shows (DDL, query plans)."""
    yield from db.provide("mariadb", tmp_path, monkeypatch)


@pytest.fixture
def migrated(database: db.TestDatabase) -> db.TestDatabase:
    """`database`, upgraded to the newest schema the way `akasa migrate` does it."""
    from akasa.pipeline.migrate import migrate

    migrate(database.settings())
    return database


@pytest.fixture(scope="session")
def spider() -> Iterator[spider_cluster.Cluster]:
    """The local Spider cluster (head + two data nodes), started once if none runs."""
    yield from spider_cluster.cluster()


@pytest.fixture
def spider_database(
    spider: spider_cluster.Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[db.TestDatabase]:
    """A fresh database on the Spider head (its fact tables sharded over the nodes once
    migrated)."""
    yield from spider_cluster.provide(spider, tmp_path, monkeypatch)


@pytest.fixture(
    params=[
        *_kinds(db.ALL),
        pytest.param("spider", id="spider", marks=spider_cluster.SPIDER_MARKS),
    ]
)
def parity_migrated(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[db.TestDatabase]:
    """`migrated`, plus the Spider cluster: the parity suite runs on every target."""
    from akasa.pipeline.migrate import migrate

    if request.param == "spider":
        cluster = request.getfixturevalue("spider")
        provided = spider_cluster.provide(cluster, tmp_path, monkeypatch)
    else:
        provided = db.provide(request.param, tmp_path, monkeypatch)
    for database in provided:
        migrate(database.settings())
        yield database


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Names the report screenshots the browser test kept (phone and laptop size), so a
    person can look at them after any run, including one spread over xdist workers."""
    factory = getattr(terminalreporter.config, "_tmp_path_factory", None)
    if factory is None:
        return
    try:
        base = factory.getbasetemp()
    except OSError:
        return
    shots = sorted(base.glob("report-screenshots/*.png"))
    if shots:
        terminalreporter.write_sep("-", "report screenshots")
        for shot in shots:
            terminalreporter.write_line(str(shot))
