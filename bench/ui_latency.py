"""Benchmark: screen changes in a real browser — from the tap to the new screen in Flutter's accessibility tree.

Prepared once (not timed): `python -m server demo` seeds a SQLite server database with the demo organisation;
a real server process serves it; the real client runs in web mode (`python main.py --web`, its own
BESMART_HOME, no OS secure store, the tests' cheap scrypt: key derivation is not what we measure); Debian's
Chromium (headless, Playwright) opens it at phone size (360 x 640), switches on Flutter's accessibility tree,
signs in as the demo teacher (teacher@brightwater.example, a login `python -m server demo` prints), chooses a
passphrase and waits for the first sync to finish.

Timed, each change on its own: a tap at the centre of the target (a real pointer event through Chromium's
input pipeline: `page.mouse.click`), from the `pointerdown` the page sees (its own clock, `performance.now()`)
to the moment a MutationObserver on the accessibility tree first finds the new content. A round is: Directory
(tab) → a profile (tile) → its Clicker (icon) → two clicker taps (until "Today: n+1" shows) → Record & Plan,
Incidents, Dashboard (tabs) → the inbox (the dashboard's Notifications button: on a phone the Inbox tab is under
"More") → Dashboard (tab). One round before the timed ones is not timed (first visits).
Rounds repeat until `--changes` changes are timed.

The same run times a baseline alternately with the app's changes: a Flet app of a button, a navigation bar
and two Texts (`--baseline-app`, in this file) in another page of the same browser: after each tab change of
the app a tab of its navigation bar, after any other change its "Tap" button, each until its Text shows the
change — no-op Flet round trips, the floor any screen change sits on here (a navigation bar's is higher: its
indicator animates).

Each change also counts CPU (not wall-clock) time: the app's Python process and all of Chromium (the GPU
process draws CanvasKit) from the tap until 300 ms after the content showed (`SETTLE_MS`: its animations
included). On a loaded machine the wall-clock figures are mostly waiting for a core; CPU is what a change costs.

For each change the page also logs the websocket frames (a wrapper around `WebSocket`, installed before the
app loads): bytes sent and received up to the moment the content showed, the first frame out (the event
leaving) and the first frame in (the server's answer starting). So each change splits into
client (tap → event sent), server (event sent → first answer frame) and render (first answer frame → shown).

    python bench/ui_latency.py [--changes 20] [--scale 0.25] [--keep DIR] [--py-spy OUT]

`--py-spy OUT` records the client process with py-spy (a `py-spy` on PATH or in /tmp/pyspy/bin) during the
timed changes and writes its collapsed stacks to OUT (its sampling stops the process: the figures of such a run
are slower, and a change may time out; use it for where the time goes, not for figures).

Last line: `ui_change_p50_ms <median of the app's changes>` (target: 150 ms or less).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Error as PlaywrightError  # noqa: E402
from playwright.sync_api import Locator, Page, expect, sync_playwright  # noqa: E402

from bench.startup import seed  # noqa: E402  (the demo server database, as start-up's benchmark seeds it)
from tests.e2e.browser import (  # noqa: E402
    PHONE,
    by_id,
    expect_synced,
    free_port,
    launch_chromium,
    open_app,
    sign_in_on_a_new_device,
    start_app,
    wait_for_text,
)
from tests.support.server import ServerProcess  # noqa: E402

#: the demo's staff login and password (server/demo/cast.py)
DEMO_EMAIL = "teacher@brightwater.example"
DEMO_PASSWORD = "besmart-demo-2026"
PASSPHRASE = "bench device passphrase"
STEP_MS = 20_000

#: installed before any page script: the tap's time, and every websocket frame while a change is timed
INIT_SCRIPT = """
(() => {
  const B = window.__bench = {armed: false, t0: null, t1: null, frames: [], check: null, observer: null};
  const size = d => typeof d === 'string' ? d.length : (d && (d.byteLength ?? d.size)) || 0;
  const Orig = window.WebSocket;
  function Wrapped(url, protocols) {
    const ws = protocols === undefined ? new Orig(url) : new Orig(url, protocols);
    ws.addEventListener('message', ev => { if (B.armed) B.frames.push(['in', performance.now(), size(ev.data)]); });
    const send = ws.send.bind(ws);
    ws.send = d => { if (B.armed) B.frames.push(['out', performance.now(), size(d)]); return send(d); };
    return ws;
  }
  Wrapped.prototype = Orig.prototype;
  for (const k of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) Wrapped[k] = Orig[k];
  window.WebSocket = Wrapped;
  window.addEventListener('pointerdown', () => {
    if (B.armed && B.t0 === null) B.t0 = performance.now();
  }, true);
})();
"""

#: arms the page for one change: `spec` says what the new content is (a regex `re`, and a CSS `sel` for one control)
ARM_SCRIPT = """
spec => {
  const B = window.__bench;
  const re = new RegExp(spec.re);
  const matches = () => {
    const scope = spec.sel ? document.querySelectorAll(spec.sel) : [document.querySelector('flt-semantics-host')];
    for (const root of scope) {
      if (!root) continue;
      if (spec.sel) {  // the control itself: its text and label together
        if (re.test((root.getAttribute('aria-label') || '') + ' ' + root.textContent)) return true;
        continue;
      }
      for (const el of root.querySelectorAll('*')) {
        const label = el.getAttribute('aria-label');
        if (label && re.test(label)) return true;
        if (el.childElementCount === 0 && re.test((el.textContent || '').trim())) return true;
      }
    }
    return false;
  };
  if (B.observer) B.observer.disconnect();
  B.t0 = null; B.t1 = null; B.frames = []; B.armed = true;
  if (matches()) throw new Error('already shown before the tap: ' + spec.re);
  B.observer = new MutationObserver(() => {
    if (B.t0 !== null && B.t1 === null && matches()) {
      B.t1 = performance.now(); B.armed = false; B.observer.disconnect();
    }
  });
  B.observer.observe(document.querySelector('flt-semantics-host'),
                     {subtree: true, childList: true, attributes: true, characterData: true});
}
"""


@dataclass
class Change:
    name: str
    ms: float
    client_ms: float | None
    server_ms: float | None
    render_ms: float | None
    bytes_out: int
    bytes_in: int
    frames_in: int
    #: CPU the app's Python process and Chromium spent on the change (see `Probe`)
    python_cpu_ms: float | None = None
    browser_cpu_ms: float | None = None


def _cpu_ms(pid: int) -> float:
    """utime + stime of a process, in ms (0 if it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def chromium_pids() -> list[int]:
    """Every Chromium process under this one (browser, renderers, the GPU process that draws CanvasKit)."""
    children: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name, rest = stat.split(" (", 1)[1].rsplit(")", 1)
        names[int(entry.name)] = name
        children.setdefault(int(rest.split()[1]), []).append(int(entry.name))
    found, todo = [], [os.getpid()]
    while todo:
        for child in children.get(todo.pop(), []):
            todo.append(child)
            if "chrom" in names.get(child, "") or "headless" in names.get(child, ""):
                found.append(child)
    return found


@dataclass
class Probe:
    """CPU counters for one page: the Python process serving it, and all of Chromium (the changes are timed one
    at a time, so what Chromium spends meanwhile is the change's). CPU, not wall-clock time: on a loaded
    machine the wall-clock figures mostly measure waiting for a core, CPU time what the change costs."""

    pid: int
    browser: list[int]

    def read(self) -> tuple[float, float]:
        """(Python process CPU ms, Chromium CPU ms) so far."""
        return _cpu_ms(self.pid), sum(_cpu_ms(p) for p in self.browser)


#: page -> its probe (set up in `run`)
PROBES: dict[Any, Probe] = {}
#: after the new content shows, how long the CPU counters keep counting: the change's animations (a tab's
#: indicator, a toast sliding in) and the route's report back are part of what it costs
SETTLE_MS = 300


def timed(page: Page, name: str, target: Locator, *, re: str, sel: str | None = None) -> Change:
    """Tap `target` and time it until something matching `re` (anchored by the caller) is in the tree.

    A background sync that brings changes draws the screen shown again (`Shell.refresh`): a tap landing just
    then may name a control that is gone, which Flet drops. A tap that changes nothing in 10 s is tapped again
    (and said so); the figures are the tap that worked."""
    page.bring_to_front()
    probe = PROBES.get(page)
    for tap in range(3):
        box = None
        for attempt in range(3):
            try:
                expect(target).to_be_attached(timeout=STEP_MS)
                target.scroll_into_view_if_needed(timeout=STEP_MS)
                box = target.bounding_box(timeout=STEP_MS)
                break
            except PlaywrightError:
                if attempt == 2:
                    raise
                page.wait_for_timeout(200)
        assert box is not None, name
        before = probe.read() if probe else None
        page.evaluate(ARM_SCRIPT, {"re": re, "sel": sel})
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        try:
            page.wait_for_function("window.__bench.t1 !== null", timeout=STEP_MS // 2, polling=50)
            break
        except PlaywrightError:
            if tap == 2:
                raise
            print(f"  ({name}: nothing changed in {STEP_MS // 2000} s, the tap lost (a refresh?); tapped again)")
    got: dict[str, Any] = page.evaluate("(() => { const B = window.__bench; B.armed = false; return B; })()")
    cpu: tuple[float | None, float | None] = (None, None)
    if probe is not None and before is not None:
        page.wait_for_timeout(SETTLE_MS)
        after = probe.read()
        cpu = (after[0] - before[0], after[1] - before[1])
    t0, t1 = got["t0"], got["t1"]
    frames = [f for f in got["frames"] if f[1] <= t1]
    out = [f for f in frames if f[0] == "out"]
    came = [f for f in frames if f[0] == "in"]
    first_out = out[0][1] if out else None
    first_in = came[0][1] if came else None
    return Change(
        name=name,
        ms=t1 - t0,
        client_ms=(first_out - t0) if first_out is not None else None,
        server_ms=(first_in - first_out) if first_in is not None and first_out is not None else None,
        render_ms=(t1 - first_in) if first_in is not None else None,
        bytes_out=sum(f[2] for f in out),
        bytes_in=sum(f[2] for f in came),
        frames_in=len(came),
        python_cpu_ms=cpu[0],
        browser_cpu_ms=cpu[1],
    )


def exact(text: str) -> str:
    """A regex matching exactly `text`."""
    return "^" + re.escape(text) + "$"


def starts(text: str) -> str:
    return "^" + re.escape(text)


def tab(page: Page, name: str) -> Locator:
    return page.get_by_role("tab", name=name, exact=True)


# The screens' own words that only the new screen shows (screens/*.py).
TABS = [
    ("Record & Plan", {"re": exact("Record behaviour")}),
    ("Incidents", {"re": exact("Search incidents")}),
    ("Dashboard", {"re": starts("Hello, ")}),
]


def app_round(page: Page, tap_counts: dict[str, int]) -> list[Change]:
    """One round of screen changes, from and back to the dashboard."""
    changes = [timed(page, "tab Directory", tab(page, "Directory"), re=exact("Search by name or group"))]
    first = page.get_by_role("button").filter(has_text="Year").first  # a directory tile: "name · Year n"
    changes.append(timed(page, "open profile", first, re=exact("Key Contacts")))
    changes.append(timed(page, "open clicker", by_id(page, "profile-clicker"), re=starts("Behaviour Clicker — ")))
    button = page.locator('[flt-semantics-identifier^="clicker-"]').first
    ident = button.get_attribute("flt-semantics-identifier") or ""
    for _ in range(2):
        label = (button.get_attribute("aria-label") or "") + " " + button.inner_text()
        found = re.search(r"[Tt]oday:? (\d+)", label)
        count = int(found.group(1)) if found else tap_counts.get(ident, 0)
        tap_counts[ident] = count + 1
        changes.append(
            timed(
                page,
                "clicker tap",
                button,
                sel=f'[flt-semantics-identifier="{ident}"]',
                re=rf"[Tt]oday:? {count + 1}\b",
            )
        )
    for name, spec in TABS:
        changes.append(timed(page, f"tab {name}", tab(page, name), **spec))
    # The inbox is under "More" on a phone: open it from the dashboard's button, then back by the tab.
    inbox = page.get_by_role("button", name=re.compile(r"^Notifications \(\d+ unread\)$"))
    changes.append(timed(page, "open inbox", inbox, re=exact("Notifications")))
    changes.append(timed(page, "tab Dashboard", tab(page, "Dashboard"), re=starts("Hello, ")))
    return changes


def baseline_tap(page: Page, n: int) -> Change:
    return timed(page, "no-op Flet tap", page.get_by_role("button", name="Tap", exact=True), re=exact(f"Taps: {n}"))


def baseline_nav(page: Page, n: int) -> Change:
    """The baseline app's navigation bar: a tab tap whose handler changes one Text (a screen change's floor)."""
    section = 1 + n % 2
    return timed(page, "no-op nav tap", tab(page, f"Section {section}"), re=exact(f"Shown: {section} ({n})"))


def baseline_app(port: int) -> None:
    """The baseline: a Flet web app whose button changes one Text, and whose navigation bar (as the app's, at
    the bottom) changes another. Nothing else on it moves (the harness's sample app has a focused text field,
    whose blinking caret keeps Chromium drawing ~10% of a core)."""
    import flet as ft

    def main(page: ft.Page) -> None:
        taps = ft.Text("Taps: 0")
        shown = ft.Text("Shown: 0 (0)")
        navs = 0

        def tap(_e: ft.Event[ft.Button]) -> None:
            taps.value = f"Taps: {int(taps.value.split()[-1]) + 1}"

        def nav(e: ft.Event[ft.NavigationBar]) -> None:
            nonlocal navs
            navs += 1
            shown.value = f"Shown: {e.control.selected_index} ({navs})"

        page.navigation_bar = ft.NavigationBar(
            destinations=[ft.NavigationBarDestination(icon=ft.Icons.CIRCLE, label=f"Section {i}") for i in range(5)],
            on_change=nav,
        )
        page.add(ft.Button("Tap", on_click=tap), taps, shown)

    ft.run(main, view=None, host="127.0.0.1", port=port, no_cdn=True, web_renderer=ft.WebRenderer.CANVAS_KIT)


# --------------------------------------------------------------------------- preparation (not timed)


def py_spy() -> str | None:
    return shutil.which("py-spy") or next((str(p) for p in [Path("/tmp/pyspy/bin/py-spy")] if p.exists()), None)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def fmt(value: float | None) -> str:
    return "   -  " if value is None else f"{value:6.0f}"


def report(title: str, changes: list[Change]) -> float:
    print(f"\n{title}")
    print("  change           total  client server render  bytes out   bytes in frames in  cpu: python browser")
    for c in changes:
        print(
            f"  {c.name:15s} {c.ms:6.0f} {fmt(c.client_ms)} {fmt(c.server_ms)} {fmt(c.render_ms)}"
            f" {c.bytes_out:10,d} {c.bytes_in:10,d} {c.frames_in:9d}"
            f"       {fmt(c.python_cpu_ms)} {fmt(c.browser_cpu_ms)}"
        )
    times = [c.ms for c in changes]
    p50 = statistics.median(times)
    print(f"  p50 {p50:.0f} ms, p90 {pct(times, 0.9):.0f} ms over {len(times)} changes")
    by_name: dict[str, list[Change]] = {}
    for c in changes:
        by_name.setdefault(c.name, []).append(c)
    for name, group in by_name.items():
        parts = [
            statistics.median([getattr(c, k) for c in group if getattr(c, k) is not None] or [0])
            for k in ("ms", "client_ms", "server_ms", "render_ms", "python_cpu_ms", "browser_cpu_ms")
        ]
        kb = statistics.median([c.bytes_in for c in group]) / 1024
        print(
            f"    {name:15s} median {parts[0]:5.0f} ms (client {parts[1]:.0f}, server {parts[2]:.0f},"
            f" render {parts[3]:.0f}), {kb:.1f} KiB in; CPU python {parts[4]:.0f} ms, browser {parts[5]:.0f} ms"
        )
    cpu = [(c.python_cpu_ms, c.browser_cpu_ms) for c in changes if c.python_cpu_ms is not None]
    if cpu:
        print(
            f"  CPU per change, median: python {statistics.median(p for p, _ in cpu):.0f} ms,"
            f" browser {statistics.median(b for _, b in cpu if b is not None):.0f} ms"
        )
    return p50


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--baseline-app":
        baseline_app(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--scale", type=float, default=0.25, help="the demo's size (python -m server demo --scale)")
    parser.add_argument("--keep", help="prepare in this (new) directory and keep it")
    parser.add_argument("--py-spy", dest="pyspy", help="record the client with py-spy into this file (collapsed)")
    args = parser.parse_args()

    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="besmart-ui-latency-"))
    tmp.mkdir(parents=True, exist_ok=True)
    started: list[Any] = []
    try:
        url = seed(tmp, args.scale)
        server = ServerProcess(url, tmp).start()
        started.append(server)
        env = {
            "BESMART_HOME": str(tmp / "client-home"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "BESMART_KDF_TEST_FAST": "1",
            "PYTHONPATH": str(ROOT),
        }
        port = free_port()
        client = start_app(
            [sys.executable, "main.py", "--web", "--port", str(port), "--server", server.url],
            port,
            env=env,
            log_path=tmp / "client.log",
        )
        started.append(client)
        sample_port = free_port()
        sample = start_app(
            [sys.executable, str(Path(__file__).resolve()), "--baseline-app", str(sample_port)],
            sample_port,
            log_path=tmp / "baseline.log",
        )
        started.append(sample)
        with sync_playwright() as p:
            browser = launch_chromium(p, tmp / "chromium-home")
            try:
                run(browser, client.url, sample.url, args, client.proc, sample.proc)
            finally:
                browser.close()
    finally:
        for thing in reversed(started):
            thing.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def probe(page: Page, pid: int) -> Probe:
    PROBES[page] = Probe(pid, chromium_pids())
    return PROBES[page]


def run(
    browser: Any, app_url: str, sample_url: str, args: argparse.Namespace, client_proc: Any, sample_proc: Any
) -> None:
    size = {"width": PHONE[0], "height": PHONE[1]}
    app = browser.new_context(viewport=size).new_page()
    app.add_init_script(INIT_SCRIPT)
    loaded = time.perf_counter()
    open_app(app, app_url)
    wait_for_text(app, "Sign in to besmart", timeout_ms=60_000)
    first_page = time.perf_counter() - loaded
    sign_in_on_a_new_device(app, DEMO_EMAIL, DEMO_PASSWORD, PASSPHRASE)
    wait_for_text(app, "Hello, ", timeout_ms=60_000)
    expect_synced(app, timeout_ms=300_000)
    print(f"first page (load → sign-in form): {first_page:.2f} s")

    base = browser.new_context(viewport=size).new_page()
    base.add_init_script(INIT_SCRIPT)
    open_app(base, sample_url)
    wait_for_text(base, "Taps: 0")
    probe(app, client_proc.pid)
    probe(base, sample_proc.pid)
    # What the two pages cost doing nothing (a blinking caret, an animation that never stops...): the floor
    # under every change's CPU figures.
    before = PROBES[app].read()
    app.wait_for_timeout(3000)
    after = PROBES[app].read()
    print(
        f"idle, per second: app's Python {(after[0] - before[0]) / 3:.0f} ms CPU,"
        f" Chromium {(after[1] - before[1]) / 3:.0f} ms CPU"
    )

    # One round untimed: the first visit of each screen (and Python's first run of its code) is not the steady
    # state a person tapping around sees.
    tap_counts: dict[str, int] = {}
    app_round(app, tap_counts)
    baseline_tap(base, 1)

    spy = None
    if args.pyspy:
        exe = py_spy()
        if exe is None:
            raise SystemExit("--py-spy: no py-spy (pip install --target /tmp/pyspy py-spy)")
        spy = subprocess.Popen(
            [exe, "record", "--pid", str(client_proc.pid), "--rate", "500", "--format", "raw", "-o", args.pyspy],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)
    changes: list[Change] = []
    baseline: list[Change] = []
    taps, navs = 1, 0
    while len(changes) < args.changes:
        for change in app_round(app, tap_counts):
            changes.append(change)
            # Alternated, so the machine's noise hits both: a tab change against the baseline's tab change,
            # anything else against its button.
            if change.name.startswith("tab "):
                navs += 1
                baseline.append(baseline_nav(base, navs))
            else:
                taps += 1
                baseline.append(baseline_tap(base, taps))
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(30)
    changes = changes[: args.changes]
    baseline = baseline[: args.changes]

    report("baseline: no-op Flet round trips (a button, or a navigation bar tab, changes one Text)", baseline)
    p50 = report("besmart screen changes", changes)
    # Each change against the no-op of the same kind timed right after it (the two kinds' floors differ by
    # ~3x, so a ratio of the two sets' medians would swing with the mix).
    ratios = [c.ms / b.ms for c, b in zip(changes, baseline, strict=True)]
    print(f"\neach change / its no-op baseline: p50 {statistics.median(ratios):.2f}x, p90 {pct(ratios, 0.9):.2f}x")
    print(f"load: {Path('/proc/loadavg').read_text().strip()}")
    print(f"ui_change_p50_ms {p50:.0f}")


if __name__ == "__main__":
    main()
