"""Signing in, the device passcode, lock/unlock and signing out.

The first sign-in on a device is online (email and password checked by the server, the device registered);
the person then chooses a passcode that unlocks their encrypted store offline from then on. Each account
has its own data directory under the client's data directory. Signing out pushes what is queued first and
then wipes the account's data and keys from the device.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from app.config import ClientConfig
from app.context import display_name
from app.errors import AppError
from app.sync_service import SyncService
from localdb.keys import (
    MIN_PASSCODE_CHARS,
    MIN_PASSPHRASE_CHARS,
    KeysError,
    WeakPassphraseError,
    WrongPasscodeError,
    secure_keyring_available,
)
from localdb.store import LocalStore, StorageError, StoreError, StoreLockedError
from sync.gateway import OfflineError, RateLimited, ReauthRequired, ServerError, ServerGateway, SyncFailure
from sync.protocol import LoginRequest, Session, UserInfo

USER_SECRET = "user"


class SignInError(AppError):
    """Signing in or unlocking failed; the message is for the person at the screen."""


@dataclass(frozen=True)
class UnfinishedReport:
    """A draft on this device that never reached the server: signing out would delete it."""

    individual: str
    saved_at: str
    editing: bool  # an edit of a recorded incident (the incident itself is safe on the server)

    def describe(self) -> str:
        what = "Unsaved changes to an incident report" if self.editing else "An unfinished incident report"
        return f"{what} about {self.individual}"


class UnfinishedWorkError(SignInError):
    """Signing out would delete drafts that were never sent; nothing was deleted."""

    def __init__(self, reports: list[UnfinishedReport]) -> None:
        self.reports = reports
        count = "1 unfinished report" if len(reports) == 1 else f"{len(reports)} unfinished reports"
        super().__init__(f"Signing out would delete {count} that were never sent to the server.")


@dataclass(frozen=True)
class PendingSignIn:
    """Signed in online, passcode not chosen yet: nothing is written to disk until it is."""

    email: str
    session: Session


def account_dir(config: ClientConfig, email: str) -> Path:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:24]
    return config.data_dir / "accounts" / digest


#: the shortest password the server accepts (sync.protocol.PasswordChange)
MIN_PASSWORD = 8


class ClientSession:
    """One person's use of the client on this device."""

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        #: every request to the server — sign-in, sign-out, and the syncs of the store opened here
        self.gateway = ServerGateway(config.server_url)
        self.pending: PendingSignIn | None = None
        self.store: LocalStore | None = None
        self.user: UserInfo | None = None
        self.sync: SyncService | None = None

    def load_network(self) -> None:
        """Import the HTTP client and build the gateway's connection pool now (otherwise the first request
        does it, on the event loop: see `ServerGateway.prepare`). Thread-safe: the unlock runs it in a worker."""
        self.gateway.prepare()

    # --- accounts known on this device ----------------------------------------------------------

    @property
    def _accounts_file(self) -> Path:
        return self.config.data_dir / "accounts.json"

    def known_accounts(self) -> list[str]:
        """Emails of the accounts that have data on this device (most recent first)."""
        if not self._accounts_file.exists():
            return []
        emails = json.loads(self._accounts_file.read_text())
        return [e for e in emails if (account_dir(self.config, e) / "besmart.db").exists()]

    def _remember(self, email: str) -> None:
        emails = [e for e in self.known_accounts() if e != email]
        self._accounts_file.parent.mkdir(parents=True, exist_ok=True)
        self._accounts_file.write_text(json.dumps([email, *emails]))

    def _forget(self, email: str) -> None:
        if self._accounts_file.exists():
            emails = [e for e in json.loads(self._accounts_file.read_text()) if e != email]
            self._accounts_file.write_text(json.dumps(emails))

    # --- state ----------------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """signed_out | needs_passcode | locked | unlocked"""
        if self.pending is not None:
            return "needs_passcode"
        if self.store is None:
            return "signed_out"
        return "locked" if self.store.locked else "unlocked"

    def require_store(self) -> LocalStore:
        if self.store is None or self.store.locked:
            raise StoreLockedError("besmart is locked: unlock it to continue.")
        return self.store

    def secret_word(self, email: str | None = None) -> str:
        """The one word every screen uses for what unlocks the data: "passphrase" where the rule demands one
        (no secure key store: at least 12 characters, not only digits), else "passcode".

        For an account on this device, the rule its store was made with; otherwise this device's rule now."""
        directory = account_dir(self.config, email) if email else None
        if directory is not None and (directory / "besmart.db").exists():
            if self.store is not None and self.store.directory == directory:
                policy = self.store.key_policy
            else:
                store = LocalStore(directory)
                try:
                    policy = store.key_policy
                except (KeysError, StoreError):
                    policy = "standard"
                finally:
                    store.close()
            return "passphrase" if policy == "strengthened" else "passcode"
        return "passcode" if secure_keyring_available() else "passphrase"

    def secret_rule(self) -> str:
        """What the rule asks of a new passcode or passphrase on this device, in plain words."""
        if self.secret_word() == "passphrase":
            return (
                "This device has no secure key store, so it must be a passphrase of at least "
                f"{MIN_PASSPHRASE_CHARS} characters that is not only digits."
            )
        return f"It must be at least {MIN_PASSCODE_CHARS} characters."

    # --- signing in -----------------------------------------------------------------------------

    async def sign_in(self, email: str, password: str) -> None:
        """Check email and password with the server. On a device that already holds this account's data,
        the new session is stored (the store must be unlocked); otherwise a passcode must be chosen next."""
        email = email.strip()
        if not email or not password:
            raise SignInError("Enter your work email address and password.")
        existing = self.store if self.store is not None and not self.store.locked else None
        device_id = existing.device_id if existing else secrets.token_hex(8)
        try:
            request = LoginRequest(email=email, password=password, device_id=device_id, device_name=self.config.name)
        except ValidationError:
            # e.g. a pasted control character or a 300-character "email": the server would refuse it too
            raise SignInError("That is not a work email address and password besmart can check.") from None
        try:
            session = await self.gateway.sign_in(request)
        except OfflineError:
            raise SignInError(
                f"Cannot reach the besmart server at {self.config.server_url}. Check your connection and try "
                "again; the first sign-in on a device needs the server."
            ) from None
        except RateLimited as refused:
            wait = refused.retry_after if refused.retry_after is not None else "a few"
            if refused.status == 429:
                raise SignInError(f"Too many sign-in attempts. Try again in {wait} seconds.") from None
            raise SignInError(f"The besmart server is busy. Try again in {wait} seconds.") from None
        except ServerError as refused:
            raise SignInError("Wrong email or password." if refused.status == 401 else str(refused)) from None
        if existing is not None:
            self.gateway.for_device(existing).keep_session(session)
            if self.sync is not None:
                self.sync._set(needs_sign_in=False, error=None)
            return
        self.pending = PendingSignIn(email=email, session=session)

    def create_passcode(self, passcode: str, confirm: str) -> None:
        """Choose the passcode for this device: creates the encrypted store and opens it."""
        if self.pending is None:
            raise SignInError("Sign in first.")
        if passcode != confirm:
            raise SignInError(f"The two {self.secret_word()}s are different.")
        directory = account_dir(self.config, self.pending.email)
        store = LocalStore(directory, idle_lock_seconds=self.config.idle_lock_seconds)
        if store.initialised:
            store.wipe()  # an earlier, abandoned store of this account: its keys are gone with its passcode
            store = LocalStore(directory, idle_lock_seconds=self.config.idle_lock_seconds)
        try:
            store.initialise(passcode, device_id=self.pending.session.device_id)
        except WeakPassphraseError as error:
            store.wipe()
            raise SignInError(str(error)) from None
        self.gateway.for_device(store).keep_session(self.pending.session)
        store.put_secret(USER_SECRET, self.pending.session.user.model_dump(mode="json"))
        self._remember(self.pending.email)
        self.pending = None
        self._opened(store)

    def unlock(self, email: str, passcode: str) -> None:
        """Open this account's store offline with the passcode."""
        directory = account_dir(self.config, email)
        if not (directory / "besmart.db").exists():
            raise SignInError("This account has no data on this device: sign in with your password first.")
        store = self.store if self.store is not None and self.store.directory == directory else None
        try:
            store = store or LocalStore(directory, idle_lock_seconds=self.config.idle_lock_seconds)
        except StorageError:
            raise SignInError(
                "besmart cannot write to its data folder on this device, so it cannot open your data. Nothing is "
                "lost: check the device's storage (it may be read-only or full) and try again."
            ) from None
        try:
            store.unlock(passcode)
        except WrongPasscodeError:
            raise SignInError(f"Wrong {self.secret_word(email)}.") from None
        except KeysError as error:
            raise SignInError(str(error)) from None
        self._remember(email)
        self._opened(store)

    def _opened(self, store: LocalStore) -> None:
        self.store = store
        self.user = UserInfo.model_validate(store.get_secret(USER_SECRET))
        if self.sync is None or self.sync.store is not store:
            self.sync = SyncService(store, self.gateway)

    def lock(self) -> None:
        if self.store is not None:
            self.store.lock()

    def forget_wiped_store(self) -> None:
        """The server had this device's data erased (reported lost, or access revoked) and the sync did it: the
        session holds no store any more, so the next person starts at sign-in."""
        self.store = None

    def touch(self) -> None:
        """The person at the screen did something: the idle lock's clock starts again (see LocalStore.touch)."""
        if self.store is not None:
            self.store.touch()

    def unfinished_reports(self) -> list[UnfinishedReport]:
        """The drafts on this device, most recent first: they live only here until submitted."""
        store = self.require_store()
        names = {p.id: display_name(p) for p in store.individuals()}
        return [
            UnfinishedReport(
                individual=names.get(d.profile_id or "", "an individual no longer on this device"),
                saved_at=d.updated_at,
                editing=bool(d.values.get("record_id")),
            )
            for d in store.drafts()
        ]

    async def change_password(self, current: str, new: str, confirm: str) -> None:
        """Change the account's password on the server (it needs a connection); the server ends the sessions of
        the account's other devices, which then ask for it. SignInError in plain words when it cannot, and the
        password stays as it was."""
        store = self.require_store()
        if not current or not new:
            raise SignInError("Type your current password, then the new one twice.")
        if new != confirm:
            raise SignInError("The new password and its confirmation are different: type them again.")
        if len(new) < MIN_PASSWORD:
            raise SignInError(f"Choose a new password of at least {MIN_PASSWORD} characters.")
        if new == current:
            raise SignInError("The new password is the same as the current one.")
        try:
            await self.gateway.for_device(store).change_password(current, new)
        except ValidationError:
            raise SignInError("That password is too long: choose a shorter one.") from None
        except OfflineError:
            raise SignInError(
                "Changing your password needs the besmart server: try again when you are online."
            ) from None
        except ReauthRequired:
            raise SignInError("Your session has ended: sign out and in again, then change your password.") from None
        except ServerError as refused:
            raise SignInError(str(refused)) from None  # "The current password is wrong.", a busy server...

    async def sign_out(self, *, discard_unsynced: bool = False, discard_drafts: bool = False) -> None:
        """Push what is queued, tell the server, then wipe this account's data and keys from the device.

        Refuses (nothing deleted) while there are unfinished drafts, unless `discard_drafts`
        (`UnfinishedWorkError` names them), or while changes could not be sent, unless `discard_unsynced`."""
        store = self.require_store()
        if not discard_drafts and (unfinished := self.unfinished_reports()):
            raise UnfinishedWorkError(unfinished)  # before anything else: keeping them changes nothing
        if self.sync is not None:
            await self.sync.sync_now()
            await self.sync.stop()
        if store.pending_count() and not discard_unsynced:
            raise SignInError(_unsent_message(store.pending_count(audits=False)))
        # The wipe below is what protects the data; an unsent logout lets the token expire on its own.
        with contextlib.suppress(SyncFailure):
            await self.gateway.for_device(store).sign_out()
        email = self.user.email if self.user else None
        store.wipe()
        if email:
            self._forget(email)
        self.store = self.user = self.sync = None

    async def aclose(self) -> None:
        if self.sync is not None:
            await self.sync.stop()
        await self.gateway.aclose()


def _unsent_message(changes: int) -> str:
    """Why sign-out waits: the person's changes, or else only the audit of what they opened or downloaded
    here (signing out deletes the device's copy, and the organisation's audit log would lose it)."""
    if changes:
        return (
            f"{changes} change(s) have not reached the server yet. Connect and sync before signing out, so "
            "nothing is lost."
        )
    return (
        "The record of what you opened or downloaded on this device has not reached the server yet. Connect "
        "and sync before signing out, so the organisation's audit log is complete."
    )
