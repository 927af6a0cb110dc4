"""The end of every transaction that changed records: number submitted incidents, work out and queue the
notifications (and the emails of support requests to the besmart team), then write it all. Pushes and admin
service calls finish the same way, so a record written by either gets the same reference, notifications and
sequence number. An admin service's writes are audited first (`finish_server_writes`)."""

from __future__ import annotations

from server.core.config import Settings
from server.services.audit import operator_of
from server.services.notifications import deliver_notifications
from server.services.records import SYSTEM_ACTOR, RecordWriter
from server.services.references import reserve_references
from server.services.support import queue_support_emails


def finish(writer: RecordWriter, settings: Settings) -> None:
    # Numbering locks the organisation's counter row until commit, and every push that numbers an incident
    # queues for it: the bookkeeping rows are written and the notifications built (quoting a placeholder)
    # before the number is taken, so that what remains under the lock is writing the records and the commit.
    writer.flush_rows()
    reserved = reserve_references(writer)
    deliver_notifications(writer, settings, reserved.ids)
    queue_support_emails(writer, settings)
    reserved.number()
    writer.flush()


def finish_server_writes(writer: RecordWriter, settings: Settings, actor_id: str = SYSTEM_ACTOR) -> None:
    """`finish` for the writes an admin service made (`RecordWriter.server_write`), each audited first: as
    the session's operator's (`audit.set_operator`: an admin at the command line), else as the staff member's
    they were made as. What the server writes on its own account (the demo, tests' set-up) is not audited."""
    who = operator_of(writer.session) or (None if actor_id == SYSTEM_ACTOR else actor_id)
    if who is not None:
        for merged in writer.merged:
            writer.audit(
                org_id=merged.org_id,
                actor_id=who,
                device_id=None,
                action=merged.op.action,
                record_kind=merged.op.kind,
                record_id=merged.op.record_id,
                profile_id=merged.op.profile_id,
            )
    finish(writer, settings)
