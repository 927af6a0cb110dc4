"""The client's settings, written once: the `ClientConfig` class holds every default and what each means.

Where a value comes from, first match wins: the command line's flags (`load_config` arguments), then
`BESMART_*` environment variables, then the `[app]` table of `flet.toml` (an installation's own choices,
e.g. its organisation's server), then the defaults below.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from app.errors import AppError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: the installation's settings file (optional)
FLET_TOML = PROJECT_ROOT / "flet.toml"


def default_data_dir(app_name: str = "besmart") -> Path:
    """The platform's per-user data directory."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / app_name


class ClientConfig(BaseSettings):
    """Everything the client can be told. Each field is read from `BESMART_<FIELD>` unless it names its own
    variable, and from the same key in flet.toml's `[app]`; an unknown key there is an error."""

    model_config = SettingsConfigDict(
        env_prefix="BESMART_",
        env_ignore_empty=True,
        toml_file=FLET_TOML,
        toml_table_header=("app",),
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
    )

    name: str = Field("besmart", description="the app's name (and its data directory's)")
    server_url: str = Field("http://127.0.0.1:8000", description="the sync server's address")
    data_dir: Path = Field(
        default_factory=lambda data: default_data_dir(data.get("name", "besmart")),
        validation_alias="BESMART_HOME",
        description="where the encrypted local data lives (default: the platform's user data directory)",
    )
    web_port: int = Field(8550, description="the port the web client is served on")
    idle_lock_seconds: float = Field(
        300,
        validation_alias="BESMART_IDLE_LOCK_S",
        description="lock after this long without a person's input (taps, typing); a sync does not count. "
        "A fraction of a second is allowed: for tests",
    )
    sync_interval_seconds: int = Field(
        180, validation_alias="BESMART_SYNC_INTERVAL_S", description="how often to sync while online and unlocked"
    )

    @field_validator("data_dir", mode="before")
    @classmethod
    def _blank_is_the_default(cls, value: Any, info: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return default_data_dir(info.data.get("name", "besmart"))
        return Path(value).expanduser()

    @property
    def assets_dir(self) -> Path:
        """The app's images and fonts (part of the code, not a setting)."""
        return PROJECT_ROOT / "assets"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls)


class ConfigError(AppError):
    """A setting whose value does not fit: the message names it (its variable and flet.toml key) and why."""


def load_config(
    *, server_url: str | None = None, data_dir: str | None = None, web_port: int | None = None
) -> ClientConfig:
    """The client's settings, with the command line's flags (None: not given) over everything else.
    ConfigError (one line) when a value does not fit — checked by tests/app/test_config.py."""
    flags: dict[str, Any] = {"server_url": server_url, "data_dir": data_dir, "web_port": web_port}
    try:
        return ClientConfig(**{name: value for name, value in flags.items() if value})
    except ValidationError as error:
        first = error.errors()[0]
        key = str(first["loc"][0]) if first["loc"] else ""
        field = next(
            (name for name, info in ClientConfig.model_fields.items() if key in (name, info.validation_alias)), key
        )
        info = ClientConfig.model_fields.get(field)
        variable = (info.validation_alias if info and isinstance(info.validation_alias, str) else None) or (
            f"BESMART_{field.upper()}"
        )
        raise ConfigError(
            f"the setting {field} ({variable}, or {field} in flet.toml, or its flag) "
            f"cannot be {first['input']!r}: {first['msg']}"
        ) from None
