"""Picks the store for a mode."""

from __future__ import annotations

from akasa.config import Settings
from akasa.store.base import Store


def open_store(settings: Settings, mode: str) -> Store:
    if mode == "memory":
        from akasa.store.lake import Lake

        return Lake(settings.store_dir)
    from akasa.store.loader import open_database_store

    return open_database_store(settings)
