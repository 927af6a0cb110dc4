"""The demo's text, read from the JSON files in `server/demo/data/` (shipped with the package): names,
places, incident narratives, post-incident learning, physical interventions, communications, Smart Plans and
reports of a problem with a tool's output.

Templates hold `{name}`, `{they}`, `{adult}`, `{peer}`, ... filled in by `Seeder.words`. Each file starts with
an `_about` line saying what it holds. A category's `pild` names a bank of `learning.json`, and a bank's
`based_on` names the bank it extends; both are resolved here, so the constants below hold plain values.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

DATA = resources.files("server.demo") / "data"
FILES = (
    "people.json",
    "places.json",
    "learning.json",
    "incidents.json",
    "interventions.json",
    "communications.json",
    "plans.json",
    "feedback.json",
    "records_kept.json",
)


def load(name: str) -> dict[str, Any]:
    """One data file, without its `_about` line."""
    found: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    found.pop("_about", None)
    return found


def _learning() -> dict[str, dict[str, list[str]]]:
    banks = load("learning.json")
    resolved = {}
    for key, bank in banks.items():
        own = {field: lines for field, lines in bank.items() if field != "based_on"}
        resolved[key] = {**banks[bank["based_on"]], **own} if "based_on" in bank else own
    return resolved


def _categories(categories: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**c, "pild": LEARNING[c["pild"]]} if "pild" in c else c for c in categories]


_people = load("people.json")
_places = load("places.json")
_incidents = load("incidents.json")
_interventions = load("interventions.json")
_communications = load("communications.json")
_kept = load("records_kept.json")
#: amendments of submitted incidents ({"add": a sentence added to what happened, "reason": why})
AMENDMENTS: list[dict[str, str]] = _kept["amendments"]
DELETION_REASON: str = _kept["deletion"]
LEGAL_HOLD_REASON: str = _kept["legal_hold"]
_plans = load("plans.json")

#: pronoun -> {"they": ..., "them": ..., "their": ..., "was": ...}
PRONOUNS: dict[str, dict[str, str]] = _people["pronouns"]
GIRLS: list[str] = _people["girls"]
BOYS: list[str] = _people["boys"]
NEUTRAL: list[str] = _people["neutral"]
PREFERRED: dict[str, str] = _people["preferred"]
SURNAMES: list[str] = _people["surnames"]
ADULT_WOMEN: list[str] = _people["adult_women"]
ADULT_MEN: list[str] = _people["adult_men"]
SEND_DETAILS: list[str] = _people["send_details"]
INTERESTS: list[str] = _people["interests"]
HOME_DETAILS: list[str] = _people["home_details"]

SUBJECTS: list[str] = _places["subjects"]
#: subject -> room word ("Year 8 science lab") or a room name (capitalised: used as it is)
ROOMS: dict[str, str] = _places["rooms"]
SCHOOL_PLACES: list[str] = _places["school_places"]
HOME_LOCATIONS: list[str] = _places["home_locations"]

#: post-incident learning banks: "school" and "home", and the ones a category names (merged over those)
LEARNING = _learning()
SCHOOL_PILD = LEARNING["school"]
HOME_PILD = LEARNING["home"]

SCHOOL_CATEGORIES: list[dict[str, Any]] = _categories(_incidents["school_categories"])
HOME_CATEGORIES: list[dict[str, Any]] = _categories(_incidents["home_categories"])
#: the patterns' own categories (server.demo.patterns): "lunch_queue", "friday_afternoon", "bedtime"
PATTERN_CATEGORIES: dict[str, dict[str, Any]] = dict(
    zip(_incidents["pattern_categories"], _categories(list(_incidents["pattern_categories"].values())), strict=True)
)
INJURY_WHO: list[str] = _incidents["injury_who"]
INJURY_DETAILS: list[str] = _incidents["injury_details"]
INJURY_TREATMENT: list[str] = _incidents["injury_treatment"]
NOT_INFORMED: list[str] = _incidents["not_informed"]
LOOKED_AFTER_NOT_INFORMED: list[str] = _incidents["looked_after_not_informed"]
LA_ROUTE_REASONS: list[str] = _incidents["la_route_reasons"]
FLAG_REASONS: list[str] = _incidents["flag_reasons"]
SCHOOL_REVIEW_NOTES: list[str] = _incidents["school_review_notes"]
HOME_REVIEW_NOTES: list[str] = _incidents["home_review_notes"]

DEESCALATION: list[str] = _interventions["deescalation"]
TECHNIQUES: list[str] = _interventions["techniques"]
#: technique -> weights of effective, partly effective, not effective ("default" for the others)
TECHNIQUE_EFFECTIVENESS: dict[str, list[float]] = _interventions["effectiveness"]
SCHOOL_PI: dict[str, list[str]] = _interventions["school_pi"]
HOME_PI: dict[str, list[str]] = _interventions["home_pi"]

#: two reports of a problem with a tool's output: "open" and "resolved" (tool, output, note, resolution)
FEEDBACK: dict[str, dict[str, str]] = load("feedback.json")

SCHOOL_MESSAGES: dict[str, list[str]] = _communications["school_messages"]
HOME_MESSAGES: dict[str, list[str]] = _communications["home_messages"]
CLOSINGS: dict[str, list[str]] = _communications["closings"]
SCHOOL_REPLIES: dict[str, list[str]] = _communications["school_replies"]
HOME_REPLIES: dict[str, list[str]] = _communications["home_replies"]

SCHOOL_PLAN: dict[str, list[str]] = _plans["school_plan"]
HOME_PLAN: dict[str, list[str]] = _plans["home_plan"]
TRIGGER_LINES: dict[str, list[str]] = _plans["trigger_lines"]
#: Smart Plan section items -> options (targets: [target, how measured])
PLAN_SECTION_WORDS: dict[str, list] = _plans["sections"]
#: on whose behalf -> [section, text] contributions
PLAN_CONTRIBUTIONS: dict[str, list[list[str]]] = _plans["contributions"]
