"""The duty console (``/console``) in headless Chromium on the demo town: every
interaction a duty officer makes, timed in the page (issue 15, "Console speed":
≤ 300 ms each from the input to the screen updated).

Run by ``python -m bench.ui`` (its console rows) or alone with
``python -m bench.ui --only console``. Each interaction starts from a fresh
``/console`` (untimed) and is timed as the wall's are (``bench/ui.py``): from the
trusted mouse press (or the Enter key of a search) reaching the page to the first
frame painted once the screen shows the answer — the URL holds the new state, the
figures it changes have changed, no console callback is in flight and the map, when
it is a Leaflet map, is drawn. Median of ``repeat``.

===================  ==========================================================
interaction          the screen updated when
===================  ==========================================================
load, cold / warm    navigation → the table, the lists and the map drawn
filter change        a period picked in its list → the URL's ``period``, a new total
status filter        a status picked → the URL's ``status``, a new total
overdue only         its box ticked → ``overdue=1``, a new total
next page            "next" → page 2 shown
last page            "last" → the last page shown
open a case          a case id in the table → its detail and timeline
search (grid name)   a grid's name typed, Enter → a new total
grid click (map)     a grid on the map → a new total, the grid filter naming it
===================  ==========================================================
"""
from __future__ import annotations

import statistics
import time
import urllib.parse

from bench import ui

CONSOLE_TARGET_MS = 300
CONSOLE_MAP = "console-map"

#: The console's own callbacks in flight (the clock and a wall's live feed excluded).
PENDING_JS = ui.PENDING_JS
NOT_PENDING = "return (function(){%s})() === 0;" % PENDING_JS
#: The map drawn: a Leaflet map (assets/map.js) reports it; plotly's map has no such flag.
MAP_DRAWN = ("const st = window.TownMap && window.TownMap.state('%s');"
             "return st ? !!st.drawn : !!document.querySelector('#%s .js-plotly-plot, #%s canvas');"
             % (CONSOLE_MAP, CONSOLE_MAP, CONSOLE_MAP))
LOADED_JS = ("return !!document.querySelector('#console-table table .case-link')"
             " && !!document.querySelector('#console-grid-ranking .panel-title')"
             " && !!document.querySelector('#console-overdue-list .panel-title')"
             " && (function(){%s})() && (function(){%s})();" % (MAP_DRAWN, NOT_PENDING))
TEXT_JS = "const e = document.querySelector(%r); return e ? e.textContent : null;"
# a press of Enter in the page (the search box answers on Enter or on blur)
KEY_HOOK_JS = """
if (!window.__tbKeyHooked) {
    window.__tbKeyHooked = true;
    document.addEventListener('keydown', e => { if (e.isTrusted && e.key === 'Enter') window.__tbInputAt = performance.now(); }, true);
}
"""
# Page pixel inside a grid on the console map: Leaflet's own (assets/map.js), or the
# middle of a plotly map (the town is round: its middle is a grid).
MAP_POINT_JS = """
const tm = window.TownMap && window.TownMap.gridPoint && window.TownMap.gridPoint('%s');
if (tm) return tm;
const el = document.querySelector('#%s .js-plotly-plot') || document.getElementById('%s');
const r = el.getBoundingClientRect();
return [r.left + r.width / 2, r.top + r.height / 2, null];
""" % (CONSOLE_MAP, CONSOLE_MAP, CONSOLE_MAP)


def _text(driver, selector: str):
    return driver.execute_script(TEXT_JS % selector)


def _changed(selector: str, before) -> str:
    """JS: the text of ``selector`` is no longer ``before``."""
    return "const e = document.querySelector(%r); return !!e && e.textContent !== %r;" % (selector, before or "")


def _url_has(part: str) -> str:
    return "return decodeURIComponent(location.search).includes(%r);" % part


def load_console(driver, url: str) -> float:
    driver.get("about:blank")
    t0 = time.perf_counter()
    driver.get(url)
    ui.wait(driver, LOADED_JS)
    return time.perf_counter() - t0


def _timed_click(driver, element, *ready: str) -> float:
    driver.execute_script(ui.INPUT_HOOK_JS)
    element.click()
    return ui.until_painted(driver, *ready, NOT_PENDING, MAP_DRAWN)


def pick_option(driver, control_id: str, label_part: str, *ready_of) -> float:
    """Open the dropdown ``control_id`` (untimed) and time a press on the option whose
    text contains ``label_part``."""
    driver.find_element("id", control_id).click()
    ui.wait(driver, "return document.querySelectorAll('.dash-dropdown-option').length > 0;")
    options = driver.find_elements("css selector", ".dash-dropdown-option")
    option = next(o for o in options if label_part in o.text)
    before = _text(driver, "#console-total")
    ready = [r(before) for r in ready_of]
    return _timed_click(driver, option, *ready)


def measure(driver, base: str, repeat: int) -> dict:
    """Each interaction ``repeat`` times from a fresh console: {name: [seconds]}."""
    out: dict[str, list[float]] = {k: [] for k in (
        "filter_period", "filter_status", "overdue_only", "next_page", "last_page", "open_case",
        "search_grid", "grid_click")}
    for _ in range(repeat):
        load_console(driver, base)
        out["filter_period"].append(pick_option(
            driver, "console-period", "30", lambda b: _url_has("period=30d"), lambda b: _changed("#console-total", b)))

        load_console(driver, base)
        out["filter_status"].append(pick_option(
            driver, "console-status", "派遣", lambda b: _url_has("status="), lambda b: _changed("#console-total", b)))

        load_console(driver, base)
        before = _text(driver, "#console-total")
        box = driver.find_element("css selector", "#console-overdue input")
        out["overdue_only"].append(_timed_click(driver, box, _url_has("overdue=1"),
                                                _changed("#console-total", before)))

        load_console(driver, base)
        before = _text(driver, "#console-page-info")
        out["next_page"].append(_timed_click(driver, driver.find_element("id", "console-page-next"),
                                             _url_has("page=2"), _changed("#console-page-info", before)))
        ui.settle(driver)
        before = _text(driver, "#console-page-info")
        out["last_page"].append(_timed_click(driver, driver.find_element("id", "console-page-last"),
                                             _changed("#console-page-info", before)))

        load_console(driver, base)
        link = driver.find_elements("css selector", "#console-table .case-link")[3]
        case_id = link.text
        out["open_case"].append(_timed_click(
            driver, link, _url_has("case=" + case_id),
            "const e = document.querySelector('#console-detail .detail-id'); return !!e && e.textContent === %r"
            " && !!document.querySelector('#console-timeline');" % case_id))

        load_console(driver, base)
        name = driver.execute_script("return document.querySelector('#console-table tbody tr td:nth-child(5)')"
                                     ".textContent")
        box = driver.find_element("id", "console-search")
        box.send_keys(name)
        before = _text(driver, "#console-total")
        driver.execute_script(ui.INPUT_HOOK_JS + KEY_HOOK_JS)
        box.send_keys("\n")
        ms = driver.execute_async_script(
            ui.UNTIL_PAINTED_JS, "return (function(){%s})() && (function(){%s})() && (function(){%s})();"
            % (_url_has("q=" + name), _changed("#console-total", before), NOT_PENDING), ui.STEP_TIMEOUT)
        if ms is None:
            raise TimeoutError("search")
        out["search_grid"].append(ms / 1000)

        load_console(driver, base)
        try:
            t = grid_click(driver)
        except TimeoutError:  # recorded as missing, the other rows still count
            t = None
        if t is not None:
            out["grid_click"].append(t)
    return out


def grid_click(driver) -> float | None:
    """A click on a grid of the console map → a new total, and (once the map click
    sets the filter) the grid filter naming a grid."""
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    pt = driver.execute_script(MAP_POINT_JS)
    if not pt:
        return None
    before = _text(driver, "#console-total")
    move = ActionBuilder(driver, duration=0)
    move.pointer_action.move_to_location(int(pt[0]), int(pt[1]))
    move.perform()
    time.sleep(0.3)  # untimed: plotly's map answers a click on the trace it hovers
    driver.execute_script(ui.INPUT_HOOK_JS)
    click = ActionBuilder(driver, duration=0)
    click.pointer_action.click()
    click.perform()
    return ui.until_painted(driver, _url_has("grid="), _changed("#console-total", before), NOT_PENDING, MAP_DRAWN)


ROWS = (("load_cold_s", "navigation → console drawn, cold", "s"),
        ("load_warm_s", "navigation → console drawn, warm (median)", "s"),
        ("filter_period_ms", "period picked → table updated", "ms"),
        ("filter_status_ms", "status picked → table updated", "ms"),
        ("overdue_only_ms", "\"overdue only\" ticked → table updated", "ms"),
        ("next_page_ms", "next page → shown", "ms"),
        ("last_page_ms", "last page → shown", "ms"),
        ("open_case_ms", "case id clicked → detail and timeline", "ms"),
        ("search_grid_ms", "search by grid name, Enter → table updated", "ms"),
        ("grid_click_ms", "grid clicked on the map → table filtered", "ms"))


def run_console(url: str, driver, repeat: int) -> dict:
    """The console rows, on a server and browser ``bench/ui.py`` started."""
    base = urllib.parse.urljoin(url, "/console")
    cold = load_console(driver, base)
    warm = [load_console(driver, base) for _ in range(repeat)]
    got = measure(driver, base, repeat)
    res = {"load_cold_s": round(cold, 3), "load_warm_s": round(statistics.median(warm), 3)}
    for k, v in got.items():
        res[f"{k}_ms"] = round(1000 * statistics.median(v), 1) if v else None
        res[f"{k}_all_ms"] = [round(1000 * x, 1) for x in v]
    res["target_ms"] = CONSOLE_TARGET_MS
    return res


def table(res: dict, before: dict | None = None) -> str:
    """The console rows; with ``before`` (an earlier run's JSON) side by side."""
    head = f"{'console':<46} {'now':>10}" + (f" {'before':>10}" if before else "") + f" {'target':>10}  ok"
    out = [head]
    for key, name, unit in ROWS:
        v = res.get(key)
        fmt = (lambda x: "n/a" if x is None else (f"{x:.2f} s" if unit == "s" else f"{x:,.0f} ms"))
        target = "" if unit == "s" else f"≤ {CONSOLE_TARGET_MS} ms"
        ok = "" if unit == "s" or v is None else ("yes" if v <= CONSOLE_TARGET_MS else "NO")
        line = f"{name:<46} {fmt(v):>10}"
        if before:
            line += f" {fmt(before.get(key)):>10}"
        out.append(f"{line} {target:>10}  {ok}")
    return "\n".join(out)
