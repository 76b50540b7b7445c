"""Settings from the environment and .env."""

from __future__ import annotations

from pathlib import Path

import pytest

from akasa.core.config import load_settings
from akasa.core.errors import ConfigError


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AKASA_DATA_DIR")
    settings = load_settings()
    assert settings.data_dir == Path("data")
    assert settings.timezone == settings.source_timezone == "Asia/Kolkata"
    assert settings.sqlalchemy_url().drivername == "sqlite"


def test_dotenv_file_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    Path(".env").write_text(
        "AKASA_TIMEZONE=Europe/London\nDB_HOST=db.internal\n"
        "DB_USERNAME=akasa\nDB_PASSWORD=p@ss:word\nDB_DATABASE=kpis\n"
    )
    settings = load_settings()
    assert settings.timezone == "Europe/London"
    url = settings.sqlalchemy_url()
    assert (url.drivername, url.host, url.database, url.password) == (
        "mysql+mysqldb",
        "db.internal",
        "kpis",
        "p@ss:word",
    )
    assert "p@ss:word" not in repr(settings) and "p@ss:word" in settings.secrets()


def test_database_url_wins_and_its_password_is_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AKASA_DATABASE_URL", "postgresql+psycopg://u:topsecret@h/db")
    monkeypatch.setenv("DB_HOST", "ignored")
    settings = load_settings()
    assert settings.sqlalchemy_url().drivername == "postgresql+psycopg"
    assert settings.secrets() == ["topsecret"]


def test_unknown_time_zone_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AKASA_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == (
        "invalid setting AKASA_TIMEZONE: unknown time zone 'Mars/Olympus'"
    )


def test_a_data_dir_that_is_a_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "data"
    path.write_text("")
    with pytest.raises(ConfigError, match=r"is a file, not a folder \(AKASA_DATA_DIR\)"):
        load_settings(data_dir=path)
