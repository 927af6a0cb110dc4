"""Accounts against a real server: sign in, rate limits (429 + Retry-After, held in the database), refresh,
sign out, password change, deactivated users and device binding."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import select

from server.db import Database
from server.models import UserAccount
from server.services import organisations as orgs
from tests.support.server import PASSWORD, Device, Org, ServerProcess, ServerRefused

#: a low per-address limit for this module's server (the tests sign in from distinct addresses, which it
#: reads from X-Forwarded-For: the tests are its trusted proxy); a back-off long enough to observe
SERVER_ENV = {
    "BESMART_LOGIN_MAX_PER_ADDRESS": "8",
    "BESMART_TRUSTED_PROXIES": "127.0.0.1",
    "BESMART_LOGIN_DELAY_SECONDS": "60",
}


def login(
    server: ServerProcess, email: str, password: str, *, device: str | None = None, address: str | None = None
) -> httpx.Response:
    headers = {"X-Forwarded-For": address} if address else {}
    body = {"email": email, "password": password, "device_id": device or secrets.token_hex(8)}
    return httpx.post(f"{server.url}/auth/login", json=body, headers=headers, timeout=30)


def test_login_gives_a_session_bound_to_the_device(server: ServerProcess, org: Org) -> None:
    response = login(server, org.email("sam").upper(), PASSWORD, device="phone-1")
    assert response.status_code == 200, response.text
    session = response.json()
    assert session["device_id"] == "phone-1" and session["expires_in"] > 0
    assert session["user"] == {
        "id": org.users["sam"],
        "organisation_id": org.id,
        "name": "Sam",
        "email": org.email("sam"),
        "role": "staff",
    }
    me = httpx.get(f"{server.url}/auth/me", headers={"Authorization": f"Bearer {session['access_token']}"})
    assert me.json()["id"] == org.users["sam"]
    # The device id is now this account's: another account cannot sign in with it.
    taken = login(server, org.email("tia"), PASSWORD, device="phone-1")
    assert taken.status_code == 409 and taken.json()["error"] == "device_taken"


def test_wrong_credentials_are_refused_alike(server: ServerProcess, org: Org) -> None:
    wrong_password = login(server, org.email("sam"), "not the password", address="10.0.0.1")
    no_such_user = login(server, "nobody@example.org", PASSWORD, address="10.0.0.1")
    assert wrong_password.status_code == no_such_user.status_code == 401
    assert (
        wrong_password.json()
        == no_such_user.json()
        == {
            "error": "invalid_credentials",
            "message": "Wrong email or password.",
        }
    )


def test_login_attempts_are_limited_per_account(server: ServerProcess, org: Org) -> None:
    email = org.email("tia")
    # From different addresses: the account's limit (5 in the tests) still applies.
    for attempt in range(5):
        assert login(server, email, "wrong", address=f"10.1.0.{attempt}").status_code == 401
    limited = login(server, email, PASSWORD, address="10.1.0.99")
    assert limited.status_code == 429
    assert limited.json()["error"] == "too_many_attempts"
    assert 0 < int(limited.headers["Retry-After"]) <= 15 * 60
    # Other accounts are not affected.
    assert login(server, org.email("sam"), PASSWORD, address="10.1.0.99").status_code == 200


def test_login_attempts_are_limited_per_address(server: ServerProcess, org: Org) -> None:
    org.add_user("uma")
    address = "10.2.0.7"
    # Many accounts tried from one address: the address's limit (8 here) stops it.
    statuses = [
        login(server, f"guess{i}.{org.tag}@example.org", "wrong", address=address).status_code for i in range(9)
    ]
    assert statuses == [401] * 8 + [429]
    # A correct password from that address waits too; from elsewhere it works.
    assert login(server, org.email("uma"), PASSWORD, address=address).status_code == 429
    assert login(server, org.email("uma"), PASSWORD, address="10.2.0.8").status_code == 200


def test_staff_signing_in_at_once_from_one_address_are_not_held_back(server: ServerProcess, org: Org) -> None:
    # A school's devices behind one address at the start of the day: below the address's limit, sign-ins
    # made in parallel (each waiting for the others' lock on the address's counter) all succeed.
    names = [f"early{i}" for i in range(6)]
    for name in names:
        org.add_user(name)
    with ThreadPoolExecutor(len(names)) as pool:
        responses = list(pool.map(lambda name: login(server, org.email(name), PASSWORD, address="10.3.0.1"), names))
    assert [r.status_code for r in responses] == [200] * len(names), [r.text for r in responses]


def test_refresh_logout_and_password_change(server: ServerProcess, db: Database, org: Org) -> None:
    phone = Device(server.url, org.email("sam"))
    tablet = Device(server.url, org.email("sam"))
    refreshed = phone.http.post("/auth/refresh", json={"refresh_token": phone.session["refresh_token"]})
    assert refreshed.status_code == 200
    old = phone.session
    phone.session = refreshed.json()
    assert phone.get("/auth/me").status_code == 200
    assert phone.http.get("/auth/me", headers={"Authorization": f"Bearer {old['access_token']}"}).status_code == 401
    # Password change: wrong current password refused; then other devices' sessions end, this one stays.
    wrong = phone.post("/auth/password", json={"old_password": "nope-nope", "new_password": "another long one"})
    assert wrong.status_code == 403
    changed = phone.post("/auth/password", json={"old_password": PASSWORD, "new_password": "another long one"})
    assert changed.status_code == 204
    assert phone.get("/auth/me").status_code == 200
    assert tablet.get("/auth/me").status_code == 401
    assert login(server, org.email("sam"), PASSWORD, device=None).status_code == 401
    assert login(server, org.email("sam"), "another long one", device=None).status_code == 200
    # Logout ends this device's session.
    assert phone.post("/auth/logout").status_code == 204
    assert phone.get("/auth/me").status_code == 401
    assert phone.http.post("/auth/refresh", json={"refresh_token": phone.session["refresh_token"]}).status_code == 401
    with db.read_session() as s:
        stored = s.execute(select(UserAccount.__table__.c.password_hash)).scalars().all()
    assert all(h is None or h.startswith("$argon2id$") for h in stored)


def test_a_deactivated_user_cannot_sign_in_and_their_devices_are_wiped(
    server: ServerProcess, db: Database, org: Org
) -> None:
    sam = Device(server.url, org.email("sam"))
    sam.pull()
    with db.session() as s:
        orgs.update_user(s, org.users["sam"], active=False)
    assert sam.get("/auth/me").status_code == 401
    assert sam.pull_page().wipe is True
    refused = login(server, org.email("sam"), PASSWORD)
    assert refused.status_code == 403 and refused.json()["error"] == "account_disabled"
    try:
        Device(server.url, org.email("sam"))
    except ServerRefused:
        pass
    else:
        raise AssertionError("a deactivated user signed in")
