"""Settings from the environment and .env."""

from __future__ import annotations

from pathlib import Path

import pytest

from akasa.core.config import VARIABLES, environment_warnings, load_settings
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
    assert str(caught.value) == ("invalid setting AKASA_TIMEZONE: unknown time zone 'Mars/Olympus'")


def test_a_data_dir_that_is_a_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "data"
    path.write_text("")
    with pytest.raises(ConfigError, match=r"is a file, not a folder \(AKASA_DATA_DIR\)"):
        load_settings(data_dir=path)


# ---- variables akasa would ignore ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("DB_USER", "DB_USERNAME"),
        ("DB_PASS", "DB_PASSWORD"),
        ("DB_NAME", "DB_DATABASE"),
        ("AKASA_DB_URL", "AKASA_DATABASE_URL"),
        ("AKASA_TIMEZON", "AKASA_TIMEZONE"),  # a near miss of an AKASA_* name
        ("akasa_data_dirs", "AKASA_DATA_DIR"),  # names are case-insensitive
    ],
)
def test_a_misspelt_variable_names_the_right_one(name: str, meant: str) -> None:
    assert environment_warnings({name: "x", "PATH": "/bin"}) == [
        f"{name} is not an akasa setting; did you mean {meant}?"
    ]


def test_an_unknown_akasa_variable_lists_the_known_ones() -> None:
    assert environment_warnings({"AKASA_COLOUR": "1"}) == [
        "AKASA_COLOUR is not an akasa setting (akasa reads AKASA_DATA_DIR, AKASA_DATABASE_URL, "
        "AKASA_TIMEZONE, AKASA_SOURCE_TIMEZONE, AKASA_DB_TIMEOUT, AKASA_LOG_DAYS, "
        "AKASA_SPIDER_NODES, AKASA_CACHE_DIR)"
    ]


def test_known_test_and_foreign_variables_are_quiet() -> None:
    environ = {name: "x" for name in (*VARIABLES, "AKASA_TEST_MARIADB_URL", "DB_SSL", "HOME")}
    assert environment_warnings(environ) == []


def test_the_dotenv_file_is_checked_too() -> None:
    Path(".env").write_text("DB_PASS=secret\nDB_HOST=h\n# DB_NAME=commented\n")
    assert environment_warnings({"DB_USER": "u"}) == [
        "DB_PASS (in .env) is not an akasa setting; did you mean DB_PASSWORD?",
        "DB_USER is not an akasa setting; did you mean DB_USERNAME?",
    ]
    assert load_settings().warnings() == [
        "DB_PASS (in .env) is not an akasa setting; did you mean DB_PASSWORD?"
    ]


# ---- a database URL that cannot be read ---------------------------------------------------

PASSWORD = "Zq7@Xv9"  # unencoded '@': SQLAlchemy alone would take "Xv9@host" for the host


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (
            f"mysql+mysqldb://u:{PASSWORD}@dbhost7/db",
            "an '@' in the user name or password must be written as %40",
        ),
        (f"mysql+mysqldb://u:{PASSWORD}:1@dbhost7:3306/db", "an '@' in the user name"),
        (f"postgresql+psycopg://u:{PASSWORD}/x@dbhost7/db", "an '@' in the user name"),
        ("mysql://u:Zq7Xv9@dbhost7:Zq7/db", "the port is not a number"),
        (
            f"u:{PASSWORD}@dbhost7",
            "(expected dialect+driver:// followed by user:password@host:port/database)",
        ),
    ],
)
def test_a_malformed_url_is_one_error_without_the_password(
    url: str, problem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AKASA_DATABASE_URL", url)
    settings = load_settings()
    with pytest.raises(ConfigError) as caught:
        settings.sqlalchemy_url()
    message = str(caught.value)
    assert message.startswith("AKASA_DATABASE_URL is not a valid database URL")
    assert problem in message
    for part in ("Zq7", "Xv9", "dbhost7"):
        assert part not in message
    # The password is still known as one, so logs and errors elsewhere hide it whole.
    assert any("Zq7" in secret for secret in settings.secrets())
    assert all(len(secret) > 3 for secret in settings.secrets())


def test_an_encoded_at_sign_is_fine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AKASA_DATABASE_URL", "mysql+mysqldb://u:Zq7%40Xv9@host/db")
    settings = load_settings()
    assert settings.sqlalchemy_url().password == PASSWORD
    assert settings.secrets() == [PASSWORD]
    assert settings.database_display() == "mysql+mysqldb://u:***@host/db"
