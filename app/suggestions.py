"""AI Support's suggestions, each with its evidence: rule-based and statistical, over the records on this device,
offline, with no language model.

Three scopes, as the guide has them:

- **a single incident**: what might help next time (the de-escalation that has worked for this individual, what
  their active Smart Plan says helps, whether the plan was followed) and the follow-ups still open on it
  (parents informed, the written report after physical intervention, a lead's sign-off, the child spoken to —
  which the report's post-incident learning shows when it holds the child's own view, and a lead confirms at
  sign-off);
- **one individual**: patterns in their recent incidents (times, days, places, triggers, the behaviours seen
  before an incident escalated), what has worked and what has not, and the parts of their active plan that look
  out of date against incidents recorded since it was published (from `app.plan_builder`'s own suggestions);
- **the whole service** (roles with the analytics capability, i.e. leads): hot spots, techniques rated not
  effective (training needs), trends, over-represented groups and overdue follow-ups — read from the analytics
  reports themselves (`app.analytics`), so a suggestion and the report it comes from never disagree.

Individual and incident figures are counted over the analytics working set (the same decrypted rows the
reports count: submitted and reviewed incidents, never drafts). A staff member's device holds only the
individuals they were given access to, so their suggestions can only be about those; the service scope needs
the analytics capability. Every suggestion carries its figures and the incidents behind them. One about an
incident or an individual can be added to their Smart Plan as a contribution (`Plans.contribute`), evidence
included, with other individuals' names replaced as in the Smart Plan Builder's suggestions
(`app.plan_builder.other_names_hidden`: a plan is shared with parents and other professionals); one about the
whole service is about no one child's plan, and is not offered for one. Nothing is changed unasked.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from app.analytics import TIME_ZONE, Analytics, Filters
from app.analytics.service import NOT_RECORDED, follow_up_open
from app.analytics.working_set import WEEKDAYS, IncidentRow
from app.context import ActionError, Context, display_name, now_utc
from app.plan_builder import PlanBuilder, other_names_hidden
from app.plans import SECTION_TITLES, Plans, review_state
from app.vocabulary import uk_day
from localdb.queries import Stored
from sync.permissions import Capability
from sync.records import PLAN_FIELD_SECTION, PLAN_SECTIONS, Effectiveness, PlanStatus

#: the guide's warning, shown with every AI Support output
WARNING = (
    "Information only: check it and apply your professional judgement before acting on it. Do not share it with "
    "parents or others unless you are authorised to and it has been reviewed. Follow your organisation's "
    "safeguarding and data-protection policies."
)
#: the same warning, short, under each suggestion (the full one heads the screen)
WARNING_SHORT = (
    "Information only: check it and use your professional judgement. Share it only if authorised and reviewed; "
    "follow safeguarding and data-protection policies."
)
#: how far back "recent" reaches for one individual's patterns
WINDOW = dt.timedelta(weeks=12)
#: a pattern needs at least this many incidents behind it, and this share of the individual's incidents (a
#: time of day: one hour of the day; a day: of five or seven; a trigger: named in free text)
MIN_PATTERN = 2
MIN_SHARE = {"time": 0.25, "day": 0.3, "place": 0.3, "trigger": 0.1}
#: at most this many triggers are suggested (the most often named)
MAX_TRIGGERS = 3
#: a technique has "worked" / "not worked" when rated so at least this often, in at least half its uses
MIN_RATINGS = 2
#: the whole service: a hot spot has at least this many incidents (a place: and this share of them); a trend
#: moves by at least this count and share; a group's figures stand on at least this many incidents
MIN_HOT_SPOT = 3
MIN_PLACE_SHARE = 0.25
MIN_TREND_COUNT = 3
MIN_TREND_SHARE = 0.25
MIN_GROUP_INCIDENTS = 3
#: a group is over-represented when its incidents per 100 individuals are at least this multiple of the rest's
OVER_REPRESENTED = 1.5
#: a follow-up still open this long after the incident is overdue
FOLLOW_UP_DAYS = 7
#: the post-incident learning that records the child's own view: someone has spoken with them about it
CHILD_VOICE = ("pild_perspective", "pild_feelings", "pild_next_time")
#: the equality report's cohorts, each with the cohort it is compared with
COHORTS = {
    "send": ("not_send", "Individuals with SEND"),
    "ehc_plan": ("no_ehc_plan", "Individuals with an EHC plan"),
    "looked_after": ("not_looked_after", "Looked-after children"),
}


class Scope:
    INCIDENT = "incident"
    INDIVIDUAL = "individual"
    SERVICE = "service"


@dataclass(frozen=True)
class Suggestion:
    """One suggestion: what it suggests, the figures and incidents behind it, and the plan section it is for."""

    #: stable within its scope: what kind of suggestion, and about what
    key: str
    scope: str
    title: str
    text: str
    #: the Smart Plan section a contribution from it goes to (a key of `PLAN_SECTIONS`)
    section: str
    #: (what was counted, the count or percentage), in the order they are shown
    figures: tuple[tuple[str, float], ...]
    #: the incidents behind it, oldest first, and how they are shown ("besmart-00012, 3 Nov 2026")
    incident_ids: tuple[str, ...]
    references: tuple[str, ...]
    #: the individuals it is about (one for the incident and individual scopes)
    profile_ids: tuple[str, ...]

    def evidence(self) -> str:
        """The figures and incident references, in words (what a contribution carries with it)."""
        parts = [f"{label}: {_number(value)}" for label, value in self.figures]
        if self.references:
            parts.append("incidents: " + ", ".join(self.references))
        return "; ".join(parts)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _lines(text: object) -> list[str]:
    """The separate points of a free-text answer (one a line, list markers dropped)."""
    return [line.strip().lstrip("-•* ").strip() for line in str(text or "").splitlines() if line.strip("-•* \t")]


def hour_band(moment: dt.datetime) -> str:
    return f"{moment.hour:02d}:00–{(moment.hour + 1) % 24:02d}:00"


@dataclass(frozen=True)
class TechniqueRatings:
    """How often one technique was rated each way, with the incidents of each rating."""

    technique: str
    effective: tuple[str, ...]
    partly: tuple[str, ...]
    not_effective: tuple[str, ...]

    @property
    def uses(self) -> int:
        return len(self.effective) + len(self.partly) + len(self.not_effective)

    @property
    def worked(self) -> bool:
        return len(self.effective) >= MIN_RATINGS and 2 * len(self.effective) >= self.uses

    @property
    def did_not_work(self) -> bool:
        return len(self.not_effective) >= MIN_RATINGS and 2 * len(self.not_effective) >= self.uses


def technique_ratings(
    rows: Iterable[IncidentRow], *, deescalation: bool = True, physical: bool = True
) -> list[TechniqueRatings]:
    """Each technique's ratings across `rows` (de-escalation, physical techniques or both), most used first; a
    technique named twice in one incident counts once per rating there."""
    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        uses = [*(row.deescalation if deescalation else ()), *((t[0], t[1]) for t in row.techniques if physical)]
        for technique, rating in uses:
            name = technique.strip()
            if name and row.id not in found[name][rating]:
                found[name][rating].append(row.id)
    ratings = [
        TechniqueRatings(
            name,
            tuple(by[Effectiveness.EFFECTIVE.value]),
            tuple(by[Effectiveness.PARTLY_EFFECTIVE.value]),
            tuple(by[Effectiveness.NOT_EFFECTIVE.value]),
        )
        for name, by in found.items()
    ]
    return sorted(ratings, key=lambda t: (-t.uses, t.technique.casefold()))


class Suggestions:
    """The suggestions for one scope, from the records on this device (see the module docstring)."""

    def __init__(self, context: Context, analytics: Analytics, plans: Plans) -> None:
        self.context = context
        self.analytics = analytics  # the services' own: one working set, decrypted once
        self.working = analytics.working
        self.plans = plans
        self.plan_builder = PlanBuilder(context, plans)  # its suggestions for a plan (it keeps no state of its own)

    # --- helpers ----------------------------------------------------------------------------------

    def _rows(self, ids: Iterable[str]) -> list[IncidentRow]:
        wanted = set(ids)
        return [r for r in self.working.incidents() if r.id in wanted]

    def _references(self, ids: Iterable[str]) -> tuple[str, ...]:
        return tuple(
            f"{r.reference or 'Not yet numbered'}, {uk_day(r.occurred_at)}"
            for r in sorted(self._rows(ids), key=lambda r: (r.occurred_at, r.id))
        )

    def _make(
        self,
        key: str,
        scope: str,
        title: str,
        text: str,
        section: str,
        figures: Sequence[tuple[str, float]],
        ids: Iterable[str],
        profile_ids: Iterable[str],
    ) -> Suggestion:
        ordered = tuple(r.id for r in sorted(self._rows(ids), key=lambda r: (r.occurred_at, r.id)))
        return Suggestion(
            key,
            scope,
            title,
            text,
            section,
            tuple(figures),
            ordered,
            self._references(ordered),
            tuple(dict.fromkeys(profile_ids)),
        )

    def scope_name(self, *, incident_id: str = "", profile_id: str = "") -> str:
        """What the screen is about, in words: "besmart-00012 — Ada Lovelace", "Ada Lovelace", "The whole service"."""
        if incident_id:
            incident = self.context.get(incident_id, "incident")
            reference = incident.values.get("reference") or "Incident"
            return f"{reference} — {self.context.individual_names().get(incident.profile_id or '', 'Unknown')}"
        if profile_id:
            return display_name(self._require_individual(profile_id))
        return "The whole service"

    def _require_individual(self, profile_id: str) -> Stored:
        self.context.require(Capability.VIEW, "see individuals' records")
        return self.context.get(profile_id, "individual")

    def recent(self, profile_id: str, now: dt.datetime | None = None) -> list[IncidentRow]:
        """The individual's incidents in the last `WINDOW` (submitted or reviewed), oldest first."""
        start = (now or now_utc()).astimezone(TIME_ZONE) - WINDOW
        return [r for r in self.working.incidents() if r.profile_id == profile_id and r.occurred_at >= start]

    # --- a single incident ------------------------------------------------------------------------

    def for_incident(self, incident_id: str, *, now: dt.datetime | None = None) -> list[Suggestion]:
        """What might help next time, and the follow-ups still open on this incident."""
        self.context.require(Capability.VIEW, "see individuals' records")
        incident = self.context.get(incident_id, "incident")
        if (incident.values.get("status") or "draft") == "draft":
            raise ActionError("Submit the report first: suggestions are made from recorded incidents.")
        now = now or now_utc()
        profile_id = incident.profile_id or ""
        row = next(iter(self._rows([incident_id])), None)
        found: list[Suggestion] = []
        recent = self.recent(profile_id, now)
        # What helps is de-escalation: a physical technique is never suggested as something to try sooner.
        for rated in technique_ratings(recent, physical=False):
            if rated.worked:
                found.append(self._worked(Scope.INCIDENT, profile_id, rated, len(recent)))
        plan = self.plans.active(profile_id) if self.context.can(Capability.VIEW_PLANS) else None
        if plan is not None:
            found += self._plan_strategies(plan, incident_id)
        if row is not None and row.physical_intervention and row.pi_plan_followed is not None:
            found.append(self._plan_followed(Scope.INCIDENT, profile_id, row, recent))
        found += self._follow_ups(incident, now)
        return found

    def _plan_strategies(self, plan: Stored, incident_id: str) -> list[Suggestion]:
        """What the individual's active plan says helps (amber) and the agreed responses (red)."""
        version = int(plan.values.get("version") or 1)
        found = []
        for item, title in (
            ("amber_helps", "What helps, from their Smart Plan"),
            ("agreed_responses", "Agreed responses, from their Smart Plan"),
        ):
            points = _lines(plan.values.get(item))
            if not points:
                continue
            found.append(
                self._make(
                    f"plan:{plan.id}:{item}",
                    Scope.INCIDENT,
                    title,
                    f"Their active Smart Plan (version {version}) says: " + "; ".join(points) + ". Check these were "
                    "tried, and plan to use them next time.",
                    PLAN_FIELD_SECTION[item],
                    [("Smart Plan version", version), ("Points in the plan", len(points))],
                    [incident_id],
                    [plan.profile_id or ""],
                )
            )
        return found

    def _plan_followed(
        self, scope: str, profile_id: str, row: IncidentRow | None, recent: Sequence[IncidentRow]
    ) -> Suggestion:
        answered = [r for r in recent if r.physical_intervention and r.pi_plan_followed is not None]
        not_followed = [r for r in answered if r.pi_plan_followed is False]
        if row is not None and row.pi_plan_followed is False:
            text = (
                "The physical intervention page says the Smart Plan was not followed in this incident. Talk it "
                "through at the debrief: was the plan known, did it fit what happened, does it need changing?"
            )
        elif row is not None:
            text = "The Smart Plan was followed in this incident."
        else:
            text = (
                f"The Smart Plan was not followed in {len(not_followed)} of the {len(answered)} recent physical "
                "interventions that say. Check the plan is known to everyone who works with them, and still fits."
            )
        ids = [row.id] if row is not None else [r.id for r in not_followed]
        return self._make(
            f"plan_followed:{row.id if row else profile_id}",
            scope,
            "Whether the Smart Plan was followed",
            text,
            "red",
            [
                ("Physical interventions in 12 weeks saying whether the plan was followed", len(answered)),
                ("Of them, plan not followed", len(not_followed)),
            ],
            ids,
            [profile_id],
        )

    def _follow_ups(self, incident: Stored, now: dt.datetime) -> list[Suggestion]:
        v = incident.values
        occurred = dt.datetime.fromisoformat(str(v["occurred_at"]).replace("Z", "+00:00"))
        # Calendar days where the setting is, as people count them: last night's incident happened 1 day ago.
        days = max(0, (now.astimezone(TIME_ZONE).date() - occurred.astimezone(TIME_ZONE).date()).days)
        due: list[tuple[str, str, str]] = []
        if v.get("parents_informed") is None:
            due.append(("parents", "Parents or carers informed?", "Nobody has recorded telling the parents or carers."))
        if v.get("physical_intervention") and not v.get("parent_report_sent_at"):
            due.append(
                (
                    "written_report",
                    "Written report to parents after physical intervention",
                    "No written report to the parents is recorded: draft one from this incident (Letters).",
                )
            )
        if v.get("status") != "reviewed":
            due.append(("sign_off", "A lead's sign-off", "A lead has not yet reviewed and signed off this report."))
        child_spoken_to = self._child_spoken_to(v)
        if child_spoken_to is not None:
            due.append(("child_spoken_to", *child_spoken_to))
        return [
            self._make(
                f"follow_up:{incident.id}:{key}",
                Scope.INCIDENT,
                title,
                f"{text} It happened {'today' if days == 0 else _plural(days, 'day') + ' ago'}.",
                "after",
                [("Days since the incident", days)],
                [incident.id],
                [incident.profile_id or ""],
            )
            for key, title, text in due
        ]

    @staticmethod
    def _child_spoken_to(v: dict) -> tuple[str, str] | None:
        """The follow-up about speaking with the child (title, text), from what the report holds; None when there is
        nothing to do. Only a lead records that the child was spoken to (signing the report off,
        `Incidents.sign_off`); whoever spoke with them records the child's own view in the post-incident learning."""
        if v.get("review_child_spoken_at"):
            return None
        heard = any(str(v.get(name) or "").strip() for name in CHILD_VOICE)
        if v.get("status") == "reviewed":
            if heard:  # signed off: the child's view in the report is the record of it (the sign-off is done)
                return None
            return (
                "Child spoken to?",
                "It was signed off with no record of the child being spoken to about it, and no view of theirs in "
                "the post-incident learning. Speak with them, and ask a lead to add their view to the report.",
            )
        if heard:
            return (
                "Child spoken to: a lead confirms it at sign-off",
                "Their own view is recorded in the post-incident learning. A lead confirms that the child was spoken "
                "to when signing off the report.",
            )
        return (
            "Child spoken to?",
            "No view of the child's is recorded yet. Once someone has spoken with them, add it to the report's "
            "post-incident learning (their perspective); a lead confirms it when signing off the report.",
        )

    def _worked(self, scope: str, profile_id: str, rated: TechniqueRatings, total: int) -> Suggestion:
        return self._make(
            f"worked:{profile_id}:{rated.technique.casefold()}",
            scope,
            f"What has worked: {rated.technique}",
            f"“{rated.technique}” was rated effective in {len(rated.effective)} of its {rated.uses} recorded uses "
            "in the last 12 weeks: keep it in what helps, and try it early next time.",
            "amber",
            [
                ("Rated effective", len(rated.effective)),
                ("Recorded uses", rated.uses),
                ("Incidents in 12 weeks", total),
            ],
            rated.effective,
            [profile_id],
        )

    # --- one individual ---------------------------------------------------------------------------

    def for_individual(self, profile_id: str, *, now: dt.datetime | None = None) -> list[Suggestion]:
        """Patterns, what has worked and what has not, and plan sections that look out of date."""
        self._require_individual(profile_id)
        now = now or now_utc()
        recent = self.recent(profile_id, now)
        found: list[Suggestion] = []
        patterns: tuple[tuple[str, str, str, Callable[[IncidentRow], str]], ...] = (
            ("time", "A time of day", "understanding", lambda r: hour_band(r.occurred_at)),
            ("day", "A day of the week", "understanding", lambda r: WEEKDAYS[r.occurred_at.weekday()]),
            ("place", "A place", "green", lambda r: r.location),
        )
        for key, title, section, label in patterns:
            found += self._pattern(key, title, section, profile_id, recent, label)
        found += self._text_patterns(profile_id, recent)
        deescalation = {r.technique for r in technique_ratings(recent, physical=False)}
        for rated in technique_ratings(recent):
            if rated.worked and rated.technique in deescalation:
                found.append(self._worked(Scope.INDIVIDUAL, profile_id, rated, len(recent)))
            elif rated.did_not_work:
                found.append(
                    self._make(
                        f"not_worked:{profile_id}:{rated.technique.casefold()}",
                        Scope.INDIVIDUAL,
                        f"What has not worked: {rated.technique}",
                        f"“{rated.technique}” was rated not effective in {len(rated.not_effective)} of its "
                        f"{rated.uses} recorded uses in the last 12 weeks: consider what to try instead.",
                        "amber",
                        [("Rated not effective", len(rated.not_effective)), ("Recorded uses", rated.uses)],
                        rated.not_effective,
                        [profile_id],
                    )
                )
        if any(r.physical_intervention and r.pi_plan_followed is False for r in recent):
            found.append(self._plan_followed(Scope.INDIVIDUAL, profile_id, None, recent))
        if self.context.can(Capability.VIEW_PLANS):
            found += self._out_of_date(profile_id, recent, now)
        return found

    def _pattern(
        self,
        key: str,
        title: str,
        section: str,
        profile_id: str,
        rows: Sequence[IncidentRow],
        label: Callable[[IncidentRow], str],
    ) -> list[Suggestion]:
        groups: dict[str, list[str]] = defaultdict(list)
        for row in rows:
            if label(row):
                groups[label(row)].append(row.id)
        if not groups:
            return []
        top, ids = max(groups.items(), key=lambda kv: (len(kv[1]), kv[0]))
        if len(ids) < MIN_PATTERN or len(ids) < MIN_SHARE[key] * len(rows):
            return []
        share = round(100 * len(ids) / len(rows), 1)
        return [
            self._make(
                f"{key}:{profile_id}",
                Scope.INDIVIDUAL,
                f"{title}: {top}",
                f"{len(ids)} of their {len(rows)} incidents in the last 12 weeks ({share:g}%) were {_where(key, top)}. "
                "Plan extra support, a change of routine or a check-in then.",
                section,
                [
                    (f"Incidents {_where(key, top)}", len(ids)),
                    ("Incidents in 12 weeks", len(rows)),
                    ("Share (%)", share),
                ],
                ids,
                [profile_id],
            )
        ]

    def _text_patterns(self, profile_id: str, recent: Sequence[IncidentRow]) -> list[Suggestion]:
        """Triggers named more than once, and behaviours seen before incidents that escalated (to a medium or
        high level), from the incidents' own words."""
        wanted = {r.id: r for r in recent}
        triggers: dict[str, list[str]] = defaultdict(list)
        before: dict[str, list[str]] = defaultdict(list)
        spelled: dict[str, str] = {}
        for incident in self.context.store.incidents(profile_id=profile_id):
            row = wanted.get(incident.id)
            if row is None:
                continue
            for line in _lines(incident.values.get("pild_triggers")):
                spelled.setdefault(line.casefold(), line)
                triggers[line.casefold()].append(incident.id)
            if row.level in ("medium", "high"):
                for line in _lines(incident.values.get("pi_behaviours_low")):
                    spelled.setdefault(line.casefold(), line)
                    before[line.casefold()].append(incident.id)
        escalated = sum(1 for r in recent if r.level in ("medium", "high"))
        found = []
        for words, ids in sorted(triggers.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:MAX_TRIGGERS]:
            if len(ids) >= MIN_PATTERN and len(ids) >= MIN_SHARE["trigger"] * len(recent):
                found.append(
                    self._make(
                        f"trigger:{profile_id}:{words}",
                        Scope.INDIVIDUAL,
                        f"A trigger: {spelled[words]}",
                        f"“{spelled[words]}” was named as a trigger in {len(ids)} of their {len(recent)} incidents "
                        "in the last 12 weeks: plan how to avoid it or prepare them for it.",
                        "understanding",
                        [("Incidents naming it", len(ids)), ("Incidents in 12 weeks", len(recent))],
                        ids,
                        [profile_id],
                    )
                )
        for words, ids in sorted(before.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            if len(ids) >= MIN_PATTERN:
                found.append(
                    self._make(
                        f"early_sign:{profile_id}:{words}",
                        Scope.INDIVIDUAL,
                        f"Before it escalates: {spelled[words]}",
                        f"“{spelled[words]}” was seen before {len(ids)} of the {escalated} incidents that escalated: "
                        "treat it as an early warning sign and respond then.",
                        "understanding",
                        [("Escalated incidents where it came first", len(ids)), ("Escalated incidents", escalated)],
                        ids,
                        [profile_id],
                    )
                )
        return found

    def _out_of_date(self, profile_id: str, recent: Sequence[IncidentRow], now: dt.datetime) -> list[Suggestion]:
        """Where the active plan looks out of date: its review is overdue; it lists as helping a technique rated
        not effective since it was published; incidents since then recorded things the plan does not have."""
        plan = self.plans.active(profile_id)
        if plan is None:
            return []
        found = []
        published = str(plan.values.get("published_at") or plan.values.get("created_at") or "")
        since = [r for r in recent if not published or r.occurred_at.isoformat() >= _local(published)]
        if review_state(plan.values, now.astimezone(TIME_ZONE).date()) == "overdue":
            found.append(
                self._make(
                    f"review_overdue:{plan.id}",
                    Scope.INDIVIDUAL,
                    "The Smart Plan's review is overdue",
                    f"Its review was due on {plan.values.get('review_date')}; {_plural(len(since), 'incident')} "
                    "recorded since it was published. Arrange the review.",
                    "header",
                    [("Incidents since it was published", len(since))],
                    [r.id for r in since],
                    [profile_id],
                )
            )
        helps = str(plan.values.get("amber_helps") or "").casefold()
        for rated in technique_ratings(since):
            if rated.did_not_work and rated.technique.casefold() in helps:
                found.append(
                    self._make(
                        f"plan_outdated:{plan.id}:{rated.technique.casefold()}",
                        Scope.INDIVIDUAL,
                        f"The plan says “{rated.technique}” helps",
                        f"Since the plan was published, “{rated.technique}” was rated not effective in "
                        f"{len(rated.not_effective)} of {rated.uses} uses. Review what helps (amber).",
                        "amber",
                        [("Rated not effective since published", len(rated.not_effective)), ("Uses", rated.uses)],
                        rated.not_effective,
                        [profile_id],
                    )
                )
        since_ids = {r.id for r in since}
        missing: dict[str, list[str]] = defaultdict(list)
        for offered in self.plan_builder.suggestions(plan.id):
            for source in offered.sources:
                if source.kind == "incident" and source.id in since_ids:
                    missing[offered.field].append(source.id)
        labels = {name: label for _key, _title, items in PLAN_SECTIONS for name, label in items}
        for item, ids in sorted(missing.items()):
            count = len(set(ids))
            found.append(
                self._make(
                    f"plan_missing:{plan.id}:{item}",
                    Scope.INDIVIDUAL,
                    f"Not yet in the plan: {labels.get(item, item)}",
                    f"{_plural(count, 'incident')} since the plan was published recorded points for "
                    f"“{labels.get(item, item)}” that the plan does not have. Look at them in the Smart Plan "
                    "Builder's suggestions.",
                    PLAN_FIELD_SECTION[item],
                    [("Incidents with points not in the plan", count)],
                    ids,
                    [profile_id],
                )
            )
        return found

    # --- the whole service ------------------------------------------------------------------------

    def for_service(self, filters: Filters | None = None) -> list[Suggestion]:
        """Hot spots, techniques rated not effective, trends, over-represented groups and overdue follow-ups,
        over the analytics reports for `filters` (the last 30 days by default)."""
        self.context.require(Capability.ANALYTICS, "see suggestions for the whole service")
        filters = filters or Filters(preset="30_days")
        report = self.analytics.report("global", filters)
        found: list[Suggestion] = []
        total = int(report.figure("incidents").value)

        def who(ids: Iterable[str]) -> list[str]:
            return [r.profile_id for r in self._rows(ids)]

        cell = max(report.chart("heat_map").points, key=lambda p: p.value, default=None)
        if cell is not None and cell.value >= MIN_HOT_SPOT:
            when = f"{cell.row} {cell.label}:00–{(int(cell.label) + 1) % 24:02d}:00"
            found.append(
                self._make(
                    f"hot_time:{when}",
                    Scope.SERVICE,
                    f"Hot spot: {when}",
                    f"{int(cell.value)} of {total} incidents in the period happened on {when}. Look at staffing, "
                    "routines and supervision at that time.",
                    "green",
                    [("Incidents at that time", cell.value), ("Incidents in the period", total)],
                    cell.ids,
                    who(cell.ids),
                )
            )
        place = next((p for p in report.chart("by_location").points if p.label != NOT_RECORDED), None)
        if place is not None and place.value >= MIN_HOT_SPOT and place.value >= MIN_PLACE_SHARE * total:
            share = round(100 * place.value / total, 1)
            found.append(
                self._make(
                    f"hot_place:{place.label}",
                    Scope.SERVICE,
                    f"Hot spot: {place.label}",
                    f"{int(place.value)} of {total} incidents in the period ({share:g}%) happened in {place.label}. "
                    "Look at how that space is used and supervised.",
                    "green",
                    [("Incidents there", place.value), ("Incidents in the period", total), ("Share (%)", share)],
                    place.ids,
                    who(place.ids),
                )
            )
        found += self._training_needs(filters)
        found += self._trends(filters)
        found += self._over_represented(filters)
        overdue = self._overdue_follow_ups()
        if overdue:
            found.append(overdue)
        return found

    def _training_needs(self, filters: Filters) -> list[Suggestion]:
        rows = [r for r in self.analytics.incidents(filters) if r.physical_intervention]
        found = []
        for rated in technique_ratings(rows, deescalation=False):
            if rated.did_not_work:
                found.append(
                    self._make(
                        f"training:{rated.technique.casefold()}",
                        Scope.SERVICE,
                        f"Training need: {rated.technique}",
                        f"“{rated.technique}” was rated not effective in {len(rated.not_effective)} of its "
                        f"{rated.uses} uses in the period. Check staff are trained and confident in it, or whether "
                        "it is the right technique.",
                        "red",
                        [("Rated not effective", len(rated.not_effective)), ("Uses in the period", rated.uses)],
                        rated.not_effective,
                        [r.profile_id for r in self._rows(rated.not_effective)],
                    )
                )
        return found

    def _trends(self, filters: Filters) -> list[Suggestion]:
        """Incidents and physical interventions against the period before (the dashboard's own figures)."""
        found = []
        for figure in self.analytics.headline(filters):
            if figure.key not in ("incidents", "physical_intervention") or figure.change is None:
                continue
            label = "Incidents" if figure.key == "incidents" else "Physical interventions"
            previous = figure.previous or 0.0
            if abs(figure.change) < MIN_TREND_COUNT or abs(figure.change) < MIN_TREND_SHARE * max(previous, 1.0):
                continue
            rising = figure.change > 0
            found.append(
                self._make(
                    f"trend:{figure.key}",
                    Scope.SERVICE,
                    f"{label} {'rising' if rising else 'falling'}",
                    f"{label}: {int(figure.value)} in the period against {int(previous)} in the period before. "
                    + (
                        "Look at what changed: staffing, timetable, new arrivals."
                        if rising
                        else "Find out what is working, and keep it."
                    ),
                    "green",
                    [("In the period", figure.value), ("In the period before", previous)],
                    figure.ids,
                    [r.profile_id for r in self._rows(figure.ids)],
                )
            )
        return found

    def _over_represented(self, filters: Filters) -> list[Suggestion]:
        table = self.analytics.report("equality", filters).table
        rows = {row[0]: (row, ids) for row, ids in zip(table.rows, table.ids, strict=True)}
        column = table.columns.index("incidents_per_100")
        found = []
        for cohort, (rest, title) in COHORTS.items():
            if cohort not in rows or rest not in rows:
                continue
            (row, ids), (other, _other_ids) = rows[cohort], rows[rest]
            rate, rate_rest = float(row[column]), float(other[column])
            if len(ids) < MIN_GROUP_INCIDENTS or rate < OVER_REPRESENTED * rate_rest:
                continue
            found.append(
                self._make(
                    f"over_represented:{cohort}",
                    Scope.SERVICE,
                    f"Over-represented: {title}",
                    f"{title} had {rate:g} incidents per 100 individuals in the period, against {rate_rest:g} for "
                    "the rest. Check whether their needs are being met, and whether responses are consistent.",
                    "green",
                    [
                        ("Incidents per 100 (group)", rate),
                        ("Incidents per 100 (the rest)", rate_rest),
                        ("Incidents", len(ids)),
                    ],
                    ids,
                    [r.profile_id for r in self._rows(ids)],
                )
            )
        return found

    def _overdue_follow_ups(self) -> Suggestion | None:
        cutoff = now_utc().astimezone(TIME_ZONE) - dt.timedelta(days=FOLLOW_UP_DAYS)
        rows = [
            r for r in self.analytics.incidents(Filters(preset="all")) if follow_up_open(r) and r.occurred_at < cutoff
        ]
        if not rows:
            return None
        unreviewed = sum(1 for r in rows if r.status != "reviewed")
        untold = sum(1 for r in rows if r.parents_informed is None)
        return self._make(
            "overdue_follow_ups",
            Scope.SERVICE,
            "Overdue follow-ups",
            f"{_plural(len(rows), 'incident')} more than {FOLLOW_UP_DAYS} days old still need a follow-up: "
            f"{unreviewed} not signed off, {untold} with no record of the parents being told.",
            "after",
            [
                ("Incidents with a follow-up overdue", len(rows)),
                ("Not signed off", unreviewed),
                ("Parents not recorded as told", untold),
            ],
            [r.id for r in rows],
            [r.profile_id for r in rows],
        )

    # --- adding one to a Smart Plan ---------------------------------------------------------------

    def plan_choices(self, suggestion: Suggestion) -> list[tuple[str, str]]:
        """The plans a suggestion may be added to, as (plan id, label): the current draft, else the active version,
        of each individual it is about. None for the whole service: a hot spot or a trend is not one child's."""
        if suggestion.scope == Scope.SERVICE or not self.context.can(Capability.CONTRIBUTE_PLANS):
            return []
        names = self.context.individual_names()
        choices = []
        for profile_id in suggestion.profile_ids:
            current = [p for p in self.plans.find(profile_id=profile_id) if not p.removed]
            plan = next((p for p in current if p.status == PlanStatus.DRAFT.value), None) or next(
                (p for p in current if p.status == PlanStatus.ACTIVE.value), None
            )
            if plan is not None:
                choices.append(
                    (
                        plan.id,
                        f"{names.get(profile_id, 'Unknown')}: {plan.title} (version {plan.version}, {plan.status})",
                    )
                )
        return choices

    def add_to_plan(self, suggestion: Suggestion, plan_id: str) -> str:
        """Add the suggestion, with its evidence and no other individual named, to a plan of one of the individuals
        it is about, as a contribution to its section (the plan lead decides whether to fold it in); returns the
        contribution's id. Not a suggestion for the whole service (`plan_choices` offers none)."""
        if suggestion.scope == Scope.SERVICE:
            raise ActionError("A suggestion for the whole service is not added to one individual's Smart Plan.")
        plan = self.plans.get(plan_id)
        if plan.profile_id not in suggestion.profile_ids:
            raise ActionError("That Smart Plan is not about an individual this suggestion is about.")
        section = suggestion.section if suggestion.section in SECTION_TITLES else "after"
        text = f"{suggestion.title}\n{suggestion.text}\nEvidence (AI Support, from the record): {suggestion.evidence()}"
        # Its words may quote the record (a trigger, an early sign): the plan is shared, so no other child is named.
        return self.plans.contribute(plan_id, section, other_names_hidden(self.context, plan.profile_id or "")(text))


_DAY_NAMES = dict(
    zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True)
)


def _where(key: str, value: str) -> str:
    if key == "time":
        return f"between {value}"
    if key == "day":
        return f"on a {_DAY_NAMES[value]}"
    return f"in {value}"


def _local(moment: str) -> str:
    return dt.datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(TIME_ZONE).isoformat()
