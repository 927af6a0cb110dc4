"""Server settings: one `Settings` class, read from `BESMART_*` environment variables, overridable by flags.

Each setting is written here once — its type, default, environment variable, `serve` flag (if any) and what
it means — and everything else is derived from that: the command line's flags (`server.cli`), the error
for a bad value, and the table in docs/server.md (`settings_markdown`, kept equal to the docs by a test).
Every tunable the tests need to make fast (argon2 cost, email poll interval and backoff, login limits) is
here, so no test reaches into the code to change a constant.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

from server.errors import ServerSideError
from sync.hlc import DEFAULT_MAX_AHEAD_MS

PREFIX = "BESMART_"
SmtpTls = Literal["none", "starttls", "ssl"]
LogLevel = Literal["debug", "info", "warning", "error"]
#: the SMTP port each TLS mode uses when none is given
SMTP_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


class SettingsError(ServerSideError, ValueError):
    """A setting with a value it cannot take; the message names the variable or flag, on one line."""


def _flag(flag: str, **extra: Any) -> dict[str, Any]:
    """The `serve` flag that sets a field (json_schema_extra; read by `server.cli`)."""
    return {"flag": flag, **extra}


class SmtpSettings(BaseModel):
    """Outgoing email, `BESMART_SMTP_*`. No host: no email is sent."""

    model_config = ConfigDict(frozen=True, validate_by_name=True, validate_by_alias=True)

    host: str = Field("", description="SMTP server; none: no email is sent", json_schema_extra=_flag("--smtp-host"))
    port: int = Field(
        SMTP_PORTS["none"],
        description="SMTP port",
        json_schema_extra=_flag("--smtp-port", shown="25 / 587 / 465 by TLS mode"),
    )
    tls: SmtpTls = Field("none", description="`none`, `starttls` or `ssl`", json_schema_extra=_flag("--smtp-tls"))
    username: str = Field("", description="SMTP user name", json_schema_extra=_flag("--smtp-username"))
    password: str = Field("", repr=False, description="SMTP password", json_schema_extra=_flag("--smtp-password"))
    from_address: str = Field(
        "besmart <no-reply@besmart.invalid>",
        validation_alias="from",
        description="From: address of notification emails",
        json_schema_extra=_flag("--smtp-from"),
    )
    timeout_seconds: float = Field(20.0, validation_alias="timeout", description="seconds per SMTP exchange")

    @model_validator(mode="after")
    def _port_follows_tls(self) -> SmtpSettings:
        if "port" not in self.model_fields_set:
            # Still "not set" afterwards, so that a later change of TLS mode (a flag) moves the port with it.
            object.__setattr__(self, "port", SMTP_PORTS[self.tls])
        return self

    @field_validator("tls", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @property
    def enabled(self) -> bool:
        return bool(self.host)


class Settings(BaseSettings):
    """Everything the server can be told. `Settings()` reads `os.environ`; `load_settings` is the usual way in."""

    # BESMART_<FIELD> for each field (unless it names its own variable), BESMART_SMTP_<FIELD> for the SMTP
    # ones; an empty variable counts as unset.
    model_config = SettingsConfigDict(
        env_prefix=PREFIX,
        env_nested_delimiter="_",
        env_nested_max_split=1,
        env_ignore_empty=True,
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
    )

    home: Path = Field(
        Path(".besmart/server"),
        validation_alias="BESMART_SERVER_HOME",
        description="data directory (the default SQLite file)",
    )
    database_url: str = Field(
        "",
        description="database URL; a `postgresql://` URL runs on PostgreSQL",
        json_schema_extra=_flag("--db", shown="SQLite in the home"),
    )
    host: str = Field("127.0.0.1", description="address to listen on", json_schema_extra=_flag("--host"))
    port: int = Field(8000, description="port to listen on", json_schema_extra=_flag("--port"))
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="the address in email links: set it to where people open the **web client**; a link is "
        "`<public url>/open/<kind>/<id>`, which the client opens (after unlock) on that record",
        json_schema_extra=_flag("--public-url"),
    )
    access_token_seconds: int = Field(60 * 60, description="access token lifetime")
    refresh_token_seconds: int = Field(30 * 24 * 60 * 60, description="refresh token lifetime (30 days)")
    # argon2id cost: OWASP's second recommended profile by default; tests set cheap values via env.
    argon2_time_cost: int = Field(3, description="argon2id passes")
    argon2_memory_kib: int = Field(64 * 1024, description="argon2id memory per password hash (KiB)")
    argon2_parallelism: int = Field(1, description="argon2id lanes")
    login_window_seconds: int = Field(15 * 60, description="sign-in attempts are forgotten after this long without one")
    login_max_per_account: int = Field(
        5, description="attempts per account (or known device) before the back-off starts (see Sign-in)"
    )
    login_max_per_address: int = Field(30, description="attempts per address before the back-off starts")
    login_delay_seconds: float = Field(1.0, description="the first back-off delay; it doubles with each attempt")
    login_max_delay_seconds: float = Field(15 * 60, description="longest delay per account or device")
    login_max_address_delay_seconds: float = Field(60, description="longest delay per address")
    hash_concurrency: int = Field(
        0, description="password hashes computed at once (each holds the argon2 memory); 0: one per CPU"
    )
    hash_wait_seconds: float = Field(5.0, description="how long a sign-in waits for a hashing slot before 503")
    trusted_proxies: str = Field(
        "",
        description="proxies (addresses or networks, comma-separated) whose `X-Forwarded-For` is believed",
        json_schema_extra=_flag("--trusted-proxies"),
    )
    max_body_bytes: int = Field(5 * 1024 * 1024, description="larger request bodies get 413")
    clock_max_ahead_ms: int = Field(DEFAULT_MAX_AHEAD_MS, description="device stamps further ahead are clamped")
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    support_email: str = Field(
        "support@besmart.app",
        description="the besmart team's address: support tickets and call requests from the Help Centre are "
        "emailed here (with what identifies anyone replaced by placeholders); empty: they are kept, not emailed",
        json_schema_extra=_flag("--support-email"),
    )
    email_poll_seconds: float = Field(5.0, description="how often the email worker looks for due jobs")
    email_backoff_seconds: float = Field(30.0, description="first retry delay of an email; doubles per failure")
    email_backoff_max_seconds: float = Field(60 * 60, description="longest retry delay of an email")
    email_lease_seconds: float = Field(
        5 * 60,
        description="how long a worker owns a claimed email job; longer than any SMTP exchange may take",
    )
    log_level: LogLevel = Field("info", description="server log level", json_schema_extra=_flag("--log-level"))
    # The optional language model (issue #12): off while no URL is set. Names never reach it
    # (server.services.assistant pseudonymises everything it sends).
    assistant_url: str = Field(
        "",
        description="base URL of an OpenAI-compatible endpoint (`<url>/chat/completions`); none: the assistant is off",
    )
    assistant_model: str = Field("", description="the model name sent with each request")
    assistant_api_key: str = Field("", repr=False, description="bearer key for the endpoint (never logged)")
    assistant_timeout_seconds: float = Field(60.0, description="seconds to wait for the model's answer")
    assistant_roles: str = Field(
        "lead,admin", description="roles that may use the assistant (comma-separated: staff, lead, admin)"
    )
    assistant_log_days: int = Field(
        90, description="days a pseudonymised request and answer are kept (`admin assistant-purge`)"
    )
    plan_reminder_interval_seconds: int = Field(
        3600,
        ge=0,
        description="how often the running server checks for Smart Plan review and statutory clock reminders "
        "(0: never; `remind-plans` does it once)",
    )

    @field_validator("public_url", "assistant_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @property
    def assistant_enabled(self) -> bool:
        return bool(self.assistant_url)

    def assistant_allows(self, role: str) -> bool:
        """Whether a role may use the assistant (it being on is checked apart)."""
        return role in {part.strip().lower() for part in self.assistant_roles.split(",")}

    @property
    def sqlite_default_url(self) -> str:
        return f"sqlite:///{(self.home / 'besmart.db').resolve()}"

    @property
    def url(self) -> str:
        """The database URL to connect to (the SQLite file in `home` when none was given)."""
        return self.database_url or self.sqlite_default_url

    def with_overrides(self, **changes: Any) -> Settings:
        """These settings with some changed (`smtp_host=...` for the SMTP ones); None changes nothing.
        Checked like the environment: a bad value raises SettingsError naming the flag."""
        smtp = {k[5:]: v for k, v in changes.items() if k.startswith("smtp_") and v is not None}
        rest = {k: v for k, v in changes.items() if not k.startswith("smtp_") and v is not None}
        # Only what was given is carried over, so that derived defaults (the SMTP port) follow the changes.
        given = self.model_dump(exclude_unset=True, by_alias=False)
        merged = {**given, **rest, "smtp": {**given.get("smtp", {}), **smtp}}
        return _validated(merged, lambda path: _setting(path).flag or ".".join(path))


@dataclass(frozen=True)
class Setting:
    """One setting as people see it: where it is in `Settings`, its variable and flag, default and meaning."""

    path: tuple[str, ...]
    env: str
    flag: str | None
    default: str
    description: str
    field: FieldInfo


def settings_reference() -> Iterator[Setting]:
    """Every setting, in the order of the class."""
    for name, field in Settings.model_fields.items():
        if name == "smtp":
            for sub, inner in SmtpSettings.model_fields.items():
                yield _describe(("smtp", sub), inner, f"{PREFIX}SMTP_{str(inner.validation_alias or sub).upper()}")
        else:
            yield _describe((name,), field, str(field.validation_alias or f"{PREFIX}{name.upper()}"))


def _describe(path: tuple[str, ...], field: FieldInfo, env: str) -> Setting:
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    shown = extra.get("shown")
    if shown is None:
        shown = f"`{field.default}`" if field.default not in ("", None) else "(none)"
    return Setting(path, env, extra.get("flag"), str(shown), field.description or "", field)  # type: ignore[arg-type]


def _setting(path: tuple[str, ...]) -> Setting:
    """The setting at a validation error's location (by field name or by its variable's alias)."""
    for setting in settings_reference():
        aliases = {setting.path, (*setting.path[:-1], str(setting.field.validation_alias))}
        if path[: len(setting.path)] in aliases:
            return setting
    raise KeyError(path)


def settings_markdown() -> str:
    """The table of settings in docs/server.md."""
    lines = ["| variable | `serve` flag | default | |", "|---|---|---|---|"]
    for s in settings_reference():
        flag = f"`{s.flag}`" if s.flag else ""
        lines.append(f"| `{s.env}` | {flag} | {s.default} | {s.description} |")
    return "\n".join(lines) + "\n"


class _MappingSource(EnvSettingsSource):
    """The environment source reading a given mapping instead of `os.environ`."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        self._mapping = env
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(self._mapping, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from `BESMART_*` environment variables (`env`, default `os.environ`), defaults for the rest;
    SettingsError (one line, naming the variable) when a value does not fit."""
    values = _MappingSource(Settings, os.environ if env is None else env)()
    return _validated(values, lambda path: _setting(path).env)


def _validated(values: dict[str, Any], name: Callable[[tuple[str, ...]], str]) -> Settings:
    """Settings from raw values; a bad one raises SettingsError called by `name` (its variable or flag)."""
    try:
        return Settings.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        path = tuple(str(part) for part in first["loc"])
        try:
            where = name(path)
        except KeyError:  # not one field's error
            where = ".".join(path) or "settings"
        raise SettingsError(f"{where}={first['input']!r}: {first['msg']}") from None
