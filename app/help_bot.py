"""Sophie, the Help Centre's help bot: she answers a staff member's question from the help files on this device
(app/help.py). Nothing leaves the device and she sees no records. A question she cannot answer points to a support
ticket or a support call, both in the Help Centre.

Matching is plain keyword scoring: the question's words (lower-cased, stop words dropped, reduced to a simple stem,
widened by a small table of the words staff use that the help files word differently) are looked up in each page,
a word in the title counting more than one in the body. Ties go to the page listed first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.help import PAGES, HelpPage

GREETING = (
    "Hello, I'm Sophie, the besmart help bot. Ask me how to do something in besmart — for example “How do I undo "
    "a clicker tap?”. I answer from the help files on this device and cannot see anyone's records."
)

EMPTY_REPLY = (
    "Please type a question — for example “How do I record an incident?” — and I'll look for the answer in the "
    "help files on this device."
)
HELLO_REPLY = "Hello! Ask me how to do something in besmart and I'll look for the answer in the help files."
THANKS_REPLY = "You're welcome. Ask me anything else about using besmart whenever you need to."
NOT_FOUND_REPLY = (
    "Sorry, I could not find that in the help files on this device. You can open a support ticket, or arrange a "
    "support call with the besmart team, from the Help Centre."
)

#: words staff use → the words the help files use. A one-word entry adds its target to the question's own word; a
#: phrase is replaced by its target (its words alone would mislead: "behaviour plan" is not the Behaviour Clicker).
#: Every target occurs in PAGES (tests/app/test_help_bot.py checks).
SYNONYMS: dict[str, str] = {
    "see": "view",
    "look at": "view",
    "pupil": "individual",
    "child": "individual",
    "student": "individual",
    "young person": "individual",
    "log in": "sign in",
    "password": "sign in",
    "login": "sign in",
    "pin": "passcode",
    "log": "record",
    "report": "record",
    "write up": "record",
    "fill in": "record",
    "restraint": "physical intervention",
    "hold": "physical intervention",
    "behaviour support plan": "smart plan",
    "behaviour plan": "smart plan",
    "support plan": "smart plan",
    "bsp": "smart plan",
    "letter": "parent",
    "email parents": "parent",
    "mistake": "undo",
    "wrong": "undo",
    "offline": "sync connection",
    "internet": "sync connection",
    "wifi": "sync connection",
    "connection": "sync",
    "tally": "clicker",
    "counter": "clicker",
    "comms": "communication",
    "print": "print download",
    "pdf": "download",
    "export": "download",
    "save a copy": "download",
    "chart": "analytics",
    "graph": "analytics",
    "statistics": "analytics",
    "stats": "analytics",
    "contact support": "besmart team",
    "support team": "besmart team",
    "helpdesk": "besmart team",
    "told": "notified",
    "tell": "notified",
    "notify": "notified",
    "informed": "notified",
    "forgot": "sign in",
    "forgotten": "sign in",
    "reset": "sign in",
}

#: question words that say nothing about what is asked
_STOP_WORDS_TEXT = """
    a about again all also am an and any anyone anything app are as at be been being besmart but by can cannot cant
    could did didnt do does doesnt doing done dont for from get go going got had has have having he help her here
    him his how hows i id if im in into is isnt it its ive just know let like made make may me might mine must my
    myself need needs no not now of on one onto or our out over please pls really she should so some someone
    something sophie still than that thats the their them then there these they thing things this those to up us via
    want wanted was way we were what whats when where which who whom whose why will with without work working works
    would you your yours
"""
_STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

_HELLO_WORDS = frozenset({"hi", "hello", "hey", "hiya", "morning", "afternoon", "evening"})
_THANKS_WORDS = frozenset({"thanks", "thank", "thankyou", "cheers", "ta"})
_SMALL_TALK = _HELLO_WORDS | _THANKS_WORDS | {"good", "you", "very", "much", "so", "sophie", "there", "lots"}

TITLE_WEIGHT = 3
BODY_WEIGHT = 1
MAX_PAGES = 2

_VOWELS = frozenset("aeiouy")
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class BotAnswer:
    """Sophie's reply in plain words, and the help pages she drew it from (best first; empty when none)."""

    text: str
    pages: tuple[HelpPage, ...]


def answer(question: str, pages: Sequence[HelpPage] = PAGES) -> BotAnswer:
    """Sophie's answer to `question` from `pages` (the help files on this device)."""
    words = _words(question)
    if not words:
        return BotAnswer(EMPTY_REPLY, ())
    if all(word in _SMALL_TALK for word in words):
        if any(word in _THANKS_WORDS for word in words):
            return BotAnswer(THANKS_REPLY, ())
        if any(word in _HELLO_WORDS for word in words):
            return BotAnswer(HELLO_REPLY, ())
    groups = _question_groups(words)
    terms = set().union(*groups)
    scored = [(_score(terms, page), index, page) for index, page in enumerate(pages)]
    ranked = sorted(
        (item for item in scored if item[0] > 0 and _relevant(groups, item[0], item[2])),
        key=lambda item: (-item[0], item[1]),
    )
    if not ranked:
        return BotAnswer(NOT_FOUND_REPLY, ())
    best_score, _, best = ranked[0]
    found = [best] + [page for score, _, page in ranked[1:MAX_PAGES] if 2 * score >= best_score]
    text = f"From the help file “{best.title}”:\n{best.body}"
    if len(found) > 1:
        text += f"\n\nSee also “{found[1].title}”."
    return BotAnswer(text, tuple(found))


def _words(text: str) -> list[str]:
    """Lower-cased words without punctuation; a possessive 's is dropped and an apostrophe joins ("don't" → dont)."""
    text = text.casefold().replace("\u2019", "'")  # a typed curly apostrophe
    text = re.sub(r"'s\b", "", text).replace("'", "")
    return _WORD.findall(text)


def _stem(word: str) -> str:
    """A simple, deterministic stem: incidents → incident, recording → record, tapped → tap, timings → tim."""
    # plurals
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 4 and word.endswith(("sses", "shes", "ches", "xes", "zes")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    # verb endings: only where a word (with a vowel) is left
    if len(word) > 4 and word.endswith("ied"):
        word = word[:-3] + "y"
    else:
        for ending in ("ing", "ed"):
            rest = word[: -len(ending)]
            if word.endswith(ending) and len(rest) >= 3 and _VOWELS & set(rest):
                if not (ending == "ed" and rest.endswith("e")):  # need, speed
                    word = rest
                break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in _VOWELS and word[-1] not in "lsz":
        word = word[:-1]
    return word


def _stems(text: str) -> tuple[str, ...]:
    return tuple(_stem(word) for word in _words(text))


def _content_stems(text: str) -> list[str]:
    return [_stem(word) for word in _words(text) if word not in _STOP_WORDS]


#: SYNONYMS by the stems of their words: (phrase stems, target stems), longest phrase first
_SYNONYM_STEMS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = tuple(
    sorted(
        ((_stems(phrase), tuple(_content_stems(target))) for phrase, target in SYNONYMS.items()),
        key=lambda entry: -len(entry[0]),
    )
)


def _question_groups(words: Sequence[str]) -> list[frozenset[str]]:
    """The stems to look for, one group per thing the question names: a word of its own (stop words dropped)
    with what SYNONYMS gives it, or a phrase's target."""
    stems = [_stem(word) for word in words]
    groups: list[frozenset[str]] = []
    position = 0
    while position < len(words):
        for phrase, target in _SYNONYM_STEMS:
            if tuple(stems[position : position + len(phrase)]) == phrase:
                group = set(target)
                if len(phrase) == 1 and words[position] not in _STOP_WORDS:
                    group.add(stems[position])
                groups.append(frozenset(group))
                position += len(phrase)
                break
        else:
            if words[position] not in _STOP_WORDS:
                groups.append(frozenset({stems[position]}))
            position += 1
    return list(dict.fromkeys(groups))  # a word asked twice counts once


def _relevant(groups: list[frozenset[str]], score: int, page: HelpPage) -> bool:
    """Whether a page answers the question at all: it has at least half of what the question names, and more
    than one passing mention when the question names more than one thing ("the weather today" is not the
    clicker's "today's counts")."""
    words = set(_stems(page.title)) | set(_stems(page.body))
    found = sum(1 for group in groups if group & words)
    return 2 * found >= len(groups) and (len(groups) < 2 or score >= 2)


def _score(terms: set[str], page: HelpPage) -> int:
    title, body = set(_stems(page.title)), set(_stems(page.body))
    return TITLE_WEIGHT * len(terms & title) + BODY_WEIGHT * len(terms & body)
