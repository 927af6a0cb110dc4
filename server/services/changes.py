"""The end of every transaction that changed records: number submitted incidents, work out and queue the
notifications, then write it all. Pushes and admin service calls finish the same way, so a record written
by either gets the same reference, notifications and sequence number."""

from __future__ import annotations

from server.core.config import Settings
from server.services.notifications import deliver_notifications
from server.services.records import RecordWriter
from server.services.references import assign_references


def finish(writer: RecordWriter, settings: Settings) -> None:
    # Bookkeeping rows first: numbering locks the organisation's counter row until commit, so everything
    # that can be written before it is.
    writer.flush_rows()
    numbered = assign_references(writer)
    deliver_notifications(writer, settings, numbered)
    writer.flush()
