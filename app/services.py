"""The services of a signed-in, unlocked session, in one place for the screens."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.analytics import Analytics
from app.compliance import Compliance
from app.context import Context
from app.directory import Directory
from app.downloads import Downloads
from app.exports import Exports
from app.feedback import Feedback
from app.help import HelpCentre
from app.history import History
from app.incidents import Incidents
from app.language_review import LanguageReview
from app.legal_hold import LegalHold
from app.letters import Letters
from app.notifications import Notifications
from app.parent_email import ParentEmail
from app.plan_builder import PlanBuilder
from app.plans import Plans
from app.recording import Clicker, Communications
from app.suggestions import Suggestions
from sync.gateway import ServerGateway

if TYPE_CHECKING:
    from app.session import ClientSession


@dataclass(frozen=True)
class Services:
    context: Context
    clicker: Clicker
    communications: Communications
    incidents: Incidents
    directory: Directory
    notifications: Notifications
    help: HelpCentre
    analytics: Analytics
    downloads: Downloads
    exports: Exports
    plans: Plans
    plan_builder: PlanBuilder
    letters: Letters
    feedback: Feedback
    compliance: Compliance
    suggestions: Suggestions
    language_review: LanguageReview
    history: History
    legal_hold: LegalHold
    parent_email: ParentEmail

    @classmethod
    def of(cls, context: Context, gateway: ServerGateway | None = None) -> Services:
        """The services over `context`; `gateway`: the server, for what is done online (none: those are off)."""
        analytics = Analytics(context)  # one working set for the reports and AI Support's suggestions
        incidents = Incidents(context)
        plans = Plans(context)
        downloads = Downloads(context, incidents, plans)
        letters = Letters(context, incidents, downloads)
        return cls(
            context=context,
            clicker=Clicker(context),
            communications=Communications(context),
            incidents=incidents,
            directory=Directory(context),
            notifications=Notifications(context),
            help=HelpCentre(context),
            analytics=analytics,
            downloads=downloads,
            exports=Exports(context, downloads),
            plans=plans,
            plan_builder=PlanBuilder(context, plans),
            letters=letters,
            feedback=Feedback(context),
            compliance=Compliance(context, incidents),
            suggestions=Suggestions(context, analytics, plans),
            language_review=LanguageReview(),
            history=History(context),
            legal_hold=LegalHold(context),
            parent_email=ParentEmail(context, letters, gateway),
        )

    @classmethod
    def of_session(cls, session: ClientSession, *, on_write: Callable[[], None] | None = None) -> Services:
        """The services of the person unlocked in `session` (StoreLockedError if it is locked); `on_write` is
        called after each change they save (the shell starts a sync)."""
        store = session.require_store()
        assert session.user is not None  # an unlocked store has its user
        return cls.of(Context(store, session.user, on_write=on_write), session.gateway)
