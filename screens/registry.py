"""Every screen the shell can show, by name."""

from __future__ import annotations

from typing import Any

from screens.dashboard import Dashboard, HelpCentre, Inbox
from screens.incident_form import IncidentForm
from screens.incidents import IncidentDetail, IncidentList
from screens.people import Directory, ProfileScreen
from screens.record import Clicker, CommunicationsScreen, Record

SCREENS: dict[str, Any] = {
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
    )
}
