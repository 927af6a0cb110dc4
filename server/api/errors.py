"""Every refusal as `sync.protocol.ErrorBody` JSON — {"error": code, "message": text} — and the request
body size limit.

Validation messages name the field that is wrong but never echo the value sent (it may be a child's data,
and error bodies end up in logs).
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.core.logs import escape
from server.errors import ServerSideError
from server.services.errors import ServiceError
from sync.protocol import ErrorBody

log = logging.getLogger("besmart.server.api")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
}


#: what each refusal means, for the OpenAPI schema: routes document theirs with `refusals(...)`
REFUSALS: dict[int, str] = {
    400: "Malformed JSON, or a request the server cannot take as it is",
    401: "No access token, or one that is not valid, expired or of a blocked device",
    403: "Not allowed for this user or device",
    404: "No such item (or not in your organisation)",
    409: "Conflicts with the item's current state",
    413: "The request body is too large",
    422: "A field or parameter is missing or invalid (the message names it)",
    429: "Too many attempts: wait the seconds in the Retry-After header",
    502: "The organisation's language model did not answer usefully (nothing of it is shown)",
    503: "The server is busy: try again after the seconds in the Retry-After header",
}
#: what any route with a JSON body can answer besides its own refusals
BODY_REFUSALS = (400, 413, 422)


def refusals(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route that can answer these statuses, each with the `ErrorBody` schema."""
    return {status: {"model": ErrorBody, "description": REFUSALS[status]} for status in sorted(set(statuses))}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


class ApiError(HTTPException, ServerSideError):
    """An HTTP refusal with a machine-readable code."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code=status, detail=message, headers=headers)
        self.code = code


def _describe_validation(error: RequestValidationError) -> tuple[int, str, str]:
    problems = error.errors()
    if any(p.get("type") == "json_invalid" for p in problems):
        return 400, "malformed_json", "The request body is not valid JSON."
    parts = []
    for problem in problems[:5]:
        where = ".".join(str(p) for p in problem.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {problem.get('msg', 'invalid')}")
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    return 422, "invalid_request", "; ".join(parts) + more


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, error: RequestValidationError) -> JSONResponse:
        status, code, message = _describe_validation(error)
        return error_response(status, code, message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = getattr(error, "code", None) or _HTTP_CODES.get(error.status_code, "error")
        message = error.detail if isinstance(error.detail, str) else "The request was refused."
        return error_response(error.status_code, code, message, getattr(error, "headers", None))

    @app.exception_handler(ServiceError)
    async def _service(_request: Request, error: ServiceError) -> JSONResponse:
        headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else {}
        if error.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return error_response(error.status, error.code, error.message, headers or None)


class SafeErrors:
    """Answer an unexpected failure with a 500 JSON body, and log where it happened but not its message:
    messages (a database error's above all) may quote the values sent — a child's data."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as error:
            where = traceback.extract_tb(error.__traceback__)[-1]
            method, path = escape(scope.get("method")), escape(scope.get("path"))  # as sent: may forge lines
            log.error(
                "unexpected %s on %s %s at %s:%s", type(error).__name__, method, path, where.filename, where.lineno
            )
            if not started:
                response = error_response(500, "server_error", "The server failed; nothing was changed.")
                await response(scope, receive, send)


class BodyLimit:
    """Refuse request bodies over `max_bytes` (413), whether or not they announce their length."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = f"The request body is larger than {self.max_bytes} bytes."
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    announced = int(value)
                except ValueError:
                    announced = 0
                if announced > self.max_bytes:
                    await error_response(413, "too_large", too_large)(scope, receive, send)
                    return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message: dict[str, Any] = dict(await receive())
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # Raised while the route reads its body, so the handlers above turn it into JSON.
                    raise ApiError(413, "too_large", too_large)
            return message

        await self.app(scope, limited, send)
