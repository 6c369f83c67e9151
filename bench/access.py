"""What access control costs: the gate per callback, and a sign-in to the console drawn
(issue 16, "Targets").

* **The gate per callback.** The callbacks a real page sends are recorded first: headless
  Chromium, signed in as the benchmark's duty officer (``bench/ui.py``: ``BENCH_USER``,
  granted the whole town), loads the wall, a wall module and the console from
  ``townbrain serve``, and every ``POST /_dash-update-component`` body the pages send is
  kept (a ``fetch`` wrapper put in the page through the DevTools protocol). The server
  stopped, the same store is opened in this process (``app.create_app``), the same
  account signs in through ``/login`` with Flask's test client, and the bodies are
  replayed, each answer checked (200 or 204, the same both ways):

  - **on**: the app as it runs. Every hook access/ installs — the gate's
    ``before_request`` and ``teardown_request`` (access/gate.py), its security headers,
    the wall's cookie renewal (access/enroll.py), Flask-Login's and Flask-Limiter's
    hooks — and the scope's resolution where a callback first asks for it
    (``access.scope.request_scope``: the account's grants read from the store) are
    timed with ``time.perf_counter`` around each call, per request: **the gate's cost**;
  - **off**: those hooks taken out of the server's hook lists; in the gate's place a
    stand-in hands the callbacks the same signed-in session and the town's scope, as
    the app read before there were accounts (every reader saw the town). The whole
    request is timed both ways.

  The caches of the callbacks are warmed first (two passes each way, not counted); then
  ``--repeat`` rounds, on and off in turn, the order flipped every round, so what else
  the machine does hits both. Median and p95 per kind of callback (the wall's, the
  console's, the shell's: the router and the live feed) and overall. Target: the gate
  ≤ 5 ms median per callback. A session is checked against the store every 5 s and its
  grants on every request (access/sessions.py, access/scope.py): those reads are the
  gate's p95.
* **Sign-in to the console, warm.** ``/login?next=/console`` in the same browser (its
  cache holds the assets; the server has drawn the console before): the name and the
  password typed (untimed), then from the press on the submit button to the frame
  painted once the console's case table holds its first case link, measured in the
  pages (``Date.now()`` kept in ``sessionStorage`` across the navigation); also to the
  whole console drawn (table, lists, map, no callback in flight: bench/ui_console.py).
  Signed out (``/logout``) between rounds; one round first, not counted. Sign-ins are
  spaced to stay inside the sign-in rate limit of access/web.py. Median of ``--repeat``;
  target ≤ 1.5 s.

The wall's own targets with access on are bench/ui's: it signs in before it measures
(its last results are shown here when ``bench/results/ui.json`` exists; not re-run).

Prints a table and writes ``bench/results/access.json``.

    .venv/bin/python -m bench.access [--db data/town.gpkg] [--repeat 10] [--out bench/results/access.json]
"""
from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import ui
from bench.common import machine
from bench.ui_console import LOADED_JS

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
TARGETS = {"gate_ms": 5.0, "sign_in_s": 1.5}
#: Where the hooks that belong to access control come from (access/web.py installs them all).
ACCESS_HOOK_MODULES = ("access.", "flask_login", "flask_limiter")
HOOK_LISTS = ("before_request_funcs", "after_request_funcs", "teardown_request_funcs")
#: The pages whose callbacks are recorded (the wall's default module, another module, the console).
RECORDED_PAGES = ("/wall", "/wall?module=public", "/console")
CALLBACK = "/_dash-update-component"

# Put in every new document while recording: keeps each callback body the page sends.
RECORD_JS = """
(function () {
    const send = window.fetch;
    window.__tbBodies = [];
    window.fetch = function (input, init) {
        const url = typeof input === 'string' ? input : (input && input.url) || '';
        if (url.indexOf('%s') >= 0 && init && typeof init.body === 'string') window.__tbBodies.push(init.body);
        return send.apply(this, arguments);
    };
})();
""" % CALLBACK
# On the sign-in page: the moment the submit button is pressed, kept across the navigation.
SUBMIT_HOOK_JS = """
sessionStorage.removeItem('tbSubmitAt');
const keep = e => { if (e.isTrusted && !sessionStorage.getItem('tbSubmitAt'))
                        sessionStorage.setItem('tbSubmitAt', String(Date.now())); };
document.getElementById('tb-submit').addEventListener('mousedown', keep, true);
document.querySelector('form').addEventListener('submit', keep, true);
"""
TABLE_JS = "return !!document.querySelector('#console-table table .case-link');"
# On the console: [press, table painted, whole console painted] (ms since the epoch),
# checked at every animation frame; null for what did not come within the timeout (s).
DRAWN_AFTER_SUBMIT_JS = """
const timeout = arguments[0], done = arguments[arguments.length - 1], t0 = performance.now();
const submitAt = Number(sessionStorage.getItem('tbSubmitAt')) || null;
let tableAt = null;
(function frame() {
    if (tableAt === null && (function () {%s})()) {
        requestAnimationFrame(() => { tableAt = Date.now(); frame(); });
    } else if (tableAt !== null && (function () {%s})()) {
        requestAnimationFrame(() => done([submitAt, tableAt, Date.now()]));
    } else if (performance.now() - t0 > timeout * 1000) {
        done([submitAt, tableAt, null]);
    } else {
        requestAnimationFrame(frame);
    }
})();
""" % (TABLE_JS, LOADED_JS)


# ---- pure helpers ------------------------------------------------------------------------------
def summary(ms: list[float]) -> dict:
    """n, median and p95 (nearest rank) of a list of milliseconds, rounded to µs.

    >>> summary([1.0, 2.0, 3.0, 4.0, 100.0])
    {'n': 5, 'median': 3.0, 'p95': 100.0}
    >>> summary([])
    {'n': 0, 'median': None, 'p95': None}
    """
    if not ms:
        return {"n": 0, "median": None, "p95": None}
    ordered = sorted(ms)
    rank = max(0, -(-95 * len(ordered) // 100) - 1)  # ceil(0.95 n) - 1
    return {"n": len(ms), "median": round(statistics.median(ordered), 3), "p95": round(ordered[rank], 3)}


def hook_name(fn) -> str:
    """``module:qualname`` of a hook (a ``functools.partial`` by its function)."""
    inner = getattr(fn, "func", fn)
    return f"{getattr(inner, '__module__', '?')}:{getattr(inner, '__qualname__', repr(inner))}"


def is_access_hook(fn) -> bool:
    """Whether a Flask hook belongs to access control (:data:`ACCESS_HOOK_MODULES`).

    >>> is_access_hook(summary), is_access_hook(functools.partial(print))
    (False, False)
    """
    return hook_name(fn).startswith(ACCESS_HOOK_MODULES)


def sign_in_gap(limits: str, margin: float = 0.5) -> float:
    """Seconds between two sign-ins that keep inside a Flask-Limiter ``per minute`` limit.

    >>> sign_in_gap("10 per minute;100 per hour")
    6.5
    """
    for part in limits.split(";"):
        n, _, per = part.strip().partition(" per ")
        if per == "minute":
            return 60 / int(n) + margin
    return margin


def kind_of(output: str, modules: dict) -> str:
    """The kind of a callback: the page it belongs to (access/pages.py), the shell's own.

    >>> kind_of("..a.children..", {"..a.children..": "callbacks.console"}), kind_of("x", {})
    ('console', 'unknown')
    """
    from access.pages import callback_page
    page = callback_page(modules.get(output))
    return "unknown" if page is None else page.strip("/")


# ---- recording what the pages send -------------------------------------------------------------
def record_bodies(driver, base: str) -> list[str]:
    """The distinct callback bodies the recorded pages send as they are drawn."""
    script = driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_JS})
    bodies: dict[str, None] = {}
    try:
        for page in RECORDED_PAGES:
            driver.get(base + page)
            ui.wait(driver, LOADED_JS if page.startswith("/console") else ui.DRAWN_JS)
            ui.settle(driver)
            time.sleep(1.0)  # what the drawn page asks for next (a panel, the live feed)
            ui.settle(driver)
            bodies.update(dict.fromkeys(driver.execute_script("return window.__tbBodies || [];")))
    finally:
        driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]})
        driver.get("about:blank")
    return list(bodies)


# ---- the sign-in, in the browser ---------------------------------------------------------------
def sign_in_to_console(driver, base: str) -> tuple[float, float | None]:
    """Seconds from the press on submit to the console's table painted, and to the whole
    console drawn; signed out first."""
    from selenium.common.exceptions import WebDriverException
    driver.get(f"{base}/logout")
    driver.get(f"{base}/login?next=/console")
    driver.find_element("id", "tb-name").send_keys(ui.BENCH_USER)
    driver.find_element("id", "tb-password").send_keys(ui.BENCH_PASSWORD)
    driver.execute_script(SUBMIT_HOOK_JS)
    driver.set_script_timeout(ui.STEP_TIMEOUT + 5)
    driver.find_element("id", "tb-submit").click()
    t0, got = time.perf_counter(), None
    while got is None and time.perf_counter() - t0 < ui.STEP_TIMEOUT:
        try:
            if driver.execute_script("return location.pathname;").endswith("/console"):
                got = driver.execute_async_script(DRAWN_AFTER_SUBMIT_JS, ui.STEP_TIMEOUT)
        except WebDriverException:  # the page went away under the script: the next one is asked
            pass
        if got is None:
            time.sleep(0.02)
    if got is None or None in got[:2]:
        raise TimeoutError(f"the console's table was not drawn after sign-in ({got})")
    submit, table, whole = got
    return (table - submit) / 1000, None if whole is None else (whole - submit) / 1000


def sign_in_rounds(driver, base: str, repeat: int) -> dict:
    from access.web import SIGN_IN_LIMITS
    gap = sign_in_gap(SIGN_IN_LIMITS)
    table, whole, last = [], [], 0.0
    for i in range(repeat + 1):  # the first round is not counted
        time.sleep(max(0.0, gap - (time.monotonic() - last)))
        last = time.monotonic()
        t, w = sign_in_to_console(driver, base)
        if i:
            table.append(t)
            whole.append(w)
    whole = [w for w in whole if w is not None]
    return {"table_s": round(statistics.median(table), 3), "table_best_s": round(min(table), 3),
            "table_all_s": [round(t, 3) for t in table],
            "whole_s": round(statistics.median(whole), 3) if whole else None,
            "whole_all_s": [round(w, 3) for w in whole], "gap_s": gap}


# ---- the gate, on the test client --------------------------------------------------------------
class HookClock:
    """Time spent in wrapped functions during one request, per part (a call made inside
    another timed call is counted once, in the outer one's part)."""

    def __init__(self):
        self.spent: dict[str, float] = {}
        self.depth = 0

    def wrap(self, fn, part: str):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            if self.depth:
                return fn(*args, **kwargs)
            self.depth += 1
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent[part] = self.spent.get(part, 0.0) + time.perf_counter() - t
                self.depth -= 1
        return timed


def patch_request_scope(clock: HookClock) -> list:
    """Time ``access.scope.request_scope`` (part ``scope``) wherever a module imported it;
    returns what to put back."""
    import access.scope
    original = access.scope.request_scope
    timed = clock.wrap(original, "scope")
    patched = [m for m in list(sys.modules.values()) if getattr(m, "request_scope", None) is original]
    for m in patched:
        m.request_scope = timed
    return [(m, original) for m in patched]


def hook_sets(server, clock: HookClock, session) -> tuple[dict, dict, dict, list[str]]:
    """The server's hook lists as they are, with access on (its hooks timed by ``clock``)
    and off (taken out; in the gate's place a stand-in handing the callbacks ``session``
    and the town's scope), and the names of the hooks concerned."""
    import flask
    from access.gate import Gate
    from access.scope import TOWN

    def stand_in():
        # what a callback reads of the request without access control: a reader of the town
        flask.g.tb_session, flask.g.tb_scope = session, TOWN

    def off_hook(f):
        return stand_in if isinstance(getattr(f, "__self__", None), Gate) else None

    original, on, off, names = {}, {}, {}, []
    for attr in HOOK_LISTS:
        original[attr] = {k: list(fns) for k, fns in getattr(server, attr).items()}
        on[attr] = {k: [clock.wrap(f, "hooks") if is_access_hook(f) else f for f in fns] for k, fns in original[attr].items()}
        off[attr] = {k: [g for g in (off_hook(f) if is_access_hook(f) else f for f in fns) if g is not None]
                     for k, fns in original[attr].items()}
        names += [f"{attr.split('_')[0]}: {hook_name(f)}" for fns in original[attr].values()
                  for f in fns if is_access_hook(f)]
    return original, on, off, names


def use_hooks(server, hooks: dict) -> None:
    for attr in HOOK_LISTS:
        getattr(server, attr).clear()
        getattr(server, attr).update({k: list(v) for k, v in hooks[attr].items()})


def signed_in_client(server):
    """A test client signed in as the benchmark's account, and its session."""
    client = server.test_client()
    r = client.post("/login?next=/console", data={"name": ui.BENCH_USER, "password": ui.BENCH_PASSWORD})
    if r.status_code != 303 or "/login" in r.headers.get("Location", ""):
        raise SystemExit(f"the benchmark's account could not sign in: {r.status_code} {r.headers.get('Location')}")
    token = client.get_cookie("tb_session").value
    return client, server.extensions["townbrain_access"].sessions.resolve(token, "127.0.0.1", activity=False)


def replay(server, calls: list[str], hooks: dict, clock: HookClock, repeat: int) -> tuple[dict, dict]:
    """Post each body of ``calls`` with ``hooks["on"]`` and ``hooks["off"]`` in turn: two
    passes each way first (not counted), then ``repeat`` rounds, the order flipped every
    round. Returns {series: {call: [ms]}} — ``on``, ``off``, and with access on the
    timed ``hooks``, ``scope`` and their sum ``gate`` — and {call: {mode: status}}."""
    client = hooks["client"]
    headers = {"Origin": "http://localhost", "Content-Type": "application/json"}
    ms = {k: {i: [] for i in range(len(calls))} for k in ("on", "off", "gate", "hooks", "scope")}
    status: dict = {i: {} for i in range(len(calls))}

    def one_pass(mode: str, keep: bool) -> None:
        use_hooks(server, hooks[mode])
        for i, body in enumerate(calls):
            clock.spent = {}
            t = time.perf_counter()
            r = client.post(CALLBACK, data=body, headers=headers)
            dt = time.perf_counter() - t
            status[i][mode] = r.status_code
            if keep:
                ms[mode][i].append(1000 * dt)
                if mode == "on":
                    for part in ("hooks", "scope"):
                        ms[part][i].append(1000 * clock.spent.get(part, 0.0))
                    ms["gate"][i].append(1000 * sum(clock.spent.values()))

    for mode in ("on", "off", "off", "on"):  # the callbacks' caches warm
        one_pass(mode, keep=False)
    for r in range(repeat):
        gc.collect()
        for mode in (("on", "off") if r % 2 == 0 else ("off", "on")):
            one_pass(mode, keep=True)
    return ms, status


def summarise(calls: list[str], kinds: list[str], ms: dict, status: dict) -> dict:
    """Median and p95 per kind of callback, overall and per callback; a call answered
    otherwise than 200/204, or not alike on and off, is left out (and listed)."""
    good = [i for i in range(len(calls)) if status[i]["on"] in (200, 204) and status[i]["on"] == status[i]["off"]]

    def rows(idx: list[int]) -> dict:
        out = {k: summary([x for i in idx for x in ms[k][i]]) for k in ("gate", "hooks", "scope", "on", "off")}
        diff = (round(out["on"]["median"] - out["off"]["median"], 3) if idx else None)
        return {"callbacks": len(idx), **{f"{k}_ms": v for k, v in out.items()}, "on_minus_off_median_ms": diff}

    groups: dict[str, list[int]] = {}
    for i in good:
        groups.setdefault(kinds[i], []).append(i)
    outputs = [json.loads(b).get("output", "")[:160] for b in calls]
    return {"kinds": {**{k: rows(v) for k, v in groups.items()}, "all": rows(good)},
            "per_callback": [{"output": outputs[i], "kind": kinds[i], "status": status[i]["on"], **rows([i])}
                             for i in good],
            "left_out": [{"output": outputs[i], "status": status[i]} for i in range(len(calls)) if i not in good]}


def gate_cost(db: str, bodies: list[str], repeat: int) -> dict:
    """Replay ``bodies`` through the real app, access on and off in turn (see the module's text)."""
    from access.pages import callback_modules
    from app import create_app
    dash_app = create_app(db)
    server = dash_app.server
    modules = callback_modules(dash_app)
    clock = HookClock()
    client, session = signed_in_client(server)
    restore = patch_request_scope(clock)
    original, on, off, names = hook_sets(server, clock, session)
    try:
        ms, status = replay(server, bodies, {"on": on, "off": off, "client": client}, clock, repeat)
    finally:
        use_hooks(server, original)
        for module, fn in restore:
            module.request_scope = fn
        server.extensions["townbrain_access"].store.close()
    kinds = [kind_of(json.loads(b).get("output", ""), modules) for b in bodies]
    return {**summarise(bodies, kinds, ms, status), "access_hooks": names, "rounds": repeat}


# ---- the whole run -----------------------------------------------------------------------------
def wall_results(path: Path = RESULTS / "ui.json") -> dict | None:
    """bench/ui's last wall numbers (measured signed in: access on), when it has run."""
    if not path.exists():
        return None
    res = json.loads(path.read_text())
    keys = ("cold_s", "warm_s", "module_switch_ms", "grid_click_ms", "first_render_mb", "server_rss_gib")
    return {"file": str(path.relative_to(ROOT)), "date": time.strftime("%Y-%m-%d", time.localtime(path.stat().st_mtime)),
            **{k: res.get(k) for k in keys}, "targets": {k: ui.TARGETS[k] for k in keys}}


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()  # SIGTERM: waitress finishes what it serves
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def in_the_browser(db: str, profile: str, repeat: int) -> tuple[list[str], dict]:
    """``townbrain serve`` on ``db`` and Chromium: the callback bodies the pages send, and
    the sign-in rounds."""
    port = ui.free_port()
    base = f"http://127.0.0.1:{port}"
    server = ui.start_server(db, port)
    driver = None
    try:
        driver = ui.browser(profile)
        driver.set_window_size(1920, 1080)
        ui.sign_in(driver, base)
        return record_bodies(driver, base), sign_in_rounds(driver, base, repeat)
    finally:
        if driver is not None:
            driver.quit()
        stop_server(server)


def run(db: str, repeat: int) -> dict:
    load_before = os.getloadavg()[0]
    work = tempfile.mkdtemp(prefix="townbrain-bench-access-")
    source = db
    try:
        if Path(db).is_file():  # the benchmark's account and audit records stay out of the town's store
            db = shutil.copy(db, str(Path(work) / Path(db).name))
        ui.bench_account(db)
        bodies, sign_in = in_the_browser(db, str(Path(work) / "profile"), repeat)
        gate = gate_cost(db, bodies, repeat)  # the server stopped: this process has the machine
    finally:
        shutil.rmtree(work, ignore_errors=True)
    overall = gate["kinds"]["all"]["gate_ms"]["median"]
    return {"db": source, "date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine(), "repeat": repeat,
            "recorded_pages": list(RECORDED_PAGES), "bodies": len(bodies),
            "gate": gate, "sign_in": sign_in, "wall": wall_results(), "targets": TARGETS,
            "gate_met": overall is not None and overall <= TARGETS["gate_ms"],
            "sign_in_met": sign_in["table_s"] <= TARGETS["sign_in_s"],
            "load_avg": [round(load_before, 2), round(os.getloadavg()[0], 2)], "cores": os.cpu_count()}


def _ms(s: dict) -> str:
    return "n/a" if s["median"] is None else f"{s['median']:.2f} / {s['p95']:.2f}"


def gate_table(g: dict) -> list[str]:
    out = [f"{'callbacks':<9}{'n':>4} {'gate ms':>15} {'hooks':>6} {'scope':>6} {'request on ms':>16} "
           f"{'request off ms':>16} {'on − off':>9}",
           f"{'':<13} {'median / p95':>15} {'median':>6} {'median':>6} {'median / p95':>16} {'median / p95':>16} "
           f"{'medians':>9}"]
    for kind, r in g["kinds"].items():
        diff = "n/a" if r["on_minus_off_median_ms"] is None else f"{r['on_minus_off_median_ms']:.2f}"
        out.append(f"{kind:<9}{r['callbacks']:>4} {_ms(r['gate_ms']):>15} {r['hooks_ms']['median'] or 0:>6.2f} "
                   f"{r['scope_ms']['median'] or 0:>6.2f} {_ms(r['on_ms']):>16} {_ms(r['off_ms']):>16} {diff:>9}")
    return out


def table(res: dict) -> str:
    g, s, w = res["gate"], res["sign_in"], res["wall"]
    gm = g["kinds"]["all"]["gate_ms"]["median"]
    out = [f"Access control ({res['date']}; {res['machine']}; load average {res['load_avg']})",
           f"The gate per callback: {res['bodies']} callback bodies from {', '.join(res['recorded_pages'])}, "
           f"{g['rounds']} rounds, access on and off in turn (gate = access's hooks + the scope's resolution)",
           *gate_table(g),
           f"the gate's cost per callback, median {gm:.2f} ms; target ≤ {TARGETS['gate_ms']:g} ms: "
           f"{'met' if res['gate_met'] else 'NOT met'}"]
    if g["left_out"]:
        out.append(f"  left out (not 200/204, or not the same on and off): {len(g['left_out'])}")
    out.append(f"Sign-in → the console's case table painted, warm: median {s['table_s']:.2f} s of "
               f"{len(s['table_all_s'])}, best {s['table_best_s']:.2f} s; target ≤ {TARGETS['sign_in_s']:g} s: "
               f"{'met' if res['sign_in_met'] else 'NOT met'}")
    if s["whole_s"] is not None:
        out.append(f"  … to the whole console drawn (lists, map, no callback in flight): median {s['whole_s']:.2f} s")
    if w:
        line = ", ".join(f"{k} {w[k]} (≤ {w['targets'][k]}: "
                         f"{'yes' if w[k] is not None and w[k] <= w['targets'][k] else 'NO'})" for k in w["targets"])
        out.append(f"The wall with access on is bench/ui's (it signs in first); its last results "
                   f"({w['file']}, {w['date']}): {line}")
    else:
        out.append("The wall with access on is bench/ui's (it signs in first): python -m bench.ui; not re-run here")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default=str(ROOT / "data" / "town.gpkg"))
    ap.add_argument("--repeat", type=int, default=10, help="rounds of the replay, on and off; sign-ins timed")
    ap.add_argument("--out", default=str(RESULTS / "access.json"))
    ap.add_argument("--timeout", type=float, default=ui.STEP_TIMEOUT, help="seconds any one step may take")
    args = ap.parse_args(argv)
    ui.STEP_TIMEOUT = args.timeout
    res, out = run(args.db, args.repeat), Path(args.out)
    print(table(res))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
