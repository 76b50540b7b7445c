"""The local MariaDB Spider cluster of `scripts/spider-cluster.sh`, for the tests.

`cluster()` reuses a running cluster (its env file, `$AKASA_SPIDER_DIR/cluster.env`, and at
least one server answering; one that does not is started again) or starts one. Under
`CI=true` a cluster that cannot start fails the tests that need it; elsewhere they are
skipped. Several pytest-xdist workers share the cluster, so a worker never stops it
(`.ci/run` stops it when the run ends; elsewhere `scripts/spider-cluster.sh stop`); a
session without workers (`-n 0`) stops the cluster it started.

`provide` gives each test its own database on the head (and so on each node), dropped
afterwards everywhere, and holds a lock shared by every worker while the test runs: one
Spider test at a time, so a test that kills a data node never breaks another one.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock
from sqlalchemy import Engine, create_engine, inspect, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from akasa.backends.sql import schema
from tests.db import TestDatabase, _unreachable

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "spider-cluster.sh"
# Read at import, before the autouse fixture clears AKASA_* variables.
FOLDER = Path(os.environ.get("AKASA_SPIDER_DIR") or Path(tempfile.gettempdir()) / "akasa-spider")
NODES = ("node1", "node2")
FACT_TABLES = ("customers", "customer_mobiles", "orders", "order_lines")
SPIDER_MARKS = [pytest.mark.spider, pytest.mark.db]


@dataclass(frozen=True)
class Cluster:
    folder: Path
    head: URL  # no database
    nodes: dict[str, URL]

    def script(self, *args: str) -> None:
        """`scripts/spider-cluster.sh ARGS` on this cluster (e.g. `kill node1`)."""
        _script(self.folder, *args)

    def node_engine(self, node: str, database: str) -> Engine:
        return create_engine(self.nodes[node].set(database=database), poolclass=NullPool)

    def node_rows(self, database: str) -> dict[str, dict[str, list[tuple[Any, ...]]]]:
        """Every row of every fact table on each node, in key order."""
        found: dict[str, dict[str, list[tuple[Any, ...]]]] = {}
        for node in self.nodes:
            engine = self.node_engine(node, database)
            try:
                with engine.connect() as conn:
                    present = set(inspect(conn).get_table_names())
                    found[node] = {
                        table.name: [
                            tuple(row)
                            for row in conn.execute(
                                select(table).order_by(*table.primary_key.columns)
                            )
                        ]
                        for table in schema.TABLES
                        if table.name in present
                    }
            finally:
                engine.dispose()
        return found


def _script(folder: Path, *args: str) -> None:
    done = subprocess.run(
        ["bash", str(SCRIPT), *args],
        env={**os.environ, "AKASA_SPIDER_DIR": str(folder)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError((done.stderr or done.stdout).strip() or f"exit {done.returncode}")


def _read_env(folder: Path) -> Cluster:
    values = dict(
        line.split("=", 1)
        for line in (folder / "cluster.env").read_text("utf-8").splitlines()
        if "=" in line
    )
    return Cluster(
        folder,
        make_url(values["AKASA_SPIDER_HEAD_URL"]),
        {node: make_url(values[f"AKASA_SPIDER_{node.upper()}_URL"]) for node in NODES},
    )


def _status(folder: Path) -> str:
    """`all` servers answer, `some`, or `none`."""
    if not (folder / "cluster.env").is_file():
        return "none"
    done = subprocess.run(
        ["bash", str(SCRIPT), "status"],
        env={**os.environ, "AKASA_SPIDER_DIR": str(folder)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    up = done.stdout.count(": up on ")
    return "all" if done.returncode == 0 else "some" if up else "none"


def cluster() -> Iterator[Cluster]:
    """A running cluster: reused when one answers, else started here and stopped after."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    started = False
    with FileLock(str(FOLDER) + ".lock"):
        status = _status(FOLDER)
        if status != "all":
            # Stopped at the end unless someone else's cluster was partly up: that one
            # is brought back up and left running.
            started = status == "none"
            try:
                _script(FOLDER, "start")
            except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
                _unreachable("spider", f"the Spider cluster did not start: {exc}")
    try:
        yield _read_env(FOLDER)
    finally:
        if started and "PYTEST_XDIST_WORKER" not in os.environ:
            _script(FOLDER, "stop")


def _admin(url: URL) -> Engine:
    return create_engine(url, poolclass=NullPool)


def provide(
    spider: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestDatabase]:
    """A fresh database on the head, configured (with AKASA_SPIDER_NODES) as the table-mode
    database of the test; dropped on the head and on every node afterwards."""
    with FileLock(str(spider.folder) + ".tests.lock"):
        yield from _provide(spider, tmp_path, monkeypatch)


def _provide(
    spider: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestDatabase]:
    name = f"akasa_test_{uuid.uuid4().hex[:8]}"
    engine = _admin(spider.head)
    try:
        with engine.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
    finally:
        engine.dispose()
    url = spider.head.set(database=name)
    nodes = ",".join(spider.nodes)
    monkeypatch.setenv("AKASA_DATABASE_URL", url.render_as_string(hide_password=False))
    monkeypatch.setenv("AKASA_SPIDER_NODES", nodes)
    try:
        yield TestDatabase("spider", url, tmp_path / "data", spider_nodes=nodes)
    finally:
        for server in (spider.head, *spider.nodes.values()):
            engine = _admin(server)
            try:
                with engine.connect() as conn:
                    conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            finally:
                engine.dispose()
