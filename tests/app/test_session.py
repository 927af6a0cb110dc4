"""The signed-in account against a real server (SQLite and PostgreSQL): changing the password from the device
(app/session.py `change_password`, the account menu's dialog: screens/account.py) — a wrong current password
is refused in the server's words and changes nothing; the new one signs in, the old one no longer does."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from app.config import load_config
from app.session import ClientSession, SignInError
from tests.support.screens import PASSCODE
from tests.support.server import PASSWORD, Device, Org, ServerProcess, ServerRefused

NEW = "a brand new password"


def test_the_password_is_changed_on_the_server_and_a_wrong_current_one_changes_nothing(
    server: ServerProcess, org: Org, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memory_keyring: Any
) -> None:
    monkeypatch.setenv("BESMART_HOME", str(tmp_path / "home"))
    session = ClientSession(load_config(server_url=server.url).model_copy(update={"sync_interval_seconds": 0}))

    async def story() -> None:
        await session.sign_in(org.email("sam"), PASSWORD)
        session.create_passcode(PASSCODE, PASSCODE)
        try:
            with pytest.raises(SignInError, match=r"^The current password is wrong\.$"):
                await session.change_password("not my password", NEW, NEW)
            Device(server.url, org.email("sam"), PASSWORD)  # still the old one
            await session.change_password(PASSWORD, NEW, NEW)
        finally:
            await session.aclose()

    asyncio.run(story())
    Device(server.url, org.email("sam"), NEW)
    with pytest.raises(ServerRefused):
        Device(server.url, org.email("sam"), PASSWORD)
