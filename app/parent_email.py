"""The written report to parents, emailed through the server (issue #13): offered only where the organisation
allows it (its `parent_report_email`, set by an admin), for a user who may record, for the report after a
restrictive intervention. The device sends the letter as the person reviewed and edited it (a PDF without the
draft's warning, `Letters.sent_pdf`); the server emails it to the contacts with parental responsibility, audits
it and marks the report sent by email — that write syncs back like any other. Online only: offline, or when
the server refuses, the person is told so in words and "Written report sent" (marked by hand) still works.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.context import Context
from app.errors import AppError
from app.letters import LetterDraft, LetterKind, Letters
from sync.compliance import why_not_emailed
from sync.gateway import OfflineError, ReauthRequired, ServerError, ServerGateway
from sync.permissions import Capability

OFFLINE = "Emailing the report needs a connection to the server: try again when you are online."


class ParentEmailUnavailable(AppError):
    """The report could not be emailed (offline, not allowed, no contact to send it to); the message says which.
    `status`: the server's refusal (403, 404, 409, 422...), None when offline. Nothing was sent or marked."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Recipient:
    """A key contact the report goes to (from this device's store; the server decides again)."""

    name: str
    relationship: str
    email: str


class ParentEmail:
    """Emailing the written report for one unlocked store, through `gateway` (None: this session has no server)."""

    def __init__(self, context: Context, letters: Letters, gateway: ServerGateway | None) -> None:
        self.context = context
        self.letters = letters
        self._gateway = gateway.for_device(context.store) if gateway is not None else None

    def allowed(self) -> bool:
        """Whether the organisation lets reports be emailed and this user may send one."""
        organisation = self.context.store.records("organisation")
        on = bool(organisation and organisation[0].values.get("parent_report_email"))
        return on and self._gateway is not None and self.context.can(Capability.RECORD)

    def offered(self, draft: LetterDraft) -> bool:
        """Whether this letter may be emailed from here: the written report after force, of a submitted incident
        whose report goes to the parents (the server checks again)."""
        if draft.kind != LetterKind.RESTRAINT or not self.allowed():
            return False
        incident = self.context.store.get(draft.record_id)
        return incident is not None and why_not_emailed(incident.values) is None

    def recipients(self, profile_id: str | None) -> list[Recipient]:
        """The individual's key contacts with parental responsibility and an email, as this device knows them."""
        found = self.context.store.records("key_contact", profile_id) if profile_id else []
        return [
            Recipient(str(c.values.get("name", "")), str(c.values.get("relationship", "")), str(c.values["email"]))
            for c in found
            if c.values.get("parental_responsibility") and c.values.get("email")
        ]

    async def send(self, draft: LetterDraft, text: str) -> int:
        """Email the reviewed letter (`text`, as edited) to the parents; returns how many contacts it went to.
        ParentEmailUnavailable (nothing sent) when offline or refused."""
        if not self.allowed() or self._gateway is None:
            raise ParentEmailUnavailable("Emailing reports to parents is not turned on for your organisation.")
        incident = self.context.store.get(draft.record_id)
        refused = why_not_emailed(incident.values if incident is not None else {})
        if draft.kind != LetterKind.RESTRAINT or refused is not None:
            raise ParentEmailUnavailable(refused or "Only the written report after force is emailed to the parents.")
        if not text.strip():
            raise ParentEmailUnavailable("The letter is empty: write it before you send it.")
        pdf = self.letters.sent_pdf(draft, text)
        try:
            emailed = await self._gateway.email_parent_report(draft.record_id, pdf)
        except OfflineError:
            raise ParentEmailUnavailable(OFFLINE) from None
        except ReauthRequired as error:
            raise ParentEmailUnavailable(str(error)) from None
        except ServerError as error:
            raise ParentEmailUnavailable(str(error), error.status) from None
        if self.context.on_write is not None:
            self.context.on_write()  # a sync soon brings the report's "sent" back to this device
        return emailed.recipients
