"""The wall in headless Chromium on the demo town (the wall's speed targets).

Starts ``townbrain serve`` (waitress, as in production) on the demo town, drives
the system Chromium with Selenium and measures:

* **cold** — a fresh server and a fresh browser profile: from navigation to the
  Leaflet map painted with its layers and every KPI number drawn;
* **warm** — the same page loaded again (server caches and browser cache warm),
  median of ``--repeat``;
* **module switch** — a click on a module tab to the tab marked, the title renamed,
  no callback of the wall pending (the live feed's own poll excluded), the map
  showing the module's layers, and the next frame painted (panels and charts on
  screen), median over every module, once the other modules' layers are in the page;
* **grid click** — a click on a grid of the map to its card shown and filled and the
  next frame painted, median.

Switch and click are timed in the page: from the mouse press reaching it to the
first frame painted after the screen is updated, checked at every animation frame
(WebDriver's own work around a click — tens of ms — is not the wall's).
* **bytes** — what the first (cold) render transferred, compressed: the sum of
  ``transferSize`` over the navigation and every resource (Resource Timing);
* **server memory** — resident set size of the server process after all of it.

The cold and warm loads are also split into phases (ms after navigation, when each
first held): the wall's DOM in the page, the map built, the map painted, every KPI
number drawn, the module's charts drawn — where the time goes.

Prints a table and writes ``bench/results/ui.json``. Targets: ≤ 2.5 s cold, ≤ 1 s
warm, ≤ 300 ms module switch and grid click, ≤ 3 MB, ≤ 1.5 GiB.

    python -m bench.ui [--db data/town.gpkg] [--repeat 5] [--out bench/results/ui.json]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import machine

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("DASH_TEST_CHROMEPATH") or "/usr/bin/chromium"
TARGETS = {"cold_s": 2.5, "warm_s": 1.0, "module_switch_ms": 300, "grid_click_ms": 300,
           "first_render_mb": 3.0, "server_rss_gib": 1.5}
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-default-apps",
         "--disable-sync", "--no-first-run", "--window-size=1920,1080", "--force-device-scale-factor=1",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1")

MAP_ID = "wall-map"
# The wall's Leaflet map (assets/map.js) as it stands: null until it exists.
STATE_JS = "window.TownMap && window.TownMap.state('%s')" % MAP_ID
# Every KPI number of the wall counted (a module tile may say "—": no data for it yet).
KPIS_JS = """
const counts = [...document.querySelectorAll('[id^="kpi-"].kpi-value, [id^="base-count-"]')];
const tiles = [...document.querySelectorAll('.kpi-value')];
return counts.length > 0 && counts.every(e => e.textContent.trim() && e.textContent.trim() !== '—')
    && tiles.every(e => e.textContent.trim());
"""
# The module's charts drawn (HTML bars, callbacks/bar_chart.py; reported as a phase).
CHARTS_JS = """
const charts = [...document.querySelectorAll('.module-chart')];
return !!document.getElementById('wall') && charts.every(c => c.querySelector('.bar-seg, .bar-chart-empty'));
"""
# The map (its layers painted) and every KPI number filled.
DRAWN_JS = """
const st = %s;
if (!(st && st.drawn && st.layers.length)) return false;
return (function () {%s})();
""" % (STATE_JS, KPIS_JS)
# Callbacks in flight, the live feed's poll and the clock excepted.
PENDING_JS = """
const st = window.store && window.store.getState();
if (!st) return 1;
const cbs = Object.assign({}, st.callbacks); delete cbs.stored; delete cbs.completed;
return [].concat(...Object.values(cbs)).filter(cb => {
    const out = String((cb.callback && cb.callback.output) || '');
    return !/live-feed|clock-time|live-ticker/.test(out);
}).length;
"""
# When each phase of a load first held (ms after navigation), polled with DRAWN_JS.
PHASES = ("wall_dom", "map_built", "map_drawn", "kpis", "charts")
PHASES_JS = """
const st = %s;
return [performance.now(), !!document.getElementById('wall'), !!st, !!(st && st.drawn && st.layers.length),
        (function () {%s})(), (function () {%s})()];
""" % (STATE_JS, KPIS_JS, CHARTS_JS)
# The map shows the layers the module's checklist asks for, painted, and not moving.
MAP_UPDATED_JS = """
const st = %s;
if (!(st && st.drawn && !st.moving)) return false;
const on = [...document.querySelectorAll('#layer-toggles input:checked')].map(i => i.value);
return st.layers.every(l => {
    if (l.slot === 'grid_kpi') return true;
    const want = on.includes(l.slot);
    return l.visible === want && (l.n === 0 || l.onMap === want);
});
""" % STATE_JS
BYTES_JS = """
const nav = performance.getEntriesByType('navigation').map(e => e.transferSize || 0);
const res = performance.getEntriesByType('resource').map(e => e.transferSize || 0);
return [...nav, ...res].reduce((a, b) => a + b, 0);
"""
# Every module's layers in the page (assets/wall.js prefetches them after the first
# draw; the building footprints load only when switched on).
PREFETCHED_JS = """
const st = %s;
return !!st && st.layers.every(l => l.slot === 'buildings' || l.rev !== 'empty');
""" % STATE_JS
# Pixel of the middle of a comprehensive grid on the map, under no panel.
GRID_POINT_JS = "return window.TownMap && window.TownMap.gridPoint('%s');" % MAP_ID


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: str, port: int, *extra: str) -> subprocess.Popen:
    """``townbrain serve`` on ``db`` (``extra``: more options, e.g. ``--simulate``); returns
    once /health answers ok."""
    exe = ROOT / ".venv" / "bin" / "townbrain"
    cmd = [str(exe) if exe.exists() else "townbrain", "serve", "--db", db, "--host", "127.0.0.1",
           "--port", str(port), *extra]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 60:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                if json.load(r).get("status") == "ok":
                    return proc
        except OSError:
            time.sleep(0.2)
        if proc.poll() is not None:
            raise SystemExit(f"the server exited: {proc.stderr.read().decode()[-2000:]}")
    proc.kill()
    raise SystemExit("the server did not answer /health within 60 s")


#: The account the benchmark signs in with (every page needs a session, access/gate.py):
#: a duty officer of the whole town reaches the wall and the console without a second factor.
BENCH_USER, BENCH_PASSWORD = "bench-ui", "Bench-UI-2026-towns"


def bench_account(db: str) -> None:
    """Create the benchmark's account in the store at ``db`` when it is missing."""
    from access.service import Access, operator
    from geodata.store import open_store
    store = open_store(db)
    try:
        acc = Access(store)
        if acc.accounts.get(BENCH_USER) is None:
            acc.accounts.create(BENCH_USER, "duty_officer", "town", by=operator(), password=BENCH_PASSWORD,
                                must_change=False)
    finally:
        store.close()


def sign_in(driver, base: str) -> None:
    """Sign the browser in through the real ``/login`` form, as a person does, going on
    to ``/health`` (no page assets: the wall's cold load stays cold)."""
    driver.get(f"{base}/login?next=/health")
    driver.find_element("id", "tb-name").send_keys(BENCH_USER)
    driver.find_element("id", "tb-password").send_keys(BENCH_PASSWORD)
    driver.find_element("id", "tb-submit").click()
    wait(driver, "return !location.pathname.startsWith('/login');")


def rss_bytes(pid: int) -> int:
    """Resident set size of ``pid`` and its children (Linux /proc)."""
    total = 0
    pids = [pid]
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(k) for k in kids]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def browser(profile: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for f in FLAGS:
        opts.add_argument(f)
    opts.add_argument(f"--user-data-dir={profile}")
    return webdriver.Chrome(options=opts, service=Service(shutil.which("chromedriver") or "chromedriver"))


#: Seconds any step may take (``--timeout``): a machine busy with other work needs more.
STEP_TIMEOUT = 30.0


def wait(driver, js: str, timeout: float | None = None, poll: float = 0.01):
    timeout = STEP_TIMEOUT if timeout is None else timeout
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if driver.execute_script(js):
            return time.perf_counter()
        time.sleep(poll)
    raise TimeoutError(js[:80])


def load_wall(driver, url: str, phases: list | None = None) -> float:
    """Seconds from navigation to the wall drawn; the phases' times (ms) are appended
    to ``phases`` when given."""
    driver.get("about:blank")
    t0 = time.perf_counter()
    driver.get(url)
    first: dict = {}
    while time.perf_counter() - t0 < STEP_TIMEOUT:
        now, *flags = driver.execute_script(PHASES_JS)
        for name, ok in zip(PHASES, flags):
            if ok and name not in first:
                first[name] = round(now)
        if flags[2] and flags[3]:  # the map drawn and the KPIs in (the charts are a phase of their own)
            if phases is not None:
                phases.append(first)
            return time.perf_counter() - t0
        time.sleep(0.01)
    raise TimeoutError(f"the wall was not drawn within {STEP_TIMEOUT:.0f} s")


def settle(driver, timeout=None):
    """Wait until no callback of the wall is in flight."""
    wait(driver, "return (function(){%s})() === 0;" % PENDING_JS, timeout)


# When the last trusted mouse press reached the page (the input a measure starts from:
# WebDriver's own work before it, scrolling the tab into view, is not the wall's).
INPUT_HOOK_JS = """
if (!window.__tbHooked) {
    window.__tbHooked = true;
    document.addEventListener('mousedown', e => { if (e.isTrusted) window.__tbInputAt = performance.now(); }, true);
}
window.__tbInputAt = null;
"""
# Checked at every animation frame after the press: once ``ready`` holds, the next frame
# is painted and the time since the press (ms) is returned; null after ``timeout`` s.
UNTIL_PAINTED_JS = """
const [ready, timeout] = arguments, done = arguments[arguments.length - 1];
const check = new Function(ready), t0 = performance.now();
(function frame() {
    if (window.__tbInputAt !== null && check()) {
        requestAnimationFrame(() => done(performance.now() - window.__tbInputAt));
    } else if (performance.now() - t0 > timeout * 1000) {
        done(null);
    } else {
        requestAnimationFrame(frame);
    }
})();
"""


def until_painted(driver, *ready: str) -> float:
    """Seconds from the last mouse press to the frame painted after every ``ready``
    (function bodies) first held, measured in the page, frame by frame."""
    body = " && ".join(f"(function(){{{r}}})()" for r in ready)
    driver.set_script_timeout(STEP_TIMEOUT + 5)
    ms = driver.execute_async_script(UNTIL_PAINTED_JS, f"return {body};", STEP_TIMEOUT)
    if ms is None:
        raise TimeoutError(body[:80])
    return ms / 1000


def module_switch(driver, module: str) -> float:
    """Seconds from a click on a module tab to the screen updated: the tab marked, no
    callback of the wall pending, the map showing the module's layers, painted."""
    settle(driver)
    tab = driver.find_element("id", f"module-{module}")
    driver.execute_script(INPUT_HOOK_JS)
    tab.click()
    return until_painted(driver, "return document.getElementById('module-%s').className.includes('is-active');"
                         % module, "return (function(){%s})() === 0;" % PENDING_JS, MAP_UPDATED_JS)


def grid_click(driver) -> float | None:
    """Seconds from a click on a grid of the map to its card shown and filled."""
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    settle(driver)
    if driver.execute_script("const c = document.getElementById('grid-card'); return !!c && !c.hidden;"):
        driver.find_element("id", "grid-card-close").click()
        wait(driver, "return document.getElementById('grid-card').hidden;")
        settle(driver)
    pt = driver.execute_script(GRID_POINT_JS)
    if not pt or not driver.find_elements("id", "grid-card"):
        return None
    # the pointer goes there first, untimed (an action's move lasts 250 ms by default)
    move = ActionBuilder(driver, duration=0)
    move.pointer_action.move_to_location(int(pt[0]), int(pt[1]))
    move.perform()
    driver.execute_script(INPUT_HOOK_JS)
    click = ActionBuilder(driver, duration=0)
    click.pointer_action.click()
    click.perform()
    return until_painted(driver, "const c = document.getElementById('grid-card'); return !!c && !c.hidden;",
                         "return (function(){%s})() === 0;" % PENDING_JS)


def run(db: str, repeat: int, only: str = "all") -> dict:
    load_before = os.getloadavg()[0]
    port = free_port()
    profile = tempfile.mkdtemp(prefix="townbrain-bench-")
    source = db
    if Path(db).is_file():
        # a copy: the benchmark's account and its audit records stay out of the town's
        # own store (``make run`` creates the first accounts only on a store with none)
        db = shutil.copy(db, str(Path(profile) / Path(db).name))   # open_store takes a str
    bench_account(db)
    server = start_server(db, port)
    url = f"http://127.0.0.1:{port}/wall"
    driver = None
    try:
        driver = browser(profile)
        driver.set_window_size(1920, 1080)
        sign_in(driver, f"http://127.0.0.1:{port}")
        if only == "console":  # the console's rows alone (bench/ui_console.py)
            from bench.ui_console import run_console
            res = {"db": source, "machine": machine(), "repeat": repeat, "console": run_console(url, driver, repeat)}
            res["server_rss_gib"] = round(rss_bytes(server.pid) / 2 ** 30, 3)
            res["load_avg"], res["cores"] = [round(load_before, 2), round(os.getloadavg()[0], 2)], os.cpu_count()
            return res
        cold_phases, warm_phases = [], []
        cold = load_wall(driver, url, cold_phases)
        first_bytes = driver.execute_script(BYTES_JS)
        warm = [load_wall(driver, url, warm_phases) for _ in range(repeat)]
        modules = ["ecology", "livelihood", "public", "enforcement", "transport", "online", "admin",
                   "leadership"]
        wait(driver, PREFETCHED_JS)  # a switch is measured on a settled wall
        switches = [module_switch(driver, m) for m in modules]
        load_wall(driver, url + "?module=public")
        clicks = [c for c in (grid_click(driver) for _ in range(repeat)) if c is not None]
        console = None
        if only == "all":
            from bench.ui_console import run_console
            console = run_console(url, driver, repeat)
        rss = rss_bytes(server.pid)
    finally:
        if driver is not None:
            driver.quit()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(profile, ignore_errors=True)
    return {
        "db": source, "machine": machine(), "repeat": repeat,
        "cold_s": round(cold, 3),
        "warm_s": round(statistics.median(warm), 3), "warm_all_s": [round(w, 3) for w in warm],
        "module_switch_ms": round(1000 * statistics.median(switches), 1),
        "module_switch_all_ms": [round(1000 * s, 1) for s in switches],
        "grid_click_ms": round(1000 * statistics.median(clicks), 1) if clicks else None,
        "grid_click_all_ms": [round(1000 * c, 1) for c in clicks],
        "cold_phases_ms": cold_phases[0],
        "warm_phases_ms": {k: statistics.median(p[k] for p in warm_phases if k in p) for k in PHASES},
        "first_render_mb": round(first_bytes / 1e6, 3),
        "server_rss_gib": round(rss / 2 ** 30, 3),
        # 1-minute load average before and after: on a shared machine the times
        # above mean little when it exceeds the core count
        "load_avg": [round(load_before, 2), round(os.getloadavg()[0], 2)], "cores": os.cpu_count(),
        "targets": TARGETS,
        "console": console,
    }


def table(res: dict) -> str:
    rows = [("navigation → wall drawn, cold", f"{res['cold_s']:.2f} s", f"≤ {TARGETS['cold_s']} s", "cold_s"),
            ("navigation → wall drawn, warm (median)", f"{res['warm_s']:.2f} s", f"≤ {TARGETS['warm_s']} s",
             "warm_s"),
            ("module switch → screen updated (median)", f"{res['module_switch_ms']:.0f} ms",
             f"≤ {TARGETS['module_switch_ms']} ms", "module_switch_ms"),
            ("grid click → card (median)",
             "n/a" if res["grid_click_ms"] is None else f"{res['grid_click_ms']:.0f} ms",
             f"≤ {TARGETS['grid_click_ms']} ms", "grid_click_ms"),
            ("bytes for the first render (compressed)", f"{res['first_render_mb']:.2f} MB",
             f"≤ {TARGETS['first_render_mb']} MB", "first_render_mb"),
            ("server RSS", f"{res['server_rss_gib']:.2f} GiB", f"≤ {TARGETS['server_rss_gib']} GiB",
             "server_rss_gib")]
    out = [(f"{'measure':<42} {'value':>10} {'target':>12}  ok   (load average {res['load_avg']}, "
            f"{res['cores']} cores)")]
    for name, val, target, key in rows:
        v = res[key]
        ok = "—" if v is None else ("yes" if v <= TARGETS[key] else "NO")
        out.append(f"{name:<42} {val:>10} {target:>12}  {ok}")
    for run in ("cold", "warm"):
        ph = res[f"{run}_phases_ms"]
        out.append(f"  {run} phases, ms after navigation: " + ", ".join(f"{k} {ph[k]:.0f}" for k in PHASES if k in ph))
    return "\n".join(out)


def main(argv=None) -> int:
    global STEP_TIMEOUT
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default=str(ROOT / "data" / "town.gpkg"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "ui.json"))
    ap.add_argument("--timeout", type=float, default=STEP_TIMEOUT, help="seconds any one step may take")
    ap.add_argument("--only", choices=("all", "wall", "console"), default="all",
                    help="the wall's rows, the console's (bench/ui_console.py) or both")
    ap.add_argument("--before", help="an earlier run's JSON: its console rows are printed beside these")
    args = ap.parse_args(argv)
    STEP_TIMEOUT = args.timeout
    res = run(args.db, args.repeat, args.only)
    if args.only != "console":
        print(table(res))
    if res.get("console"):
        from bench.ui_console import table as console_table
        before = json.loads(Path(args.before).read_text()).get("console") if args.before else None
        print(console_table(res["console"], before) + f"\n  (load average {res['load_avg']}, {res['cores']} cores)")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
