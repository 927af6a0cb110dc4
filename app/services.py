"""The services of a signed-in, unlocked session, in one place for the screens."""

from __future__ import annotations

from dataclasses import dataclass

from app.context import Context
from app.directory import Directory
from app.downloads import Downloads
from app.help import HelpCentre
from app.incidents import Incidents
from app.notifications import Notifications
from app.recording import Clicker, Communications


@dataclass(frozen=True)
class Services:
    context: Context
    clicker: Clicker
    communications: Communications
    incidents: Incidents
    directory: Directory
    notifications: Notifications
    help: HelpCentre
    downloads: Downloads

    @classmethod
    def of(cls, context: Context) -> Services:
        incidents = Incidents(context)
        return cls(
            context=context,
            clicker=Clicker(context),
            communications=Communications(context),
            incidents=incidents,
            directory=Directory(context),
            notifications=Notifications(context),
            help=HelpCentre(context),
            downloads=Downloads(context, incidents),
        )
