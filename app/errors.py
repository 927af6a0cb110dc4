"""The root of every exception the client's services raise (the tree is in the package docstring,
`app/__init__.py`). Screens catch these; each message is for the person at the screen."""

from __future__ import annotations


class AppError(Exception):
    """Base of every exception of the client's services: an action or a sign-in that cannot be done."""
