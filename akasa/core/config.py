"""Settings from the environment or a `.env` file in the working directory."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from akasa.core.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names, *(n.lower() for n in names))


class Settings(BaseSettings):
    """Everything configurable; field names mirror the documented variables."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Field(Path("data"), validation_alias=_env("AKASA_DATA_DIR"))
    database_url: SecretStr | None = Field(None, validation_alias=_env("AKASA_DATABASE_URL"))
    db_host: str | None = Field(None, validation_alias=_env("DB_HOST"))
    db_port: int | None = Field(None, validation_alias=_env("DB_PORT"))
    db_username: str | None = Field(None, validation_alias=_env("DB_USERNAME"))
    db_password: SecretStr | None = Field(None, validation_alias=_env("DB_PASSWORD"))
    db_database: str | None = Field(None, validation_alias=_env("DB_DATABASE"))
    timezone: str = Field("Asia/Kolkata", validation_alias=_env("AKASA_TIMEZONE"))
    source_timezone: str = Field("Asia/Kolkata", validation_alias=_env("AKASA_SOURCE_TIMEZONE"))
    log_days: int = Field(90, ge=1, validation_alias=_env("AKASA_LOG_DAYS"))

    @field_validator("timezone", "source_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        """A zone of akasa's one zone database (`akasa.core.zones`)."""
        from akasa.core.zones import zone

        zone(value)  # UnknownZoneError is a ValueError: pydantic reports it
        return value

    @field_validator(
        "database_url", "db_password", "db_host", "db_username", "db_database", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

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
            from sqlalchemy.engine import make_url

            try:
                password = make_url(self.database_url.get_secret_value()).password
            except Exception:  # an unparsable URL is reported elsewhere
                password = None
            if password:
                found.append(str(password))
        return [s for s in found if s]

    def sqlalchemy_url(self) -> URL:
        """The database URL: AKASA_DATABASE_URL, else the DB_* parts (MySQL), else SQLite."""
        from sqlalchemy.engine import URL, make_url
        from sqlalchemy.exc import ArgumentError

        if self.database_url is not None:
            try:
                return make_url(self.database_url.get_secret_value())
            except ArgumentError:
                raise ConfigError("AKASA_DATABASE_URL is not a valid database URL") from None
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
        raise ConfigError(f"invalid setting {where}: {first['msg']}") from None
