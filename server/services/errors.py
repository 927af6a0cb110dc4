"""The one refusal a service raises: an HTTP status, a machine-readable code and a message for people
(the API answers it as `sync.protocol.ErrorBody`). Nothing was changed when it is raised."""

from __future__ import annotations

from server.errors import ServerSideError


class ServiceError(ServerSideError):
    def __init__(self, status: int, code: str, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        #: seconds to wait before trying again (429)
        self.retry_after = retry_after
