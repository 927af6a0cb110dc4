"""Accounts, devices and sessions: sign-in with rate limits, tokens bound to a device, refresh, sign-out,
password change, and devices reported lost or revoked.

Sign-ins back off instead of locking out (docs/server.md, "Sign-in"): after a few wrong passwords each
further attempt must wait a doubling delay after the previous one, counted in the database so it holds
however many server processes share it. On a device the account has already signed in on, only that
device's own wrong passwords count; on a new device, those on the account and on the address do. The
password is checked outside any write transaction (argon2 is slow on purpose, and must not hold SQLite's
write lock). A device reported lost or revoked — or whose user was deactivated — is "blocked": its tokens
only reach push (every op quarantined) and pull (which answers with the wipe instruction), and refresh
keeps working so that the wipe can still be delivered.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlmodel import Session

from server.core.config import Settings
from server.core.security import Passwords, new_token, token_hash
from server.db import Database, insert_new, rows_changed
from server.models import AuthToken, Device, LoginCounter, UserAccount
from server.permissions import Actor
from server.services.access import user_setting_limit
from server.services.audit import audit_entry, write_audit
from server.services.errors import ServiceError
from server.services.records import utcnow
from sync.protocol import LoginRequest, UserInfo
from sync.protocol import Session as SessionMessage
from sync.records import Role

USER = UserAccount.__table__
DEVICE = Device.__table__
TOKEN = AuthToken.__table__
COUNTER = LoginCounter.__table__

DEVICE_STATUSES = ("active", "lost", "revoked")


class AuthError(ServiceError):
    """A refused account request."""


@dataclass(frozen=True)
class Caller:
    """Who is behind a bearer token."""

    actor: Actor
    name: str
    email: str
    #: the device was reported lost or revoked, or the user deactivated: wipe it
    blocked: bool
    expired: bool
    #: the device's last clock measurement (when, offset) as the token check read it; None: not read
    device_clock_last: tuple[dt.datetime | None, int | None] | None = None


def _user_info(row: Row[Any]) -> UserInfo:
    """`row` holds the user_account columns (alone or among others)."""
    return UserInfo(id=row.id, organisation_id=row.org_id, name=row.name, email=row.email, role=row.role)


# --- sign-in back-off -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Limit:
    """Back-off under one key: `free` attempts, then each further one waits `base * 2**k` seconds after
    the previous attempt (k = attempts beyond `free`), at most `cap`."""

    key: str
    free: int
    cap: float


def _limits(settings: Settings, email: str, address: str, known_device: str | None) -> list[_Limit]:
    if known_device is not None:
        # A device this account already signed in on: guessing elsewhere, or from the same school's
        # address, never slows its owner down — only wrong passwords typed on this very device do.
        return [_Limit(f"device:{known_device}", settings.login_max_per_account, settings.login_max_delay_seconds)]
    return [
        _Limit(f"account:{email}", settings.login_max_per_account, settings.login_max_delay_seconds),
        _Limit(f"addr:{address}", settings.login_max_per_address, settings.login_max_address_delay_seconds),
    ]


def _delay(settings: Settings, limit: _Limit, attempts: int) -> float:
    if attempts < limit.free:
        return 0.0
    return min(limit.cap, settings.login_delay_seconds * 2 ** (attempts - limit.free))


def _count_attempt(db: Database, settings: Settings, limits: list[_Limit]) -> None:
    """Count this attempt under each key — or refuse it (429, not counted) while a back-off runs. Counted
    before the password is checked, so that attempts made in parallel see each other."""
    window = dt.timedelta(seconds=settings.login_window_seconds)

    def work(session: Session) -> float:
        now = utcnow()
        rows, wait = {}, 0.0
        for limit in limits:
            # A first attempt under this key creates its row (count 0: as good as none), so that attempts
            # made in parallel all wait on the one row lock below instead of racing to insert it.
            insert_new(session, COUNTER, {"key": limit.key, "window_start": now, "count": 0})
            row = session.execute(select(COUNTER).where(COUNTER.c.key == limit.key).with_for_update()).one()
            # window_start holds the time of the last attempt; a quiet window forgets the earlier ones.
            rows[limit.key] = 0 if row.window_start + window <= now else row._mapping["count"]
            delay = _delay(settings, limit, rows[limit.key]) if rows[limit.key] else 0.0
            if delay:
                # `now` was read before this row's lock was waited for: a sign-in made in parallel may have
                # stamped it later. No back-off due is no wait, whatever the order (on PostgreSQL, a school's
                # staff signing in at once from one address were refused 429 for it).
                since = max(0.0, (now - row.window_start).total_seconds())
                wait = max(wait, delay - since)
        if wait > 0:
            return wait
        for limit in limits:
            values = {"window_start": now, "count": rows[limit.key] + 1}
            session.execute(update(COUNTER).where(COUNTER.c.key == limit.key).values(**values))
        return 0.0

    wait = db.run(work)
    if wait > 0:
        seconds = math.ceil(wait)
        raise AuthError(
            429,
            "too_many_attempts",
            f"Too many wrong sign-ins. Try again in {seconds} seconds.",
            retry_after=seconds,
        )


def _forgive_attempt(session: Session, limits: list[_Limit]) -> None:
    """A successful sign-in: the account (or device) starts afresh and the address gets its attempt back."""
    for limit in limits:
        if limit.key.startswith("addr:"):
            session.execute(
                update(COUNTER).where(COUNTER.c.key == limit.key, COUNTER.c.count > 0).values(count=COUNTER.c.count - 1)
            )
        else:
            session.execute(update(COUNTER).where(COUNTER.c.key == limit.key).values(count=0))


# --- sessions --------------------------------------------------------------------------------------


def _issue(session: Session, settings: Settings, user: Row[Any], device_id: str, now: dt.datetime) -> SessionMessage:
    """New access and refresh tokens for a device; its earlier tokens stop working."""
    user_id = user.id
    session.execute(update(TOKEN).where(TOKEN.c.device_id == device_id).values(revoked=True))
    access, refresh = new_token(), new_token()
    session.execute(
        insert(TOKEN),
        [
            {
                "token_hash": token_hash(access),
                "kind": "access",
                "user_id": user_id,
                "device_id": device_id,
                "created_at": now,
                "expires_at": now + dt.timedelta(seconds=settings.access_token_seconds),
                "revoked": False,
            },
            {
                "token_hash": token_hash(refresh),
                "kind": "refresh",
                "user_id": user_id,
                "device_id": device_id,
                "created_at": now,
                "expires_at": now + dt.timedelta(seconds=settings.refresh_token_seconds),
                "revoked": False,
            },
        ],
    )
    return SessionMessage(
        access_token=access,
        refresh_token=refresh,
        expires_in=settings.access_token_seconds,
        device_id=device_id,
        user=_user_info(user),
    )


def login(
    db: Database, settings: Settings, passwords: Passwords, request: LoginRequest, address: str
) -> SessionMessage:
    """Check email and password, register the device, and open a session on it."""
    email = request.email.strip().lower()
    with db.read_session() as session:
        user = session.execute(select(USER).where(USER.c.email == email)).first()
        known = session.execute(
            select(DEVICE.c.id).where(
                DEVICE.c.id == request.device_id,
                DEVICE.c.user_id == (user.id if user else None),
                DEVICE.c.status == "active",
            )
        ).first()
    limits = _limits(settings, email, address, request.device_id if known else None)
    _count_attempt(db, settings, limits)
    if not passwords.verify(user.password_hash if user else None, request.password):
        raise AuthError(401, "invalid_credentials", "Wrong email or password.")
    assert user is not None
    if not user.active:
        raise AuthError(403, "account_disabled", "This account has been deactivated. Ask your administrator.")
    # Hashed with the current cost settings if they changed since (slow: never inside a transaction).
    rehashed = passwords.rehash(request.password) if passwords.needs_rehash(user.password_hash) else None

    def work(session: Session) -> SessionMessage:
        now = utcnow()
        _forgive_attempt(session, limits)
        # A new device is registered to this user; one registered already (perhaps by a sign-in running in
        # parallel on the same device) is left as it is and checked below.
        new_device = {"id": request.device_id, "user_id": user.id, "status": "active", "created_at": now}
        insert_new(session, DEVICE, {**new_device, "name": request.device_name, "last_seen_at": now})
        device = session.execute(select(DEVICE).where(DEVICE.c.id == request.device_id).with_for_update()).one()
        if device.user_id != user.id:
            raise AuthError(409, "device_taken", "This device id is registered to another account.")
        if device.status != "active":
            raise AuthError(403, "device_blocked", "This device was reported lost or revoked: it cannot sign in.")
        session.execute(
            update(DEVICE).where(DEVICE.c.id == request.device_id).values(name=request.device_name, last_seen_at=now)
        )
        if rehashed is not None:
            session.execute(update(USER).where(USER.c.id == user.id).values(password_hash=rehashed))
        write_audit(session, [audit_entry(now, user.org_id, user.id, request.device_id, "login", "staff", user.id)])
        return _issue(session, settings, user, request.device_id, now)

    return db.run(work)


def refresh(db: Database, settings: Settings, refresh_token: str) -> SessionMessage:
    """Swap a refresh token for a new pair (the old one stops working)."""

    def work(session: Session) -> SessionMessage:
        now = utcnow()
        found = session.execute(
            select(TOKEN.c.device_id, TOKEN.c.expires_at, TOKEN.c.revoked, TOKEN.c.kind, USER)
            .join(USER, USER.c.id == TOKEN.c.user_id)
            .where(TOKEN.c.token_hash == token_hash(refresh_token))
        ).first()
        if found is None or found.kind != "refresh" or found.revoked or found.expires_at <= now:
            raise AuthError(401, "invalid_token", "Your session has ended: sign in again.")
        return _issue(session, settings, found, found.device_id, now)

    return db.run(work)


def authenticate(db: Database, token: str) -> Caller | None:
    """The caller behind an access token (None: unknown or revoked). Expiry and blocking are reported, so
    that each route decides what they allow."""
    with db.read_session() as session:
        row = session.execute(
            select(
                TOKEN.c.kind,
                TOKEN.c.expires_at,
                TOKEN.c.revoked,
                TOKEN.c.device_id,
                USER.c.id,
                USER.c.org_id,
                USER.c.role,
                USER.c.name,
                USER.c.email,
                USER.c.active,
                DEVICE.c.status,
                DEVICE.c.clock_checked_at,
                DEVICE.c.clock_offset_ms,
            )
            .join(USER, USER.c.id == TOKEN.c.user_id)
            .join(DEVICE, DEVICE.c.id == TOKEN.c.device_id)
            .where(TOKEN.c.token_hash == token_hash(token))
        ).first()
        if row is None or row.kind != "access" or row.revoked:
            return None
        # Only a lead can be limited to settings: the one extra read is theirs alone.
        limit = user_setting_limit(session, row.id) if row.role == Role.LEAD else frozenset()
    return Caller(
        actor=Actor(id=row.id, org_id=row.org_id, role=row.role, device_id=row.device_id, settings=limit),
        name=row.name,
        email=row.email,
        blocked=row.status != "active" or not row.active,
        expired=row.expires_at <= utcnow(),
        device_clock_last=(row.clock_checked_at, row.clock_offset_ms),
    )


def logout(db: Database, caller: Caller) -> None:
    """End the device's session: all its tokens stop working."""
    db.run(
        lambda session: session.execute(
            update(TOKEN).where(TOKEN.c.device_id == caller.actor.device_id).values(revoked=True)
        )
    )


def change_password(db: Database, passwords: Passwords, caller: Caller, old: str, new: str) -> None:
    """Change the caller's password; sessions on the user's other devices end (this one stays)."""
    with db.read_session() as session:
        stored = session.execute(select(USER.c.password_hash).where(USER.c.id == caller.actor.id)).scalar_one()
    if not passwords.verify(stored, old):
        raise AuthError(403, "invalid_credentials", "The current password is wrong.")
    if old == new:
        raise AuthError(400, "password_unchanged", "Choose a new password different from the current one.")
    new_hash = passwords.hash(new)

    def work(session: Session) -> None:
        now = utcnow()
        session.execute(
            update(USER).where(USER.c.id == caller.actor.id).values(password_hash=new_hash, password_changed_at=now)
        )
        session.execute(
            update(TOKEN)
            .where(TOKEN.c.user_id == caller.actor.id, TOKEN.c.device_id != caller.actor.device_id)
            .values(revoked=True)
        )

    db.run(work)


# --- accounts and devices as admin service calls ---------------------------------------------------


def set_password(session: Session, passwords: Passwords, user_id: str, password: str) -> None:
    """Set a user's password (admin). Their open sessions end."""
    new_hash = passwords.hash(password)
    found = session.execute(
        update(USER).where(USER.c.id == user_id).values(password_hash=new_hash, password_changed_at=utcnow())
    )
    if rows_changed(found) == 0:
        raise LookupError(f"no account {user_id}")
    session.execute(update(TOKEN).where(TOKEN.c.user_id == user_id).values(revoked=True))


def mark_device(session: Session, device_id: str, status: str, *, actor_id: str = "server") -> None:
    """Report a device lost, revoke it (both: wiped at its next contact), or make it active again."""
    if status not in DEVICE_STATUSES:
        raise ValueError(f"device status must be one of {', '.join(DEVICE_STATUSES)}")
    device = session.execute(
        select(DEVICE.c.user_id, USER.c.org_id)
        .join(USER, USER.c.id == DEVICE.c.user_id)
        .where(DEVICE.c.id == device_id)
    ).first()
    if device is None:
        raise LookupError(f"no device {device_id}")
    session.execute(update(DEVICE).where(DEVICE.c.id == device_id).values(status=status))
    now = utcnow()
    write_audit(session, [audit_entry(now, device.org_id, actor_id, None, f"device_{status}", "device", device_id)])


def list_devices(session: Session, *, user_id: str | None = None, org_id: str | None = None) -> list[dict[str, object]]:
    """Registered devices of one user, or of a whole organisation."""
    query = select(DEVICE, USER.c.org_id, USER.c.email).join(USER, USER.c.id == DEVICE.c.user_id)
    if user_id is not None:
        query = query.where(DEVICE.c.user_id == user_id)
    if org_id is not None:
        query = query.where(USER.c.org_id == org_id)
    return [
        {
            "id": r.id,
            "user_id": r.user_id,
            "email": r.email,
            "name": r.name,
            "status": r.status,
            "created_at": r.created_at,
            "last_seen_at": r.last_seen_at,
        }
        for r in session.execute(query.order_by(DEVICE.c.created_at))
    ]
