"""POST /assistant: one request to the organisation's language model, pseudonymised on the way out and
restored on the way back (server.services.assistant). Off (409) unless the server is configured for it."""

from __future__ import annotations

from fastapi import APIRouter

from server.api.deps import CurrentCaller, State
from server.api.errors import BODY_REFUSALS, refusals
from server.services.assistant import ask
from sync.protocol import AssistantAnswer, AssistantRequest

router = APIRouter(prefix="/assistant", tags=["assistant"])


@router.post("", response_model=AssistantAnswer, responses=refusals(*BODY_REFUSALS, 401, 403, 404, 409, 502))
def assistant(body: AssistantRequest, caller: CurrentCaller, state: State) -> AssistantAnswer:
    """Improve a letter draft, or summarise an individual you reach. 409 when the assistant is not set up,
    403 when your role may not use it, 502 when the model fails."""
    text = ask(state.db, state.settings, caller.actor, task=body.task, text=body.text, individual_id=body.individual_id)
    return AssistantAnswer(text=text)
