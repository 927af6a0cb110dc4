"""Proves tests/support/ui_harness.py (in-process Flet page, no browser) on the e2e sample app and a few
Flet 1.0 patterns the real screens use (routing, dialogs, dropdown, resize, run_task)."""

from __future__ import annotations

import asyncio

import flet as ft
import pytest

from tests.e2e import sample_app
from tests.support.ui_harness import UiHarness


@pytest.fixture
def ui():
    with UiHarness(sample_app.main) as h:
        yield h


def test_builds_the_sample(ui):
    assert ui.has_text(sample_app.BANNER)
    assert ui.find(ft.TextField, label="Password").password
    assert ui.page.width == 360


def test_type_and_click(ui):
    ui.click("Sign in")
    assert ui.has_text("Email and password are required")
    ui.type("Email", "ada@example.org")
    ui.type("Password", "secret")
    ui.click("Sign in")
    assert ui.has_text("Signed in as ada@example.org")
    assert ui.find(ft.TextField, label="Email").value == "ada@example.org"


def test_counter_and_navigation_bar(ui):
    for _ in range(2):
        ui.click("Tap")
    assert ui.has_text("Taps: 2")
    ui.navigate_to("Settings")
    assert ui.page.navigation_bar.selected_index == 1
    assert ui.has_text("Section: Settings")


def test_async_handler(ui):
    ui.click("Load")  # awaits the handler, including its asyncio.sleep
    assert ui.has_text("Loaded")


def test_semantics_identifier(ui):
    status = ui.find(ft.Semantics, label="status")
    assert status.content.value == "Not signed in"


def test_dropdown_and_icon_button(ui):
    ui.select("Role", "admin")
    assert ui.has_text("Role: admin")
    ui.click("Help")  # an IconButton is found by its tooltip
    assert ui.has_text("Help shown")


def test_handler_errors_fail_the_test():
    def main(page: ft.Page) -> None:
        def boom(e):
            raise ValueError("bad handler")

        page.add(ft.Button("Boom", on_click=boom))

    with UiHarness(main) as ui, pytest.raises(AssertionError, match="bad handler"):
        ui.click("Boom")


def test_routing_dialogs_dropdown_resize_run_task():
    """The Flet 1.0 APIs in docs/flet-notes.md, exercised in-process."""
    log: list[str] = []

    def main(page: ft.Page) -> None:
        def route_change(e: ft.RouteChangeEvent | None = None) -> None:
            page.views.clear()
            page.views.append(ft.View(route="/", controls=[ft.Button("Go", on_click=lambda: page.navigate("/next"))]))
            if page.route == "/next":
                page.views.append(ft.View(route="/next", controls=[ft.Text("Next page")]))
            page.update()

        async def later() -> None:
            await asyncio.sleep(0.01)
            log.append("task ran")

        def show(e) -> None:
            page.show_dialog(ft.SnackBar(ft.Text("Saved")))

        def confirm(e) -> None:
            page.show_dialog(
                ft.AlertDialog(
                    title=ft.Text("Sure?"),
                    actions=[ft.TextButton("Yes", on_click=lambda: page.pop_dialog())],
                )
            )

        page.on_route_change = route_change
        page.on_resize = lambda e: log.append(f"resize {e.width}x{e.height}")
        route_change()
        page.views[0].controls += [
            ft.Button("Snack", on_click=show),
            ft.Button("Confirm", on_click=confirm),
            ft.Dropdown(
                label="Role",
                options=[ft.DropdownOption(key="t", text="Teacher"), ft.DropdownOption(key="a", text="Admin")],
                on_select=lambda e: log.append(f"role {e.control.value}"),
            ),
            ft.Checkbox(label="Remember me", on_change=lambda e: log.append(f"remember {e.control.value}")),
        ]
        page.update()
        page.run_task(later)

    with UiHarness(main) as ui:
        assert "task ran" in log
        ui.click("Snack")
        assert [type(d) for d in ui.open_dialogs()] == [ft.SnackBar]
        assert ui.has_text("Saved")
        ui.click("Confirm")
        assert ui.has_text("Sure?")
        ui.click("Yes")
        assert not ui.has_text("Sure?")
        ui.select("Role", "a")
        ui.set_value(ui.find(ft.Checkbox, label="Remember me"), True)
        ui.resize(1280, 800)
        assert ui.page.width == 1280
        ui.click("Go")
        assert ui.page.route == "/next"
        assert ui.has_text("Next page")
        assert ("push_route", {"route": "/next"}) in ui.invoked
        ui.go("/")
        assert not ui.has_text("Next page")
    assert log == ["task ran", "role a", "remember True", "resize 1280x800"]
