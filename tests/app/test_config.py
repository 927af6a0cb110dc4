"""The client's settings: flags over `BESMART_*` variables over flet.toml over the defaults in `ClientConfig`,
which are written there only."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from app.config import FLET_TOML, ClientConfig, ConfigError, default_data_dir, load_config

VARIABLES = ("BESMART_SERVER_URL", "BESMART_HOME", "BESMART_WEB_PORT", "BESMART_IDLE_LOCK_S", "BESMART_SYNC_INTERVAL_S")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def config_with_file(path: Path) -> type[ClientConfig]:
    """ClientConfig reading its file layer from `path` instead of the project's flet.toml."""

    class FromFile(ClientConfig):
        model_config = SettingsConfigDict(**{**ClientConfig.model_config, "toml_file": path})

    return FromFile


def test_flags_win_over_variables_which_win_over_the_file(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    toml = tmp_path / "flet.toml"
    toml.write_text('[app]\nserver_url = "https://file.example"\nweb_port = 8600\nidle_lock_seconds = 60\n')
    cls = config_with_file(toml)
    assert (cls().server_url, cls().web_port, cls().idle_lock_seconds) == ("https://file.example", 8600, 60)
    clean_env.setenv("BESMART_SERVER_URL", "https://env.example")
    clean_env.setenv("BESMART_IDLE_LOCK_S", "0.5")
    clean_env.setenv("BESMART_HOME", str(tmp_path / "home"))
    from_env = cls()
    assert (from_env.server_url, from_env.web_port, from_env.idle_lock_seconds) == ("https://env.example", 8600, 0.5)
    assert from_env.data_dir == tmp_path / "home"
    flagged = cls(server_url="https://flag.example", data_dir=str(tmp_path / "other"))
    assert (flagged.server_url, flagged.data_dir) == ("https://flag.example", tmp_path / "other")
    assert flagged.sync_interval_seconds == ClientConfig.model_fields["sync_interval_seconds"].default


def test_every_variable_reaches_its_field(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    values = ["https://env.example", str(tmp_path / "data"), "9000", "1.5", "7"]
    for name, value in zip(VARIABLES, values, strict=True):
        clean_env.setenv(name, value)
    config = load_config()
    assert (config.server_url, config.data_dir, config.web_port) == ("https://env.example", tmp_path / "data", 9000)
    assert (config.idle_lock_seconds, config.sync_interval_seconds) == (1.5, 7)
    assert load_config(server_url="https://flag.example", web_port=9100).web_port == 9100


def test_an_empty_data_directory_means_the_platforms(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("BESMART_HOME", "")
    assert load_config().data_dir == default_data_dir("besmart")
    assert ClientConfig(data_dir="~/besmart-data").data_dir == Path.home() / "besmart-data"


def test_a_misspelt_key_in_the_file_is_an_error(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    toml = tmp_path / "flet.toml"
    toml.write_text('[app]\nserver_ulr = "https://typo.example"\n')
    with pytest.raises(ValidationError, match="server_ulr"):
        config_with_file(toml)()


def test_flet_toml_repeats_no_default(clean_env: pytest.MonkeyPatch) -> None:
    """The defaults live in ClientConfig: the file neither sets one to its default nor quotes one."""
    text = FLET_TOML.read_text()
    table = tomllib.loads(text).get("app", {})
    fields = ClientConfig.model_fields
    assert set(table) <= set(fields)
    assert all(table[key] != fields[key].default for key in table)
    defaults = [str(f.default) for f in fields.values() if f.default is not None and str(f.default).strip()]
    assert defaults, "ClientConfig has defaults"
    for default in defaults:
        assert default not in text, f"flet.toml quotes the default {default!r}: it would drift"
    ClientConfig()  # and the file loads


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("BESMART_IDLE_LOCK_S", "soon", "idle_lock_seconds (BESMART_IDLE_LOCK_S"),
        ("BESMART_WEB_PORT", "x", "BESMART_WEB_PORT"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_setting(clean_env: pytest.MonkeyPatch, variable, value, named) -> None:
    clean_env.setenv(variable, value)
    with pytest.raises(ConfigError) as raised:
        load_config()
    message = str(raised.value)
    assert named in message and repr(value) in message and "\n" not in message


def test_the_client_refuses_a_bad_value_with_that_line_and_no_traceback(clean_env: pytest.MonkeyPatch) -> None:
    """`python main.py` with a bad variable exits 2 with the one line: nothing started, no traceback."""
    env = {**os.environ, "BESMART_WEB_PORT": "eighty"}
    done = subprocess.run(
        [sys.executable, str(FLET_TOML.parent / "main.py"), "--web"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "BESMART_WEB_PORT" in done.stderr and "'eighty'" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
