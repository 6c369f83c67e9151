"""Screenshots of the wall (every module, Chinese and English) and the console.

Serves the app on a store (default: the demo town, ``data/town.gpkg``) on a free
local port, drives the system Chromium headless with a page of exactly
1920×1080 CSS px (as the browser tests do), and writes

    docs/screenshots/wall-<module>-<lang>.png   (8 modules × zh, en)
    docs/screenshots/wall-overview-<lang>.png
    docs/screenshots/console.png

and with ``--size 3840x2160`` (a 4K wall) or ``--size 5760x1080`` (three screens side
by side) the same names with ``-<size>`` before ``.png``.

Every page needs a signed-in session (access/, issue 16): the script creates the
benchmark's account through access/ (a duty officer of the whole town, who reaches the
wall and the console without a second factor; ``bench/ui.py``) and signs the browser in
through the real ``/login`` form first. A GeoPackage is copied to a temporary folder
first, as bench/ui does: the account and its audit records stay out of the town's own
store (``make run`` creates the first accounts only on a store with none).

Usage:  .venv/bin/python scripts/screenshots.py [--db data/town.gpkg] [--out docs/screenshots]
        [--only ecology,public] [--lang zh] [--size 3840x2160]
"""
from __future__ import annotations

import argparse
import shutil
import socket
import tempfile
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

from bench.ui import bench_account, sign_in
from callbacks import ids
from callbacks.i18n import MODULE_IDS

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# The wall's Leaflet map (assets/map.js) painted with its layers and not moving.
MAP_READY_JS = """
const st = window.TownMap && window.TownMap.state('%s');
return !!(st && st.drawn && !st.moving && st.layers.some(l => l.onMap));
""" % ids.WALL_MAP


#: The console's Leaflet map (assets/map.js) drawn, and its table filled.
CONSOLE_READY_JS = """
const st = window.TownMap && window.TownMap.state('%s');
return !!(st && st.drawn && st.layers.some(l => l.onMap)) && !!document.querySelector('#%s .case-link');
""" % (ids.CONSOLE_MAP, ids.CONSOLE_TABLE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(db: str, port: int) -> None:
    from waitress import serve as waitress_serve

    from app import create_app
    app = create_app(db)
    threading.Thread(target=waitress_serve, args=(app.server,),
                     kwargs={"host": "127.0.0.1", "port": port, "threads": 4, "_quiet": True},
                     daemon=True).start()


def browser(width: int = 1920, height: int = 1080) -> webdriver.Chrome:
    opts = Options()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--hide-scrollbars", "--force-device-scale-factor=1", f"--window-size={width},{height}",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_window_size(width, height)
    iw, ih, ow, oh = driver.execute_script(
        "return [window.innerWidth, window.innerHeight, window.outerWidth, window.outerHeight]")
    if (iw, ih) != (width, height):
        driver.set_window_size(width + ow - iw, height + oh - ih)
    return driver


def wait(driver, js: str, timeout: float = 60.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if driver.execute_script(js):
                return True
        except Exception:  # noqa: BLE001 - the page may be mid-navigation
            pass
        time.sleep(0.25)
    return False


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=str(ROOT / "data" / "town.gpkg"))
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    ap.add_argument("--only", default="", help="comma-separated module ids (default: all + overview)")
    ap.add_argument("--lang", default="zh,en")
    ap.add_argument("--no-console", action="store_true")
    ap.add_argument("--size", default="1920x1080", help="page size in CSS px, WIDTHxHEIGHT")
    args = ap.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    suffix = "" if (width, height) == (1920, 1080) else f"-{width}x{height}"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="townbrain-shots-")
    db = str(shutil.copy(args.db, Path(tmp) / Path(args.db).name)) if Path(args.db).is_file() else args.db
    bench_account(db)
    serve(db, port)
    base = f"http://127.0.0.1:{port}"
    modules = [m for m in args.only.split(",") if m] or ["overview", *MODULE_IDS]
    driver = browser(width, height)
    try:
        sign_in(driver, base)
        for lang in args.lang.split(","):
            for module in modules:
                query = [] if module == "overview" else [f"module={module}"]
                if lang != "zh":
                    query.append(f"lang={lang}")
                url = f"{base}/wall" + ("?" + "&".join(query) if query else "")
                t0 = time.monotonic()
                driver.get(url)
                ok = wait(driver, MAP_READY_JS)
                wait(driver, f"return document.getElementById('{ids.DATA_AS_OF}').textContent !== '—'", 20)
                time.sleep(1.5)  # let the heat map fade in and the charts settle
                path = out / f"wall-{module}-{lang}{suffix}.png"
                driver.save_screenshot(str(path))
                print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
                      f"map {'drawn' if ok else 'NOT drawn'} in {time.monotonic() - t0:.1f} s")
        if not args.no_console:
            driver.get(f"{base}/console")
            wait(driver, f"return !!document.getElementById('{ids.CONSOLE}')", 30)
            wait(driver, CONSOLE_READY_JS, 60)
            time.sleep(2)
            driver.save_screenshot(str(out / f"console{suffix}.png"))
            print(out / f"console{suffix}.png")
    finally:
        driver.quit()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
