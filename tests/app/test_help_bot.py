"""app/help_bot.py: Sophie answers from the help files on the device — the right page for the words staff use
(synonyms, plurals, inflections), never text of her own, a support ticket or call when she finds nothing, and
short replies to an empty question, a greeting or thanks. Ties go to the page listed first."""

from __future__ import annotations

import pytest

from app.help import PAGES, HelpPage
from app.help_bot import GREETING, SYNONYMS, BotAnswer, answer


def test_the_greeting_introduces_sophie_and_says_she_sees_no_records() -> None:
    assert "Sophie" in GREETING and "help files on this device" in GREETING
    assert "cannot see anyone's records" in GREETING


def test_undoing_a_clicker_tap_answers_from_the_behaviour_clicker_page() -> None:
    reply = answer("How do I undo a clicker tap?")
    assert reply.pages[0].title == "Behaviour Clicker"
    assert "Undo" in reply.text
    assert reply.text.startswith("From the help file “Behaviour Clicker”:\n")


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("How do I write up a restraint?", "Incidents involving physical intervention"),
        ("Where is my pupil's behaviour plan?", "Smart Plans"),
        ("Where is my pupil’s BSP?", "Smart Plans"),  # a curly apostrophe, upper case
        ("I forgot my password", "Signing in and unlocking"),
        ("I can't log in", "Signing in and unlocking"),
        ("I pressed the wrong button by mistake", "Behaviour Clicker"),
        ("How do I print a report?", "Printing and downloading"),  # not "Recording an incident"
        ("Can I get a PDF of an incident?", "Printing and downloading"),
        ("How do I write a behaviour support plan?", "Smart Plans"),
        ("How do I reset my passcode?", "Signing in and unlocking"),
        ("How do I see the charts?", "Analytics"),
        ("How do I contact support?", "Getting help from the besmart team"),  # not "AI Support"
    ],
)
def test_the_words_staff_use_reach_the_page_that_words_them_differently(question: str, title: str) -> None:
    assert answer(question).pages[0].title == title


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("recording incidents", "Recording an incident"),
        ("I tapped the wrong behaviour", "Behaviour Clicker"),
        ("Where are the clicker counts?", "Behaviour Clicker"),
        ("Who gets notified about communications?", "Behaviour Communications"),
    ],
)
def test_plural_and_inflected_forms_match(question: str, title: str) -> None:
    assert answer(question).pages[0].title == title


def test_a_phrase_synonym_does_not_drag_in_its_own_words() -> None:
    # "behaviour plan" is a Smart Plan: its "behaviour" alone must not make the Behaviour pages a close second
    reply = answer("behaviour plan")
    assert [page.title for page in reply.pages] == ["Smart Plans"]
    assert "See also" not in reply.text


@pytest.mark.parametrize(
    "question",
    [
        "What's the weather in Leeds?",
        "how do I?",
        "Is it?",
        "what is the weather today",  # "today" alone is in the clicker's page: a passing mention is no answer
        "talk to a person",
    ],
)
def test_a_question_she_cannot_answer_points_to_a_support_ticket_or_call(question: str) -> None:
    reply = answer(question)
    assert reply.pages == ()
    assert "could not find" in reply.text
    assert "support ticket" in reply.text and "support call" in reply.text and "Help Centre" in reply.text


def test_empty_greeting_and_thanks_get_their_own_short_replies_with_no_pages() -> None:
    empty, blank, hello, thanks, thank_you = (
        answer(""),
        answer("   \n "),
        answer("Hi there!"),
        answer("thanks"),
        answer("Thank you, Sophie."),
    )
    assert empty == blank and "type a question" in empty.text
    assert thanks == thank_you
    assert all(reply.pages == () for reply in (empty, hello, thanks))
    assert len({empty.text, hello.text, thanks.text, answer("Leeds weather").text}) == 4
    # a greeting in front of a real question is still answered
    assert answer("Hi, how do I undo a clicker tap?").pages[0].title == "Behaviour Clicker"


def test_custom_pages_are_used_and_ties_go_to_the_first() -> None:
    swim, fly, geese = HelpPage("Alpha", "Ducks swim."), HelpPage("Beta", "Ducks fly."), HelpPage("Gamma", "Geese.")
    assert answer("ducks", [swim, fly]) == BotAnswer(
        "From the help file “Alpha”:\nDucks swim.\n\nSee also “Beta”.", (swim, fly)
    )
    assert answer("ducks", [fly, swim]).pages == (fly, swim)
    assert answer("ducks", [geese, swim, fly, HelpPage("Delta", "Ducks dive.")]).pages == (swim, fly)  # at most 2
    assert answer("geese", [swim, fly, geese]).pages == (geese,)
    assert answer("clicker", [swim, fly]).pages == ()  # the default help files are not consulted


def test_a_title_word_outweighs_a_body_word_and_a_weak_second_is_not_offered() -> None:
    lists, filters = HelpPage("Lists", "Use filters to narrow the list."), HelpPage("Filters", "Narrow it down.")
    reply = answer("filters", [lists, filters])
    assert reply.pages == (filters,)  # 3 for the title against 1 for the body: less than half
    assert "See also" not in reply.text


@pytest.mark.parametrize(
    "question",
    [
        "How do I undo a clicker tap?",
        "recording incidents",
        "How do I sign off an incident?",
        "Who can see a draft?",
        "How do I compare plan versions?",
        "how do I report a problem with a letter?",
        "I made a mistake",
    ],
)
def test_she_never_invents_text(question: str) -> None:
    reply = answer(question)
    assert 1 <= len(reply.pages) <= 2
    assert all(page in PAGES for page in reply.pages)
    best = reply.pages[0]
    assert reply.text.startswith(f"From the help file “{best.title}”:\n{best.body}")
    if len(reply.pages) == 2:
        assert reply.text == f"From the help file “{best.title}”:\n{best.body}\n\nSee also “{reply.pages[1].title}”."
    else:
        assert reply.text == f"From the help file “{best.title}”:\n{best.body}"
    assert answer(question) == reply  # deterministic


@pytest.mark.parametrize(("phrase", "target"), sorted(SYNONYMS.items()))
def test_every_synonym_target_is_worded_in_the_help_files(phrase: str, target: str) -> None:
    text = " ".join(f"{page.title} {page.body}" for page in PAGES).casefold()
    for word in target.split():
        if word != "in":
            assert word in text, f"{phrase!r} → {target!r}: {word!r} is not in the help files"
    assert answer(target).pages and answer(phrase).pages
