"""Staff of the demo town and the inspectors' patrols with their GPS tracks.

brief.md: inspectors (巡查员) patrol their grid; "one grid, two officers" on each
professional grid plus auxiliaries; community handlers (处置员) and dispatchers
(坐席员); "The 3-5-10 rule for grid inspectors: every day at least 3 patrols, at
least 5 hours patrolling, at least 10 problems found or handled."

Patrols are generated for the last :data:`PATROL_DAYS` days before the town's
``now`` only: a GPS track for every inspector-day since 2018 would be ~1.3 M tracks,
too much for a demo store, and the screens use the recent weeks. Each inspector
works six days a week; most inspector-days meet 3-5-10, weak inspectors and bad days
fall short on one of the three counts, so the compliance KPI is informative.

A track follows roads inside its grid: for every grid a long random walk runs over
the grid's roads clipped to the grid shrunk by 3 m plus a ring 15 m inside the grid
edge (the boundary roads, walked along their inner side), and each patrol is a
stretch of that walk as long as its duration times the inspector's speed. So a
track never leaves its grid.
"""
from __future__ import annotations


import numpy as np
import pandas as pd
import shapely

from geodata.demo.geography import Geography

PATROL_DAYS = 60
#: Share of inspector-days meeting 3-5-10: good inspectors and weak ones.
P_COMPLY_GOOD, P_COMPLY_WEAK, SHARE_WEAK = 0.88, 0.45, 0.18
WALK_KM = 90.0


def build_staff(rng, grids: pd.DataFrame, pro_grids: pd.DataFrame, grid_pop: np.ndarray,
                districts: pd.DataFrame) -> pd.DataFrame:
    """Inspectors for every grid (two in the most populous), two officers and one or two
    auxiliaries per professional grid, handlers, dispatchers and district grid heads."""
    rows = []
    extra = set(np.argsort(-grid_pop, kind="stable")[:14].tolist())
    k = 0
    for g, (gid, did) in enumerate(zip(grids.grid_id, grids.district_id)):
        for _ in range(2 if g in extra else 1):
            k += 1
            rows.append((f"INS{k:03d}", "inspector", gid, None, did))
    for d, did in enumerate(districts.district_id):
        rows.append((f"GH{d + 1:02d}", "grid_head", None, None, did))
        dgrids = grids.grid_id[grids.district_id == did].to_numpy()
        for h in range(int(np.ceil(len(dgrids) / 2))):
            rows.append((f"HDL{len([r for r in rows if r[1] == 'handler']) + 1:03d}", "handler",
                         dgrids[min(2 * h, len(dgrids) - 1)], None, did))
    for p in pro_grids.pro_grid_id:
        n_off = len([r for r in rows if r[1] == "officer"])
        rows += [(f"OFF{n_off + 1:03d}", "officer", None, p, None), (f"OFF{n_off + 2:03d}", "officer", None, p, None)]
        for _ in range(int(rng.integers(1, 3))):
            rows.append((f"AUX{len([r for r in rows if r[1] == 'auxiliary']) + 1:03d}", "auxiliary", None, p, None))
    rows += [(f"DSP{i:02d}", "dispatcher", None, None, None) for i in range(1, 13)]
    return pd.DataFrame(rows, columns=["staff_id", "role", "grid_id", "pro_grid_id", "district_id"])


def _grid_walk(rng, grid: shapely.Geometry, roads: np.ndarray) -> np.ndarray:
    """A long random walk (vertex array) over the grid's patrol network."""
    inner = shapely.buffer(grid, -3.0)
    pieces = list(shapely.get_parts(shapely.intersection(roads, inner)))
    ring = shapely.buffer(grid, -15.0)
    pieces += [shapely.LineString(p.exterior.coords) for p in shapely.get_parts(ring) if p.area > 2000]
    lines = [p for p in shapely.get_parts(shapely.union_all([p for p in pieces if not p.is_empty]))
             if p.geom_type == "LineString" and p.length > 0.5]
    key = {}
    ends = []
    for ln in lines:
        c = np.asarray(ln.coords)
        a = key.setdefault(tuple(np.round(c[0], 2)), len(key))
        b = key.setdefault(tuple(np.round(c[-1], 2)), len(key))
        ends.append((a, b))
    adj: list[list[tuple[int, bool]]] = [[] for _ in range(len(key))]
    for e, (a, b) in enumerate(ends):
        adj[a].append((e, True))
        adj[b].append((e, False))
    # Largest connected component by length.
    comp = -np.ones(len(key), dtype=int)
    lengths = np.array([ln.length for ln in lines])
    sizes = []
    for s in range(len(key)):
        if comp[s] >= 0:
            continue
        stack, comp[s], tot = [s], len(sizes), 0.0
        while stack:
            u = stack.pop()
            for e, fwd in adj[u]:
                v = ends[e][1] if fwd else ends[e][0]
                tot += lengths[e] / 2
                if comp[v] < 0:
                    comp[v] = comp[s]
                    stack.append(v)
        sizes.append(tot)
    big = int(np.argmax(sizes))
    starts = np.flatnonzero(comp == big)
    node = int(starts[rng.integers(len(starts))])
    e0, fwd0 = adj[node][0]
    c0 = np.asarray(lines[e0].coords)
    out, total, prev = [c0[:1] if fwd0 else c0[-1:]], 0.0, -1
    while total < WALK_KM * 1000:
        opts = [o for o in adj[node] if o[0] != prev] or adj[node]
        e, fwd = opts[int(rng.integers(len(opts)))]
        c = np.asarray(lines[e].coords)
        c = c if fwd else c[::-1]
        out.append(c[1:])
        total += lengths[e]
        prev = e
        node = ends[e][1] if fwd else ends[e][0]
    return np.vstack(out)


def _slice(walk, cum, s, length):
    """Vertices of the walk between arc lengths s and s + length."""
    i0, i1 = np.searchsorted(cum, [s, s + length])
    a = np.array([np.interp(s, cum, walk[:, 0]), np.interp(s, cum, walk[:, 1])])
    b = np.array([np.interp(s + length, cum, walk[:, 0]), np.interp(s + length, cum, walk[:, 1])])
    return np.vstack([a, walk[i0:i1], b])


def build_patrols(rng, geo: Geography, grids: pd.DataFrame, staff: pd.DataFrame,
                  grid_hot: np.ndarray, now: pd.Timestamp):
    """Patrols (local metres, naive local times) and the inspector-day plan.

    Returns ``patrols`` (patrol_id, staff_id, grid_id, started_at, ended_at, geometry)
    and ``reports``: one row per problem an inspector found on patrol (staff_id,
    grid_id, t, x, y), which :mod:`geodata.demo.cases` turns into cases.
    """
    roads = geo.roads.loc[geo.roads.road_class != "expressway", "geometry"].to_numpy()
    walks, cums = {}, {}
    for gid, geom in zip(grids.grid_id, grids.geometry):
        w = _grid_walk(rng, geom, roads)
        walks[gid] = w
        cums[gid] = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(w, axis=0).T))])
    hot = dict(zip(grids.grid_id, grid_hot))
    ins = staff[staff.role == "inspector"].reset_index(drop=True)
    sids, gids = ins.staff_id.to_numpy(), ins.grid_id.to_numpy()
    weak = rng.random(len(ins)) < SHARE_WEAK
    rest_dow = rng.integers(0, 7, len(ins))
    speed = rng.uniform(3.5, 7.0, len(ins))  # km/h: on foot and by e-bike
    now_s = int(pd.Timestamp(now).value // 10**9)  # naive local time as seconds
    last_day = (now - pd.Timedelta(seconds=1)).normalize()
    days = pd.date_range(last_day - pd.Timedelta(days=PATROL_DAYS - 1), last_day, freq="D")
    prow, rrow = [], []
    for day in days:
        day_s = int(day.value // 10**9)
        working = (rest_dow != day.day_of_week) & (rng.random(len(ins)) > 0.02)
        for i in np.flatnonzero(working):
            sid, gid = sids[i], gids[i]
            comply = rng.random() < (P_COMPLY_WEAK if weak[i] else P_COMPLY_GOOD)
            n_cases = 10 + int(rng.poisson(1.0 + 3.0 * hot[gid]))
            n_pat, hours = int(rng.choice([3, 4, 5], p=[0.45, 0.4, 0.15])), rng.uniform(5.1, 7.2)
            if not comply:  # fall short on one count of 3-5-10
                mode = rng.integers(3)
                if mode == 0:
                    n_pat, hours = 2, rng.uniform(3.5, 6.0)
                elif mode == 1:
                    n_pat, hours = 3, rng.uniform(3.0, 4.9)
                else:
                    n_cases = int(rng.integers(3, 10))
                if mode < 2 and rng.random() < 0.5:
                    n_cases = int(rng.integers(4, 14))
            durs = np.maximum(0.6, rng.dirichlet(np.full(n_pat, 5.0)) * hours) * 3600
            t = day_s + rng.uniform(465, 525) * 60
            spans = []
            for d in durs:
                start, end = t, t + d
                spans.append((start, end))
                t = end + rng.uniform(8, 25) * 60
                if start - day_s < 12 * 3600 and t - day_s >= 11 * 3600:  # lunch
                    t = max(t, day_s + 13 * 3600) + rng.uniform(0, 30) * 60
            done = [(a, b) for a, b in spans if b <= now_s]
            if not done:
                continue
            w, cum = walks[gid], cums[gid]
            first = len(prow)
            for start, end in done:
                length = min((end - start) / 3600 * speed[i] * 1000, cum[-1] * 0.9)
                s = rng.uniform(0, cum[-1] - length)
                prow.append((sid, gid, start, end, _slice(w, cum, s, length), s, length))
            dur = np.array([b - a for a, b in done])
            which = rng.choice(len(done), size=n_cases, p=dur / dur.sum())
            frac = rng.uniform(0.02, 0.98, n_cases)
            for k, f in zip(which, frac):
                _, _, start, end, _, s, length = prow[first + k]
                pos = s + f * length
                rrow.append((sid, gid, int(start + f * (end - start)),
                             np.interp(pos, cum, w[:, 0]), np.interp(pos, cum, w[:, 1])))
    patrols = pd.DataFrame(prow, columns=["staff_id", "grid_id", "started_at", "ended_at", "coords", "s", "len"])
    patrols = patrols.sort_values(["started_at", "staff_id"], kind="stable").reset_index(drop=True)
    jitter = [c + np.clip(rng.normal(0, 0.8, c.shape), -2.0, 2.0) for c in patrols.coords]
    patrols["geometry"] = shapely.linestrings(np.vstack(jitter), indices=np.repeat(np.arange(len(jitter)),
                                                                                   [len(c) for c in jitter]))
    patrols["started_at"] = pd.to_datetime(patrols.started_at.astype("int64"), unit="s")
    patrols["ended_at"] = pd.to_datetime(patrols.ended_at.astype("int64"), unit="s")
    patrols["patrol_id"] = [f"T{d:%Y%m%d}-{k:04d}" for k, d in
                            zip(patrols.groupby(patrols.started_at.dt.date).cumcount() + 1, patrols.started_at)]
    patrols["length_m"] = patrols["len"].round(1)
    reports = pd.DataFrame(rrow, columns=["staff_id", "grid_id", "t", "x", "y"])
    reports["t"] = pd.to_datetime(reports.t, unit="s")
    return patrols.drop(columns=["coords", "s", "len"]), reports
