"""The notifications inbox: what the server told this user (incidents submitted, invitations to
collaborate, communications and responses, flags), newest first; read state syncs back."""

from __future__ import annotations

from app.context import Context
from localdb.queries import Stored


class Notifications:
    def __init__(self, context: Context) -> None:
        self.context = context

    def inbox(self, *, unread_only: bool = False) -> list[Stored]:
        found = self.context.store.notifications(unread_only=unread_only)
        return sorted(found, key=lambda n: n.values.get("created_at", ""), reverse=True)

    def unread_count(self) -> int:
        return len(self.context.store.notifications(unread_only=True))

    def mark_read(self, notification_id: str) -> None:
        notification = self.context.get(notification_id, "notification")
        if not notification.values.get("read"):
            self.context.write("notification", "update", {"read": True}, record_id=notification_id)
