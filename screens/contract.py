"""The contract between the shell and its screens, typed so that mypy checks every screen against it: what a
screen class declares (its name and its URL), how the shell makes one, and what the shell asks of it after.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import flet as ft

if TYPE_CHECKING:
    from screens.shell import Shell


class Screen(Protocol):
    #: what `Shell.show(NAME, **params)` and `app/` (a notification's destination) call the screen
    NAME: str
    #: its URL: literal segments and `{param}` segments naming constructor parameters, e.g. "/people/{profile_id}".
    #: Only record ids go in a URL, never free text such as a search (a URL stays in the browser's history).
    ROUTE: str
    #: the constructor's arguments, kept current by the screen: a refresh makes the screen again from them
    params: dict[str, Any]

    def __init__(self, shell: Shell, /, *args: Any, **params: Any) -> None: ...

    @property
    def refresh_after_sync(self) -> bool:
        """Whether a sync that brought changes may render the screen again (a form being filled in may not)."""
        ...

    def build(self) -> ft.Control:
        """The screen's content; raises app's ActionError (shown as a message) or StoreLockedError (unlock)."""
        ...


@runtime_checkable
class FollowsWidth(Protocol):
    """A screen whose layout depends on the window's width: told when it changes, instead of being rebuilt."""

    def resized(self) -> None: ...
