"""What every service needs from the signed-in session: the open store, who is acting, what they may do."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from app.errors import AppError
from localdb.queries import Stored as Stored  # re-exported for the screens (a record as read)
from localdb.store import LocalStore, StorageError, StorageFull
from localdb.store import StoreLockedError as StoreLockedError  # re-exported for the screens
from sync.ops import Action, OpError
from sync.permissions import Capability, can
from sync.protocol import UserInfo
from sync.records import Role


class ActionError(AppError):
    """A user action that cannot be done; the message says why in plain words. Nothing was changed."""


class PermissionDenied(ActionError):
    """The user's role does not allow this action (the server checks it again)."""


# `StorageError` (imported above) is also what the screens catch, through app/, for a store write the app did
# not word itself; `StoreLockedError`, for an action that found the store locked (it locks itself when idle).


class StorageProblem(ActionError):
    """The device's storage refused a write (full, or the data folder read-only): nothing of it was saved,
    nothing saved before was lost."""


@contextmanager
def saving(what: str) -> Iterator[None]:
    """Word a storage failure for the person at the screen: `what` is what was not saved ("the tap")."""
    try:
        yield
    except StorageFull as error:
        raise StorageProblem(
            f"This device is out of storage: {what} was not saved. Free some space and try again."
        ) from error
    except StorageError as error:
        raise StorageProblem(
            f"besmart cannot write to its data folder on this device (it may be read-only): {what} was not "
            "saved. Check the device's storage and try again."
        ) from error


@dataclass
class Context:
    store: LocalStore
    user: UserInfo
    #: called after every local write, e.g. to refresh the pending count or ask for a sync
    on_write: Any = None

    def can(self, capability: Capability) -> bool:
        return can(self.user.role, capability)

    def removal(self, reason: str) -> dict[str, Any]:
        """The fields that delete a record with a reason (a published plan, a submitted incident: kept, for
        leads), as this user, now."""
        return {
            "removed": True,
            "removed_reason": reason.strip(),
            "removed_by": self.user.id,
            "removed_at": now_utc().isoformat(),
        }

    def require(self, capability: Capability, doing: str) -> None:
        if not self.can(capability):
            raise PermissionDenied(f"Your role does not allow you to {doing}.")

    def write(
        self,
        kind: str,
        action: Action,
        fields: dict[str, Any] | None = None,
        *,
        record_id: str | None = None,
        profile_id: str | None = None,
        base: dict[str, list[str]] | None = None,
        what: str = "your change",
        reason: str | None = None,
    ) -> str:
        """One local write as this user; returns the record id. Invalid input or a full disk: ActionError
        (`what` names the write in that message), nothing saved. `reason`: why a submitted record is amended."""
        try:
            with saving(what):
                op = self.store.write(
                    kind,
                    action,
                    fields,
                    actor_id=self.user.id,
                    record_id=record_id,
                    profile_id=profile_id,
                    base=base,
                    reason=reason,
                )
        except OpError as error:
            raise ActionError(_plain(str(error))) from None
        if self.on_write is not None:
            self.on_write()
        return op.record_id

    def audit(self, action: str, kind: str, record_id: str | None, profile_id: str | None, *, what: str) -> None:
        """Record what this user did on this device with a record (viewed it, downloaded it) as an
        `audit_event`, synced like any write; the server writes it to its audit log (docs/permissions.md).
        A failure to save it is an ActionError naming `what`: the caller then does not go on."""
        self.write(
            "audit_event",
            "create",
            {
                "actor_id": self.user.id,
                "action": action,
                "record_kind": kind,
                "record_id": record_id,
                "profile_id": profile_id,
                "device_id": self.store.device_id,
                "at": now_utc().isoformat(),
            },
            what=what,
        )

    def role_label(self) -> str:
        """The user's role and whom it lets them see, as the account menu shows it: "Lead · Brightwater
        Academy" for a lead limited to a setting, "Lead · whole organisation", "Staff" (their children)."""
        role = self.user.role
        title = role.capitalize()
        if role == Role.STAFF:
            return title
        me = self.store.get(self.user.id)
        limit = list(me.values.get("setting_ids") or []) if me is not None and me.kind == "staff" else []
        if role != Role.LEAD or not limit:
            return f"{title} · whole organisation"
        names = {s.id: s.values.get("name", "") for s in self.store.records("setting")}
        return f"{title} · " + ", ".join(names.get(setting_id) or "a setting" for setting_id in limit)

    def organisation_name(self) -> str:
        found = self.store.records("organisation")
        return str(found[0].values.get("name", "")) if found else ""

    def staff_names(self) -> dict[str, str]:
        return {s.id: s.values.get("name", "") for s in self.store.records("staff", remember=True)}

    def individual_names(self) -> dict[str, str]:
        return {p.id: display_name(p) for p in self.store.individuals()}

    def get(self, record_id: str, kind: str) -> Stored:
        found = self.store.get(record_id)
        if found is None or found.kind != kind:
            raise ActionError(f"That {kind.replace('_', ' ')} is not on this device.")
        return found


def display_name(individual: Stored) -> str:
    values = individual.values
    first = values.get("preferred_name") or values.get("first_name", "")
    return f"{first} {values.get('last_name', '')}".strip()


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_PLAIN_PHRASES = {
    "String should have at least 1 character": "must not be empty",
    "Input should be a valid": "is not a valid",
    "Field required": "is required",
    "Value error, ": "",
}


def _plain(message: str) -> str:
    """Turn a validation message into something a person can act on."""
    for kind in ("incident", "communication", "clicker_event", "smart_plan", "plan_contribution"):
        message = message.replace(f"invalid {kind}: ", "Please check the form: ")
    for technical, plain in _PLAIN_PHRASES.items():
        message = message.replace(technical, plain)
    return message.replace("_", " ")
