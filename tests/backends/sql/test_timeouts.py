"""A silent server or a lock another session holds ends in one clear error after
AKASA_DB_TIMEOUT seconds, instead of a wait of minutes."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from akasa.backends.base import Mode
from akasa.backends.open import open_backend
from akasa.core.config import load_settings
from akasa.core.errors import DatabaseError
from tests.builders import customers_csv, load
from tests.db import TestDatabase

TIMEOUT = 2


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP listener on 127.0.0.1 that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        listener.close()


@pytest.mark.parametrize(
    "url",
    [
        "mysql+mysqldb://akasa@127.0.0.1:{port}/akasa",
        "postgresql+psycopg://akasa@127.0.0.1:{port}/akasa",
    ],
    ids=["mariadb", "postgresql"],
)
def test_a_server_that_never_answers(
    silent_server: int, url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AKASA_DATABASE_URL", url.format(port=silent_server))
    monkeypatch.setenv("AKASA_DB_TIMEOUT", str(TIMEOUT))
    settings = load_settings(data_dir=tmp_path / "data")
    started = time.monotonic()
    with pytest.raises(
        DatabaseError, match=rf"did not answer within {TIMEOUT} s \(AKASA_DB_TIMEOUT\)"
    ):
        open_backend(settings, Mode.table)
    assert time.monotonic() - started < 4 * TIMEOUT + 5


LOCKS = {
    "mariadb": "LOCK TABLES customers READ",
    "postgresql": "LOCK TABLE customers IN ACCESS EXCLUSIVE MODE",
    "sqlite": "BEGIN EXCLUSIVE",
}


@pytest.mark.db
def test_a_lock_another_session_holds(
    migrated: TestDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AKASA_DB_TIMEOUT", str(TIMEOUT))
    settings = migrated.settings()
    before = migrated.snapshot()
    engine = migrated.engine()
    holder = engine.connect()
    try:
        if migrated.kind == "postgresql":
            holder.begin()
        holder.exec_driver_sql(LOCKS[migrated.kind])
        customers = customers_csv(tmp_path / "c.csv", [("C1", "A", "9000000001", "N")])
        started = time.monotonic()
        with pytest.raises(DatabaseError, match=rf"waited {TIMEOUT} s for a lock"):
            load(settings, [customers], mode="table")
        assert time.monotonic() - started < 4 * TIMEOUT + 5
    finally:
        if migrated.kind == "mariadb":
            holder.exec_driver_sql("UNLOCK TABLES")
        holder.rollback()
        holder.close()
        engine.dispose()
    assert migrated.snapshot() == before
    load(settings, [customers], mode="table")  # free again: it lands
    assert migrated.counts()["customers"] == 1
