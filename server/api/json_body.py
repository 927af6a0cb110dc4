"""A route whose JSON body pydantic reads straight from the request's bytes.

FastAPI reads a JSON body with `json.loads` and then validates the Python objects it made against the
body's model: for a push of a hundred ops that is two passes over every op, most of a request's own
parsing cost. Pydantic validates the bytes in one pass (`model_validate_json`), several times cheaper.

Only a body that passes that way is read that way, and it is then the very model FastAPI would have
built from it (for any body `json.loads` also takes: the JSON parser underneath refuses whatever
`json.loads` refuses, and more — lone surrogates, a byte order mark, UTF-16, very deep nesting). Anything
else — malformed JSON, a body of another content type, an invalid request — goes exactly the way it always
went: FastAPI's own reading, content-type check and validation, so every refusal stays the same.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError


def _body_model(route: APIRoute) -> type[BaseModel] | None:
    """The model of the route's body when it is one model, not embedded (what the fast path can build)."""
    field = route.body_field
    if field is None or route._embed_body_fields:
        return None
    model = field.field_info.annotation
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _reading(model: type[BaseModel]) -> type[Request]:
    """A request whose JSON is the body `model` read from the bytes, when they are a valid one."""

    class Parsed(Request):
        async def json(self) -> Any:
            # FastAPI asks for the JSON only once it has checked the content type; the model instance it gets
            # back is taken as it is (pydantic does not validate an instance of the model again).
            if not hasattr(self, "_json"):
                try:
                    self._json = model.model_validate_json(await self.body())
                except ValidationError:
                    return await super().json()  # FastAPI's own reading, and its own refusal
            return self._json

    return Parsed


class JsonBodyRoute(APIRoute):
    """An `APIRoute` whose body model, when the request's bytes are a valid one, is built from the bytes."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        model = _body_model(self)
        if model is None:
            return handler
        parsed = _reading(model)

        async def read(request: Request) -> Response:
            return await handler(parsed(request.scope, request.receive, request._send))

        return read
