"""app/feedback.py on a real encrypted store: a report is saved offline (encrypted, queued to sync) with the record
and individual it was about; bad input is refused with nothing saved; leads list reports open first and
resolve them with a note; staff see their own reports and the answers, and may not resolve."""

from __future__ import annotations

import pytest

from app.context import ActionError, Context, PermissionDenied
from app.feedback import CUT, MAX_OUTPUT
from app.services import Services
from localdb.store import LocalStore
from sync.records import FEEDBACK_OUTPUT_MAX
from tests.support.device import user


def lead(store: LocalStore) -> Services:
    return Services.of(Context(store, user("lead", "u-lead")))


def test_a_report_is_saved_offline_with_what_it_was_about(services: Services, child: str, store: LocalStore) -> None:
    before = store.pending_count()
    report_id = services.feedback.report("letter", "Dear Mum, Ada was defiant.", " Wrong tone ", about=child)
    assert store.pending_count() == before + 1
    [op] = [op for op in store.pending_ops() if op.record_id == report_id]
    assert op.kind == "output_feedback" and op.profile_id is None  # the organisation's, read only by some
    assert op.fields["record_kind"] == "individual" and op.fields["profile_id"] == child
    assert op.fields["note"] == "Wrong tone" and op.fields["author_id"] == "u-staff"
    on_disk = [path.read_bytes() for path in store.directory.rglob("*") if path.is_file()]
    assert on_disk and not any(b"Ada was defiant" in data for data in on_disk)  # encrypted on the device


@pytest.mark.parametrize(
    ("output", "note", "about", "message"),
    [
        ("A draft", "   ", None, "Say what looks wrong"),
        ("  ", "Wrong", None, "no output to report"),
        ("A draft", "Wrong", "not-on-this-device", "not on this device"),
    ],
)
def test_bad_reports_are_refused_with_nothing_saved(
    services: Services, store: LocalStore, output: str, note: str, about: str | None, message: str
) -> None:
    before = store.pending_count()
    with pytest.raises(ActionError, match=message):
        services.feedback.report("letter", output, note, about=about)
    assert store.pending_count() == before


def test_a_long_output_is_cut_and_says_so(services: Services, store: LocalStore) -> None:
    report_id = services.feedback.report("assistant", "x" * (FEEDBACK_OUTPUT_MAX + 5), "Too long to read")
    saved = store.get(report_id)
    assert saved is not None and saved.values["output"] == "x" * MAX_OUTPUT + CUT
    assert len(saved.values["output"]) == FEEDBACK_OUTPUT_MAX


def test_leads_list_open_reports_first_and_resolve_them(services: Services, child: str, store: LocalStore) -> None:
    first = services.feedback.report("letter", "Letter one", "First", about=child)
    second = services.feedback.report("language_check", "Finding", "Second")
    third = services.feedback.report("suggestions", "A suggestion", "Third")
    leads = lead(store).feedback
    own = leads.report("letter", "Letter two", "The lead's own")
    with pytest.raises(PermissionDenied):
        services.feedback.resolve(first, "Done")
    assert [i.id for i in services.feedback.items()] == [third, second, first]  # staff: their own only
    leads.resolve(second, "Lexicon corrected")
    assert services.feedback.items()[-1].resolution == "Lexicon corrected"  # the answer, for its author
    items = leads.items()
    assert [i.id for i in items] == [own, third, first, second]  # open (newest first), then resolved
    assert [i.tool for i in items] == ["Letter draft", "Suggestions", "Letter draft", "Language check"]
    assert items[2].about == "Ada Lovelace" and items[2].author == "Sam Staff" and items[2].pending
    assert not items[3].open and items[3].resolved_by == "Lee Lead" and items[3].status_label == "Resolved"
    assert leads.open_count() == 3 and services.feedback.open_count() == 2
    with pytest.raises(ActionError, match="Say what was done"):
        leads.resolve(first, " ")
    with pytest.raises(ActionError, match="not on this device"):
        leads.resolve(child, "Done")  # not a report
