"""When each request arrived, read before its body is received: a device's clock is measured against it.

Read in the route instead, a large push's upload time would count as clock offset (seconds on a slow
link), and the server would shift a right clock's stamps by it.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from sync.hlc import wall_clock_ms


class ArrivalTime:
    """Notes the arrival time (ms since 1970) in the request's state as `arrived_ms`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope.setdefault("state", {})["arrived_ms"] = wall_clock_ms()
        await self.app(scope, receive, send)


def arrived_ms(request: Request) -> int | None:
    """When `request` arrived (None when the middleware is not installed)."""
    return getattr(request.state, "arrived_ms", None)
