"""Shared fixtures: an isolated data dir and settings per test, real files only."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from akasa.config import Settings, load_settings

FIXTURES = Path(__file__).parent / "fixtures"
OFFICIAL_CUSTOMERS = FIXTURES / "official" / "task_DE_new_customers.csv"
OFFICIAL_ORDERS = FIXTURES / "official" / "task_DE_new_orders.xml"
SAMPLE_DIR = Path(__file__).parent.parent / "sample"

_ENV_PREFIXES = ("AKASA_", "DB_")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No developer .env or AKASA_* variable leaks into a test; cwd is a fresh folder."""
    for name in list(os.environ):
        if name.startswith(_ENV_PREFIXES):
            monkeypatch.delenv(name)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("AKASA_DATA_DIR", str(tmp_path / "data"))
    yield


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data")
