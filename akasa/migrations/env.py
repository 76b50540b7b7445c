"""Alembic environment: the same settings as the CLI, the schema of `akasa.store.schema`.

Two ways in:
- `alembic upgrade head` from the project root: settings from the environment or `.env`,
  a connection of its own, logging as alembic.ini says;
- `akasa migrate` (`akasa.store.migrations`): passes its settings and an open connection
  in `config.attributes`, so errors are reported the akasa way.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from akasa.config import Settings, load_settings
from akasa.store.database import database_url, make_engine
from akasa.store.schema import metadata

config = context.config
if config.config_file_name is not None and "connection" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _settings() -> Settings:
    return config.attributes.get("settings") or load_settings()


def _configure(**options: object) -> None:
    context.configure(target_metadata=metadata, compare_type=True, **options)


def run_offline() -> None:
    """`alembic upgrade --sql`: the DDL as text, for a DBA to run."""
    _configure(url=database_url(_settings()), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    with make_engine(_settings()).begin() as connection:
        _run(connection)


if context.is_offline_mode():
    run_offline()
else:
    run_online()
