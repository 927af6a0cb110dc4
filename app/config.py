"""The client's settings: `flet.toml`, overridden by environment variables, overridden by flags."""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ClientConfig:
    name: str = "besmart"
    server_url: str = "http://127.0.0.1:8000"
    data_dir: Path = Path()
    web_port: int = 8550
    #: lock after this long without a person's input (a fraction of a second is allowed: for tests)
    idle_lock_seconds: float = 300
    #: how often to sync while online and unlocked
    sync_interval_seconds: int = 180
    assets_dir: Path = PROJECT_ROOT / "assets"


def default_data_dir(app_name: str = "besmart") -> Path:
    """The platform's per-user data directory."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / app_name


def load_config(
    *,
    toml_path: Path | None = None,
    server_url: str | None = None,
    data_dir: str | None = None,
    web_port: int | None = None,
) -> ClientConfig:
    """Read flet.toml, then BESMART_* environment variables, then explicit arguments (flags)."""
    path = toml_path or PROJECT_ROOT / "flet.toml"
    section: dict[str, Any] = {}
    if path.exists():
        section = tomllib.loads(path.read_text()).get("app", {})
    env = os.environ
    name = str(section.get("name", "besmart"))
    chosen_dir = data_dir or env.get("BESMART_HOME") or str(section.get("data_dir") or "")
    return ClientConfig(
        name=name,
        server_url=(server_url or env.get("BESMART_SERVER_URL") or str(section.get("server_url")))
        or ClientConfig.server_url,
        data_dir=Path(chosen_dir).expanduser() if chosen_dir else default_data_dir(name),
        web_port=int(web_port or env.get("BESMART_WEB_PORT") or section.get("web_port") or 8550),
        idle_lock_seconds=float(env.get("BESMART_IDLE_LOCK_S") or section.get("idle_lock_seconds") or 300),
        sync_interval_seconds=int(env.get("BESMART_SYNC_INTERVAL_S") or section.get("sync_interval_seconds") or 180),
    )
