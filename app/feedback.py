"""Reports of a problem with a tool's output ("Report a problem with this output"): anyone shown an output — a
letter draft, a language check, an AI Support suggestion — can send it with a note and later see the answer;
leads and administrators list the reports (open first) and resolve them with a note.

A report is an `output_feedback` record: written to the encrypted store offline and synced like any other.
The output may quote a child's record, so the server sends a report only to its author and to the leads and
administrators who reach the individual it is about (server/permissions.py); resolving is checked there too.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.context import ActionError, Context, display_name, now_utc
from localdb.queries import Stored
from sync.permissions import Capability
from sync.records import FEEDBACK_OUTPUT_MAX, FeedbackStatus, label

#: what the screens call each tool whose output can be reported (a tool not named here is shown in words)
TOOL_LABELS = {
    "letter": "Letter draft",
    "language_check": "Language check",
    "assistant": "AI assistant",
    "suggestion": "AI Support suggestion",
    "summary": "AI Support summary of a record",
}

#: a longer output than a report keeps is cut, and says so
CUT = "\n[… cut: the output was longer]"
MAX_OUTPUT = FEEDBACK_OUTPUT_MAX - len(CUT)


def tool_label(tool: str) -> str:
    return TOOL_LABELS.get(tool) or tool.replace("_", " ").capitalize()


@dataclass(frozen=True)
class FeedbackItem:
    """One report as the leads' list shows it."""

    id: str
    tool: str
    output: str
    note: str
    author: str
    created_at: str
    #: what the output was made from, in words ("Incident besmart-10281 · Ada Lovelace"), "" for nothing
    about: str
    status: FeedbackStatus
    resolved_by: str
    resolved_at: str | None
    resolution: str
    #: not yet sent to the server
    pending: bool

    @property
    def open(self) -> bool:
        return self.status == FeedbackStatus.OPEN

    @property
    def status_label(self) -> str:
        return label(FeedbackStatus, self.status)


class Feedback:
    """Report a problem with an output; list and resolve the reports (leads and administrators)."""

    def __init__(self, context: Context) -> None:
        self.context = context

    def report(self, tool: str, output: str, note: str, *, about: str | None = None) -> str:
        """Save a report of `output` made by `tool`, with the person's `note`; `about`: the id of the record the
        output was made from (an incident, a communication, an individual). Returns the report's id."""
        if not note.strip():
            raise ActionError("Say what looks wrong with this output, so a lead can look into it.")
        if not output.strip():
            raise ActionError("There is no output to report.")
        if len(output) > MAX_OUTPUT:
            output = output[:MAX_OUTPUT] + CUT
        fields: dict[str, object] = {
            "tool": tool,
            "output": output,
            "note": note.strip(),
            "author_id": self.context.user.id,
            "created_at": now_utc().isoformat(),
        }
        if about:
            record = self.context.store.get(about)
            if record is None:
                raise ActionError("The record this output was made from is not on this device.")
            fields |= {"record_id": record.id, "record_kind": record.kind, "profile_id": record.profile_id}
        return self.context.write("output_feedback", "create", fields, what="your report")

    def may_review(self) -> bool:
        return self.context.can(Capability.REVIEW_FEEDBACK)

    def items(self, *, status: FeedbackStatus | None = None) -> list[FeedbackItem]:
        """The reports this person may see, open first, newest first within each: for a lead or an
        administrator every report on the device (the server sends them those about individuals they reach),
        for anyone else their own, with the answer once a lead has resolved it."""
        staff = self.context.staff_names()
        mine_only = not self.may_review()
        found = [
            self._item(record, staff)
            for record in self.context.store.records("output_feedback")
            if (status is None or record.values.get("status") == status)
            and not (mine_only and record.values.get("author_id") != self.context.user.id)
        ]
        found.sort(key=lambda item: item.created_at, reverse=True)
        found.sort(key=lambda item: not item.open)
        return found

    def open_count(self) -> int:
        return sum(1 for item in self.items() if item.open)

    def resolve(self, feedback_id: str, resolution: str) -> None:
        """Mark a report resolved, saying what was done about it."""
        self.context.require(Capability.REVIEW_FEEDBACK, "resolve reports of problems with outputs")
        record = self.context.get(feedback_id, "output_feedback")
        if record.values.get("status") == FeedbackStatus.RESOLVED:
            raise ActionError("This report has already been resolved.")
        if not resolution.strip():
            raise ActionError("Say what was done about the report before resolving it.")
        self.context.write(
            "output_feedback",
            "update",
            {
                "status": FeedbackStatus.RESOLVED.value,
                "resolved_by": self.context.user.id,
                "resolved_at": now_utc().isoformat(),
                "resolution": resolution.strip(),
            },
            record_id=feedback_id,
            what="the resolution",
        )

    def _item(self, record: Stored, staff: dict[str, str]) -> FeedbackItem:
        v = record.values
        resolver = v.get("resolved_by") or ""
        return FeedbackItem(
            id=record.id,
            tool=tool_label(v.get("tool", "")),
            output=v.get("output", ""),
            note=v.get("note", ""),
            author=staff.get(v.get("author_id", ""), "") or "Someone no longer listed",
            created_at=v.get("created_at", ""),
            about=self._about(v),
            status=FeedbackStatus(v.get("status") or FeedbackStatus.OPEN),
            # An operator at the server's command line is named as the audit log names them ("cli:ann").
            resolved_by=staff.get(resolver, resolver),
            resolved_at=v.get("resolved_at"),
            resolution=v.get("resolution", ""),
            pending=record.pending,
        )

    def _about(self, values: dict[str, object]) -> str:
        parts = []
        record_id, kind = values.get("record_id"), values.get("record_kind")
        if record_id and kind:
            record = self.context.store.get(str(record_id))
            reference = record.values.get("reference") if record is not None and kind == "incident" else None
            if kind != "individual":
                parts.append(f"{str(kind).replace('_', ' ').capitalize()} {reference or ''}".strip())
        profile_id = values.get("profile_id")
        if profile_id:
            individual = self.context.store.get(str(profile_id))
            parts.append(display_name(individual) if individual is not None else "an individual not on this device")
        return " · ".join(parts)
