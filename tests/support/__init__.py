"""Helpers shared by the test suite, one module per outside-world stand-in or real part:

- `keyring`    — an in-memory OS key store (the only fake of the outside world on the device side)
- `disk`       — a full disk and a read-only data folder, for real
- `mail`       — a real SMTP server on loopback (aiosmtpd) that keeps what it receives
- `server`     — real server processes, test databases (SQLite and PostgreSQL), seeded organisations,
                 and a small device that speaks the sync protocol over HTTP
- `client`     — a real client device: encrypted store, app services and the sync engine
- `fixtures`   — the pytest fixtures built on `server` (loaded by tests/conftest.py for every folder)
- `ui_harness` — an in-process Flet page for fast screen tests (no browser)
"""
