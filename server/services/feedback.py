"""Reports of a problem with a tool's output (`output_feedback` records) for an administrator at the command
line: list them (open first; each one shown is audited as a `view`, the output may quote a child's record)
and resolve one with a note (written by the server, audited as the operator's: `audit.set_operator`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from server.services.audit import audit_entry, operator_of, write_audit
from server.services.organisations import AdminError, get_record, live_states, write_record
from server.services.records import utcnow
from sync.records import FeedbackStatus

KIND = "output_feedback"


@dataclass(frozen=True)
class Report:
    id: str
    org_id: str
    values: dict[str, object]

    @property
    def profile_id(self) -> str | None:
        """The individual the reported output is about, if any."""
        about = self.values.get("profile_id")
        return str(about) if about else None

    @property
    def open(self) -> bool:
        return self.values.get("status", FeedbackStatus.OPEN) == FeedbackStatus.OPEN


def list_feedback(session: Session, *, org_id: str | None = None, status: str | None = None) -> list[Report]:
    """The reports of one organisation or of all, open first and newest first within each; `status`: only
    those open or resolved. Each one listed is audited as a `view` by the session's operator."""
    found = [
        Report(state.id, org, state.values())
        for org, state in live_states(session, KIND, org_id)
        if status is None or state.values().get("status") == status
    ]
    found.sort(key=lambda r: str(r.values.get("created_at", "")), reverse=True)
    found.sort(key=lambda r: not r.open)
    viewer = operator_of(session)
    if viewer is not None:
        now = utcnow()
        write_audit(
            session,
            [
                audit_entry(
                    now, r.org_id, viewer, None, "view", KIND, r.id, str(r.values.get("profile_id") or "") or None
                )
                for r in found
            ],
        )
    return found


def resolve_feedback(session: Session, report_id: str, resolution: str, *, resolved_by: str) -> Report:
    """Mark a report resolved by `resolved_by` (the operator, "cli:ann"), saying what was done."""
    if not resolution.strip():
        raise AdminError("say what was done about the report (--note)")
    found = get_record(session, report_id.strip())
    if found is None or found[1].kind != KIND or found[1].deleted:
        raise AdminError(f"no report {report_id} (`admin feedback list` shows them)")
    org_id, state = found
    if state.values().get("status") == FeedbackStatus.RESOLVED:
        raise AdminError(f"report {report_id} has already been resolved")
    fields = {
        "status": FeedbackStatus.RESOLVED.value,
        "resolved_by": resolved_by,
        "resolved_at": utcnow().isoformat(),
        "resolution": resolution.strip(),
    }
    state = write_record(session, org_id, KIND, "update", fields, record_id=state.id)
    return Report(state.id, org_id, state.values())
