"""The Smart Plan Builder's help: suggestions drawn from the individual's record, and reflection with data.

Suggestions come from what was recorded — post-incident learning (triggers, adjustments, the individual's own
words), de-escalation rated effective or not, the low-level behaviours seen before an incident escalated, and
communications marked "add to Smart Plan" — each with its sources (incident reference and date, or the
communication) and the plan item it would go to. The same words recorded more than once are one suggestion
with every source behind it. A plan is shared with parents and other professionals, so it names no other
child: in words drawn from the record, the names of the other individuals this device holds become "another
young person" (`other_names_hidden`, which AI Support uses too for what it adds to a plan). Nothing is added
unasked: the person accepts one (as it is or edited), which appends it to that item, or dismisses it, which this
device remembers (in its encrypted vault) so it is not offered again for that plan.

The plan's details start from the individual's profile: a draft that has not recorded whether there is an EHC
plan takes the profile's "EHC plan: yes" (`fill_from_profile`).

While an item is being typed in the builder, the words are kept (encrypted) on the device and written to the
plan when the person leaves the item or the section: nothing typed is lost, and the plan gets one change per item
edited rather than one per key pressed (each change is an op the server audits). After an incident, the builder
opens on the individual's draft — or starts one, or the active plan's next version — with the incident linked.

Reflection answers the four questions of the plan process with figures from the record: which behaviours
(last 4 weeks against the 4 before), which triggers (no other individual named, as in the suggestions), times,
days and places, which techniques worked, and the incidents where the physical-intervention page says the plan
was not followed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.context import ActionError, Context, PermissionDenied
from app.plans import Plans
from app.vocabulary import uk_day
from localdb.queries import Stored
from sync.permissions import Capability
from sync.records import PLAN_CONTENT_FIELDS, PLAN_FIELD_SECTION, Effectiveness, IncidentStatus, PlanStatus, Valence

#: incident field -> the plan item its words are offered for
_INCIDENT_TEXT = {
    "pild_triggers": "triggers",
    "pild_adjustments": "reasonable_adjustments",
    "pild_perspective": "pupil_voice",
    "pild_next_time": "pupil_voice",
    "pi_behaviours_low": "early_signs",
}
#: a de-escalation technique's rating -> the amber item it is offered for
_RATED = {Effectiveness.EFFECTIVE.value: "amber_helps", Effectiveness.NOT_EFFECTIVE.value: "amber_avoid"}
#: a plan's detail -> the individual's field that answers it while the plan has not: their profile's "EHC plan"
_FROM_PROFILE = {"link_ehcp": "ehc_plan"}
_DISMISSED = "plan-builder-dismissed:"
_TYPING = "plan-builder-typing:"
WEEK = dt.timedelta(weeks=1)


#: what another individual's name becomes in words drawn from the record into a plan
ANOTHER_YOUNG_PERSON = "another young person"
#: a name alone shorter than this is not looked for ("Al", "Jo", "Bo": too often a word or an initial); a full
#: name is always looked for
MIN_NAME = 3
#: a name after one of these is an adult's ("Mr Hall", "Miss Grace"): staff may be named in a plan
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "sir", "prof"})
_PREVIOUS_WORD = re.compile(r"([^\W\d_][\w'’.-]*)[ \t]+\Z")
_NEXT_WORD = re.compile(r"^[ \t]+([^\W\d_])")
_SENTENCE_START = re.compile(r"(?:\A|[.!?][\"'”’)]*\s+|\n\s*)[\"'“‘(]*\Z")


def _names_of(values: dict[str, Any]) -> tuple[set[str], set[str], set[str]]:
    """An individual's full names ("Samuel Hill", "Sam Hill"), given names ("Samuel", "Sam") and family name
    ("Hill"), each name of several words also word by word (as the server's pseudonymiser takes them)."""
    first, last, preferred = (str(values.get(k) or "").strip() for k in ("first_name", "last_name", "preferred_name"))
    full = {f"{given} {last}" for given in (first, preferred) if given and last}
    given = {n for name in (first, preferred) if name for n in (name, *name.split())}
    family = {n for n in (last, *last.split()) if n}
    return full, given, family


def other_names_hidden(context: Context, profile_id: str) -> Callable[[str], str]:
    """A function that replaces, in words about `profile_id`'s individual, the names of the other individuals this
    device holds with "another young person" — what is drawn from the record into their Smart Plan, which is
    shared with parents and other professionals.

    Whole words only (as `server.services.assistant`'s pseudonymiser matches names). A full name in any case. A
    name alone of `MIN_NAME` letters or more, when written as a name, with a capital ("Will" is a name, "will" a
    word; "Hall" a name, "dining hall" a place), and not after a title ("Mr Hall" is a member of staff). A family
    name alone next to another capitalised word is part of some other name ("Sports Hall", "Green Room") and is
    left. A name the individual shares is theirs too, and stays."""
    own: set[str] = set()
    full: set[str] = set()
    given: set[str] = set()
    family: set[str] = set()
    for person in context.store.individuals():
        names = _names_of(person.values)
        if person.id == profile_id:
            own |= {n.lower() for group in names for n in group}
        else:
            full |= names[0]
            given |= {n for n in names[1] if len(n) >= MIN_NAME}
            family |= {n for n in names[2] if len(n) >= MIN_NAME}
    #: each name (lower case, as `re.IGNORECASE` compares) -> "full", "given" or "family"; a name that is more
    #: than one of these is taken as the last
    kinds: dict[str, str] = {}
    for kind, group in (("family", family), ("given", given), ("full", full)):
        kinds |= {n.lower(): kind for n in group if n.lower() not in own}
    if not kinds:
        return lambda text: text
    pattern = re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(n) for n in sorted(kinds, key=len, reverse=True)) + r")(?!\w)",
        re.IGNORECASE,
    )

    def replaced(match: re.Match[str]) -> str:
        found, text = match.group(), match.string
        before, after = text[: match.start()], text[match.end() :]
        kind = kinds.get(found.lower(), "full")
        if kind != "full":
            previous = _PREVIOUS_WORD.search(before)
            if not found[0].isupper() or (previous and previous.group(1).rstrip(".").lower() in _TITLES):
                return found
            if kind == "family":
                following = _NEXT_WORD.match(after)
                part_of_a_name = (following is not None and following.group(1).isupper()) or (
                    previous is not None
                    and previous.group(1)[0].isupper()
                    and not _SENTENCE_START.search(before[: previous.start()])
                )
                if part_of_a_name:
                    return found
        # Words about the individual: the other child is "another young person", and "Another" to start a sentence.
        if _SENTENCE_START.search(before):
            return ANOTHER_YOUNG_PERSON[0].upper() + ANOTHER_YOUNG_PERSON[1:]
        return ANOTHER_YOUNG_PERSON

    return lambda text: pattern.sub(replaced, text)


@dataclass(frozen=True)
class Source:
    """A record a suggestion was found in."""

    kind: str  # "incident" / "communication"
    id: str
    #: as shown: "besmart-00012, 3 Nov 2026" or "Communication, 3 Nov 2026"
    label: str


@dataclass(frozen=True)
class Suggestion:
    field: str  # the plan item it is offered for
    section: str
    text: str
    #: every record the words were found in, newest first: the same words recorded again are one suggestion
    sources: tuple[Source, ...]
    #: one for each time the words were found, stable (source record, source field, plan item, words): dismissing
    #: the suggestion dismisses them all
    keys: tuple[str, ...]

    @property
    def key(self) -> str:
        return self.keys[0]

    @property
    def source_kind(self) -> str:
        return self.sources[0].kind

    @property
    def source_id(self) -> str:
        return self.sources[0].id

    @property
    def source(self) -> str:
        """The newest source, as shown."""
        return self.sources[0].label


@dataclass(frozen=True)
class TechniqueFigures:
    technique: str
    effective: int = 0
    partly_effective: int = 0
    not_effective: int = 0


@dataclass(frozen=True)
class Reflection:
    """The four reflection questions, answered with the individual's figures."""

    #: behaviour label -> (taps in the last 4 weeks, taps in the 4 weeks before)
    behaviours: dict[str, tuple[int, int]]
    incidents: tuple[int, int]
    triggers: list[tuple[str, int]]
    times_of_day: list[tuple[str, int]]
    days: list[tuple[str, int]]
    locations: list[tuple[str, int]]
    techniques: list[TechniqueFigures]
    #: (incident id, reference label, date) where the plan was not followed
    plan_not_followed: list[tuple[str, str, dt.date]] = field(default_factory=list)


def _day(moment: str) -> dt.date:
    return dt.datetime.fromisoformat(moment).astimezone().date()


def _lines(text: str) -> list[str]:
    """The separate points of a free-text answer (one a line, list markers dropped)."""
    return [line.strip().lstrip("-•* ").strip() for line in text.splitlines() if line.strip().lstrip("-•* ").strip()]


def _same_words(text: str) -> str:
    """What makes two suggestions' words the same: letters' case, spacing and a closing full stop aside."""
    return " ".join(text.casefold().split()).rstrip(".")


class PlanBuilder:
    def __init__(self, context: Context, plans: Plans) -> None:
        self.context = context
        self.plans = plans

    def _incidents(self, profile_id: str) -> list[Stored]:
        """The individual's recorded incidents (submitted or reviewed: a draft is not yet the record)."""
        return [
            i
            for i in self.context.store.incidents(profile_id=profile_id)
            if (i.values.get("status") or IncidentStatus.DRAFT.value) != IncidentStatus.DRAFT.value
        ]

    # --- suggestions ----------------------------------------------------------------------------

    def suggestions(self, plan_id: str) -> list[Suggestion]:
        """What the record offers for this plan, newest source first: not yet in the plan, not dismissed; the same
        words for the same item once, with all their sources; no other individual named (`other_names_hidden`)."""
        plan = self.plans.get(plan_id)
        profile_id = plan.profile_id or ""
        dismissed = set(self._dismissed(plan_id))
        hide = other_names_hidden(self.context, profile_id)
        #: (plan item, the words as compared) -> (the words as shown, their sources, their keys)
        found: dict[tuple[str, str], tuple[str, list[Source], list[str]]] = {}

        def offer(target: str, recorded: str, source: Source, origin: str) -> None:
            # Stable across restarts (unlike hash()), and from the words as recorded (not as shown, which depends
            # on the individuals this device holds): a dismissed suggestion stays dismissed.
            key = f"{source.id}:{origin}:{target}:{hashlib.sha256(recorded.encode()).hexdigest()[:16]}"
            text = hide(recorded)
            if key in dismissed or text.casefold() in str(plan.values.get(target) or "").casefold():
                return
            _words, sources, keys = found.setdefault((target, _same_words(text)), (text, [], []))
            if source not in sources:
                sources.append(source)
            keys.append(key)

        for incident in self._incidents(profile_id):
            values = incident.values
            shown = f"{values.get('reference') or 'Incident'}, {uk_day(_day(values['occurred_at']))}"
            source = Source("incident", incident.id, shown)
            for origin, target in _INCIDENT_TEXT.items():
                for line in _lines(str(values.get(origin) or "")):
                    offer(target, line, source, origin)
            for use in values.get("pi_deescalation") or []:
                rated = use.get("effectiveness")
                if rated in _RATED:
                    offer(_RATED[rated], use["technique"], source, "pi_deescalation")
        for thread in self.context.store.communications(profile_id):
            communication = thread.communication
            if not communication.values.get("added_to_plan"):
                continue
            valence = communication.values.get("valence")
            target = "green_reinforce" if valence == Valence.POSITIVE.value else "behaviours_of_concern"
            source = Source(
                "communication", communication.id, f"Communication, {uk_day(_day(communication.values['created_at']))}"
            )
            for line in _lines(communication.values.get("message", "")):
                offer(target, line, source, "message")
        return [
            Suggestion(target, PLAN_FIELD_SECTION[target], text, tuple(sources), tuple(keys))
            for (target, _compared), (text, sources, keys) in found.items()
        ]

    def accept(self, plan_id: str, suggestion: Suggestion, text: str | None = None) -> None:
        """Add the suggestion (or the person's edited words for it) to its plan item, and link its sources."""
        plan = self.plans.get(plan_id)
        words = (suggestion.text if text is None else text).strip()
        if not words:
            raise ActionError("The suggestion is empty: edit it or dismiss it.")
        current = str(plan.values.get(suggestion.field) or "").rstrip()
        values: dict[str, Any] = {suggestion.field: f"{current}\n- {words}" if current else f"- {words}"}
        self.plans.edit(plan_id, values)
        links: dict[str, Any] = {}
        for kind, name in (("incident", "linked_incident_ids"), ("communication", "linked_communication_ids")):
            linked = list(plan.values.get(name) or [])
            new = [s.id for s in suggestion.sources if s.kind == kind and s.id not in linked]
            if new:
                links[name] = [*linked, *dict.fromkeys(new)]
        if links:
            # Where the plan's words came from: a separate write, so it never overwrites a colleague's text.
            self.context.write("smart_plan", "update", links, record_id=plan_id)

    def dismiss(self, plan_id: str, suggestion: Suggestion) -> None:
        self.plans.get(plan_id)
        dismissed = self._dismissed(plan_id)
        self.context.store.put_secret(
            _DISMISSED + plan_id, [*dismissed, *(k for k in suggestion.keys if k not in dismissed)]
        )

    def _dismissed(self, plan_id: str) -> list[str]:
        return list(self.context.store.get_secret(_DISMISSED + plan_id) or [])

    # --- typing in progress ---------------------------------------------------------------------

    def typing(self, plan_id: str) -> dict[str, Any]:
        """What has been typed into the plan's items on this device and not yet written to the plan."""
        return dict(self.context.store.get_secret(_TYPING + plan_id) or {})

    def keep_typing(self, plan_id: str, field: str, value: Any) -> None:
        """Keep what is being typed into an item — its text, or a list of targets or contributors — encrypted on
        this device until `save_typing`."""
        if field not in PLAN_CONTENT_FIELDS:
            raise ActionError(f"Not a part of a Smart Plan: {field}.")
        self.context.store.put_secret(_TYPING + plan_id, {**self.typing(plan_id), field: value})

    def save_typing(self, plan_id: str) -> None:
        """Write what was typed to the plan: one change with the items that differ from it. If the plan may not
        be changed (published meanwhile, or the role does not allow it) the error says why and the words stay
        kept on the device."""
        typed = self.typing(plan_id)
        if not typed:
            return
        plan = self.plans.get(plan_id)
        changed = {
            name: value
            for name, value in typed.items()
            if value != plan.values.get(name) and (value or plan.values.get(name))  # "" and None alike: unchanged
        }
        if changed:
            self.plans.edit(plan_id, changed)
        self.context.store.delete_secret(_TYPING + plan_id)

    # --- the plan's details -----------------------------------------------------------------------

    def fill_from_profile(self, plan_id: str) -> bool:
        """Start a draft's details from the individual's profile: an EHCP link the plan has not recorded is "yes"
        when the profile says they have an EHC plan (written to the plan, so its view and PDF say the same). The
        profile's "no" is only its default, so it is not carried; nor is anything into a plan that has its own
        answer, is not a draft, or that this person may not edit. Whether anything was written."""
        plan = self.plans.get(plan_id)
        if plan.values.get("status") != PlanStatus.DRAFT.value or not self.plans.can_edit(plan):
            return False
        individual = self.context.store.get(plan.profile_id or "")
        if individual is None or individual.kind != "individual":
            return False
        values = {
            name: True
            for name, field in _FROM_PROFILE.items()
            if plan.values.get(name) is None and individual.values.get(field) is True
        }
        if values:
            self.plans.edit(plan_id, values)
        return bool(values)

    # --- after an incident ----------------------------------------------------------------------

    def _draft_of(self, profile_id: str) -> Stored | None:
        for plan in self.context.store.records("smart_plan", profile_id):
            if plan.values.get("status") == PlanStatus.DRAFT.value and not plan.values.get("removed"):
                return plan
        return None

    def can_build(self, profile_id: str) -> bool:
        """Whether this person may open the builder for the individual: a lead, or the lead of their draft."""
        if self.context.can(Capability.EDIT_PLANS):
            return True
        draft = self._draft_of(profile_id)
        return draft is not None and self.plans.can_edit(draft)

    def plan_for_incident(self, incident_id: str) -> str:
        """The draft the builder opens straight after an incident is submitted: the individual's draft, else a new
        version of their active plan, else a new plan — with the incident linked to it, so its learning is
        offered as suggestions and the plan records where it came from."""
        incident = self.context.get(incident_id, "incident")
        profile_id = incident.profile_id or ""
        if not self.can_build(profile_id):
            raise PermissionDenied("Only a lead or the plan's lead may build this Smart Plan.")
        draft = self._draft_of(profile_id)
        if draft is None:
            active = self.plans.active(profile_id)
            if active is None:
                return self.plans.start(profile_id, incident_id=incident_id)
            draft = self.plans.get(self.plans.start_next_version(active.id))
        linked = list(draft.values.get("linked_incident_ids") or [])
        if incident_id not in linked:
            self.context.write(
                "smart_plan", "update", {"linked_incident_ids": [*linked, incident_id]}, record_id=draft.id
            )
        return draft.id

    # --- reflection -----------------------------------------------------------------------------

    def reflection(self, profile_id: str, *, now: dt.datetime | None = None) -> Reflection:
        """Figures for the four questions, from the last 8 weeks of the individual's record."""
        self.context.require(Capability.VIEW_PLANS, "see Smart Plans")
        hide = other_names_hidden(self.context, profile_id)  # the figures are for writing the plan with
        end = now or dt.datetime.now(dt.UTC)
        middle, start = end - 4 * WEEK, end - 8 * WEEK
        labels = {t.id: t.values.get("label", "") for t in self.context.store.behaviour_types(active_only=False)}
        recent: Counter[str] = Counter()
        before: Counter[str] = Counter()
        for tap in self.context.store.clicker_events(profile_id, start, end):
            label = labels.get(tap.values.get("behaviour_type_id", ""), "Other")
            (recent if tap.values["occurred_at"] >= middle.isoformat() else before)[label] += 1
        incidents = [i for i in self._incidents(profile_id) if i.values["occurred_at"] >= start.isoformat()]
        recent_incidents = sum(1 for i in incidents if dt.datetime.fromisoformat(i.values["occurred_at"]) >= middle)
        triggers: Counter[str] = Counter()
        hours: Counter[str] = Counter()
        days: Counter[str] = Counter()
        places: Counter[str] = Counter()
        techniques: dict[str, Counter[str]] = {}
        not_followed = []
        for incident in incidents:
            values = incident.values
            local = dt.datetime.fromisoformat(values["occurred_at"]).astimezone()
            hours[f"{local.hour:02d}:00–{(local.hour + 1) % 24:02d}:00"] += 1
            days[f"{local:%A}"] += 1
            if values.get("location"):
                places[values["location"]] += 1
            for line in _lines(str(values.get("pild_triggers") or "")):
                triggers[hide(line)] += 1
            for use in [*(values.get("pi_deescalation") or []), *(values.get("pi_techniques") or [])]:
                techniques.setdefault(use["technique"], Counter())[use["effectiveness"]] += 1
            if values.get("pi_plan_followed") is False:
                not_followed.append((incident.id, values.get("reference") or "Not yet numbered", local.date()))
        return Reflection(
            behaviours={
                name: (recent[name], before[name]) for name in sorted(set(recent) | set(before), key=str.casefold)
            },
            incidents=(recent_incidents, len(incidents) - recent_incidents),
            triggers=triggers.most_common(5),
            times_of_day=hours.most_common(3),
            days=days.most_common(3),
            locations=places.most_common(3),
            techniques=[
                TechniqueFigures(
                    name,
                    counts[Effectiveness.EFFECTIVE.value],
                    counts[Effectiveness.PARTLY_EFFECTIVE.value],
                    counts[Effectiveness.NOT_EFFECTIVE.value],
                )
                for name, counts in sorted(techniques.items(), key=lambda kv: -kv[1].total())
            ],
            plan_not_followed=sorted(not_followed, key=lambda row: row[2], reverse=True),
        )
