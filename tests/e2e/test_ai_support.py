"""AI Support in a real browser at phone size (issue #12, Screens and Tests): a lead writes an incident saying "he
kicked off and was restrained", presses "Check language" and sees both flags (slang, and a word that hides
restrictive practice), picks a neutral alternative for one, submits, opens AI Support from the incident (the
guide's warning, the follow-ups still open), asks the organisation's language model for a summary (a loopback
stub that never sees Kim's name), drafts the parents' letter from there and downloads it (Playwright's download
event); the PDF, read with pypdf, holds the chosen wording and the warning.

A seeded organisation on SQLite behind a real server process whose language model is the stub. Screenshots
(phone and desktop): tests/artifacts/e2e-ai-support-*.png.
"""

# The client/page fixtures are reused from test_client_e2e (they take this module's `world`).
# ruff: noqa: F811

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from server.db import Database
from tests.e2e.browser import (
    STEP_TIMEOUT_MS,
    aria_tree,
    by_id,
    chip,
    click_button,
    click_id,
    click_tab,
    expect_synced,
    fill_textbox,
    screenshot,
    sign_in_on_a_new_device,
    wait_for_text,
)
from tests.e2e.test_client_e2e import (  # noqa: F401  (client, page: fixtures)
    PASSPHRASE,
    SYNC_TIMEOUT_MS,
    client,
    page,
    pick_individual,
    shoot,
)
from tests.support.llm import ANSWER_PREFIX, StubModel
from tests.support.server import PASSWORD, Org, ServerProcess, free_port, seed_org, settings_for

STUB_PORT = free_port()
#: the organisation's language model: a loopback stub, for leads
SERVER_ENV = {
    "BESMART_ASSISTANT_URL": f"http://127.0.0.1:{STUB_PORT}/v1/",
    "BESMART_ASSISTANT_MODEL": "stub-model",
    "BESMART_ASSISTANT_API_KEY": "sk-stub-key",
    "BESMART_ASSISTANT_ROLES": "lead",
}


@pytest.fixture(scope="module")
def stub() -> Iterator[StubModel]:
    model = StubModel(STUB_PORT).start()
    yield model
    model.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, stub: StubModel) -> Iterator[tuple[ServerProcess, Org, Database]]:
    """A seeded organisation on SQLite behind a real server whose language model is the stub."""
    directory = tmp_path_factory.mktemp("e2e-ai-support-server")
    url = f"sqlite:///{directory / 'server.db'}"
    db = Database(url, pool_size=2)
    db.upgrade()
    org = seed_org(db, settings_for(url))
    server = ServerProcess(url, directory, SERVER_ENV).start()
    yield server, org, db
    server.stop()
    db.dispose()


WRITTEN = "He kicked off and was restrained."
CHOSEN = "became very upset"


def test_write_check_submit_then_draft_and_download_the_parents_letter_from_ai_support(
    page: Page, world, stub: StubModel
) -> None:
    _server, org, _db = world
    try:
        sign_in_on_a_new_device(page, org.email("lena"), PASSWORD, PASSPHRASE)
        wait_for_text(page, re.compile(r"^Hello, "))
        expect_synced(page, timeout_ms=SYNC_TIMEOUT_MS)

        click_tab(page, "Record")
        wait_for_text(page, "Record & Plan")
        pick_individual(page, "Kim Test")
        click_button(page, "Incident Report")
        wait_for_text(page, re.compile(r"^Page 1 of 2: Incident"))
        fill_textbox(page, "Where did it happen?", "Hall")
        fill_textbox(page, "What happened?", WRITTEN)
        click_id(page, "what-happened-check")
        # Each finding is one group named by the phrase in its sentence, its category and why it matters.
        for flagged in (r"«kicked off».*Slang or vague wording", r"«restrained».*Hides restrictive practice"):
            expect(page.get_by_role("group", name=re.compile(flagged))).to_be_attached(timeout=STEP_TIMEOUT_MS)
        shoot(page, "ai-support-flags")

        chip(page, CHOSEN).click(timeout=STEP_TIMEOUT_MS)
        wait_for_text(page, f"Replaced “kicked off” with “{CHOSEN}”.")
        click_button(page, "Next Page")
        wait_for_text(page, re.compile(r"^Page 2 of 2: Post-incident learning"))
        click_button(page, "Submit Report")  # both flags were seen under "Check language": no second check
        wait_for_text(page, f"He {CHOSEN} and was restrained.")

        click_id(page, "ai-support")  # the incident's button (the toast offers it too)
        wait_for_text(page, re.compile(r"^Information only: check it and apply your professional judgement"))
        wait_for_text(page, re.compile(r"^AI Support — .*Kim"))
        shoot(page, "ai-support-incident")
        # A suggestion is one group named by its words, figures and warning; its incidents are buttons in it.
        suggestion = page.get_by_role("group", name=re.compile(r"^Parents or carers informed\? .*Days since"))
        expect(suggestion).to_be_attached(timeout=STEP_TIMEOUT_MS)
        page.mouse.move(180, 400)
        page.mouse.wheel(0, 700)  # down to the suggestions, for the screenshot
        page.wait_for_timeout(300)
        shoot(page, "ai-support-suggestions")

        # The organisation's language model (a stub here) summarises Kim's record: Kim's name never reached it.
        page.mouse.move(180, 400)
        page.mouse.wheel(0, 5000)  # down to the language model, at the end
        click_button(page, "Summarise recent record")
        summary = wait_for_text(page, re.compile(rf"^{ANSWER_PREFIX}"), timeout_ms=SYNC_TIMEOUT_MS)
        assert "Kim" in summary.inner_text()
        assert stub.received and not any("Kim" in str(r["body"]) for r in stub.received)
        page.mouse.move(180, 400)
        page.mouse.wheel(0, 5000)  # the summary came in below the button
        page.wait_for_timeout(300)
        shoot(page, "ai-support-summary")

        page.mouse.move(180, 400)
        page.mouse.wheel(0, -5000)  # back to the top, where the letters are
        by_id(page, "ai-letter").click(timeout=STEP_TIMEOUT_MS)
        wait_for_text(page, re.compile(r"^This draft is information only"))
        shoot(page, "ai-support-letter")
        with page.expect_download(timeout=SYNC_TIMEOUT_MS) as event:
            click_button(page, "Download PDF")
        download = event.value
        assert download.suggested_filename.endswith(".pdf") and "Kim" not in download.suggested_filename
        data = Path(download.path()).read_bytes()
    except Exception:
        screenshot(page, "e2e-ai-support-failure")
        print(aria_tree(page))
        raise
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "Kim" in text and CHOSEN in text and "kicked off" not in text
    assert "information only" in text and "OFFICIAL-SENSITIVE" in text
