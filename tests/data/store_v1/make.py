"""Makes `besmart.db` here: a device's store at local schema version 1, for `tests/localdb/test_schema.py`.

Run with the code of schema version 1 (main at e5ba722), from a copy of it, with no OS key store (so the
passphrase alone unlocks it) and the tests' fast key derivation:

    BESMART_KDF_TEST_FAST=1 PYTHONPATH=<copy> python tests/data/store_v1/make.py <copy>/out
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import keyring
from keyring.backends import fail

from localdb.store import LocalStore

PASSPHRASE = "version one passphrase"
WHEN = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def main(directory: Path) -> None:
    keyring.set_keyring(fail.Keyring())
    store = LocalStore(directory)
    store.initialise(PASSPHRASE, device_id="dev-v1")
    child = store.write("individual", "create", {"first_name": "Ada", "last_name": "Lovelace"}, actor_id="u1")
    kind = store.write("behaviour_type", "create", {"label": "On task", "valence": "positive"}, actor_id="u1")

    def tap(minute: int) -> str:
        return store.write(
            "clicker_event",
            "create",
            {
                "behaviour_type_id": kind.record_id,
                "staff_id": "u1",
                "occurred_at": (WHEN + dt.timedelta(minutes=minute)).isoformat(),
                "device_id": "dev-v1",
            },
            actor_id="u1",
            profile_id=child.profile_id,
        ).record_id

    synced_tap = tap(1)
    # The server acknowledged the first ops: the individual, the behaviour type and the first tap.
    store.mark_sending([1, 2, 3])
    store.acknowledge([1, 2, 3])
    sent_tap = tap(2)
    store.mark_sending([4])
    store.write("clicker_event", "delete", actor_id="u1", record_id=sent_tap)  # undone after it was sent
    tap(3)
    tap(4)
    incident = store.write(
        "incident",
        "create",
        {
            "recorded_by": "u1",
            "recorded_at": WHEN.isoformat(),
            "occurred_at": WHEN.isoformat(),
            "what_happened": "Threw a chair",
        },
        actor_id="u1",
        profile_id=child.profile_id,
    )
    store.write(
        "incident",
        "update",
        {"what_happened": "Threw a chair at the wall"},
        actor_id="u1",
        record_id=incident.record_id,
    )
    store.save_draft("draft-1", "incident", {"what_happened": "half written"}, profile_id=child.profile_id)
    store.put_secret("tokens", {"access": "secret-token"})
    store.add_sync_issue("issue-1", child.profile_id, {"status": "quarantined", "reason": "test"})
    print("synced tap", synced_tap)
    store.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
