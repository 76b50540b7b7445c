"""The one place a `Mode` becomes a backend."""

from __future__ import annotations

from akasa.backends.base import Backend, Mode
from akasa.core.config import Settings


def open_backend(settings: Settings, mode: Mode) -> Backend:
    """The backend of `mode`. Table mode checks that the schema is up to date first."""
    mode = Mode(mode)
    if mode is Mode.memory:
        from akasa.backends.lake.backend import LakeBackend

        return LakeBackend(settings.store_dir)
    if mode is Mode.table:
        from akasa.backends.sql.backend import SqlBackend
        from akasa.backends.sql.engine import open_database

        return SqlBackend.open(open_database(settings))
    raise ValueError(f"unknown mode {mode!r}")
