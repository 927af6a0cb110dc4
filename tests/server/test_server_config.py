"""The server's settings: every `BESMART_*` variable reaches its field, the `serve` flags set the same fields,
a bad value is one line naming the variable, and docs/server.md lists exactly what the class holds."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import pytest

from server.cli import COMMANDS, settings_from
from server.core.config import (
    Settings,
    SettingsError,
    SmtpSettings,
    load_settings,
    settings_markdown,
    settings_reference,
)

ROOT = Path(__file__).resolve().parents[2]


def test_the_docs_list_every_setting_with_its_variable() -> None:
    docs = (ROOT / "docs" / "server.md").read_text()
    assert settings_markdown() in docs, "docs/server.md: paste server.core.config.settings_markdown()"
    smtp = SmtpSettings.model_fields
    fields = [name for name in Settings.model_fields if name != "smtp"] + [f"smtp.{name}" for name in smtp]
    documented = {".".join(s.path): s.env for s in settings_reference()}
    assert sorted(documented) == sorted(fields)
    for env in documented.values():
        assert f"`{env}`" in docs


def _sample(annotation: Any) -> tuple[str, Any]:
    """A value other than any default, as the environment spells it and as the field holds it."""
    if get_origin(annotation) is Literal:
        choice = get_args(annotation)[-1]
        return choice, choice
    return {int: ("4242", 4242), float: ("0.25", 0.25), Path: ("/srv/besmart", Path("/srv/besmart"))}.get(
        annotation, ("http://sample.example", "http://sample.example")
    )


@pytest.mark.parametrize("setting", list(settings_reference()), ids=lambda s: s.env)
def test_each_variable_sets_its_field(setting: Any) -> None:
    raw, expected = _sample(setting.field.annotation)
    value: Any = load_settings({setting.env: raw, "UNRELATED": "x"})
    for part in setting.path:
        value = getattr(value, part)
    assert value == expected


def test_the_names_people_already_use_still_work() -> None:
    settings = load_settings(
        {
            "BESMART_SERVER_HOME": "/srv/data",
            "BESMART_SMTP_FROM": "besmart <notify@school.example>",
            "BESMART_SMTP_TIMEOUT": "3",
            "BESMART_PUBLIC_URL": "https://besmart.example/",
            "BESMART_SMTP_TLS": "STARTTLS",
            "BESMART_PORT": "",  # empty: unset
        }
    )
    assert settings.home == Path("/srv/data")
    assert settings.url == f"sqlite:///{Path('/srv/data/besmart.db').resolve()}"
    assert (settings.smtp.from_address, settings.smtp.timeout_seconds) == ("besmart <notify@school.example>", 3.0)
    assert settings.public_url == "https://besmart.example"
    assert (settings.smtp.tls, settings.smtp.port) == ("starttls", 587)  # the port follows the TLS mode
    assert settings.port == 8000


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BESMART_PORT": "abc"}, "BESMART_PORT='abc': Input should be a valid integer"),
        ({"BESMART_SMTP_TLS": "tls"}, "BESMART_SMTP_TLS='tls': Input should be 'none', 'starttls' or 'ssl'"),
        ({"BESMART_SMTP_TIMEOUT": "soon"}, "BESMART_SMTP_TIMEOUT='soon': Input should be a valid number"),
        ({"BESMART_LOG_LEVEL": "loud"}, "BESMART_LOG_LEVEL='loud': Input should be 'debug'"),
    ],
)
def test_a_bad_value_names_its_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(env)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_the_command_says_which_variable_is_wrong_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "BESMART_PORT": "abc", "BESMART_SERVER_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "server", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "python -m server: BESMART_PORT='abc': Input should be a valid integer, unable to parse string as an integer"
    ]


def test_serve_flags_set_the_same_fields_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BESMART_PORT", "9000")
    monkeypatch.setenv("BESMART_SMTP_HOST", "mail.example")
    monkeypatch.setenv("BESMART_SMTP_TLS", "ssl")
    parser = argparse.ArgumentParser()
    COMMANDS["serve"].arguments(parser)
    flagged = {s.flag for s in settings_reference() if s.flag}
    assert flagged <= set(parser._option_string_actions)
    args = parser.parse_args(["--port", "9001", "--smtp-tls", "starttls", "--smtp-from", "me <me@example.org>"])
    settings = settings_from(args)
    assert settings.port == 9001
    assert (settings.smtp.host, settings.smtp.tls, settings.smtp.port) == ("mail.example", "starttls", 587)
    assert settings.smtp.from_address == "me <me@example.org>"
    assert settings_from(parser.parse_args([])).port == 9000
    with pytest.raises(SystemExit):
        parser.parse_args(["--log-level", "loud"])  # the choices come from the field's type
    with pytest.raises(SettingsError, match=r"^--port='x': Input should be a valid integer"):
        load_settings({}).with_overrides(port="x")  # from code: checked like the environment
