"""Alembic environment: the same settings as the CLI, the schema of `akasa.core.tables`.

Two ways in:
- `alembic upgrade head` from the project root: settings from the environment or `.env`,
  a connection of its own, logging as alembic.ini says;
- `akasa migrate` (`akasa.backends.sql.migrate`): passes its database and an open connection
  in `config.attributes`, so errors are reported the akasa way.
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any

from sqlalchemy.engine import Connection

from akasa.backends.sql.dialects import dialect_of
from akasa.backends.sql.engine import Database, open_database
from akasa.backends.sql.schema import metadata
from akasa.core.config import load_settings
from alembic import context

config = context.config
if config.config_file_name is not None and "connection" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _database() -> Database:
    return config.attributes.get("database") or open_database(load_settings())


def _configure(**options: Any) -> None:
    context.configure(target_metadata=metadata, compare_type=True, **options)


def run_offline() -> None:
    """`alembic upgrade --sql`: the DDL as text, for a DBA to run."""
    _configure(url=_database().url, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
        # Where the database places tables beyond the scripts (MariaDB Spider shards the
        # fact tables over its nodes); the scripts themselves are the same everywhere.
        dialect_of(connection).after_migrations(connection)


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    with _database().engine().begin() as connection:
        _run(connection)


if context.is_offline_mode():
    run_offline()
else:
    run_online()
