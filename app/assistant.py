"""The AI assistant on the device: ask the server's language model to improve a letter draft or summarise an
individual's recent record. Online only — the server pseudonymises what it sends and restores the names in
the answer; offline, or when the organisation has not set it up, the person is told so in words and
everything else keeps working."""

from __future__ import annotations

from app.errors import AppError
from localdb.store import LocalStore
from sync.gateway import OfflineError, ReauthRequired, ServerError, ServerGateway
from sync.protocol import AssistantRequest

OFFLINE = "AI Support needs a connection to the server: try again when you are online."


class AssistantUnavailable(AppError):
    """The assistant cannot answer now (offline, not set up, not for this role, or the model failed); the
    message says which. `status`: the server's refusal (403, 409, 502...), None when offline."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AssistantService:
    """The assistant for one unlocked store, through `gateway`."""

    def __init__(self, store: LocalStore, gateway: ServerGateway) -> None:
        self._gateway = gateway.for_device(store)

    async def improve_letter(self, draft: str, *, individual_id: str | None = None) -> str:
        """The draft, improved by the model, with every name as it was."""
        return await self._ask(AssistantRequest(task="improve_letter", text=draft, individual_id=individual_id))

    async def summarise(self, individual_id: str) -> str:
        """A summary of an individual's recent record (made on the server from the records you reach)."""
        return await self._ask(AssistantRequest(task="summarise_individual", individual_id=individual_id))

    async def _ask(self, request: AssistantRequest) -> str:
        try:
            answer = await self._gateway.assistant(request)
        except OfflineError:
            raise AssistantUnavailable(OFFLINE) from None
        except ReauthRequired as error:
            raise AssistantUnavailable(str(error)) from None
        except ServerError as error:
            raise AssistantUnavailable(str(error), error.status) from None
        return answer.text
