"""MariaDB Spider: the fact tables really are sharded over the data nodes, and an ingest
stays all or nothing when a node dies in the middle of it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from akasa.backends.sql.dialects import MariaDBSpider, MySQL
from akasa.backends.sql.engine import open_database
from akasa.backends.sql.spider import spider_definition
from akasa.core.config import load_settings
from akasa.core.errors import ConfigError
from akasa.generate import generate
from akasa.pipeline.migrate import migrate
from tests.builders import load
from tests.db import TestDatabase
from tests.spider_cluster import FACT_TABLES, SPIDER_MARKS, Cluster

NODE_TABLE = """CREATE TABLE `orders` (
  `order_id` varchar(100) NOT NULL,
  `mobile_number` varchar(10) NOT NULL,
  PRIMARY KEY (`order_id`),
  KEY `ix_orders_ordered_at` (`mobile_number`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin COMMENT='One row per order.'"""


def test_the_head_table_is_partitioned_by_the_shard_column_over_every_node() -> None:
    head = spider_definition(NODE_TABLE, "akasa", ["node1", "node2"], "mobile_number")
    # A partitioned table's primary key must hold the partitioning column.
    assert "PRIMARY KEY (`order_id`,`mobile_number`)" in head
    assert head.endswith(
        "ENGINE=SPIDER DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin COMMENT='' "
        "REMOTE_DATABASE='akasa' REMOTE_TABLE='orders' PARTITION BY KEY (`mobile_number`) "
        "(PARTITION p0 REMOTE_SERVER=node1, PARTITION p1 REMOTE_SERVER=node2)"
    )
    lines = spider_definition(NODE_TABLE, "akasa", ["a", "b", "c"], "order_id")
    assert "PRIMARY KEY (`order_id`)" in lines and "PARTITION p2 REMOTE_SERVER=c" in lines


def test_spider_nodes_pick_the_spider_dialect_for_a_mariadb_url(tmp_path: Path) -> None:
    url = "mysql+mysqldb://root@127.0.0.1:3306/akasa"
    plain = open_database(load_settings(data_dir=tmp_path, database_url=url))
    assert type(plain.dialect) is MySQL
    spread = open_database(
        load_settings(data_dir=tmp_path, database_url=url, spider_nodes=" node1, node2 ")
    )
    assert isinstance(spread.dialect, MariaDBSpider)
    assert spread.dialect.nodes == ("node1", "node2")


def test_spider_nodes_need_a_mariadb_head(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, spider_nodes="node1")
    with pytest.raises(ConfigError, match="AKASA_SPIDER_NODES needs a MariaDB head server"):
        open_database(settings)


@pytest.mark.parametrize("nodes", ["node1,node1", "node-1", "node1,", "'x'"])
def test_spider_node_names_are_server_names(tmp_path: Path, nodes: str) -> None:
    with pytest.raises(ConfigError, match="AKASA_SPIDER_NODES"):
        load_settings(data_dir=tmp_path, spider_nodes=nodes)


def _engines(database: TestDatabase) -> dict[str, str]:
    engine = create_engine(database.url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT table_name, engine FROM information_schema.tables "
                    "WHERE table_schema = DATABASE()"
                )
            ).all()
    finally:
        engine.dispose()
    return {str(name): str(kind) for name, kind in rows}


@pytest.mark.parametrize("kind", [pytest.param("spider", marks=SPIDER_MARKS)])
def test_rows_are_spread_over_the_nodes(
    kind: str, spider: Cluster, spider_database: TestDatabase, tmp_path: Path
) -> None:
    settings = spider_database.settings()
    migrate(settings)
    migrate(settings)  # a second upgrade leaves the Spider tables alone
    engines = _engines(spider_database)
    assert {name: engines[name] for name in FACT_TABLES} == dict.fromkeys(FACT_TABLES, "SPIDER")
    assert engines["batches"] == engines["rejects"] == "InnoDB"  # the ledger stays on the head
    files = generate(tmp_path / "in", customers=150, order_lines=1500, days=2, seed=5).files
    load(settings, files[0::2], files[1::2], mode="table")
    head = spider_database.snapshot()
    nodes = spider.node_rows(spider_database.url.database or "")
    for name in FACT_TABLES:
        parts = [set(nodes[node][name]) for node in nodes]
        assert all(parts), f"{name}: a node holds none of it"
        assert not set.intersection(*parts), f"{name}: a row on two nodes"
        assert set.union(*parts) == set(head[name]), name
    for node in nodes:
        assert "batches" not in nodes[node] and "rejects" not in nodes[node]
    # The shard keys: a number's orders sit on the node that holds the number's owner row,
    # and the lines of an order all sit on one node.
    owner_node = {row[0]: node for node in nodes for row in nodes[node]["customer_mobiles"]}
    matched = 0
    for node, tables in nodes.items():
        for order in tables["orders"]:
            assert owner_node.get(order[1], node) == node, order
            matched += order[1] in owner_node
    assert matched > 0
    line_node = {}
    for node, tables in nodes.items():
        for line in tables["order_lines"]:
            assert line_node.setdefault(line[0], node) == node, line


INGEST = [sys.executable, "-m", "akasa", "ingest", "-m", "table", "-q"]


def _ingest(data_dir: Path, folder: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*INGEST, "-c", str(folder), "-o", str(folder)],
        env={**os.environ, "AKASA_DATA_DIR": str(data_dir)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _state(spider: Cluster, database: TestDatabase) -> dict[str, Any]:
    """Every row on the head (through Spider) and on each node, without the ledger's wall
    clock times and surrogate reject ids."""
    head = database.snapshot()
    head["batches"] = [row[:10] for row in head["batches"]]
    head["rejects"] = [row[1:] for row in head["rejects"]]
    return {"head": head, "nodes": spider.node_rows(database.url.database or "")}


@pytest.mark.parametrize("kind", [pytest.param("spider", marks=SPIDER_MARKS)])
def test_a_data_node_killed_mid_ingest_leaves_every_shard_as_before(
    kind: str, spider: Cluster, spider_database: TestDatabase, tmp_path: Path
) -> None:
    from tests.hostile.test_faults import wait_for_log

    settings = spider_database.settings()
    migrate(settings)
    later = tmp_path / "later"
    files = generate(tmp_path / "in", customers=400, order_lines=9000, days=4, seed=9).files
    later.mkdir()
    for path in files[2:]:
        path.rename(later / path.name)
    load(settings, [files[0]], [files[1]], mode="table")  # day 1
    before = _state(spider, spider_database)

    victim = _ingest(tmp_path / "d", later)
    wait_for_log(tmp_path / "d", victim, "batch 3 loaded")  # the first of six more
    spider.script("kill", "node1")  # SIGKILL
    try:
        out, err = victim.communicate(timeout=120)
    finally:
        spider.script("restart", "node1")
    assert victim.returncode == 1, out + err
    lines = err.strip().splitlines()
    # Spider's words depend on where the node was lost ("Remote MariaDB server has gone
    # away", "Got an error reading communication packets", ...).
    head = spider_database.url.render_as_string(hide_password=True)
    assert len(lines) == 1 and lines[0].startswith(f"Error: database error on {head}"), err
    assert _state(spider, spider_database) == before

    again = load(settings, [later], [later], mode="table")
    assert [f.status for f in again.stores[0].files] == ["ingested"] * 6
    after = _state(spider, spider_database)
    assert len(after["head"]["batches"]) == len(files)
    assert len(after["head"]["orders"]) > len(before["head"]["orders"])
