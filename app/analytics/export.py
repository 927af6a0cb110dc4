"""CSV of analytics: the stable column names of the underlying rows (docs/analytics.md), ISO 8601 dates,
and cells escaped so a spreadsheet never runs them as formulas."""

from __future__ import annotations

INCIDENT_COLUMNS = (
    "incident_id",
    "reference",
    "occurred_at",
    "individual",
    "group",
    "status",
    "location",
    "behaviour_level",
    "physical_intervention",
    "injury",
    "injured",
    "discriminatory",
    "discriminatory_categories",
    "exclusion_types",
    "sessions_lost",
    "techniques",
    "intervention_minutes",
    "staff_present",
    "other_individuals",
    "flagged",
)
CLICK_COLUMNS = ("tap_id", "occurred_at", "individual", "group", "behaviour", "valence", "level", "staff")
COMMUNICATION_COLUMNS = (
    "communication_id",
    "created_at",
    "individual",
    "group",
    "valence",
    "author",
    "responses",
    "first_response_at",
    "added_to_plan",
)


def yes_no(value: bool) -> str:
    return "yes" if value else "no"
