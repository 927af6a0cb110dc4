"""An individual's legal hold: a lead or admin puts their records on hold, with the reason (a claim, an
investigation, a subject access request under way), and lifts it. While it is on, none of their records is
deleted or destroyed — the server refuses it (docs/permissions.md) and so does this device."""

from __future__ import annotations

from dataclasses import dataclass

from app.context import ActionError, Context, now_utc
from sync.permissions import Capability

ON_HOLD = "This individual's records are on legal hold: nothing of theirs can be deleted."


def refuse_if_held(context: Context, profile_id: str | None) -> None:
    """Refuse a deletion of an individual's record while their records are on legal hold (ActionError)."""
    if profile_id and context.get(profile_id, "individual").values.get("legal_hold"):
        raise ActionError(ON_HOLD)


@dataclass(frozen=True)
class HoldStatus:
    on: bool
    reason: str
    by: str  # who set it (a name)
    at: str


class LegalHold:
    def __init__(self, context: Context) -> None:
        self.context = context

    def allowed(self) -> bool:
        return self.context.can(Capability.LEGAL_HOLD)

    def status(self, profile_id: str) -> HoldStatus:
        values = self.context.get(profile_id, "individual").values
        by = self.context.staff_names().get(values.get("legal_hold_by") or "", "")
        return HoldStatus(
            bool(values.get("legal_hold")), values.get("legal_hold_reason") or "", by, values.get("legal_hold_at") or ""
        )

    def set(self, profile_id: str, reason: str) -> None:
        """Put the individual's records on hold; the reason is required."""
        self.context.require(Capability.LEGAL_HOLD, "put records on legal hold")
        if not reason.strip():
            raise ActionError("Give the reason for the legal hold.")
        self._write(profile_id, on=True, reason=reason.strip())

    def lift(self, profile_id: str) -> None:
        self.context.require(Capability.LEGAL_HOLD, "lift a legal hold")
        self._write(profile_id, on=False, reason="")

    def _write(self, profile_id: str, *, on: bool, reason: str) -> None:
        self.context.get(profile_id, "individual")
        self.context.write(
            "individual",
            "update",
            {
                "legal_hold": on,
                "legal_hold_reason": reason,
                "legal_hold_by": self.context.user.id,
                "legal_hold_at": now_utc().isoformat(),
            },
            record_id=profile_id,
            what="the legal hold",
        )
