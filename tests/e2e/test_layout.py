"""Layout measured in a real browser: the client at phone (360x640), tablet (768x1024) and desktop (1280x800) size.

Flet draws on a canvas, so the measurements are the boxes of Flutter's accessibility (ARIA) nodes, which Flutter
places over what it draws. Against the same seeded organisation and real server as tests/e2e/test_client_e2e.py
(its fixtures are reused): the navigation is a rail on the left at desktop size and a bar at the bottom below it;
the profile's header is compact and every section of the profile can be reached; the clicker's tiles and the
cards have equal margins left and right; inputs fill their card (up to a readable width) on a desktop.
Screenshots: tests/artifacts/layout-*.png.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from server.services import organisations as orgs
from tests.e2e import test_client_e2e as story
from tests.e2e.browser import DESKTOP, PHONE, by_id, click_button, click_id, expect_synced, screenshot, set_size

# The story's fixtures (a seeded organisation on a real server, the client, Sam signed in on a page): pytest
# finds fixtures among a test module's names. Its helpers too.
smtp, world, client, page, signed_in = story.smtp, story.world, story.client, story.page, story.signed_in
pick_individual, tile = story.pick_individual, story.tile

TABLET = (768, 1024)
SIZES = (PHONE, TABLET, DESKTOP)
#: the destinations on every screen size; a phone's or tablet's bar lists the rest (Inbox, Smart Plans) under More
NAVIGATION = ("Dashboard", "Directory", "Record & Plan", "Incidents")
#: the profile's sections, in the user guide's words
SECTIONS = ("Overview", "Incidents", "Communications", "Clickers", "Smart Plans", "Details", "Key Contacts", "Access")
MAX_PHONE_HEADER = 120  # px: the profile's name, actions and section tabs, at 360x640
MARGIN_TOLERANCE = 4  # px


def resize(page: Page, size: tuple[int, int]) -> None:
    set_size(page, size)
    page.mouse.move(1, 1)  # no hover tooltip in the pictures
    page.wait_for_timeout(600)  # Flutter relays out, then the Python side answers the resize


def box(locator: Locator) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not on the screen"
    return found


def content_area(page: Page) -> tuple[float, float]:
    """Left and right edges of the area beside the navigation rail (the whole width without one)."""
    width = (page.viewport_size or {"width": 0})["width"]
    rail = by_id(page, "navigation-rail")
    if rail.count():
        edge = box(rail)
        return edge["x"] + edge["width"] + 1, width  # + the divider
    return 0, width


def margins(page: Page, boxes: list[dict[str, float]]) -> tuple[float, float]:
    left_edge, right_edge = content_area(page)
    left = min(b["x"] for b in boxes) - left_edge
    right = right_edge - max(b["x"] + b["width"] for b in boxes)
    return left, right


def destination(page: Page, name: str) -> Locator:
    """A navigation destination: a tab of the bottom bar, or a button "NAME Tab i of n" of the rail."""
    bar = page.get_by_role("tab", name=name, exact=True)
    rail = page.get_by_role("button", name=re.compile(rf"^{re.escape(name)} Tab \d of \d$"))
    return bar.or_(rail)


def profile_tab(page: Page, name: str, timeout_ms: int = 5_000) -> Locator:
    """The profile's section tab `name` (the bottom bar has an "Incidents" tab too: it is not at the bottom).

    Waits for it: while a menu is open (and as it closes) the page under it is out of the ARIA tree."""
    bottom_bar_top = (page.viewport_size or {"height": 0})["height"] - 90
    tabs = page.get_by_role("tab", name=name, exact=True)
    for _ in range(timeout_ms // 100):
        for i in range(tabs.count()):
            found = tabs.nth(i).bounding_box()
            if found and found["y"] < bottom_bar_top:
                return tabs.nth(i)
        page.wait_for_timeout(100)
    raise AssertionError(f"no profile tab {name!r}")


def test_rail_on_a_desktop_bar_at_the_bottom_below(signed_in: Page) -> None:
    page = signed_in
    for size in SIZES:
        resize(page, size)
        _width, height = size
        for name in (*NAVIGATION, *(("Inbox", "Smart Plans") if size == DESKTOP else ("More",))):
            expect(destination(page, name)).to_have_count(1)
        dashboard = box(destination(page, "Dashboard"))
        if size == DESKTOP:
            expect(by_id(page, "navigation-rail")).to_have_count(1)
            rail = box(by_id(page, "navigation-rail"))
            assert rail["x"] == 0 and rail["width"] < 120, rail  # against the window's left edge
            assert dashboard["x"] + dashboard["width"] <= rail["width"] and dashboard["y"] < height / 2, dashboard
        else:
            expect(by_id(page, "navigation-rail")).to_have_count(0)
            assert dashboard["y"] > height - 100, dashboard  # in the bar at the bottom
        screenshot(page, "layout-dashboard")
    resize(page, PHONE)


def test_profile_header_is_compact_and_every_section_is_reachable(signed_in: Page) -> None:
    page = signed_in
    resize(page, PHONE)  # the navigation is clicked in the bottom bar
    destination(page, "Directory").click()
    tile(page, "Kim Test").click()
    expect(by_id(page, "back-to-directory")).to_have_count(1)
    for size in SIZES:
        resize(page, size)
        top = box(by_id(page, "back-to-directory"))["y"]
        overview = box(profile_tab(page, "Overview"))
        header = overview["y"] + overview["height"] - top
        print(f"profile header at {size}: {header:.0f} px")
        assert header <= MAX_PHONE_HEADER, f"the profile header takes {header:.0f} px at {size}"
        screenshot(page, "layout-profile")

    resize(page, PHONE)
    width = PHONE[0]
    expect(by_id(page, "profile-sections")).to_have_count(1)
    sections = box(by_id(page, "profile-sections"))
    assert sections["x"] + sections["width"] <= width, "the menu of all sections is cut off"
    for name in SECTIONS:
        click_id(page, "profile-sections")
        page.get_by_role("menuitem", name=name, exact=True).click()
        tab = profile_tab(page, name)
        expect(tab).to_have_attribute("aria-selected", "true")
        page.wait_for_timeout(400)  # the tab bar scrolls the chosen tab into view
        shown = box(tab)
        assert shown["x"] >= 0 and shown["x"] + shown["width"] <= width, f"{name} is off the screen: {shown}"
    expect(page.get_by_text("Staff with access")).to_be_attached()  # the last section's content
    screenshot(page, "layout-profile-last-section")
    click_button(page, "Back to directory")


def test_clicker_tiles_have_equal_margins(signed_in: Page, world) -> None:
    page = signed_in
    _server, org, db = world
    # Four behaviours fill a row at every size (2, 3 and 4 to a row), so the tiles' edges are the grid's.
    with db.session() as session:
        for label in ("Helped a friend", "On task", "Left the room"):
            orgs.upsert_behaviour_type(session, org.id, label, "positive")
    click_id(page, "sync-now")
    page.wait_for_timeout(1500)  # the status reads "Synced just now" before this sync as well as after it
    expect_synced(page, timeout_ms=20_000)
    destination(page, "Record & Plan").click()
    pick_individual(page, "Kim Test")
    click_button(page, "Behaviour Clicker")
    tiles = page.locator('[flt-semantics-identifier^="clicker-"]')
    expect(tiles).to_have_count(4)
    for size in SIZES:
        resize(page, size)
        left, right = margins(page, [box(tiles.nth(i)) for i in range(tiles.count())])
        print(f"clicker tile margins at {size}: left {left:.0f} px, right {right:.0f} px")
        assert left >= 8 and abs(left - right) <= MARGIN_TOLERANCE, f"margins {left:.0f} / {right:.0f} px at {size}"
        screenshot(page, "layout-clicker")
    resize(page, PHONE)


def test_inputs_fill_their_card(signed_in: Page) -> None:
    page = signed_in
    resize(page, PHONE)  # the navigation is clicked in the bottom bar
    destination(page, "Record & Plan").click()
    pick_individual(page, "Kim Test")
    click_button(page, "Behaviour Communications")
    message = by_id(page, "message")
    expect(message).to_be_attached()
    for size in SIZES:
        resize(page, size)
        left_edge, right_edge = content_area(page)
        column = min(right_edge - left_edge, 960)
        field = box(message)["width"]
        print(f"The message field at {size}: {field:.0f} px of a {column:.0f} px column")
        if size == PHONE:
            assert field >= column - 72, f"The message field is {field:.0f} px wide on a {column:.0f} px phone"
        else:
            assert 480 <= field <= 720, f"The message field is {field:.0f} px wide in a {column:.0f} px column"
        left, right = margins(page, [box(message)])
        assert left >= 8 and right >= 8, (left, right)
        screenshot(page, "layout-communications")

    destination(page, "Directory").click()
    search = page.get_by_role("textbox", name=re.compile("^Search by name"))
    resize(page, DESKTOP)
    found = box(search)["width"]
    print(f"directory search at {DESKTOP}: {found:.0f} px")
    assert 480 <= found <= 720, f"the search box is {found:.0f} px wide on a desktop"
    screenshot(page, "layout-directory")
    resize(page, PHONE)
