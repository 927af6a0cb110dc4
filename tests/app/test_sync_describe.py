"""The sync status sentence (`app.sync_service.describe`): one state at a time, never two that contradict."""

from __future__ import annotations

import datetime as dt

import pytest

from app.sync_service import SyncStatus, describe

NOW = dt.datetime(2026, 3, 2, 14, 30, tzinfo=dt.UTC)
BEFORE = NOW - dt.timedelta(minutes=50)
CLOCK = f"{BEFORE.astimezone():%H:%M}"  # the device's local time


@pytest.mark.parametrize(
    ("status", "sentence"),
    [
        (SyncStatus(), "Not synced yet"),
        (SyncStatus(online=True, last_synced=NOW - dt.timedelta(seconds=20)), "Up to date (synced just now)"),
        (SyncStatus(online=True, last_synced=NOW - dt.timedelta(minutes=7)), "Up to date (synced 7 min ago)"),
        (SyncStatus(online=True, last_synced=NOW - dt.timedelta(hours=5)), "Up to date (synced 5 h ago)"),
        # was "Synced just now · 2 waiting to sync"
        (SyncStatus(online=True, last_synced=NOW, pending=2), "2 changes waiting to sync"),
        (SyncStatus(online=True, last_synced=NOW, pending=1), "1 change waiting to sync"),
        # was "Syncing… · Not synced yet · Everything sent"
        (SyncStatus(syncing=True), "Syncing…"),
        (SyncStatus(syncing=True, phase="push", done=3, total=10, pending=10), "Syncing: sent 3 of 10 changes…"),
        (SyncStatus(syncing=True, phase="pull", done=40, total=41), "Syncing: received 40 records…"),
        (SyncStatus(syncing=True, phase="pull", done=12_000, total=12_001), "Syncing: received 12,000 records…"),
        (SyncStatus(syncing=True, phase="pull", done=0, total=1), "Syncing…"),
        (SyncStatus(online=False, offline_since=BEFORE, last_synced=BEFORE), f"Offline since {CLOCK}"),
        (
            SyncStatus(online=False, offline_since=BEFORE, pending=3),
            f"Offline since {CLOCK}, 3 changes waiting to sync",
        ),
        (
            SyncStatus(online=True, last_synced=BEFORE, error="This device is out of storage…"),
            "The last sync did not finish",
        ),
        (
            SyncStatus(online=True, needs_sign_in=True, pending=1, error="Your session has ended"),
            "The last sync did not finish, 1 change waiting to sync",
        ),
    ],
)
def test_one_sentence_from_one_state(status: SyncStatus, sentence: str):
    assert describe(status, now=NOW) == sentence


def test_offline_since_an_earlier_day_names_the_day():
    since = NOW - dt.timedelta(days=2)
    assert describe(SyncStatus(online=False, offline_since=since), now=NOW) == (
        f"Offline since {since.astimezone():%d %b %H:%M}"
    )
