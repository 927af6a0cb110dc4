"""Two real devices editing one Smart Plan offline, then syncing with a real server: different sections merge
without a conflict; the same item keeps the other value as a conflict, shown on the plan; contributions from
both arrive, never conflicting."""

from __future__ import annotations

from tests.support.client import ClientDevice
from tests.support.server import Org, ServerProcess


def test_two_leads_edit_one_plan_offline(server: ServerProcess, org: Org, tmp_path) -> None:
    kim = org.children["kim"]
    lena = ClientDevice.create(server.url, org.email("lena"), tmp_path / "lena")
    ada = ClientDevice.create(server.url, org.email("ada"), tmp_path / "ada")
    sam = ClientDevice.create(server.url, org.email("sam"), tmp_path / "sam")
    lena.sync()
    plan = lena.services.plans.start(kim)
    lena.sync()
    ada.sync()
    sam.sync()

    # Offline: different sections, then the same item.
    lena.services.plans.edit(plan, {"triggers": "Loud corridors", "amber_helps": "Quiet space"})
    ada.services.plans.edit(plan, {"about_strengths": "Art and football", "red_reduce_aim": "No holds by Easter"})
    sam.services.plans.contribute(
        plan, "about_me", "Dad says he loves fishing", on_behalf_of="parent_carer", name="Dad"
    )
    lena.services.plans.contribute(plan, "green", "Meet and greet at the door")
    for device in (lena, ada, sam):
        report = device.sync()
        assert report.quarantined == report.rejected == 0
    lena.sync()
    merged = lena.services.plans.get(plan)
    assert (merged.values["triggers"], merged.values["about_strengths"]) == ("Loud corridors", "Art and football")
    assert (merged.values["amber_helps"], merged.values["red_reduce_aim"]) == ("Quiet space", "No holds by Easter")
    assert merged.conflicts == []
    assert len(lena.services.plans.contributions(plan)) == 2

    lena.services.plans.edit(plan, {"early_signs": "Pacing"})
    ada.services.plans.edit(plan, {"early_signs": "Hood up"})
    lena.sync()
    ada.sync()
    lena.sync()
    for device in (lena, ada):
        kept = device.services.plans.get(plan)
        assert {c.field for c in kept.conflicts} == {"early_signs"}
        shown = {kept.values["early_signs"], *(c.value for c in kept.conflicts)}
        assert shown == {"Pacing", "Hood up"}

    lena.services.plans.resolve_conflict(plan, "early_signs", "Pacing, hood up")
    lena.sync()
    ada.sync()
    settled = ada.services.plans.get(plan)
    assert settled.values["early_signs"] == "Pacing, hood up" and settled.conflicts == []
