"""A tiny Flet 1.0 app that exercises what the UI test harnesses need.

Run it in web mode (what the e2e tests do):

    .venv/bin/python tests/e2e/sample_app.py --port 8551

It has a login-like form, a counter, an async handler, a NavigationBar, a Dropdown, an IconButton
and a banner,
and uses `ft.Semantics(identifier=...)` for stable selectors.
"""

from __future__ import annotations

import argparse
import asyncio

import flet as ft

BANNER = "Sample besmart app"


def main(page: ft.Page) -> None:
    page.title = "Harness sample"
    page.theme_mode = ft.ThemeMode.LIGHT
    page.padding = 16

    status = ft.Text("Not signed in")
    counter = ft.Text("Taps: 0")
    loaded = ft.Text("Idle")
    section = ft.Text("Section: Home")
    email = ft.TextField(label="Email", keyboard_type=ft.KeyboardType.EMAIL, autofocus=True)
    password = ft.TextField(label="Password", password=True, can_reveal_password=True)
    taps = 0

    def sign_in(e: ft.Event[ft.Button]) -> None:
        if not email.value or not password.value:
            status.value = "Email and password are required"
        else:
            status.value = f"Signed in as {email.value}"
        # No update() needed: Flet 1.0 sends the changes when the handler returns.

    def tap(e: ft.Event[ft.Button]) -> None:
        nonlocal taps
        taps += 1
        counter.value = f"Taps: {taps}"

    async def load(e: ft.Event[ft.Button]) -> None:
        loaded.value = "Loading…"
        loaded.update()  # show the intermediate state now
        await asyncio.sleep(0.3)
        loaded.value = "Loaded"
        loaded.update()  # handler called update() itself, so call it again at the end

    def role_select(e: ft.Event[ft.Dropdown]) -> None:
        status.value = f"Role: {e.control.value}"

    def show_help(e: ft.Event[ft.IconButton]) -> None:
        status.value = "Help shown"

    def nav_change(e: ft.Event[ft.NavigationBar]) -> None:
        idx = e.control.selected_index
        section.value = f"Section: {e.control.destinations[idx].label}"

    page.navigation_bar = ft.NavigationBar(
        destinations=[
            ft.NavigationBarDestination(icon=ft.Icons.HOME, label="Home"),
            ft.NavigationBarDestination(icon=ft.Icons.SETTINGS, label="Settings"),
        ],
        on_change=nav_change,
    )
    page.add(
        ft.Semantics(
            identifier="banner",
            content=ft.Text(BANNER, size=22, weight=ft.FontWeight.BOLD),
        ),
        email,
        password,
        ft.Row([ft.Button("Sign in", on_click=sign_in), ft.Button("Tap", on_click=tap)]),
        ft.Semantics(identifier="status", content=status),
        counter,
        ft.Row([ft.OutlinedButton("Load", on_click=load), loaded]),
        section,
        ft.Row(
            [
                # Dropdown and IconButton have no accessible name in the web client: give them an id.
                ft.Semantics(
                    identifier="role",
                    content=ft.Dropdown(
                        label="Role",
                        options=[
                            ft.DropdownOption(key="teacher", text="Teacher"),
                            ft.DropdownOption(key="admin", text="Admin"),
                        ],
                        on_select=role_select,
                    ),
                ),
                ft.Semantics(
                    identifier="help",
                    content=ft.IconButton(ft.Icons.HELP_OUTLINE, tooltip="Help", on_click=show_help),
                ),
            ]
        ),
    )


def run(port: int, renderer: str = "canvaskit") -> None:
    ft.run(
        main,
        view=None,
        host="127.0.0.1",
        port=port,
        no_cdn=True,
        web_renderer=ft.WebRenderer(renderer),
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--renderer", default="canvaskit", choices=["canvaskit", "skwasm", "auto"])
    args = parser.parse_args()
    run(args.port, args.renderer)
