"""The root of every exception the server raises (the tree is in the package docstring, `server/__init__.py`).

Named `ServerSideError`, not `ServerError`: the client's sync engine already has a `sync.gateway.ServerError`
(the server's refusal as the device sees it), a different thing."""

from __future__ import annotations


class ServerSideError(Exception):
    """Base of every server exception: a refused service call or request, an admin command, an import."""
