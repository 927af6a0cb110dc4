"""Every user action as a plain service call, without a UI: clicker, communications, incident reports with
drafts, managing incidents, permissions, conflicts, notifications, directory."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from app.context import ActionError, Context, PermissionDenied
from app.services import Services
from localdb.store import LocalStore
from sync.hlc import Stamp
from sync.merge import apply_op
from sync.ops import Op, validate_op
from tests.support.device import PASSCODE, force_essentials, user
from tests.support.screens import server_create, server_update


def test_clicker_taps_count_today_and_undo(services: Services, child: str):
    buttons = services.clicker.buttons(child)
    assert [b.label for b in buttons] == ["On task", "Shouting out"]
    on_task = buttons[0].behaviour_type_id
    taps = [services.clicker.tap(child, on_task) for _ in range(3)]
    counts = {b.label: b.today for b in services.clicker.buttons(child)}
    assert counts == {"On task": 3, "Shouting out": 0}
    services.clicker.undo(taps[-1].record_id)
    assert services.clicker.today_counts(child) == {on_task: 2}
    assert services.context.store.pending_count() >= 4


def test_the_clicker_offers_a_behaviour_only_at_the_settings_it_is_for(services: Services, child: str):
    ctx = services.context
    ctx.write("behaviour_type", "create", {"label": "Missed curfew", "valence": "negative", "sort_order": 30,
                                           "setting_types": ["childrens_home"]})  # fmt: skip
    assert "Missed curfew" in [b.label for b in services.clicker.buttons(child)]  # no setting known: all of them
    school = ctx.write("setting", "create", {"name": "Oak School", "setting_type": "school"})
    ctx.write("individual", "update", {"setting_id": school}, record_id=child, profile_id=child)
    assert [b.label for b in services.clicker.buttons(child)] == ["On task", "Shouting out"]
    home = ctx.write("setting", "create", {"name": "Willow House", "setting_type": "childrens_home"})
    ctx.write("individual", "update", {"setting_id": home}, record_id=child, profile_id=child)
    assert [b.label for b in services.clicker.buttons(child)] == ["On task", "Shouting out", "Missed curfew"]


def test_yesterdays_taps_do_not_count_today(services: Services, child: str):
    on_task = services.clicker.buttons(child)[0].behaviour_type_id
    services.clicker.tap(child, on_task, at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1, hours=1))
    assert services.clicker.today_counts(child) == {}
    assert len(services.clicker.history(child)) == 1


def test_communications_and_responses_form_a_thread(services: Services, child: str):
    with pytest.raises(ActionError, match="Positive, Negative or N/A"):
        services.communications.send(child, "meh", "hello")
    with pytest.raises(ActionError, match="message"):
        services.communications.send(child, "positive", "   ")
    comm = services.communications.send(child, "positive", "Ada helped a classmate")
    services.communications.respond(comm, "Lovely to hear")
    [thread] = services.communications.threads(child)
    assert thread.communication.values["valence"] == "positive"
    assert [r.values["message"] for r in thread.responses] == ["Lovely to hear"]


def test_a_communication_is_always_from_the_signed_in_person(services: Services, child: str):
    """No author to choose: posting as a colleague would notify people as if they had written it."""
    assert services.communications.author_name() == "Sam Staff"
    with pytest.raises(TypeError):
        services.communications.send(child, "positive", "Written by Lee?", author_id="u-lead")  # type: ignore[call-arg]
    assert services.communications.threads(child) == []  # nothing was saved
    comm = services.communications.send(child, "negative", "Left the line at the fire drill")
    assert services.context.store.get(comm).values["author_id"] == "u-staff"


def test_incident_report_pages_are_drafts_that_survive_a_restart(tmp_path: Path, memory_keyring):
    store = LocalStore(tmp_path / "d")
    store.initialise(PASSCODE)
    services = Services.of(Context(store, user()))
    person = services.context.write("individual", "create", {"first_name": "Bo", "last_name": "Peep"})
    draft = services.incidents.start(person, physical_intervention=True)
    assert [title for title, _ in draft.pages] == ["Incident", "Physical intervention", "Post-incident learning"]
    services.incidents.save_page(draft.id, {"what_happened": "Threw a chair", "location": "Hall"}, page=1)
    store.close()

    store = LocalStore(tmp_path / "d")
    store.unlock(PASSCODE)
    services = Services.of(Context(store, user()))
    [resumed] = services.incidents.drafts()
    assert resumed.page == 1 and resumed.values["what_happened"] == "Threw a chair"
    services.incidents.save_page(
        resumed.id,
        {
            **force_essentials(),
            "pi_deescalation": [{"technique": "Calm voice", "effectiveness": "partly_effective"}],
            "pild_perspective": "Felt ignored",
            "exclusions": [{"type": "SUSP", "sessions": 2, "reasons": ["PA", "DM"]}],
        },
        page=2,
    )
    record_id = services.incidents.submit(resumed.id)
    assert services.incidents.drafts() == []
    incident = services.incidents.get(record_id)
    assert incident.values["status"] == "submitted" and incident.values["physical_intervention"] is True
    [summary] = services.incidents.list(days=7)
    assert summary.label == "Waiting for sync" and summary.pending
    store.close()


def test_an_invalid_report_stays_a_draft_with_a_clear_message(services: Services, child: str):
    draft = services.incidents.start(child)
    with pytest.raises(ActionError, match="what happened"):
        services.incidents.submit(draft.id)
    services.incidents.save_page(draft.id, {"what_happened": "x", "exclusions": [{"type": "SUSP", "reasons": ["ZZ"]}]})
    with pytest.raises(ActionError, match="exclusions"):
        services.incidents.submit(draft.id)
    assert services.incidents.draft(draft.id).values["what_happened"] == "x"
    assert services.incidents.list() == []
    with pytest.raises(ActionError, match="Not part of an incident"):
        services.incidents.save_page(draft.id, {"shoe_size": 5})


def _recorded_incident(services: Services, child: str) -> str:
    draft = services.incidents.start(child)
    services.incidents.save_page(draft.id, {"what_happened": "Shouted at a peer"})
    return services.incidents.submit(draft.id)


def test_the_form_cannot_save_nonsense_moments_or_unknown_people(services: Services, child: str):
    """Each refusal says what is wrong and leaves the draft exactly as it was."""
    draft = services.incidents.start(child, physical_intervention=True)
    services.incidents.save_page(draft.id, {"staff_present": ["u-lead"]})
    before = services.incidents.draft(draft.id).values
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    for values, message in (
        ({"occurred_at": "1/12/2026 09:15"}, "When it happened is not a date and time."),
        ({"occurred_at": "2026-12-01T09:15:00"}, "When it happened is not a date and time."),  # no time zone
        ({"occurred_at": future}, "When it happened can't be in the future."),
        ({"pi_ended_at": future}, "When the physical intervention ended can't be in the future."),
        ({"staff_present": ["u-lead", "u-nobody"]}, "Choose the staff involved from the list."),
        ({"staff_present": "u-lead"}, "Choose the staff involved from the list."),
        ({"other_individuals": [child]}, "Choose the individuals involved from the list."),  # not the child themself
        ({"other_individuals": ["u-lead"]}, "Choose the individuals involved from the list."),
    ):
        with pytest.raises(ActionError) as refused:
            services.incidents.save_page(draft.id, {"location": "Hall", **values})
        assert str(refused.value) == message
        assert services.incidents.draft(draft.id).values == before
    a_minute_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()
    other = services.context.write("individual", "create", {"first_name": "Bo", "last_name": "Peep"})
    saved = services.incidents.save_page(
        draft.id, {"occurred_at": a_minute_ago, "pi_ended_at": None, "other_individuals": [other]}
    )
    assert saved.values["occurred_at"] == a_minute_ago and saved.values["other_individuals"] == [other]


def test_an_intervention_ending_before_it_starts_is_refused_as_it_is_typed(services: Services, child: str):
    draft = services.incidents.start(child, physical_intervention=True)
    ten, half_past = (
        (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=m)).replace(microsecond=0).isoformat() for m in (40, 10)
    )
    services.incidents.save_page(draft.id, {"pi_started_at": half_past})
    with pytest.raises(ActionError, match=r"^The physical intervention ends before it starts: check when"):
        services.incidents.save_page(draft.id, {"pi_ended_at": ten})
    assert "pi_ended_at" not in services.incidents.draft(draft.id).values
    services.incidents.save_page(draft.id, {"pi_started_at": ten, "pi_ended_at": half_past})  # both put right


def test_discriminatory_behaviour_needs_its_kind_before_submitting(services: Services, child: str):
    draft = services.incidents.start(child)
    services.incidents.save_page(draft.id, {"what_happened": "Called names", "discriminatory": True})
    with pytest.raises(ActionError, match="choose which kind on the post-incident learning page, or switch it off"):
        services.incidents.submit(draft.id)
    assert services.incidents.draft(draft.id).values["discriminatory"] is True  # the draft is kept
    services.incidents.save_page(draft.id, {"discriminatory_categories": ["racist"]})
    record_id = services.incidents.submit(draft.id)
    assert services.incidents.get(record_id).values["discriminatory_categories"] == ["racist"]


def test_each_technique_needs_its_name_and_how_effective_it_was_nothing_assumed(services: Services, child: str):
    draft = services.incidents.start(child, physical_intervention=True)
    services.incidents.save_page(draft.id, {"what_happened": "Ran towards the road"})
    with pytest.raises(ActionError) as refused:
        services.incidents.submit(draft.id)
    assert str(refused.value).startswith(
        "A physical intervention report must say the physical technique used, when it started, when it ended, why "
        "it was necessary: add it on the physical intervention page"
    )
    assert services.incidents.drafts()  # kept as a draft, nothing recorded
    services.incidents.save_page(draft.id, force_essentials())
    for rows, message in (
        ([{"technique": ""}], "Name the de-escalation technique in row 1 on the physical intervention page"),
        ([{"technique": "Calm voice"}], "Say how effective the de-escalation technique “Calm voice” was"),
    ):
        services.incidents.save_page(draft.id, {"pi_deescalation": rows})
        with pytest.raises(ActionError, match=f"^{message}"):
            services.incidents.submit(draft.id)
    services.incidents.save_page(
        draft.id, {"pi_deescalation": [{"technique": "Calm voice", "effectiveness": "effective"}]}
    )
    record_id = services.incidents.submit(draft.id)
    assert services.incidents.get(record_id).values["pi_deescalation"][0]["effectiveness"] == "effective"


def test_thumbs_up_flag_and_permissions_by_role(store: LocalStore, services: Services, child: str):
    record_id = _recorded_incident(services, child)
    services.incidents.parents_informed(record_id, method="phone")
    services.incidents.flag(record_id, "Needs a lead's review")
    values = services.incidents.get(record_id).values
    assert values["parents_informed"] is True and values["parents_informed_method"] == "phone"
    assert values["flagged"] is True
    with pytest.raises(PermissionDenied):
        services.incidents.delete(record_id)
    with pytest.raises(PermissionDenied):
        services.incidents.sign_off(record_id, staff_spoken_to=True, child_spoken_to=True)

    lead = Services.of(Context(store, user("lead", "u-lead")))
    lead.incidents.sign_off(record_id, staff_spoken_to=True, child_spoken_to=True)
    assert services.incidents.get(record_id).values["status"] == "reviewed"
    with pytest.raises(PermissionDenied, match="until they are reviewed"):
        services.incidents.edit(record_id)  # staff: own incident, but reviewed now
    with pytest.raises(ActionError, match="Give the reason this incident is deleted"):
        lead.incidents.delete(record_id)
    lead.incidents.delete(record_id, "Recorded against the wrong child")
    assert services.incidents.list() == []  # hidden from staff
    [kept] = lead.incidents.list()  # kept for leads, with its reason
    assert lead.incidents.get(kept.id).values["removed_reason"] == "Recorded against the wrong child"


def test_a_draft_begun_on_another_device_is_finished_and_submitted_here(services: Services, child: str):
    """A draft incident record (status draft) that came by sync: opened for editing, it is submitted, not merely
    saved, and what a new report needs is asked of it as of one begun here."""
    now = dt.datetime.now(dt.UTC)
    record_id = services.context.write(
        "incident",
        "create",
        {"status": "draft", "recorded_by": "u-staff", "recorded_at": now.isoformat(), "occurred_at": now.isoformat(),
         "what_happened": "Left the room",
         "physical_intervention": True},
        profile_id=child,
    )  # fmt: skip
    draft = services.incidents.edit(record_id)
    assert services.incidents.finishes(draft.id) and not services.incidents.amends(draft.id)
    with pytest.raises(ActionError, match=r"^A physical intervention report must say"):
        services.incidents.submit(draft.id)
    services.incidents.save_page(draft.id, force_essentials())
    services.incidents.submit(draft.id)
    values = services.incidents.get(record_id).values
    assert values["status"] == "submitted" and values["recorded_at"] and values["pi_reason"]
    edit = services.incidents.edit(record_id)  # submitted now: another edit only saves changes
    assert not services.incidents.finishes(edit.id)


def test_editing_a_recorded_incident_goes_through_a_draft(services: Services, child: str):
    record_id = _recorded_incident(services, child)
    draft = services.incidents.edit(record_id)
    services.incidents.save_page(draft.id, {"location": "Playground"})
    assert services.incidents.amends(draft.id)  # the report was submitted: the edit is an amendment
    with pytest.raises(ActionError, match="say why you are changing it"):
        services.incidents.submit(draft.id)
    assert services.incidents.get(record_id).values["location"] != "Playground"
    assert services.incidents.submit(draft.id, reason="It was the playground") == record_id
    assert services.incidents.get(record_id).values["location"] == "Playground"
    # the reason travels in the op with the change; the history shows the change, its reason and what it replaced
    [line] = [line for line in services.history.pending(record_id) if line.what == "Amended"]
    assert line.reason == "It was the playground" and line.pending
    assert [(c.field, c.after) for c in line.changes] == [("location", "Playground")]


def test_a_conflict_is_shown_and_can_be_resolved(store: LocalStore, services: Services, child: str):
    record_id = _recorded_incident(services, child)
    services.context.write("incident", "update", {"location": "Classroom"}, record_id=record_id)
    mine = store.get(record_id).state
    # The server's state: another device changed the location concurrently, later.
    theirs = validate_op(
        Op(
            op_id=1,
            device_id="other",
            actor_id="u-lead",
            record_id=record_id,
            kind="incident",
            profile_id=child,
            action="update",
            fields={"location": "Corridor"},
            base={},
            hlc=Stamp(Stamp.parse(mine.version).ms + 10, 0, "other").encode(),
        )
    )
    server_state, _ = apply_op(mine, theirs)
    store.acknowledge(o.op_id for o in store.pending_ops(10_000))
    store.apply_pulled([server_state], cursor=5)
    [conflict] = services.incidents.conflicts(record_id)
    assert (conflict.field, conflict.value) == ("location", "Classroom")
    assert services.incidents.get(record_id).values["location"] == "Corridor"
    services.incidents.resolve_conflict(record_id, "location", "Classroom, then corridor")
    assert services.incidents.conflicts(record_id) == []
    assert services.incidents.get(record_id).values["location"] == "Classroom, then corridor"


def test_directory_and_profile(services: Services, child: str):
    services.context.write("individual", "create", {"first_name": "Bob", "last_name": "Zed", "send": True})
    assert [p.name for p in services.directory.people()] == ["Ada Lovelace", "Bob Zed"]
    assert [p.name for p in services.directory.people("year 7")] == ["Ada Lovelace"]
    assert services.directory.people("bob")[0].flags == ["SEND"]
    _recorded_incident(services, child)
    profile = services.directory.profile(child)
    assert profile.name == "Ada Lovelace"
    assert profile.key_staff == ["Lee Lead"]
    assert [c.values["name"] for c in profile.key_contacts] == ["Mum"]
    assert len(profile.incidents) == 1 and len(profile.recent_incidents) == 1


def test_names_read_on_every_screen_follow_edits_and_syncs_and_leave_memory_on_lock(
    store: LocalStore, services: Services, child: str
):
    """Individuals, staff and behaviour types are decrypted once and reused while unchanged (every screen reads
    them): an edit here or a change pulled from the server shows at once, and a lock forgets them."""
    context = services.context
    assert context.individual_names()[child] == "Ada Lovelace"
    assert any(stored.kind == "individual" for _key, stored in store._decoded.values())
    context.write("individual", "update", {"preferred_name": "Addie"}, record_id=child)
    assert context.individual_names()[child] == "Addie Lovelace"
    assert [p.name for p in services.directory.people()] == ["Addie Lovelace"]
    server_update(store, child, {"last_name": "Byron"})
    assert context.individual_names()[child] == "Addie Byron"
    assert context.staff_names()  # read through the same reuse
    store.lock()
    assert store._decoded == {}  # nothing decrypted stays in memory once locked


def test_notifications_can_be_marked_read(services: Services, store: LocalStore):
    notification = {
        "recipient_id": "u-staff",
        "kind": "communication",
        "subject": "New communication",
        "created_at": "2026-11-23T10:00:00Z",
    }
    server_create(store, "notification", "n1", notification)
    assert services.notifications.unread_count() == 1
    services.notifications.mark_read("n1")
    assert services.notifications.unread_count() == 0


def test_a_legal_hold_is_set_with_a_reason_and_blocks_deleting(store: LocalStore, services: Services, child: str):
    record_id = _recorded_incident(services, child)
    lead = Services.of(Context(store, user("lead", "u-lead")))
    with pytest.raises(PermissionDenied):
        services.legal_hold.set(child, "Claim")  # staff may not
    with pytest.raises(ActionError, match="reason for the legal hold"):
        lead.legal_hold.set(child, "  ")
    assert not lead.legal_hold.status(child).on
    lead.legal_hold.set(child, "Insurance claim")
    status = lead.legal_hold.status(child)
    assert status.on and status.reason == "Insurance claim"
    with pytest.raises(ActionError, match="on legal hold"):
        lead.incidents.delete(record_id, "Recorded twice")
    assert not lead.incidents.get(record_id).values.get("removed")
    lead.legal_hold.lift(child)
    lead.incidents.delete(record_id, "Recorded twice")
    assert lead.incidents.get(record_id).values["removed"] is True


def test_each_service_is_made_on_first_use_once_and_shared(services: Services):
    assert services.clicker is services.clicker
    assert services.letters.downloads is services.downloads and services.exports.downloads is services.downloads
    assert services.suggestions.analytics is services.analytics  # one decrypted working set
    assert services.compliance.incidents is services.incidents and services.downloads.incidents is services.incidents
    assert services.plan_builder.plans is services.plans


def test_the_shell_and_its_first_screens_load_no_service_they_do_not_show():
    """What an unlock imports (the shell, the dashboard, Record & Plan) leaves the letters' templates, exports,
    compliance and AI Support's suggestions to the screens that use them."""
    code = (
        "import sys, screens.shell, screens.dashboard, screens.record; "
        "print(sorted(m for m in ('jinja2', 'app.letters', 'app.exports', 'app.compliance', 'app.suggestions') "
        "if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    found = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
