"""The services of a signed-in, unlocked session, in one place for the screens."""

from __future__ import annotations

from dataclasses import dataclass

from app.context import Context
from app.directory import Directory
from app.help import HelpCentre
from app.incidents import Incidents
from app.notifications import Notifications
from app.plan_builder import PlanBuilder
from app.plans import Plans
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
    plans: Plans
    plan_builder: PlanBuilder

    @classmethod
    def of(cls, context: Context) -> Services:
        plans = Plans(context)
        return cls(
            context=context,
            clicker=Clicker(context),
            communications=Communications(context),
            incidents=Incidents(context),
            directory=Directory(context),
            notifications=Notifications(context),
            help=HelpCentre(context),
            plans=plans,
            plan_builder=PlanBuilder(context, plans),
        )
