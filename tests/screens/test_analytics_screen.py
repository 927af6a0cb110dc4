"""The Analytics screen and the dashboard's headline figures (issue #11), driven in-process through the real
`Root` as a lead (who has the analytics capability) and as staff (who do not).

The device holds `tests/support/screens.seed`: Ada's incidents 2 days (Hall), 20 days (Playground) and 200
days (Library) ago, and one positive communication today.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import replace

import flet as ft
import pytest
from pypdf import PdfReader

from app.analytics import REPORTS, Filters, table_cell
from app.config import ClientConfig
from app.downloads import Downloads
from app.sync_service import LAST_SYNCED_SECRET
from screens.dashboard import FIGURE_LABELS
from screens.shell import Shell
from screens.ui import when
from tests.screens.test_screens import unnamed
from tests.support.screens import LEAD, add_account, open_app, root, seed, server_update, store_of, unlock
from tests.support.ui_harness import UiHarness


@pytest.fixture
def lead_device(config: ClientConfig) -> dict[str, str]:
    """Lee's device, after a sync (before the first the dashboard shows no figures: tests/screens/test_dashboard.py)."""
    store = add_account(config, LEAD)
    ids = seed(store, LEAD)
    store.put_secret(LAST_SYNCED_SECRET, dt.datetime.now(dt.UTC).isoformat())
    store.close()
    return ids


@pytest.fixture
def lead(config: ClientConfig, lead_device: dict[str, str]) -> Iterator[UiHarness]:
    """The app, unlocked by Lee (a lead), on the dashboard."""
    with open_app(config) as h:
        unlock(h, email=LEAD.email)
        yield h


def figure(ui: UiHarness, label: str) -> ft.Semantics:
    """The headline figure called `label` (screens.analytics.figure_card)."""
    return ui.find(ft.Semantics, where=lambda s: isinstance(s.label, str) and s.label.startswith(f"{label}: "))


def value_of(ui: UiHarness, label: str) -> str:
    return figure(ui, label).label.removeprefix(f"{label}: ").split(",")[0]


def open_filters(ui: UiHarness) -> None:
    ui.click("Show or create filters")


def test_a_lead_sees_analytics(lead: UiHarness):
    lead.navigate_to("Analytics")
    assert lead.has_text("Global Incident Report") and root(lead).shell.route == "/analytics"


def test_staff_opening_analytics_by_its_address_are_told_not_kept_waiting(config: ClientConfig, device: dict):
    """A staff member whose browser opens at /analytics (a bookmark, a reload): refused in words, on the dashboard
    — not "Working out the figures…" for good (the figures of a role without analytics are never worked out)."""
    with open_app(config, route="/analytics") as ui:
        unlock(ui)
        assert ui.has_text("Hello, Sam Staff") and not ui.has_text("Working out the figures…")
        assert root(ui).shell.route == "/dashboard"


def test_staff_have_no_analytics(ui: UiHarness):
    labels = [d.label for d in ui.find(ft.NavigationBar).destinations]
    assert "Analytics" not in labels and "Dashboard" in labels
    assert not ui.has_text("At a glance")
    ui.go("/analytics")  # typed into the address bar: refused in words, back to the dashboard
    assert ui.has_text("Hello, Sam Staff") and not ui.has_text("Global Incident Report")


def test_switching_every_report(lead: UiHarness):
    lead.navigate_to("Analytics")
    for key, title in REPORTS.items():
        lead.select("Report", key)
        assert lead.has_text(title), title
        assert root(lead).shell.route == f"/analytics/{key}"
        report = root(lead).shell.current.report  # every series is a chart, or says it has nothing to show
        charts = lead.find_all(ft.Semantics, where=lambda s: str(s.identifier or "").startswith("chart-"))
        nothing = lead.find_all(ft.Text, text="Nothing to show for these filters.")
        assert len(charts) + len(nothing) == len(report.series) and (key != "global" or not nothing)
    lead.go("/analytics/injuries")
    assert lead.has_text("Injuries Report")


def test_a_table_shows_moments_the_uk_way_and_the_rest_as_it_is() -> None:
    moment = "2026-11-04T14:50:00+00:00"
    assert table_cell("occurred_at", moment) == when(moment, weekday=False) and "T14" not in table_cell(
        "occurred_at", moment
    )
    assert table_cell("reference", "besmart-10001") == "besmart-10001" and table_cell("sessions", 4) == "4"


def test_a_filter_changes_the_figures_and_a_chart_says_its_values(lead: UiHarness):
    lead.navigate_to("Analytics")
    assert value_of(lead, "Incidents") == "2"  # the last 30 days: the hall and the playground
    by_location = lead.find(ft.Semantics, label="chart-by_location")
    assert by_location.label == "By location. Hall: 1; Playground: 1."
    open_filters(lead)
    lead.select("Locations", "Hall")
    assert value_of(lead, "Incidents") == "1"
    lead.select("Period", "all")
    assert value_of(lead, "Incidents") == "1"
    lead.event(lead.find(ft.Chip, where=lambda c: c.label.value == "Hall"), "delete")
    assert value_of(lead, "Incidents") == "3"


def test_custom_range(lead: UiHarness):
    lead.navigate_to("Analytics")
    open_filters(lead)
    lead.select("Period", "custom")
    lead.click("Apply dates")  # nothing typed: said, not quietly "all time"
    assert lead.has_text("Type the first day, the last day or both, for example 01/09/2026.")
    lead.type("From (dd/mm/yyyy)", "not a day")
    lead.click("Apply dates")
    assert lead.has_text("Type the days as dd/mm/yyyy, for example 01/09/2026.")
    lead.type("From (dd/mm/yyyy)", "01/01/2000")
    lead.type("To (dd/mm/yyyy)", "31/12/2099")
    lead.click("Apply dates")
    assert value_of(lead, "Incidents") == "3"


def test_related_incidents_open_an_incident(lead: UiHarness):
    lead.navigate_to("Analytics")
    lead.click(figure(lead, "Incidents").content)
    titles = [t.title.value for t in lead.find_all(ft.ListTile) if t.title.value.startswith("besmart-")]
    assert titles == ["besmart-10281", "besmart-10270"]  # newest first
    lead.click(lead.find(ft.ListTile, where=lambda t: t.title.value == "besmart-10270"))
    assert lead.has_text("Something in the playground")
    assert root(lead).shell.route.startswith("/incidents/")
    # from a chart's table row too
    lead.navigate_to("Analytics")
    [hall] = [  # the chart's table row (the pie's legend says "Hall: 1" too, without a button)
        r
        for r in lead.find_all(ft.Row)
        if any(getattr(c, "value", None) == "Hall: 1" for c in r.controls)
        and len(r.controls) > 1
        and isinstance(r.controls[1], ft.TextButton)
    ]
    lead.click(hall.controls[1])
    assert [t.title.value for t in lead.find_all(ft.ListTile) if t.title.value.startswith("besmart-")] == [
        "besmart-10281"
    ]


def test_save_and_pick_a_filter_set(lead: UiHarness):
    lead.navigate_to("Analytics")
    open_filters(lead)
    lead.select("Locations", "Playground")
    lead.type("Save these filters as", "Playground")
    lead.click("Save filters")
    lead.click("Clear filters")
    assert value_of(lead, "Incidents") == "2"
    lead.select("Saved filters", "Playground")
    assert value_of(lead, "Incidents") == "1"
    saved = root(lead).shell.services.analytics.saved_filters()
    assert set(saved) == {"Playground"} and saved["Playground"].locations == frozenset({"Playground"})
    # the set picked can be deleted; the filters stay as they are
    lead.click("Delete the saved filters “Playground”")
    assert root(lead).shell.services.analytics.saved_filters() == {}
    assert not lead.find_all(ft.Dropdown, label="Saved filters") and value_of(lead, "Incidents") == "1"


def test_dashboard_figures_are_the_engines(lead: UiHarness):
    analytics = root(lead).shell.services.analytics
    assert lead.has_text("At a glance")
    figures = analytics.headline(Filters(preset="7_days"))
    assert len(figures) == 8
    for f in figures:
        label = FIGURE_LABELS.get(f.key, f.label)
        shown = figure(lead, label).label
        assert shown.startswith(f"{label}: {int(f.value)}"), shown
    assert figure(lead, "Incidents").label == "Incidents: 1, up 1 on the previous period"
    lead.select_segments(lead.find(ft.SegmentedButton), "30")
    assert value_of(lead, "Incidents") == "2"
    lead.select_segments(lead.find(ft.SegmentedButton), "all")
    assert figure(lead, "Incidents").label == "Incidents: 3"  # no previous period to compare with
    lead.click(figure(lead, "Positive communications").content)
    screen = root(lead).shell.current
    assert root(lead).shell.route == "/analytics/communication"
    assert screen is not None and screen.params["filters"] == Filters(preset="all", valence=frozenset({"positive"}))
    assert value_of(lead, "Positive") == "1"


def test_analytics_at_phone_and_desktop_sizes(lead: UiHarness):
    for width, height in ((360, 640), (1280, 800)):
        lead.resize(width, height)
        lead.navigate_to("Analytics")
        for key in REPORTS:
            lead.select("Report", key)
        assert lead.page.width == width


def test_download_csv_of_the_table_and_the_rows(lead: UiHarness):
    lead.navigate_to("Analytics")
    before = {op.op_id for op in store_of(lead).pending_ops()}
    lead.click("Download CSV (table)")
    lead.click("Download CSV (all rows)")
    saved = [args for name, args in lead.invoked if name == "save_file"]
    assert [a["file_name"].rsplit("-", 3)[0] for a in saved] == ["besmart-global-table", "besmart-global-rows"]
    table, rows = (bytes(a["src_bytes"]).decode("utf-8-sig").splitlines() for a in saved)
    assert table == ["individual,group,incidents,physical_interventions,injuries", "Ada Lovelace,Year 7,2,0,0"]
    assert rows[0].startswith("incident_id,reference,occurred_at,") and len(rows) == 3
    # each export is audited on the device before the file is handed over (and syncs to the server's log)
    audits = [op.fields for op in store_of(lead).pending_ops() if op.op_id not in before and op.kind == "audit_event"]
    assert [(a["action"], a["record_kind"]) for a in audits] == [
        ("export", "analytics_global_table"),
        ("export", "analytics_global_rows"),
    ]


def test_print_every_report_as_a_pdf(lead: UiHarness):
    lead.navigate_to("Analytics")
    open_filters(lead)
    lead.select("Locations", "Hall")
    assert lead.has_text(re.compile(r"^Last 30 days: .* · Locations: Hall$"))  # the summary names the place
    before = {op.op_id for op in store_of(lead).pending_ops()}
    for key, title in REPORTS.items():
        lead.select("Report", key)
        lead.click("Print (PDF)")
        saved = [args for name, args in lead.invoked if name == "save_file"][-1]
        assert saved["file_name"].startswith(f"besmart-{key}-report-") and saved["file_name"].endswith(".pdf")
        pdf = PdfReader(io.BytesIO(bytes(saved["src_bytes"])))
        text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
        assert title in text and "Locations: Hall" in text and "OFFICIAL-SENSITIVE" in text, key
    audits = [op.fields for op in store_of(lead).pending_ops() if op.op_id not in before and op.kind == "audit_event"]
    assert [(a["action"], a["record_kind"]) for a in audits] == [("export", f"analytics_{k}_pdf") for k in REPORTS]


def test_no_downloads_for_a_role_that_may_not_take_records_away(lead: UiHarness, monkeypatch: pytest.MonkeyPatch):
    # Every role with analytics may download today; the capability table decides, not the screen.
    monkeypatch.setattr(Downloads, "allowed", lambda self: False)
    lead.navigate_to("Analytics")
    assert lead.has_text("Global Incident Report")
    assert not lead.has_text("Print (PDF)") and not lead.has_text("Download CSV (table)")


def test_every_dropdown_has_a_name(lead: UiHarness):
    assert unnamed(lead) == []  # the dashboard at a glance
    lead.navigate_to("Analytics")
    open_filters(lead)
    lead.select("Period", "custom")
    lead.select("Locations", "Hall")
    lead.type("Save these filters as", "Hall")
    lead.click("Save filters")
    assert lead.find_all(ft.Dropdown, label="Saved filters")
    assert unnamed(lead) == []


def test_figures_wait_for_the_working_set_after_unlock(
    config: ClientConfig, lead_device: dict[str, str], monkeypatch: pytest.MonkeyPatch
):
    """Until the working set is decrypted (in a thread, after unlock) the figures are said to be on their way;
    the event loop is not held up decrypting."""
    warmed: list[Shell] = []

    async def not_yet(shell: Shell) -> None:
        warmed.append(shell)

    monkeypatch.setattr(Shell, "_warm_analytics", not_yet)
    with open_app(config) as ui:
        unlock(ui, email=LEAD.email)
        assert ui.has_text("Working out the figures…")
        assert not ui.find_all(ft.Semantics, where=lambda s: str(s.label or "").startswith("Incidents: "))
        assert warmed == [root(ui).shell]
        ui.navigate_to("Analytics")
        assert ui.has_text("Working out the figures…")
        shell = root(ui).shell
        shell.analytics_ready = True
        ui.navigate_to("Analytics")
        assert value_of(ui, "Incidents") == "2"


def test_the_account_menu_says_whom_a_lead_reaches_once_a_sync_brings_it(lead: UiHarness):
    """The first sync brings the lead's own staff record and its settings: the account menu says so then, not
    "whole organisation" from before it came."""
    shell = root(lead).shell
    assert shell.who.value == "Lee Lead (Lead · whole organisation)"
    setting = shell.services.context.write("setting", "create", {"name": "Harbour View", "setting_type": "school"})
    server_update(store_of(lead), "u-lead", {"setting_ids": [setting]})
    status = shell.sync.status
    shell._sync_changed(replace(status, generation=status.generation + 1))  # what a sync that pulled reports
    assert shell.who.value == "Lee Lead (Lead · Harbour View)"


def test_a_long_table_shows_its_first_rows_and_the_rest_when_asked(lead: UiHarness, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("screens.analytics.MAX_ROWS", 1)
    lead.navigate_to("Analytics")
    open_filters(lead)
    lead.select("Period", "all")
    for key in REPORTS:  # one whose table has rows enough
        lead.select("Report", key)
        if len(root(lead).shell.current.report.table.rows) > 1:
            break
    [table] = lead.find_all(ft.DataTable)
    assert len(table.rows) == 1 and lead.has_text(re.compile(r"^The first 1 of \d+ rows\.$"))
    lead.click(lead.find(ft.TextButton, where=lambda b: re.fullmatch(r"Show \d+ rows", str(b.content)) is not None))
    [table] = lead.find_all(ft.DataTable)
    assert len(table.rows) > 1 and not lead.has_text(re.compile(r"^The first"))
