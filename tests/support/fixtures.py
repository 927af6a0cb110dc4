"""Fixtures of the tests that need a server: a test database (SQLite and PostgreSQL), a real server process per
database and test module, a freshly seeded organisation per test, and the client's own devices signed in to it.

PostgreSQL is at 127.0.0.1:5432 (trust auth, user postgres); each module creates and drops its own
uniquely named database. With CI=true the PostgreSQL runs are required; otherwise they are skipped when
PostgreSQL cannot be reached.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from server.core.config import Settings
from server.db import Database
from tests.support.client import ClientDevice
from tests.support.server import (
    TEST_ENV,
    Org,
    ServerProcess,
    create_pg_database,
    drop_pg_database,
    require_postgres,
    seed_org,
    settings_for,
)

for _name, _value in TEST_ENV.items():
    os.environ.setdefault(_name, _value)

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        require_postgres()
    return request.param


def make_database_url(backend: str, tmp_path: Path) -> str:
    if backend == "postgresql":
        return create_pg_database()
    return f"sqlite:///{tmp_path / 'server.db'}"


@pytest.fixture(scope="module")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = make_database_url(backend, tmp_path_factory.mktemp(f"db-{backend}"))
    yield url
    if backend == "postgresql":
        drop_pg_database(url)


@pytest.fixture(scope="module")
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url, pool_size=2)
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def settings(database_url: str) -> Settings:
    return settings_for(database_url)


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, db: Database, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """One real server process for the module (tests use their own organisations, so they can share it).
    A module may set `SERVER_ENV` (extra BESMART_* variables) for its server."""
    env = getattr(request.module, "SERVER_ENV", {})
    process = ServerProcess(database_url, tmp_path_factory.mktemp("logs"), env).start()
    yield process
    process.stop()


@pytest.fixture
def org(db: Database, settings: Settings) -> Org:
    return seed_org(db, settings)


@pytest.fixture
def client_device(server: ServerProcess, org: Org, tmp_path: Path) -> Iterator[Callable[[str], ClientDevice]]:
    """Make a device of the real client (its encrypted store and services) signed in to the module's server as one
    of `org`'s people, by name ("sam"); every one made is closed after the test."""
    opened: list[ClientDevice] = []

    def make(name: str) -> ClientDevice:
        device = ClientDevice.create(server.url, org.email(name), tmp_path / f"{name}-{len(opened)}")
        opened.append(device)
        return device

    yield make
    for device in opened:
        device.close()
