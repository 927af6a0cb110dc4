"""An incident's history on the device, against a real server: two devices amend a submitted incident
offline, each with its reason; after they sync, the history (read from the server's op log, through the
app) shows both amendments with what they replaced, and the merge kept both changes. Offline, the device
shows its own changes still waiting to sync and says the rest is on the server."""

from __future__ import annotations

import pytest

from app.context import ActionError
from app.history import OFFLINE
from tests.support.client import ClientDevice
from tests.support.server import Org, ServerProcess, free_port


def amend(device: ClientDevice, record_id: str, values: dict[str, str], reason: str) -> None:
    draft = device.services.incidents.edit(record_id)
    device.services.incidents.save_page(draft.id, values)
    with pytest.raises(ActionError, match="say why you are changing it"):
        device.services.incidents.submit(draft.id)  # the report was submitted: a reason is required
    device.services.incidents.submit(draft.id, reason=reason)


def test_two_devices_amend_offline_and_the_history_shows_both(server: ServerProcess, org: Org, tmp_path) -> None:
    kim = org.children["kim"]
    sam = ClientDevice.create(server.url, org.email("sam"), tmp_path / "sam")
    lena = ClientDevice.create(server.url, org.email("lena"), tmp_path / "lena")
    try:
        sam.sync()
        draft = sam.services.incidents.start(kim)
        sam.services.incidents.save_page(draft.id, {"what_happened": "Shouted in class", "location": "Hall"})
        record_id = sam.services.incidents.submit(draft.id)
        sam.sync()
        lena.sync()

        # Both offline: Sam corrects the place, the lead adds to what happened.
        amend(sam, record_id, {"location": "Hall, by the stage"}, "More precise: I was there")
        amend(lena, record_id, {"what_happened": "Shouted in class, then left the room"}, "Spoke to the staff")
        nobody = f"http://127.0.0.1:{free_port()}"
        offline = sam.history(record_id, base_url=nobody)
        assert offline.notice == OFFLINE
        [mine] = offline.lines
        assert (mine.what, mine.reason, mine.pending) == ("Amended", "More precise: I was there", True)
        assert [(c.before, c.after) for c in mine.changes] == [("Hall", "Hall, by the stage")]

        sam.sync()
        lena.sync()
        sam.sync()
        for device in (sam, lena):
            values = device.services.incidents.get(record_id).values
            assert values["location"] == "Hall, by the stage"
            assert values["what_happened"] == "Shouted in class, then left the room"
            view = device.history(record_id)
            assert view.notice == "" and view.complete
            assert view.lines[0].what == "Recorded" and not any(line.pending for line in view.lines)
            amendments = {line.reason: line for line in view.lines if line.what == "Amended"}
            assert set(amendments) == {"More precise: I was there", "Spoke to the staff"}
            assert amendments["Spoke to the staff"].who == "Lena"
            [change] = amendments["Spoke to the staff"].changes
            assert (change.before, change.after) == ("Shouted in class", "Shouted in class, then left the room")
    finally:
        sam.close()
        lena.close()
