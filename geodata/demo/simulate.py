"""The live simulator: new cases arrive and old ones close while the screen is up.

The demo needs a town that moves, and moves like itself: by default cases arrive at
the town's own pace for this hour of this weekday and close at the pace of its
history (:mod:`geodata.demo.pace`), so the open-case count and the disposal rate
stay where the history leaves them; ``rate`` (``townbrain simulate --rate``)
overrides the arrivals with a steady number of registered cases a second.

New cases copy the category, source and (jittered) place of a random case of the
last two weeks, so they follow the town's own hot spots and mix; an inspector case
is reported by an inspector of the grid it falls in. Besides the registered cases,
problems are fixed on the spot (即知即改: reported and closed at once, never
registered, as the patrols' in :mod:`geodata.demo.cases`), at the history's pace and
at least :data:`MIN_NEW_PER_HOUR` new cases an hour in all, so a wall shows
something arriving at night too without changing the open count or any rate.
Open cases move through the workflow (registered → dispatched → handled) and close
with the history's hazard for their age in time limits (GB/T 30428 steps, brief.md
"How a case flows"). Everything goes through :mod:`geodata.store`, so it works on
GeoPackage and PostGIS.
"""
from __future__ import annotations

import time
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.demo.pace import Pace, read_cases, read_pace
from geodata.schema import STORAGE_CRS

TZ = "Asia/Shanghai"
#: At most this many urgent cases (geodata.changes.is_urgent) a simulated hour, whatever
#: the case rate: each one interrupts the wall, which should happen a few times an
#: hour, not every minute (at --rate 1 the town's own ~2 % urgent mix is ~80 an hour).
URGENT_PER_HOUR = 3.0
#: A wall should see a new case about once a minute; at night, when the town itself is
#: quiet, the difference comes as problems fixed on the spot (they change no count).
MIN_NEW_PER_HOUR = 60.0
_CONTEXT: dict[str, dict] = {}
_JITTER_DEG = 0.0003  # ~30 m


def _context(store) -> dict:
    """Grids, inspectors and time limits, read once per store."""
    ctx = _CONTEXT.get(store.url)
    if ctx is None:
        grids = store.read("grids", columns=["grid_id", "district_id"])
        staff = store.read("staff")
        cats = store.read("categories", columns=["code", "time_limit_h"])
        ins = staff[staff.role == "inspector"]
        from grids.systems import TownGrids  # the one assignment, as for every other case
        ctx = {
            "grids": grids,
            "town": TownGrids.from_store(store),
            "inspectors": ins.groupby("grid_id").staff_id.apply(list).to_dict(),
            "handlers": staff[staff.role == "handler"].staff_id.to_numpy(dtype=object),
            "dispatchers": staff[staff.role == "dispatcher"].staff_id.to_numpy(dtype=object),
            "limit_h": dict(zip(cats.code, cats.time_limit_h.astype(float))),
        }
        _CONTEXT[store.url] = ctx
    return ctx


def _next_ids(store, now: pd.Timestamp, n: int) -> list[str]:
    day = now.normalize()
    today = store.read("cases", start=day, end=day + pd.Timedelta(days=1), columns=["case_id"])
    prefix = f"C{day:%Y%m%d}-"
    seq = today.case_id.astype(str)
    seq = seq[seq.str.startswith(prefix)].str[len(prefix):]
    start = int(pd.to_numeric(seq, errors="coerce").max()) if len(seq) else 0
    return [f"{prefix}{start + k:05d}" for k in range(1, n + 1)]


def simulate_step(store, rng: np.random.Generator, now=None, *, n_new: int | None = None,
                  step_seconds: float = 10.0) -> dict:
    """Advance the town by ``step_seconds`` up to ``now``: new cases reported just
    before ``now`` — ``n_new`` registered ones, or by default as many as the town's
    pace gives (:func:`arrivals`) — and open cases advanced or closed at the
    history's pace. Returns counts ``{"added", "spot", "closed", "advanced"}``
    (``added`` counts the registered cases and those fixed on the spot)."""
    now = pd.Timestamp.now(tz=TZ).floor("s") if now is None else pd.Timestamp(now)
    now = (now.tz_localize(TZ) if now.tzinfo is None else now.tz_convert(TZ)).floor("s")
    ctx = _context(store)
    pace = _pace(store, ctx, now)
    n, n_spot = arrivals(pace, rng, now, step_seconds) if n_new is None else (int(n_new), 0)
    added = _add_cases(store, rng, ctx, now, n, step_seconds, n_spot) if n + n_spot > 0 else 0
    closed, advanced = _advance_open(store, rng, ctx, pace, now, step_seconds)
    return {"added": added, "spot": n_spot, "closed": closed, "advanced": advanced, "now": now.isoformat()}


def arrivals(pace: Pace, rng: np.random.Generator, now: pd.Timestamp, step_seconds: float) -> tuple[int, int]:
    """(registered, fixed on the spot) new cases of one step: Poisson at the history's
    rates for this hour, the spot ones topped up to :data:`MIN_NEW_PER_HOUR` in all.

    >>> quiet = Pace(np.zeros((7, 24)), np.zeros((7, 24)), np.zeros(41))
    >>> arrivals(quiet, np.random.default_rng(1), pd.Timestamp("2026-11-04 03:00", tz=TZ), 3600)[0]
    0
    """
    reg, spot = pace.per_second(now)
    spot = max(spot, MIN_NEW_PER_HOUR / 3600 - reg)
    return int(rng.poisson(reg * step_seconds)), int(rng.poisson(spot * step_seconds))


def _pace(store, ctx, now) -> Pace:
    """The history's pace, read again once a day."""
    cached = ctx.get("pace")
    if cached is None or abs(now - cached[0]) >= pd.Timedelta(days=1):
        cached = ctx["pace"] = (now, read_pace(store, now))
    return cached[1]


def _templates(store, ctx, now) -> pd.DataFrame:
    """Registered cases of the two weeks before ``now`` (re-read every 10 minutes);
    the problems fixed on the spot among them are kept in ``ctx["spot"]``."""
    cached = ctx.get("templates")
    if cached is not None and abs(now - cached[0]) < pd.Timedelta(minutes=10):
        return cached[1]
    cols = ["category", "subcategory", "source"]
    recent = read_cases(store, cols + ["registered_at", "self_handled"], start=now - pd.Timedelta(days=14), end=now)
    spot = recent[recent.registered_at.isna() & recent.self_handled.fillna(False).astype(bool)]
    recent = recent[recent.registered_at.notna()].reset_index(drop=True)
    if len(recent) == 0:  # a store whose history ended long ago: any cases will do
        recent = store.read("cases", columns=cols, limit=5000)
    ctx["templates"] = (now, recent)
    ctx["spot"] = _not_urgent(spot, ctx).reset_index(drop=True) if len(spot) else recent.iloc[:0]
    return recent


def _not_urgent(frame, ctx) -> pd.DataFrame:
    """A problem fixed on the spot never calls for the wall's attention."""
    from geodata.changes import is_urgent
    urgent = is_urgent(pd.DataFrame({"category": frame.category.to_numpy(),
                                     "time_limit_h": frame.subcategory.map(ctx["limit_h"]).to_numpy()})).to_numpy()
    return frame[~urgent]


def _pick_templates(recent, rng, ctx, n, step_seconds) -> pd.DataFrame:
    """``n`` template cases from the recent mix, with the urgent ones thinned to at
    most :data:`URGENT_PER_HOUR` (binomial, so the cap holds at any ``n``)."""
    from geodata.changes import is_urgent
    cached = ctx.get("urgent")
    if cached is None or cached[0] is not recent:  # once per template refresh
        limit_h = recent.subcategory.map(ctx["limit_h"]).to_numpy()
        cached = ctx["urgent"] = (recent, is_urgent(pd.DataFrame({"category": recent.category.to_numpy(),
                                                                  "time_limit_h": limit_h})).to_numpy())
    urgent = cached[1]
    pools = [np.flatnonzero(urgent), np.flatnonzero(~urgent)]
    share = min(urgent.mean(), URGENT_PER_HOUR * step_seconds / 3600 / n)
    k = int(rng.binomial(n, share)) if len(pools[1]) else n  # all urgent: nothing else to draw
    rows = np.concatenate([rng.choice(pools[0], k), rng.choice(pools[1], n - k)]).astype(int)
    return recent.iloc[rng.permutation(rows)].reset_index(drop=True)


def _add_cases(store, rng, ctx, now, n, step_seconds=10.0, n_spot: int = 0) -> int:
    """``n`` registered cases and ``n_spot`` problems fixed on the spot, reported in the
    minute before ``now``."""
    recent = _templates(store, ctx, now)
    if len(recent) == 0:
        return 0
    spot_pool = ctx["spot"] if len(ctx["spot"]) else recent
    tpl = pd.concat([_pick_templates(recent, rng, ctx, n, step_seconds) if n else recent.iloc[:0],
                     spot_pool.iloc[rng.integers(0, len(spot_pool), n_spot)]], ignore_index=True)
    total = n + n_spot
    spot = np.arange(total) >= n
    pts = shapely.get_coordinates(tpl.geometry.to_numpy()) + rng.normal(0, _JITTER_DEG, (total, 2))
    geoms = shapely.points(pts)
    assigned = ctx["town"].assign_xy(pts[:, 0], pts[:, 1])  # district, grid, pro grid, H3 on arrival
    gids = assigned["grid_id"].to_numpy()
    nat = pd.Series(pd.NaT, index=range(total), dtype=f"datetime64[us, {TZ}]")
    reported = now - pd.to_timedelta(rng.integers(1, 60, total), unit="s")
    registered = reported + pd.to_timedelta(rng.integers(0, 30, total), unit="s")
    registered = registered.where(registered <= now, now).where(~spot, nat)
    limit_h = np.array([ctx["limit_h"].get(c, 24.0) for c in tpl.subcategory], dtype=float)
    reported_by = [(lambda lst: lst[int(rng.integers(len(lst)))] if lst else None)(ctx["inspectors"].get(g, []))
                   if s == "inspector" else None for g, s in zip(gids, tpl.source)]
    handlers = (ctx["handlers"][rng.integers(0, len(ctx["handlers"]), total)] if len(ctx["handlers"])
                else np.full(total, None, dtype=object))
    frame = pd.DataFrame({
        "case_id": _next_ids(store, now, total), "category": tpl.category.to_numpy(),
        "subcategory": tpl.subcategory.to_numpy(), "source": tpl.source.to_numpy(), "reported_by": reported_by,
        "reported_at": reported, "registered_at": registered,
        "deadline": registered + pd.to_timedelta(limit_h, unit="h"),
        # fixed on the spot: closed as soon as reported, in the grid, never registered
        "closed_at": nat.where(~spot, now),
        "status": np.where(spot, "closed", "registered"), "resolved_level": np.where(spot, "grid", None),
        "enforcement": False, "time_limit_h": limit_h,
        "dispatched_at": nat, "dispatched_by": None,
        "handled_by": np.where(spot, None, handlers),
        "rework_count": 0, "extended": False, "self_handled": spot,
        **{c: assigned[c].to_numpy() for c in assigned.columns},
    })
    return store.append("cases", gpd.GeoDataFrame(frame, geometry=geoms, crs=STORAGE_CRS))


def _advance_open(store, rng, ctx, pace: Pace, now, step_seconds) -> tuple[int, int]:
    cols = ["case_id", "registered_at", "deadline", "status", "time_limit_h", "dispatched_at"]
    open_ = store.read("cases", where={"closed_at": None}, columns=cols)
    open_ = open_[open_.registered_at.notna() & (open_.status != "rejected")]
    if len(open_) == 0:
        return 0, 0
    limit_s = (open_.time_limit_h.astype(float).fillna(24.0) * 3600).to_numpy()
    age = (now - open_.registered_at).dt.total_seconds().to_numpy()
    frac = age / np.maximum(limit_s, 1)
    # The history's hazard for the case's age in time limits (geodata/demo/pace.py).
    p = pace.close_probability(frac, step_seconds / np.maximum(limit_s, 1))
    close = rng.random(len(open_)) < p
    new_status = np.select([frac < 0.1, frac < 0.3, frac < 0.8], ["registered", "dispatched", "handled"], "feedback")
    new_status = np.where(open_.status.to_numpy() == "rework", "rework", new_status)
    new_status = np.where(close, np.where(rng.random(len(open_)) < 0.5, "closed", "evaluated"), new_status)
    changed = close | (new_status != open_.status.to_numpy())
    if not changed.any():
        return 0, 0
    upd = open_.loc[changed, ["case_id"]].copy()
    upd["status"] = new_status[changed]
    upd["closed_at"] = pd.Series(pd.NaT, index=upd.index, dtype=f"datetime64[us, {TZ}]")
    upd.loc[close[changed], "closed_at"] = now
    levels = np.array(["grid", "village", "town", "district"], dtype=object)
    upd["resolved_level"] = np.where(close[changed], levels[rng.choice(4, int(changed.sum()),
                                                                     p=[0.78, 0.14, 0.07, 0.01])], None)
    disp = open_.dispatched_at[changed]
    upd["dispatched_at"] = disp.where(disp.notna() | (upd.status == "registered"), now)
    upd["dispatched_by"] = np.where(disp.isna() & (upd.status != "registered"),
                                    ctx["dispatchers"][rng.integers(0, len(ctx["dispatchers"]), len(upd))]
                                    if len(ctx["dispatchers"]) else None, None)
    upd = upd.drop(columns=[c for c in ("dispatched_by",) if upd[c].isna().all()])
    store.update_columns("cases", upd)
    return int(close.sum()), int((changed & ~close).sum())


def run_simulator(store, rate: float | None = None, seconds: float | None = None,
                  echo: Callable[[str], None] | None = None, tick: float = 5.0, seed: int | None = None,
                  clock: Callable[[], pd.Timestamp] | None = None,
                  sleep: Callable[[float], None] = time.sleep) -> None:
    """Call :func:`simulate_step` every ``tick`` seconds until ``seconds`` have passed
    (forever when None). New cases come at the town's own pace, or ``rate``
    registered cases per second on average when given. ``clock`` (the current
    time, tz-aware) and ``sleep`` are the wall clock's unless a test brings its own."""
    rng = np.random.default_rng(seed)
    clock = clock or (lambda: pd.Timestamp.now(tz=TZ))
    t0 = clock()
    while seconds is None or (clock() - t0).total_seconds() < seconds:
        step_t = clock()
        n_new = None if rate is None else int(rng.poisson(rate * tick))
        out = simulate_step(store, rng, step_t, n_new=n_new, step_seconds=tick)
        if echo:
            echo(f"{out['now']}: +{out['added']} cases ({out['spot']} fixed on the spot), "
                 f"{out['closed']} closed, {out['advanced']} advanced")
        sleep(max(0.0, tick - (clock() - step_t).total_seconds()))
