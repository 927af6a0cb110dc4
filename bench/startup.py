"""Benchmark: from process start to the clicker screen ready for a tap — unlocked, the demo data on the device.

Prepared once (not timed): the client's modules are byte-compiled, as an installed app's are
(`compile_sources`), and the client is started once, not counted: an app's first start after its installation
writes the compiled code of flet's dataclasses beside the bytecode (app/codecache.py), and the starts a user
waits for every day come after it; `python -m server demo` seeds a SQLite server database with the demo organisation
(a year of history); a real server process serves it; a device data directory is made the way the app makes
one — `ClientSession.sign_in` as the demo staff user (teacher@brightwater.example), `create_passcode`, then a
full sync with the real engine (`SyncService.sync_now`) — and the server is stopped (start-up must not
need the network). Two devices are made from the one seeded server, each with its real scrypt parameters:
one without an OS secure store (as on this machine: the strengthened policy, n=2**17, a 12+ character
passphrase) and one with an OS secure store (the standard policy, n=2**15, a device secret in the store). The
OS key store is the outside world: a stand-in keeps its secrets in a file the timed process reads
(`tests.support.keyring.FileKeyring`, named to the timed process by PYTHON_KEYRING_BACKEND, where keyring
looks first), so the policy is the real one and the secret is really fetched from a keyring backend.

Timed, in a fresh `python` process each run (`--child`): Python start → import the client (flet, app, screens)
→ build the real `Root` on a page → the unlock screen → type the passcode, Unlock (open the store: scrypt)
→ the dashboard → Record → choose the first individual → Behaviour Clicker, its buttons built → print
"ready". The page is `tests/support/ui_harness.py`'s in-process `UiHarness` (a real flet Session and Page, no
browser): the browser's own Flutter/CanvasKit load (~3 s in headless Chromium, cached by a real browser) is
the web runtime's start, not the app's, and is not part of this figure. The background sync starts on unlock
as in the app; it finds the server unreachable and waits, which delays nothing.

The parent times each run with its own clock, from spawning the child to reading its "ready" line. It also
times a copy of the same device whose key is re-wrapped with the tests' cheap scrypt (n=2**12,
BESMART_KDF_TEST_FAST=1), to show what the key derivation costs. Runs of the three devices alternate.

    python bench/startup.py [--runs 5] [--scale 1.0] [--keep DIR]

Prints `clicker_ready_os_keystore_s <median, OS key store>` (target: 0.6 s or less), and last
`clicker_ready_s <median, passphrase policy>` (target: 0.9 s or less).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: the demo's staff login and password (server/demo/cast.py)
DEMO_EMAIL = "teacher@brightwater.example"
DEMO_PASSWORD = "besmart-demo-2026"
#: 12+ characters: acceptable under both key policies
PASSCODE = "bench device passphrase"
FAST_ENV = "BESMART_KDF_TEST_FAST"
#: the three devices timed
FAST, OS_KEYSTORE, PASSPHRASE = "fast KDF (tests' n=2**12)", "OS key store", "passphrase (no OS key store)"


def use_keystore(keystore: str | None) -> None:
    """The OS key store this process sees: the file stand-in (`tests.support.keyring.FileKeyring`), or none
    (keyring's fail backend). Preparation only: a timed child is told by `keystore_env`."""
    import keyring
    from keyring.backends import fail

    from tests.support.keyring import FileKeyring

    keyring.set_keyring(FileKeyring(Path(keystore)) if keystore else fail.Keyring())


def keystore_env(keystore: Path | None) -> dict[str, str]:
    """The same for a timed child, named in its environment: keyring reads it when the app first asks for the
    OS key store (as it finds the OS's own then), so the child imports keyring only where the app does."""
    from tests.support.keyring import FILE_KEYRING_ENV

    if keystore is None:
        return {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    return {"PYTHON_KEYRING_BACKEND": "tests.support.keyring.FileKeyring", FILE_KEYRING_ENV: str(keystore)}


# --------------------------------------------------------------------------- the timed child


def child(data_dir: str, server_url: str) -> None:
    """One start-up, as the app does it; prints "ready" when the clicker can take a tap. The OS key store is
    named in the environment (`keystore_env`)."""
    start = time.perf_counter()
    marks: dict[str, float] = {}

    def mark(name: str) -> None:
        marks[name] = round(time.perf_counter() - start, 3)

    # The client's entry point first, as `python main.py` runs it: what it sets up before importing flet
    # (app/codecache.py) is set up here too.
    from main import Root, ft, load_config
    from tests.support.ui_harness import UiHarness

    mark("imported")
    config = load_config(server_url=server_url, data_dir=data_dir)

    async def main(page: ft.Page) -> None:
        await Root(page, config).start()

    # Endless app tasks the harness must not wait for: the idle-lock watcher and the background sync loop.
    # Not `strict`: after each event that walks every control for changes never sent to the client, a check
    # of the tests' (tests/screens run it on these screens), not work a user waits for.
    ui = UiHarness(main, background=("Root._watch_idle", "SyncService._loop", "Event.wait"), strict=False)
    mark("unlock_screen")
    if ui.find_all(ft.TextField, label="Work email address"):  # the web client names no account until told
        ui.type("Work email address", DEMO_EMAIL)
    ui.type(re.compile("^Pass(code|phrase)$"), PASSCODE)  # the word the device's key rule uses
    ui.click("Unlock")
    assert ui.page.navigation_bar is not None, ui.dump()
    mark("dashboard")
    ui.navigate_to("Record & Plan")
    picker = ui.find(ft.Dropdown, label="Individual")
    first = picker.options[0]
    assert first.key is not None, ui.dump()  # the picker keys each individual by its id
    ui.select(picker, first.key)
    ui.click("Behaviour Clicker")
    buttons = ui.find_all(ft.Semantics, where=lambda s: (s.identifier or "").startswith("clicker-"))
    assert buttons, ui.dump()
    mark("clicker")
    print("ready", flush=True)
    print(json.dumps({"marks": marks, "individual": first.text, "buttons": len(buttons)}), flush=True)
    ui.close()


# --------------------------------------------------------------------------- preparation (not timed)


def seed(tmp: Path, scale: float) -> str:
    """A SQLite server database holding the demo organisation; its URL."""
    url = f"sqlite:///{tmp / 'server.db'}"
    seeded = subprocess.run(
        [sys.executable, "-m", "server", "demo", "--db", url, "--scale", str(scale)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if seeded.returncode != 0:
        raise SystemExit(f"python -m server demo failed:\n{seeded.stdout}\n{seeded.stderr}")
    print(seeded.stdout.splitlines()[0])
    return url


def compile_sources() -> None:
    """Byte-compile the client's modules (and the harness that drives them), as an installed app has them —
    pip compiles a wheel's modules when it installs it. Otherwise, where PYTHONDONTWRITEBYTECODE is set (as
    on this build machine), every timed run compiles them again: ~0.5 s of CPU that no user pays."""
    import compileall

    for folder in ("app", "screens", "localdb", "sync", "documents", "tests/support"):
        compileall.compile_dir(ROOT / folder, quiet=1)
    compileall.compile_file(ROOT / "main.py", quiet=1)  # the child imports the entry point


def prepare(tmp: Path, scale: float, email: str = DEMO_EMAIL) -> tuple[Path, str, dict[str, int]]:
    """The demo organisation seeded, and one device without an OS key store synced for `email` (other
    benchmarks use this)."""
    return prepare_device(tmp, seed(tmp, scale), "device", None, email)


def prepare_device(
    tmp: Path, url: str, name: str, keystore: Path | None, email: str = DEMO_EMAIL
) -> tuple[Path, str, dict[str, int]]:
    """A device data directory holding a synced copy of the demo organisation for one staff user."""
    from app.config import load_config
    from app.session import ClientSession
    from tests.support.server import ServerProcess

    use_keystore(str(keystore) if keystore else None)
    server = ServerProcess(url, tmp).start()
    data_dir = tmp / name
    config = load_config(server_url=server.url, data_dir=str(data_dir))

    async def sign_in_and_sync() -> dict[str, int]:
        session = ClientSession(config)
        await session.sign_in(email, DEMO_PASSWORD)
        session.create_passcode(PASSCODE, PASSCODE)
        assert session.sync is not None and session.store is not None
        started = time.perf_counter()
        report = await session.sync.sync_now()
        assert report is not None, session.sync.status.error
        print(f"device synced in {time.perf_counter() - started:.1f} s")
        store = session.store
        counts = dict(store.db.execute("SELECT kind, count(*) FROM record GROUP BY kind").fetchall())
        await session.aclose()
        store.close()
        return counts

    try:
        counts = asyncio.run(sign_in_and_sync())
    finally:
        server.stop()
    return data_dir, server.url, counts


def fast_copy(data_dir: Path, target: Path) -> Path:
    """The same device with its data key re-wrapped under the tests' cheap scrypt parameters."""
    from app.config import load_config
    from app.session import account_dir
    from localdb.store import LocalStore

    shutil.copytree(data_dir, target)
    use_keystore(None)
    os.environ[FAST_ENV] = "1"
    try:
        store = LocalStore(account_dir(load_config(data_dir=str(target)), DEMO_EMAIL))
        store.change_passcode(PASSCODE, PASSCODE)
        store.close()
    finally:
        del os.environ[FAST_ENV]
    return target


def key_parameters(data_dir: Path, keystore: Path | None = None) -> str:
    from app.config import load_config
    from app.session import account_dir
    from localdb.store import LocalStore

    use_keystore(str(keystore) if keystore else None)
    store = LocalStore(account_dir(load_config(data_dir=str(data_dir)), DEMO_EMAIL))
    try:
        _store_id, wrapped = store._load_wrapped()
    finally:
        store.close()
    record = wrapped[-1]
    policy = "standard (OS secure store)" if record.uses_device_secret else "strengthened (no OS secure store)"
    return f"scrypt n=2**{record.kdf_n.bit_length() - 1}, r={record.kdf_r}, p={record.kdf_p}; policy {policy}"


# --------------------------------------------------------------------------- timing


def one_run(data_dir: Path, server_url: str, keystore: Path | None, *, first: bool = False) -> tuple[float, dict]:
    """One timed start-up. `first`: the app's first start after its installation, which may write its caches
    (bytecode, app/codecache.py's) even where this machine's PYTHONDONTWRITEBYTECODE says otherwise."""
    env = {k: v for k, v in os.environ.items() if k != FAST_ENV}
    if first:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(ROOT)
    env.update(keystore_env(keystore))
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(data_dir), server_url]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    ready = None
    for line in process.stdout:
        if line.strip() == "ready":
            ready = time.perf_counter() - started
            break
    rest = process.stdout.read()
    if process.wait(30) != 0 or ready is None:
        raise SystemExit(f"the start-up run failed (exit {process.returncode}):\n{rest}")
    return ready, json.loads(rest.strip().splitlines()[0])


def describe(name: str, times: list[float], details: list[dict]) -> float:
    median = statistics.median(times)
    print(f"{name}: median {median:.3f} s; runs " + ", ".join(f"{t:.3f}" for t in times))
    marks = details[times.index(sorted(times)[len(times) // 2])]["marks"]
    print("  phases of the median run (child's own clock, from its first line): " + ", ".join(
        f"{k} {v:.3f} s" for k, v in marks.items()
    ))  # fmt: skip
    return median


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0, help="the demo's size (python -m server demo --scale)")
    parser.add_argument("--keep", help="prepare in this (new) directory and keep it, instead of a temporary one")
    args = parser.parse_args()
    os.environ.pop(FAST_ENV, None)  # the device's key gets the real parameters of this machine's policy

    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="besmart-startup-"))
    tmp.mkdir(parents=True, exist_ok=True)
    keystore = tmp / "os-keystore.json"
    compile_sources()
    try:
        url = seed(tmp, args.scale)
        data_dir, server_url, counts = prepare_device(tmp, url, "device", None)
        os_dir, _url, _counts = prepare_device(tmp, url, "device-os-keystore", keystore)
        total = sum(counts.values())
        print(f"device holds {total:,} records for {DEMO_EMAIL}: " + ", ".join(
            f"{kind} {n:,}" for kind, n in sorted(counts.items(), key=lambda i: -i[1])
        ))  # fmt: skip
        fast_dir = fast_copy(data_dir, tmp / "device-fast-kdf")
        devices = {
            FAST: (fast_dir, None),
            OS_KEYSTORE: (os_dir, keystore),
            PASSPHRASE: (data_dir, None),
        }
        for name, (directory, store) in devices.items():
            print(f"{name}: {key_parameters(directory, store)}")
        first, _detail = one_run(fast_dir, server_url, None, first=True)
        print(f"first start after the installation (not counted): {first:.3f} s")
        results: dict[str, tuple[list[float], list[dict]]] = {name: ([], []) for name in devices}
        for _ in range(args.runs):
            for name, (directory, store) in devices.items():
                ready, detail = one_run(directory, server_url, store)
                results[name][0].append(ready)
                results[name][1].append(detail)
        medians = {name: describe(name, *results[name]) for name in devices}
        kdf = medians[PASSPHRASE] - medians[FAST]
        print(f"the key derivation costs about {kdf:.3f} s of the passphrase start-up")
    finally:
        if not args.keep:
            _wipe(tmp)
    print(f"clicker_ready_os_keystore_s {medians[OS_KEYSTORE]:.3f}")
    print(f"clicker_ready_s {medians[PASSPHRASE]:.3f}")


def _wipe(tmp: Path) -> None:
    """Delete the prepared directories (and any device secret an OS secure store holds for them)."""
    from localdb.store import LocalStore

    use_keystore(str(tmp / "os-keystore.json"))
    for accounts in tmp.glob("device*/accounts/*"):
        with contextlib.suppress(Exception):  # best effort: the directory goes next anyway
            LocalStore(accounts).wipe()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
