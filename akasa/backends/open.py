"""The one place a `Mode` becomes a backend."""

from __future__ import annotations

from akasa.backends.base import Backend, Mode
from akasa.core.config import Settings


def open_backend(settings: Settings, mode: Mode, *, check: bool = True) -> Backend:
    """The backend of `mode`. Table mode checks that the schema is up to date first, unless
    `check` is false (`akasa status` reports the schema instead of refusing it)."""
    mode = Mode(mode)
    if mode is Mode.memory:
        from akasa.backends.lake.backend import LakeBackend

        return LakeBackend(settings.store_dir, settings.timezone)
    if mode is Mode.table:
        from akasa.backends.sql.backend import SqlBackend
        from akasa.backends.sql.engine import open_database

        database = open_database(settings)
        return SqlBackend.open(database) if check else SqlBackend(database)
    raise ValueError(f"unknown mode {mode!r}")
