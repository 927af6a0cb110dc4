"""Every screen the shell can show, by name and by URL: the table, and the two ways through it (`route_of` a
screen, the screen at a route).

A URL names the screen and its record ids only (`Screen.ROUTE`); other parameters (a profile's tab, the incident
list's filters) are not in it, so going back to a URL or reloading it shows that screen as it first opens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote

from screens.ai_support import AiSupportScreen
from screens.analytics import AnalyticsReport, AnalyticsScreen
from screens.compliance import ComplianceScreen
from screens.contract import Screen
from screens.dashboard import Dashboard, HelpCentre, Inbox
from screens.exports import ExportsScreen
from screens.feedback import FeedbackScreen
from screens.incident_form import IncidentForm
from screens.incidents import IncidentDetail, IncidentList
from screens.letters import LetterScreen
from screens.people import Directory, ProfileScreen
from screens.plan_builder import PlanBuilderScreen
from screens.plans import SmartPlans, SmartPlanView
from screens.record import Clicker, CommunicationsScreen, Record

SCREENS: dict[str, type[Screen]] = {
    screen.NAME: screen
    for screen in (
        Dashboard,
        Inbox,
        HelpCentre,
        Directory,
        ProfileScreen,
        Record,
        Clicker,
        CommunicationsScreen,
        IncidentForm,
        IncidentList,
        IncidentDetail,
        LetterScreen,
        AnalyticsScreen,
        AnalyticsReport,
        FeedbackScreen,
        ExportsScreen,
        ComplianceScreen,
        SmartPlans,
        SmartPlanView,
        PlanBuilderScreen,
        AiSupportScreen,
    )
}

#: the screen at "/" (where the client starts)
HOME = Dashboard.NAME


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def _parameter(segment: str) -> str | None:
    return segment[1:-1] if segment.startswith("{") and segment.endswith("}") else None


def route_of(name: str, params: Mapping[str, Any]) -> str:
    """The URL of screen `name` made with `params` (those not in its ROUTE are left out)."""
    parts = []
    for segment in _segments(SCREENS[name].ROUTE):
        key = _parameter(segment)
        parts.append(segment if key is None else quote(str(params[key]), safe=""))
    return "/" + "/".join(parts)


def screen_at(route: str) -> tuple[str, dict[str, str]] | None:
    """The screen a URL names and the parameters in it; None if it names none (a query or fragment is ignored)."""
    parts = _segments(route.split("?", 1)[0].split("#", 1)[0])
    if not parts:
        return HOME, {}
    for screen in SCREENS.values():
        template = _segments(screen.ROUTE)
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
            return screen.NAME, params
    return None
