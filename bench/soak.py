"""Soak benchmark: the server of ``make run`` (the live simulator on) with a wall
open in headless Chromium, rotating through the modules, for an hour; the server's
resident memory every minute.

Target (issue 15): growth after the warm-up ≤ 50 MB an hour, and never more than
1.5 GiB. Growth is the slope of a least-squares line through the samples after the
warm-up, in MB per hour, so one garbage-collection step neither hides nor fakes it.
The demo town is copied first: the simulator writes into the copy, never into
``data/town.gpkg``.

    .venv/bin/python -m bench.soak [--minutes 60] [--warmup 10] [--rotate 20]
        [--out bench/results/soak.json] [--plot docs/soak-rss.png]
"""
from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import tempfile
import time

import numpy as np

from bench.common import machine
from bench.ui import ROOT, bench_account, browser, free_port, rss_bytes, sign_in, start_server
from callbacks.ids import PAGE_NAME

RESULTS = pathlib.Path(__file__).parent / "results"
LIMIT_MB = 1.5 * 1024
GROWTH_LIMIT_MB_H = 50.0


def wall_state(driver) -> dict:
    """What the wall shows now: its title and active module tab (from the page, not the URL)."""
    return driver.execute_script(
        "var t = document.querySelector('#%s');"
        "var a = document.querySelector('.module-tab.is-active');"
        "return {title: t ? t.innerText.slice(0, 60) : null, tab: a ? a.id : null,"
        "        heap_mb: performance.memory ? performance.memory.usedJSHeapSize / 1048576 : null};" % PAGE_NAME)


def growth_mb_per_hour(minutes: np.ndarray, rss_mb: np.ndarray) -> float:
    """Slope of the least-squares line through (minute, MB), in MB an hour.

    >>> round(growth_mb_per_hour(np.arange(10.0), 100 + np.arange(10.0) / 6), 3)
    10.0
    """
    if len(minutes) < 2:
        return float("nan")
    return float(np.polyfit(minutes, rss_mb, 1)[0] * 60)


def run(minutes: int, warmup: int, rotate: int, db: str) -> dict:
    samples = []
    with tempfile.TemporaryDirectory(prefix="tb-soak-") as d:
        copy = pathlib.Path(d) / "town.gpkg"
        shutil.copy(db, copy)
        bench_account(str(copy))
        port = free_port()
        proc = start_server(str(copy), port, "--simulate")
        driver = browser(str(pathlib.Path(d) / "profile"))
        try:
            driver.set_window_size(1920, 1080)
            sign_in(driver, f"http://127.0.0.1:{port}")
            driver.get(f"http://127.0.0.1:{port}/wall?rotate={rotate}")
            t0 = time.monotonic()
            for minute in range(minutes + 1):
                while time.monotonic() - t0 < minute * 60:
                    time.sleep(1)
                if proc.poll() is not None:
                    raise SystemExit(f"the server exited at minute {minute}: "
                                     f"{proc.stderr.read().decode()[-2000:]}")
                state = wall_state(driver)
                samples.append({"minute": minute, "rss_mb": round(rss_bytes(proc.pid) / 2**20, 1), **state})
                print(f"{minute:4d} min  {samples[-1]['rss_mb']:8.1f} MB  {state.get('title')!s:.40}",
                      flush=True)
        finally:
            driver.quit()
            proc.terminate()
            proc.wait(30)
    m = np.array([s["minute"] for s in samples], float)
    r = np.array([s["rss_mb"] for s in samples], float)
    after = m >= warmup
    growth = growth_mb_per_hour(m[after], r[after])
    titles = [s["tab"] for s in samples if s["tab"]]
    return {"minutes": minutes, "warmup_minutes": warmup, "rotate_s": rotate,
            "rss_start_mb": r[0], "rss_after_warmup_mb": float(r[after][0]) if after.any() else None,
            "rss_end_mb": r[-1], "rss_max_mb": float(r.max()),
            "growth_after_warmup_mb_per_h": round(growth, 1),
            "limit_mb": LIMIT_MB, "growth_limit_mb_per_h": GROWTH_LIMIT_MB_H,
            "meets_target": bool(r.max() <= LIMIT_MB and growth <= GROWTH_LIMIT_MB_H),
            "distinct_modules_seen": len(set(titles)),
            "samples": samples, "machine": machine(), "date": time.strftime("%Y-%m-%d")}


def table(res: dict) -> str:
    return "\n".join([
        f"Soak: server with the simulator and a rotating wall ({res['rotate_s']} s a module), "
        f"{res['minutes']} min, warm-up {res['warmup_minutes']} min",
        f"{'RSS at start':32}{res['rss_start_mb']:>10.1f} MB",
        f"{'RSS after warm-up':32}{res['rss_after_warmup_mb'] or float('nan'):>10.1f} MB",
        f"{'RSS at end':32}{res['rss_end_mb']:>10.1f} MB",
        f"{'RSS max':32}{res['rss_max_mb']:>10.1f} MB   (limit {res['limit_mb']:.0f})",
        f"{'growth after warm-up':32}{res['growth_after_warmup_mb_per_h']:>10.1f} MB/h (limit "
        f"{res['growth_limit_mb_per_h']:.0f})",
        f"modules seen on screen: {res['distinct_modules_seen']}; "
        f"target {'met' if res['meets_target'] else 'NOT met'}",
    ])


def plot(res: dict, path: pathlib.Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    m = [s["minute"] for s in res["samples"]]
    r = [s["rss_mb"] for s in res["samples"]]
    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=120)
    ax.plot(m, r, marker=".", lw=1.2, label="server RSS")
    ax.axhline(res["limit_mb"], color="#c33", ls="--", lw=1, label=f"limit {res['limit_mb']:.0f} MB")
    ax.axvspan(0, res["warmup_minutes"], color="#999", alpha=0.15, label="warm-up")
    ax.set_xlabel("minutes")
    ax.set_ylabel("MB")
    ax.set_ylim(0, max(res["limit_mb"] * 1.1, max(r) * 1.1))
    ax.set_title(f"make run + rotating wall: growth after warm-up "
                 f"{res['growth_after_warmup_mb_per_h']:+.1f} MB/h ({res['date']})", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--rotate", type=int, default=20, help="seconds a module stays on the wall")
    ap.add_argument("--db", default=str(ROOT / "data" / "town.gpkg"))
    ap.add_argument("--out", type=pathlib.Path, default=RESULTS / "soak.json")
    ap.add_argument("--plot", type=pathlib.Path, default=ROOT / "docs" / "soak-rss.png")
    a = ap.parse_args(argv)
    res = run(a.minutes, a.warmup, a.rotate, a.db)
    print(table(res))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(res, indent=2) + "\n")
    plot(res, a.plot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
