"""The besmart client's composition root: the one place that wires the screens to the services and starts Flet.

    python main.py --server URL [--port P] [--web] [--data-dir DIR]

With no display, or with --web, the client serves its UI on 127.0.0.1 with every asset served locally
(no CDN), for a browser to open. Otherwise it opens a desktop window. `flet build` packages this module too
(`[tool.flet.app]` in pyproject.toml). Nothing imports it: `app/` never knows the screens, and the screens
reach the services only through `app/` (the import contracts in pyproject.toml).
"""

from __future__ import annotations

import argparse
import logging
import os

from app import codecache, collector

codecache.install()  # before flet: its controls are dataclasses, compiled at import (see app/codecache.py)

import flet as ft  # noqa: E402

from app.config import ConfigError, load_config  # noqa: E402
from screens.root import Root  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="main.py", description="The besmart client.")
    parser.add_argument("--server", help="sync server URL (default: flet.toml, or BESMART_SERVER_URL)")
    parser.add_argument("--port", type=int, help="web UI port (default: flet.toml web_port)")
    parser.add_argument("--web", action="store_true", help="serve the UI for a browser instead of a window")
    parser.add_argument("--data-dir", help="where the encrypted local data lives (default: BESMART_HOME)")
    args = parser.parse_args(argv)
    try:
        config = load_config(server_url=args.server, data_dir=args.data_dir, web_port=args.port)
    except ConfigError as error:  # one line naming the setting, not a traceback
        parser.exit(2, f"main.py: {error}\n")
    # Children's data is never logged: keep Flet's and httpx's chatter to warnings.
    logging.basicConfig(level=logging.WARNING)

    async def start(page: ft.Page) -> None:
        await Root(page, config).start()

    collector.settle()  # no full collection of the device's heap in the middle of a sync (app/collector.py)
    web = args.web or not os.environ.get("DISPLAY")
    if web:
        print(f"besmart client: open http://127.0.0.1:{config.web_port}/ (server {config.server_url})", flush=True)
        ft.run(
            start,
            view=None,
            host="127.0.0.1",
            port=config.web_port,
            no_cdn=True,
            web_renderer=ft.WebRenderer.CANVAS_KIT,
            assets_dir=str(config.assets_dir),
        )
    else:
        ft.run(start, assets_dir=str(config.assets_dir))


if __name__ == "__main__":
    main()
