"""Settings from the environment or a `.env` file in the working directory, and the checks
that catch a setting akasa would silently ignore (`environment_warnings`) or misread (the
database URL)."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from akasa.core.errors import ConfigError

DEFAULT_TIMEZONE = "Asia/Kolkata"

if TYPE_CHECKING:
    from sqlalchemy.engine import URL


ENV_FILE = ".env"
# Every variable akasa reads, as documented (names are case-insensitive).
VARIABLES = (
    "AKASA_DATA_DIR",
    "AKASA_DATABASE_URL",
    "DB_HOST",
    "DB_PORT",
    "DB_USERNAME",
    "DB_PASSWORD",
    "DB_DATABASE",
    "AKASA_TIMEZONE",
    "AKASA_SOURCE_TIMEZONE",
    "AKASA_DB_TIMEOUT",
    "AKASA_LOG_DAYS",
    "AKASA_SPIDER_NODES",
    "AKASA_CACHE_DIR",
)
# Read by the test suite (and scripts/spider-cluster.sh) only (README, Development); akasa
# itself ignores them.
TEST_VARIABLES = ("AKASA_TEST_MARIADB_URL", "AKASA_TEST_POSTGRESQL_URL", "AKASA_SPIDER_DIR")
# Names people write for the ones akasa reads. Other DB_* names are left alone: the prefix is
# common to many programs, while AKASA_* is akasa's own.
MISSPELLINGS = {
    "DB_USER": "DB_USERNAME",
    "DB_PASS": "DB_PASSWORD",
    "DB_PWD": "DB_PASSWORD",
    "DB_NAME": "DB_DATABASE",
    "DB_HOSTNAME": "DB_HOST",
    "AKASA_DB_URL": "AKASA_DATABASE_URL",
    "AKASA_DB": "AKASA_DATABASE_URL",
    "AKASA_TZ": "AKASA_TIMEZONE",
}
URL_SHAPE = "dialect+driver:// followed by user:password@host:port/database"


def _user_cache() -> Path:
    """`$XDG_CACHE_HOME`, else `~/.cache` (the XDG base directory default)."""
    found = os.environ.get("XDG_CACHE_HOME")
    return Path(found) if found and Path(found).is_absolute() else Path.home() / ".cache"


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names, *(n.lower() for n in names))


def environment_warnings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = None
) -> list[str]:
    """One line per variable akasa would ignore: an unknown `AKASA_*` name or a known
    misspelling, naming the variable meant. Looks at the environment and the `.env` file
    (`env_file`, default `.env` in the working directory), as the settings do."""
    environ = os.environ if environ is None else environ
    env_file = Path(ENV_FILE) if env_file is None else env_file
    found = {name.upper(): name for name in environ}
    for name in _dotenv_names(env_file):
        found.setdefault(name.upper(), f"{name} (in {env_file})")
    warnings = []
    for key, written in sorted(found.items()):
        problem = _unknown(key)
        if problem is not None:
            warnings.append(f"{written} {problem}")
    return warnings


def _dotenv_names(env_file: Path) -> list[str]:
    if not env_file.is_file():
        return []
    from dotenv import dotenv_values

    return list(dotenv_values(env_file, encoding="utf-8"))


def _unknown(name: str) -> str | None:
    """Why akasa ignores `name` (upper case), or None when it reads it or it is not akasa's."""
    if name in VARIABLES or name in TEST_VARIABLES:
        return None
    if name in MISSPELLINGS:
        return f"is not an akasa setting; did you mean {MISSPELLINGS[name]}?"
    if not name.startswith("AKASA_"):
        return None
    own = [v for v in VARIABLES if v.startswith("AKASA_")]
    close = difflib.get_close_matches(name, own, n=1, cutoff=0.8)
    if close:
        return f"is not an akasa setting; did you mean {close[0]}?"
    return f"is not an akasa setting (akasa reads {', '.join(own)})"


def parse_database_url(text: str) -> URL:
    """`AKASA_DATABASE_URL` as a SQLAlchemy URL, or one `ConfigError` that shows no part of
    the URL (any part of a malformed one may be password)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    invalid = "AKASA_DATABASE_URL is not a valid database URL"
    match = re.match(r"[A-Za-z][\w+.-]*://", text)
    if match is None:
        raise ConfigError(f"{invalid} (expected {URL_SHAPE})")
    unencoded = (
        f"{invalid}: an '@' in the user name or password must be written as %40 "
        "(percent-encode special characters there)"
    )
    # Credentials end at the first '@' for SQLAlchemy, which would take the rest of a
    # password holding another '@' for the host or the database (and show it in errors).
    rest = text[match.end() :].split("?", 1)[0]
    if not rest.startswith("/") and ":" in rest.split("@", 1)[0] and rest.count("@") > 1:
        raise ConfigError(unencoded)
    try:
        url = make_url(text)
    except ArgumentError:
        raise ConfigError(f"{invalid} (expected {URL_SHAPE})") from None
    except ValueError:  # the port: never shown, it may hold the rest of a password
        raise ConfigError(f"{invalid}: the port is not a number") from None
    if url.password is not None and "@" in (url.host or ""):
        raise ConfigError(unencoded)
    return url


def _password_guess(text: str) -> str | None:
    """What follows the user name up to the last '@' of a malformed URL: the part to keep
    out of every message and log."""
    rest = text.partition("://")[2] or text
    userinfo = rest.rpartition("@")[0]
    if ":" not in userinfo:
        return None
    return userinfo.split(":", 1)[1] or None


class Settings(BaseSettings):
    """Everything configurable; field names mirror the documented variables."""

    model_config = SettingsConfigDict(
        env_file=ENV_FILE, env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Field(Path("data"), validation_alias=_env("AKASA_DATA_DIR"))
    # What akasa builds once per version of a library and reuses for every data dir (the
    # Vega JavaScript the reports inline): the user's cache folder by default.
    cache_dir: Path = Field(
        default_factory=lambda: _user_cache() / "akasa", validation_alias=_env("AKASA_CACHE_DIR")
    )
    database_url: SecretStr | None = Field(None, validation_alias=_env("AKASA_DATABASE_URL"))
    db_host: str | None = Field(None, validation_alias=_env("DB_HOST"))
    db_port: int | None = Field(None, validation_alias=_env("DB_PORT"))
    db_username: str | None = Field(None, validation_alias=_env("DB_USERNAME"))
    db_password: SecretStr | None = Field(None, validation_alias=_env("DB_PASSWORD"))
    db_database: str | None = Field(None, validation_alias=_env("DB_DATABASE"))
    timezone: str = Field(DEFAULT_TIMEZONE, validation_alias=_env("AKASA_TIMEZONE"))
    source_timezone: str = Field(DEFAULT_TIMEZONE, validation_alias=_env("AKASA_SOURCE_TIMEZONE"))
    # Seconds to wait for the database to answer a connection, and for a lock another
    # session holds: an unreachable server or a held lock becomes one clear error.
    db_timeout: int = Field(30, ge=1, le=3600, validation_alias=_env("AKASA_DB_TIMEOUT"))
    # Days a log file is kept after its last line.
    log_days: int = Field(90, ge=1, validation_alias=_env("AKASA_LOG_DAYS"))
    # MariaDB Spider: the data nodes (`CREATE SERVER` names on the head the URL points at),
    # comma-separated. Set, `akasa migrate` shards the fact tables over them
    # (docs/scaling.md); unset, table mode uses one server.
    spider_nodes: str | None = Field(None, validation_alias=_env("AKASA_SPIDER_NODES"))

    @field_validator("timezone", "source_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        """A zone of akasa's one zone database (`akasa.core.zones`)."""
        from akasa.core.zones import zone

        zone(value)  # UnknownZoneError is a ValueError: pydantic reports it
        return value

    @field_validator(
        "database_url",
        "db_password",
        "db_host",
        "db_username",
        "db_database",
        "spider_nodes",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("data_dir")
    @classmethod
    def _a_folder(cls, value: Path) -> Path:
        if value.exists() and not value.is_dir():
            raise ValueError(f"{value} is a file, not a folder (AKASA_DATA_DIR)")
        return value

    @field_validator("spider_nodes")
    @classmethod
    def _server_names(cls, value: str | None) -> str | None:
        """Comma-separated `CREATE SERVER` names: letters, digits and underscores, since
        each is written into the tables' definitions."""
        if value is None:
            return None
        names = [n.strip() for n in value.split(",")]
        bad = [n for n in names if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}", n)]
        if bad:
            raise ValueError(
                f"AKASA_SPIDER_NODES must be server names separated by commas, not {bad[0]!r}"
            )
        if len(set(names)) != len(names):
            raise ValueError("AKASA_SPIDER_NODES names a server twice")
        return ",".join(names)

    def spider_node_names(self) -> list[str]:
        """The Spider data nodes, in order (empty: one server)."""
        return self.spider_nodes.split(",") if self.spider_nodes else []

    @cached_property
    def store_dir(self) -> Path:
        return self.data_dir / "store"

    @cached_property
    def outputs_dir(self) -> Path:
        return self.data_dir / "outputs"

    @cached_property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @cached_property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @cached_property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    def secrets(self) -> list[str]:
        """Values that must never appear in output, logs or errors."""
        found = []
        if self.db_password is not None:
            found.append(self.db_password.get_secret_value())
        if self.database_url is not None:
            text = self.database_url.get_secret_value()
            try:
                password = parse_database_url(text).password
            except ConfigError:  # reported where the URL is used; its password still hidden
                password = _password_guess(text)
            if password:
                found.append(str(password))
        return [s for s in found if s]

    def warnings(self) -> list[str]:
        """Variables in the environment or `.env` that akasa ignores (`environment_warnings`)."""
        return environment_warnings()

    def database_display(self) -> str:
        """The table-mode database URL without its password; `ConfigError` when unusable."""
        return self.sqlalchemy_url().render_as_string(hide_password=True)

    def sqlalchemy_url(self) -> URL:
        """The database URL: AKASA_DATABASE_URL, else the DB_* parts (MySQL), else SQLite."""
        from sqlalchemy.engine import URL

        if self.database_url is not None:
            return parse_database_url(self.database_url.get_secret_value())
        if self.db_host or self.db_database:
            return URL.create(
                "mysql+mysqldb",
                username=self.db_username,
                password=self.db_password.get_secret_value() if self.db_password else None,
                host=self.db_host or "127.0.0.1",
                port=self.db_port,
                database=self.db_database or "akasa",
                query={"charset": "utf8mb4"},
            )
        path = (self.data_dir / "akasa.db").resolve()
        return URL.create("sqlite", database=str(path))


def load_settings(**overrides: Any) -> Settings:
    """Settings with one-line errors instead of pydantic's multi-line report.

    `overrides` are typed `Any`: pydantic validates and converts each value.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"invalid setting {where}: {message}") from None
