"""Every screen has a URL: showing a screen pushes it, the browser going to a URL (back, forward, the address bar)
shows that URL's screen, and unlocking — after a lock or a reload — returns to the URL's screen."""

from __future__ import annotations

import flet as ft
import pytest

from app.config import ClientConfig
from screens import registry
from tests.support.screens import open_app, root, snack, unlock
from tests.support.ui_harness import UiHarness


def shown(ui: UiHarness) -> str:
    current = root(ui).shell.current
    assert current is not None
    return current.NAME


def pushed(ui: UiHarness) -> list[str]:
    return [args["route"] for name, args in ui.invoked if name == "push_route"]


# --------------------------------------------------------------------------- the table


def test_every_screen_has_its_own_url_and_comes_back_from_it():
    routes = [screen.ROUTE for screen in registry.SCREENS.values()]
    assert len(set(routes)) == len(routes)
    for name, screen in registry.SCREENS.items():
        keys = [s[1:-1] for s in screen.ROUTE.split("/") if s.startswith("{")]
        params = {key: f"0190-{key}/x y" for key in keys}  # an id a URL must quote
        route = registry.route_of(name, {**params, "tab": 3})
        assert "tab" not in route and " " not in route and route.count("/") == screen.ROUTE.count("/")
        assert registry.screen_at(route) == (name, params)
        assert registry.screen_at(route + "?utm=x") == (name, params)


def test_the_table_names_each_screen_as_its_class_does():
    """The registry knows the screens without importing them (a start-up imports only what it shows)."""
    assert len(registry.TABLE) == len(registry.SCREENS) == len({name for name, *_ in registry.TABLE})
    for name, route, _module, _class in registry.TABLE:
        screen = registry.SCREENS[name]
        assert (name, route) == (screen.NAME, screen.ROUTE)
    assert registry.SCREENS[registry.HOME].NAME == registry.HOME


def test_routes_name_only_screens():
    assert registry.screen_at("/") == ("dashboard", {})
    assert registry.screen_at("/people/abc") == ("profile", {"profile_id": "abc"})
    assert registry.screen_at("/people/abc/clicker") == ("clicker", {"profile_id": "abc"})
    for route in ("/nowhere", "/people/abc/nowhere", "/people/%20", "/open/incident/abc", "/incidents/a/b/c"):
        assert registry.screen_at(route) is None, route


# --------------------------------------------------------------------------- navigating


def test_showing_a_screen_pushes_its_url(ui: UiHarness, device: dict[str, str]):
    assert shown(ui) == "dashboard"
    ui.navigate_to("Directory")
    ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == "Ada Lovelace"))
    ui.click(ui.find(ft.IconButton, label="Behaviour Clicker"))
    assert pushed(ui) == ["/people", f"/people/{device['ada']}", f"/people/{device['ada']}/clicker"]
    assert ui.page.route == f"/people/{device['ada']}/clicker" and shown(ui) == "clicker"
    # A screen shown again (a refresh, a filter) is not a new page of the history.
    ui.navigate_to("Incidents")
    ui.click(ui.find(ft.Checkbox, label="Flagged"))
    assert pushed(ui)[-1] == "/incidents" and pushed(ui).count("/incidents") == 1


def test_the_back_button_shows_the_previous_screen(ui: UiHarness, device: dict[str, str]):
    ui.navigate_to("Directory")
    ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == "Ada Lovelace"))
    ui.navigate_to("Incidents")
    assert shown(ui) == "incidents"
    before = len(pushed(ui))

    ui.go(f"/people/{device['ada']}")  # back
    assert shown(ui) == "profile" and ui.has_text("Ada Lovelace")
    assert ui.page.navigation_bar.selected_index == 1  # Directory
    ui.go("/people")  # back again
    assert shown(ui) == "directory" and ui.has_text("Bo Peep")
    ui.go(f"/people/{device['ada']}")  # forward
    assert shown(ui) == "profile"
    assert len(pushed(ui)) == before  # following the browser pushes nothing


def test_a_url_naming_no_screen_shows_the_dashboard(ui: UiHarness):
    ui.navigate_to("Directory")
    ui.go("/no/such/screen")
    assert shown(ui) == "dashboard"


def test_a_url_to_a_record_not_on_this_device_says_so_and_shows_the_dashboard(ui: UiHarness):
    ui.navigate_to("Directory")
    ui.go("/incidents/no-such-incident")
    assert shown(ui) == "dashboard"
    assert snack(ui).content.value  # the plain-words reason


# --------------------------------------------------------------------------- locking and reloading


def test_unlocking_returns_to_the_screen_that_was_shown(ui: UiHarness, device: dict[str, str]):
    ui.navigate_to("Directory")
    ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == "Ada Lovelace"))
    ui.click("Lock")
    assert ui.has_text("Unlock besmart") and not ui.has_text("Ada Lovelace")
    unlock(ui)
    assert shown(ui) == "profile" and ui.has_text("Ada Lovelace")
    assert ui.page.route == f"/people/{device['ada']}"


@pytest.mark.parametrize(
    ("route", "screen", "text"),
    [
        ("/people/{ada}", "profile", "Ada Lovelace"),
        ("/incidents/{besmart-10270}", "incident", "Something in the playground"),
        ("/incidents", "incidents", "besmart-10281"),
        ("/help", "help", "Help Centre"),
    ],
)
def test_a_reload_unlocks_into_the_same_screen(
    config: ClientConfig, device: dict[str, str], route: str, screen: str, text: str
):
    """A reload is a new session at the same URL: the store is locked, and unlocking shows the URL's screen."""
    with open_app(config, route=route.format(**device)) as ui:
        assert ui.has_text("Unlock besmart") and not ui.has_text(text)
        unlock(ui)
        assert shown(ui) == screen and ui.has_text(text)
        assert pushed(ui) == []  # the browser is already there


def test_a_url_typed_while_locked_is_shown_after_unlocking(ui: UiHarness, device: dict[str, str]):
    ui.click("Lock")
    ui.go(f"/incidents/{device['besmart-10281']}")
    assert ui.has_text("Unlock besmart") and not ui.has_text("Something in the hall")
    unlock(ui)
    assert shown(ui) == "incident" and ui.has_text("Something in the hall")


def test_going_back_to_an_email_link_does_not_open_it_again(config: ClientConfig, device: dict[str, str]):
    link = f"/open/incident/{device['besmart-10281']}"
    with open_app(config, route=link) as ui:
        unlock(ui)
        assert shown(ui) == "incident"
        ui.navigate_to("Directory")
        ui.go(f"/incidents/{device['besmart-10281']}")  # back
        assert shown(ui) == "incident"
        ui.go(link)  # back again, to the link
        assert shown(ui) == "incident" and pushed(ui)[-1] == "/people"


def test_signing_out_leaves_the_accounts_urls(ui: UiHarness, device: dict[str, str]):
    """The next person to sign in on this device starts at the beginning, not at a record of the last one."""
    ui.navigate_to("Directory")
    ui.click(ui.find(ft.ListTile, where=lambda t: t.title.value == "Ada Lovelace"))
    store = root(ui).session.store
    assert store is not None
    # The audit of opening Ada's profile reached the server (else sign-out waits for it: test_screens.py).
    store.acknowledge(op.op_id for op in store.pending_ops(10_000))
    ui.click("Sign out")
    assert ui.has_text("Sign in to besmart")
    assert ui.page.route == "/" and root(ui).route == "/"
