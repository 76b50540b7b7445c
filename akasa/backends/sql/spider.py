"""MariaDB Spider: moving the fact tables of a migrated head server onto its data nodes.

Alembic creates every table on the head as usual (one migration definition for every
database). `distribute` then turns each fact table into a Spider table: the same columns
and indexes on the head, `ENGINE=SPIDER`, partitioned `BY KEY(<shard column>)` with one
partition per data node (`REMOTE_SERVER`), and the real InnoDB table, with the same
definition, created on every node through `spider_direct_sql` (the head's own connection
to its `CREATE SERVER`s, so akasa needs no address of the nodes). Rows already on the head
move to the nodes. Tables already on Spider are left alone, so it runs after every upgrade.

What changes on the way (see docs/scaling.md):
- Foreign keys between the fact tables go: neither Spider nor a partitioned table can
  keep them (cleaning guarantees them, as on the nodes).
- MariaDB requires every unique key of a partitioned table to hold the partitioning
  columns, so where the primary key lacks the shard column (`orders`: key `order_id`,
  sharded by `mobile_number`) the head's key becomes `(order_id, mobile_number)`; each
  node keeps the real key.
- The head's table comment is Spider's connection string, so the descriptive comment
  stays on the nodes only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from sqlalchemy import Connection

LOCAL_SUFFIX = "__akasa_local"  # the head's InnoDB table while its rows move to the nodes


def distribute(conn: Connection, nodes: Sequence[str], shard_keys: Mapping[str, str]) -> None:
    """Turns the head's InnoDB fact tables (`shard_keys`: table -> shard column) into
    Spider tables over `nodes`."""
    database = str(conn.exec_driver_sql("SELECT DATABASE()").scalar())
    engines: dict[str, str] = {
        str(name): str(engine)
        for name, engine in conn.exec_driver_sql(
            "SELECT table_name, engine FROM information_schema.tables "
            "WHERE table_schema = DATABASE()"
        ).all()
    }
    todo = [name for name in shard_keys if engines.get(name, "").lower() == "innodb"]
    if not todo:
        return
    for node in nodes:
        direct_sql(
            conn,
            node,
            "mysql",
            f"CREATE DATABASE IF NOT EXISTS {_quote(database)} CHARACTER SET utf8mb4",
        )
    _drop_foreign_keys(conn, todo)
    for name in todo:
        definition = str(conn.exec_driver_sql(f"SHOW CREATE TABLE {_quote(name)}").one()[1])
        for node in nodes:
            direct_sql(conn, node, database, f"DROP TABLE IF EXISTS {_quote(name)}")
            direct_sql(conn, node, database, definition)
        local = name + LOCAL_SUFFIX
        conn.exec_driver_sql(f"RENAME TABLE {_quote(name)} TO {_quote(local)}")
        conn.exec_driver_sql(spider_definition(definition, database, nodes, shard_keys[name]))
        conn.exec_driver_sql(f"INSERT INTO {_quote(name)} SELECT * FROM {_quote(local)}")
        conn.exec_driver_sql(f"DROP TABLE {_quote(local)}")


def spider_definition(innodb: str, database: str, nodes: Sequence[str], shard: str) -> str:
    """The head's Spider table for a node table's `SHOW CREATE TABLE` text."""
    body, _, _options = innodb.rpartition(") ENGINE=")
    primary = re.search(r"PRIMARY KEY \(([^)]*)\)", body)
    if primary is not None and _quote(shard) not in primary.group(1).split(","):
        body = body.replace(primary.group(0), f"PRIMARY KEY ({primary.group(1)},{_quote(shard)})")
    partitions = ", ".join(f"PARTITION p{i} REMOTE_SERVER={node}" for i, node in enumerate(nodes))
    return (
        f"{body}) ENGINE=SPIDER DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin COMMENT='' "
        f"REMOTE_DATABASE='{database}' REMOTE_TABLE='{_table_name(innodb)}' "
        f"PARTITION BY KEY ({_quote(shard)}) ({partitions})"
    )


def direct_sql(conn: Connection, node: str, database: str, statement: str) -> None:
    """Runs `statement` on a data node, in `database`, over the head's connection to it."""
    options = f'srv "{node}", database "{database}"'
    conn.exec_driver_sql("SELECT spider_direct_sql(%s, '', %s)", (statement, options))


def _drop_foreign_keys(conn: Connection, tables: Sequence[str]) -> None:
    """Foreign keys from or to the tables about to move (Spider tables have none)."""
    placeholders = ", ".join(["%s"] * len(tables))
    keys = conn.exec_driver_sql(
        "SELECT table_name, constraint_name FROM information_schema.referential_constraints "
        f"WHERE constraint_schema = DATABASE() AND (table_name IN ({placeholders}) "
        f"OR referenced_table_name IN ({placeholders}))",
        (*tables, *tables),
    ).all()
    for table, key in keys:
        conn.exec_driver_sql(f"ALTER TABLE {_quote(table)} DROP FOREIGN KEY {_quote(key)}")


def _table_name(definition: str) -> str:
    match = re.match(r"CREATE TABLE `([^`]+)`", definition)
    assert match is not None, definition[:60]
    return match.group(1)


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"
