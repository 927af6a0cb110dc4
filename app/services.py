"""The services of a signed-in, unlocked session, in one place for the screens.

Each service is built — and its module imported — the first time a screen asks for it, then kept: the screen
an unlock shows first needs a few of them, and importing all of them (the letters' templates, exports,
compliance, AI Support's suggestions...) was a tenth of a second of every unlock. Services that work with
another share that one instance (e.g. the letters and exports use the same `downloads`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

from app.context import Context

if TYPE_CHECKING:
    from app.analytics import Analytics
    from app.compliance import Compliance
    from app.directory import Directory
    from app.downloads import Downloads
    from app.exports import Exports
    from app.feedback import Feedback
    from app.help import HelpCentre, SupportRequests
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
    from app.session import ClientSession
    from app.suggestions import Suggestions
    from sync.gateway import ServerGateway


class Services:
    """The services over one context; each attribute is built on first use (the imports are there on purpose)."""

    def __init__(self, context: Context, gateway: ServerGateway | None = None) -> None:
        self.context = context
        #: the server, for what is done online (none: those are off)
        self.gateway = gateway

    @classmethod
    def of(cls, context: Context, gateway: ServerGateway | None = None) -> Services:
        """The services over `context`; `gateway`: the server, for what is done online (none: those are off)."""
        return cls(context, gateway)

    @classmethod
    def of_session(cls, session: ClientSession, *, on_write: Callable[[], None] | None = None) -> Services:
        """The services of the person unlocked in `session` (StoreLockedError if it is locked); `on_write` is
        called after each change they save (the shell starts a sync)."""
        store = session.require_store()
        assert session.user is not None  # an unlocked store has its user
        return cls.of(Context(store, session.user, on_write=on_write), session.gateway)

    @cached_property
    def clicker(self) -> Clicker:
        from app.recording import Clicker

        return Clicker(self.context)

    @cached_property
    def communications(self) -> Communications:
        from app.recording import Communications

        return Communications(self.context)

    @cached_property
    def incidents(self) -> Incidents:
        from app.incidents import Incidents

        return Incidents(self.context)

    @cached_property
    def directory(self) -> Directory:
        from app.directory import Directory

        return Directory(self.context)

    @cached_property
    def notifications(self) -> Notifications:
        from app.notifications import Notifications

        return Notifications(self.context)

    @cached_property
    def help(self) -> HelpCentre:
        from app.help import HelpCentre

        return HelpCentre(self.context)

    @cached_property
    def support(self) -> SupportRequests:
        from app.help import SupportRequests

        return SupportRequests(self.context)

    @cached_property
    def analytics(self) -> Analytics:
        """One working set for the reports and AI Support's suggestions."""
        from app.analytics import Analytics

        return Analytics(self.context)

    @cached_property
    def downloads(self) -> Downloads:
        from app.downloads import Downloads

        return Downloads(self.context, self.incidents, self.plans)

    @cached_property
    def exports(self) -> Exports:
        from app.exports import Exports

        return Exports(self.context, self.downloads)

    @cached_property
    def plans(self) -> Plans:
        from app.plans import Plans

        return Plans(self.context)

    @cached_property
    def plan_builder(self) -> PlanBuilder:
        from app.plan_builder import PlanBuilder

        return PlanBuilder(self.context, self.plans)

    @cached_property
    def letters(self) -> Letters:
        from app.letters import Letters

        return Letters(self.context, self.incidents, self.downloads)

    @cached_property
    def feedback(self) -> Feedback:
        from app.feedback import Feedback

        return Feedback(self.context)

    @cached_property
    def compliance(self) -> Compliance:
        from app.compliance import Compliance

        return Compliance(self.context, self.incidents)

    @cached_property
    def suggestions(self) -> Suggestions:
        from app.suggestions import Suggestions

        return Suggestions(self.context, self.analytics, self.plans)

    @cached_property
    def language_review(self) -> LanguageReview:
        from app.language_review import LanguageReview

        return LanguageReview()

    @cached_property
    def history(self) -> History:
        from app.history import History

        return History(self.context)

    @cached_property
    def legal_hold(self) -> LegalHold:
        from app.legal_hold import LegalHold

        return LegalHold(self.context)

    @cached_property
    def parent_email(self) -> ParentEmail:
        from app.parent_email import ParentEmail

        return ParentEmail(self.context, self.letters, self.gateway)
