"""Every screen the shell can show, by name and by URL: the table, and the two ways through it (`route_of` a
screen, the screen at a route).

A URL names the screen and its record ids only (`Screen.ROUTE`); other parameters (a profile's tab, the incident
list's filters) are not in it, so going back to a URL or reloading it shows that screen as it first opens.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, unquote

from screens.contract import Screen

#: every screen: its NAME, its ROUTE and where its class is (module, class). A screen's module is imported when
#: the screen is first shown, not when the app starts: the clicker's path needs four of these modules, and the
#: others (analytics, charts, AI Support, the plan builder...) cost most of a start-up's imports.
#: tests/screens/test_routes.py checks each entry against its class.
TABLE: tuple[tuple[str, str, str, str], ...] = (
    ("dashboard", "/dashboard", "screens.dashboard", "Dashboard"),
    ("notifications", "/inbox", "screens.dashboard", "Inbox"),
    ("help", "/help", "screens.help", "HelpCentre"),
    ("help_bot", "/help/sophie", "screens.help", "HelpBotScreen"),
    ("support_request", "/help/support/{request}", "screens.help", "SupportRequestForm"),
    ("directory", "/people", "screens.people", "Directory"),
    ("profile", "/people/{profile_id}", "screens.people", "ProfileScreen"),
    ("record", "/record", "screens.record", "Record"),
    ("clicker", "/people/{profile_id}/clicker", "screens.record", "Clicker"),
    ("communications", "/people/{profile_id}/communications", "screens.record", "CommunicationsScreen"),
    ("incident_form", "/drafts/{draft_id}", "screens.incident_form", "IncidentForm"),
    ("incidents", "/incidents", "screens.incidents", "IncidentList"),
    ("incident", "/incidents/{record_id}", "screens.incidents", "IncidentDetail"),
    ("letter", "/letters/{record_id}", "screens.letters", "LetterScreen"),
    ("analytics", "/analytics", "screens.analytics", "AnalyticsScreen"),
    ("analytics_report", "/analytics/{report}", "screens.analytics", "AnalyticsReport"),
    ("output_feedback", "/feedback", "screens.feedback", "FeedbackScreen"),
    ("exports", "/exports", "screens.exports", "ExportsScreen"),
    ("compliance", "/compliance", "screens.compliance", "ComplianceScreen"),
    ("smart_plans", "/plans", "screens.plans", "SmartPlans"),
    ("smart_plan", "/plans/{plan_id}", "screens.plans", "SmartPlanView"),
    ("plan_builder", "/plans/{plan_id}/build", "screens.plan_builder", "PlanBuilderScreen"),
    ("ai_support", "/ai-support/{about}", "screens.ai_support", "AiSupportScreen"),
)
#: each screen's URL template, by name
ROUTES: dict[str, str] = {name: route for name, route, _module, _class in TABLE}


class _Screens(Mapping[str, type[Screen]]):
    """The screen classes by name; a class is imported the first time it is asked for."""

    def __init__(self) -> None:
        self._where = {name: (module, cls) for name, _route, module, cls in TABLE}

    def __getitem__(self, name: str) -> type[Screen]:
        module, cls = self._where[name]
        screen: type[Screen] = getattr(importlib.import_module(module), cls)
        return screen

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, name: object) -> bool:
        return name in self._where


SCREENS: Mapping[str, type[Screen]] = _Screens()

#: the screen at "/" (where the client starts)
HOME = "dashboard"


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def _parameter(segment: str) -> str | None:
    return segment[1:-1] if segment.startswith("{") and segment.endswith("}") else None


def route_of(name: str, params: Mapping[str, Any]) -> str:
    """The URL of screen `name` made with `params` (those not in its ROUTE are left out)."""
    parts = []
    for segment in _segments(ROUTES[name]):
        key = _parameter(segment)
        parts.append(segment if key is None else quote(str(params[key]), safe=""))
    return "/" + "/".join(parts)


def screen_at(route: str) -> tuple[str, dict[str, str]] | None:
    """The screen a URL names and the parameters in it; None if it names none (a query or fragment is ignored)."""
    parts = _segments(route.split("?", 1)[0].split("#", 1)[0])
    if not parts:
        return HOME, {}
    for name, route in ROUTES.items():
        template = _segments(route)
        if len(template) != len(parts):
            continue
        params: dict[str, str] = {}
        for segment, part in zip(template, parts, strict=True):
            key = _parameter(segment)
            if key is None and segment != part:
                break
            if key is not None:
                value = unquote(part)
                if not value.strip():
                    break
                params[key] = value
        else:
            return name, params
    return None
