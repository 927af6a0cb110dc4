"""Server settings: read once from the environment (`BESMART_*`), overridable by `serve` flags.

Every tunable the tests need to make fast (argon2 cost, email poll interval and backoff, login limits) is
here, so no test reaches into the code to change a constant.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from sync.hlc import DEFAULT_MAX_AHEAD_MS

SmtpTls = Literal["none", "starttls", "ssl"]


@dataclass(frozen=True)
class SmtpSettings:
    host: str = ""
    port: int = 25
    tls: SmtpTls = "none"
    username: str = ""
    password: str = field(default="", repr=False)
    from_address: str = "besmart <no-reply@besmart.invalid>"
    timeout_seconds: float = 20.0

    @property
    def enabled(self) -> bool:
        return bool(self.host)


@dataclass(frozen=True)
class Settings:
    home: Path = Path(".besmart/server")
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    #: the address people open; links in emails point here
    public_url: str = "http://127.0.0.1:8000"
    access_token_seconds: int = 60 * 60
    refresh_token_seconds: int = 30 * 24 * 60 * 60
    # argon2id cost (OWASP's second recommended profile by default); tests set cheap values via env.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 64 * 1024
    argon2_parallelism: int = 1
    #: sign-in back-off (docs/server.md): attempts are forgotten after a quiet window; after the free
    #: attempts (per account or device, per address) each waits a delay doubling from `login_delay_seconds`
    login_window_seconds: int = 15 * 60
    login_max_per_account: int = 5
    login_max_per_address: int = 30
    login_delay_seconds: float = 1.0
    login_max_delay_seconds: float = 15 * 60
    login_max_address_delay_seconds: float = 60
    #: password hashes computed at once (each takes argon2_memory_kib); 0: one per CPU. Beyond them a
    #: sign-in waits up to hash_wait_seconds, then gets 503 with Retry-After.
    hash_concurrency: int = 0
    hash_wait_seconds: float = 5.0
    #: proxies (addresses or networks, comma-separated) whose X-Forwarded-For is believed; none by default
    trusted_proxies: str = ""
    max_body_bytes: int = 5 * 1024 * 1024
    clock_max_ahead_ms: int = DEFAULT_MAX_AHEAD_MS
    smtp: SmtpSettings = SmtpSettings()
    email_poll_seconds: float = 5.0
    email_backoff_seconds: float = 30.0
    email_backoff_max_seconds: float = 60 * 60
    #: how long a claimed email job belongs to one worker; longer than any SMTP exchange may take
    email_lease_seconds: float = 5 * 60
    log_level: str = "info"

    @property
    def sqlite_default_url(self) -> str:
        return f"sqlite:///{(self.home / 'besmart.db').resolve()}"

    @property
    def url(self) -> str:
        """The database URL to connect to (the SQLite file in `home` when none was given)."""
        return self.database_url or self.sqlite_default_url

    def with_overrides(self, **changes: Any) -> Settings:
        smtp_changes = {k[5:]: v for k, v in changes.items() if k.startswith("smtp_") and v is not None}
        rest = {k: v for k, v in changes.items() if not k.startswith("smtp_") and v is not None}
        return replace(self, smtp=replace(self.smtp, **smtp_changes), **rest)


def _get(env: Mapping[str, str], name: str, cast: Any, default: Any) -> Any:
    raw = env.get(f"BESMART_{name}")
    if raw is None or raw == "":
        return default
    try:
        return cast(raw)
    except ValueError:
        raise SystemExit(f"BESMART_{name}={raw!r} is not a valid value") from None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from `BESMART_*` environment variables, defaults for the rest."""
    env = os.environ if env is None else env
    d = Settings()
    tls = _get(env, "SMTP_TLS", str, d.smtp.tls).lower()
    if tls not in ("none", "starttls", "ssl"):
        raise SystemExit("BESMART_SMTP_TLS must be none, starttls or ssl")
    smtp = SmtpSettings(
        host=_get(env, "SMTP_HOST", str, d.smtp.host),
        port=_get(env, "SMTP_PORT", int, 465 if tls == "ssl" else 587 if tls == "starttls" else 25),
        tls=tls,
        username=_get(env, "SMTP_USERNAME", str, d.smtp.username),
        password=_get(env, "SMTP_PASSWORD", str, d.smtp.password),
        from_address=_get(env, "SMTP_FROM", str, d.smtp.from_address),
        timeout_seconds=_get(env, "SMTP_TIMEOUT", float, d.smtp.timeout_seconds),
    )
    return Settings(
        home=Path(_get(env, "SERVER_HOME", str, str(d.home))),
        database_url=_get(env, "DATABASE_URL", str, d.database_url),
        host=_get(env, "HOST", str, d.host),
        port=_get(env, "PORT", int, d.port),
        public_url=_get(env, "PUBLIC_URL", str, d.public_url).rstrip("/"),
        access_token_seconds=_get(env, "ACCESS_TOKEN_SECONDS", int, d.access_token_seconds),
        refresh_token_seconds=_get(env, "REFRESH_TOKEN_SECONDS", int, d.refresh_token_seconds),
        argon2_time_cost=_get(env, "ARGON2_TIME_COST", int, d.argon2_time_cost),
        argon2_memory_kib=_get(env, "ARGON2_MEMORY_KIB", int, d.argon2_memory_kib),
        argon2_parallelism=_get(env, "ARGON2_PARALLELISM", int, d.argon2_parallelism),
        login_window_seconds=_get(env, "LOGIN_WINDOW_SECONDS", int, d.login_window_seconds),
        login_max_per_account=_get(env, "LOGIN_MAX_PER_ACCOUNT", int, d.login_max_per_account),
        login_max_per_address=_get(env, "LOGIN_MAX_PER_ADDRESS", int, d.login_max_per_address),
        login_delay_seconds=_get(env, "LOGIN_DELAY_SECONDS", float, d.login_delay_seconds),
        login_max_delay_seconds=_get(env, "LOGIN_MAX_DELAY_SECONDS", float, d.login_max_delay_seconds),
        login_max_address_delay_seconds=_get(
            env, "LOGIN_MAX_ADDRESS_DELAY_SECONDS", float, d.login_max_address_delay_seconds
        ),
        hash_concurrency=_get(env, "HASH_CONCURRENCY", int, d.hash_concurrency),
        hash_wait_seconds=_get(env, "HASH_WAIT_SECONDS", float, d.hash_wait_seconds),
        trusted_proxies=_get(env, "TRUSTED_PROXIES", str, d.trusted_proxies),
        max_body_bytes=_get(env, "MAX_BODY_BYTES", int, d.max_body_bytes),
        clock_max_ahead_ms=_get(env, "CLOCK_MAX_AHEAD_MS", int, d.clock_max_ahead_ms),
        smtp=smtp,
        email_poll_seconds=_get(env, "EMAIL_POLL_SECONDS", float, d.email_poll_seconds),
        email_backoff_seconds=_get(env, "EMAIL_BACKOFF_SECONDS", float, d.email_backoff_seconds),
        email_backoff_max_seconds=_get(env, "EMAIL_BACKOFF_MAX_SECONDS", float, d.email_backoff_max_seconds),
        email_lease_seconds=_get(env, "EMAIL_LEASE_SECONDS", float, d.email_lease_seconds),
        log_level=_get(env, "LOG_LEVEL", str, d.log_level),
    )
