"""Cases of the demo town from 2018-01-01 to ``now``, calibrated to the 2018 figures.

brief.md ("2018 results"): "36,715 matters accepted, 36,205 disposed — disposal rate
98.6%; 32,327 reported by inspectors — 88.04%; 261 patrol leads went into formal law
enforcement". With the contract's KPI definitions for the period [2018-01-01,
2019-01-01) Asia/Shanghai (accepted = registered_at in the period; disposed =
accepted and closed_at before 2019-01-01 00:00), these four numbers are constructed
exactly, not hoped for:

* accepted — the 36,715 registration times of 2018 are drawn day by day from a
  multinomial; each report time is its registration time minus a short delay (never
  before 2018-01-01), and no later report can register in 2018;
* inspector — exactly 32,327 of them get the source ``inspector``;
* disposed — closing times follow each category's time limit; then the smallest
  set of late-December cases is moved across New Year (or back) so that exactly
  36,715 − 36,205 = 510 close in 2019;
* enforcement — exactly 261, drawn among categories that lead to enforcement.

Other years follow the same model with Poisson volumes (:mod:`geodata.demo.rhythm`).
In the patrol window (:mod:`geodata.demo.staff_patrols`) the inspectors' cases come
from their patrols instead: each problem found on patrol is a case reported by that
inspector at that time and place; about one in eight is registered (立案) and goes
through the workflow, the rest are small matters fixed on the spot (即知即改) —
recorded, closed at once, never registered (``self_handled``), so they count for the
3-5-10 rule ("10 problems found or handled") but not as accepted cases.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from geodata.demo import rhythm
from geodata.demo.categories import minor_table
from geodata.demo.coords import polygon_index
from geodata.demo.places import PlaceSampler

START = np.datetime64("2018-01-01T00:00:00", "s")
END_2018 = np.datetime64("2019-01-01T00:00:00", "s")
ACCEPTED_2018, DISPOSED_2018, INSPECTOR_2018, ENFORCEMENT_2018 = 36_715, 36_205, 32_327, 261
_S = np.timedelta64(1, "s")
_NAT = np.datetime64("NaT", "s")
#: Chance a case closes within its time limit, by difficulty (0 grid … 2 town).
P_ON_TIME = np.array([0.965, 0.93, 0.86])
#: Resolution level probabilities (grid, village, town, district) by difficulty:
#: "small matters stay in the grid, big matters stay in the village, hard matters
#: stay in the town" (brief.md).
LEVEL_P = np.array([[0.86, 0.11, 0.03, 0.0], [0.52, 0.31, 0.15, 0.02], [0.18, 0.34, 0.38, 0.10]])
LEVELS = np.array(["grid", "village", "town", "district"], dtype=object)


def _delay_s(rng, src: np.ndarray) -> np.ndarray:
    """Seconds from report to registration, by source."""
    med = np.array([600, 2400, 1800, 240, 5400])[src]
    return np.maximum(30, (med * rng.lognormal(0, 0.7, len(src)))).astype(np.int64)


def _arrivals(rng, now: np.datetime64, window_start: np.datetime64):
    """Base reports: (reported, registered, source index, is_2018_accepted)."""
    last_day = (now - _S).astype("datetime64[D]")
    days = np.arange(np.datetime64("2018-01-01"), last_day + 1)
    parts = []
    for year in range(2018, int(str(last_day)[:4]) + 1):
        full = np.arange(np.datetime64(f"{year}-01-01"), np.datetime64(f"{year + 1}-01-01"))
        w = rhythm.day_weights(full)
        w = w / w.sum()
        sp = rhythm.source_probs(year)
        in_range = full <= last_day
        if year == 2018:
            n = rng.multinomial(ACCEPTED_2018, w)
            src = np.concatenate([np.zeros(INSPECTOR_2018, int),
                                  1 + rng.choice(4, ACCEPTED_2018 - INSPECTOR_2018, p=sp[1:] / sp[1:].sum())])
            src = rng.permutation(src)
            day = np.repeat(full, n)
            reg = day.astype("datetime64[s]") + rhythm.seconds_of_day(rng, src) * _S
            rep = np.maximum(reg - _delay_s(rng, src) * _S, START)
            parts.append((rep, reg, src, np.ones(len(src), bool)))
            n_rej = rng.poisson(w * ACCEPTED_2018 * rhythm.REJECTED_SHARE)
            src = rng.choice(5, n_rej.sum(), p=[0.3, 0.45, 0.2, 0.0, 0.05])
            rep = np.repeat(full, n_rej).astype("datetime64[s]") + rhythm.seconds_of_day(rng, src) * _S
            parts.append((rep, np.full(len(rep), _NAT), src, np.zeros(len(src), bool)))
            continue
        n = rng.poisson(w[in_range] * rhythm.year_total(year))
        src = rng.choice(5, n.sum(), p=sp)
        day = np.repeat(full[in_range], n)
        rep = day.astype("datetime64[s]") + rhythm.seconds_of_day(rng, src) * _S
        reg = rep + _delay_s(rng, src) * _S
        rej = rng.random(len(src)) < rhythm.REJECTED_SHARE
        reg[rej] = _NAT
        keep = ~((src == 0) & (day >= window_start))  # the window's inspector cases come from patrols
        parts.append((rep[keep], reg[keep], src[keep], np.zeros(int(keep.sum()), bool)))
    rep, reg, src, acc18 = (np.concatenate(x) for x in zip(*parts))
    rej = np.isnat(reg)
    return rep, reg, src, acc18, rej, days


def _expected_inspector_registered(window_start, now) -> float:
    total = 0.0
    last_day = (now - _S).astype("datetime64[D]")
    for year in range(int(str(window_start)[:4]), int(str(last_day)[:4]) + 1):
        full = np.arange(np.datetime64(f"{year}-01-01"), np.datetime64(f"{year + 1}-01-01"))
        w = rhythm.day_weights(full)
        m = (full >= window_start) & (full <= last_day)
        total += rhythm.year_total(year) * rhythm.source_probs(year)[0] * w[m].sum() / w.sum()
    return total


def _pick_minor(rng, minors: pd.DataFrame, months: np.ndarray, mode: np.ndarray) -> np.ndarray:
    """Minor class index per case; mode 0 ordinary, 1 IoT, 2 department, 3 fixed on the spot."""
    base = minors.weight.to_numpy(dtype=float)
    fam = minors.major.to_numpy()
    code = minors.code.to_numpy()
    out = np.empty(len(months), dtype=int)
    for (mi, md), idx in pd.Series(np.arange(len(months))).groupby([months, mode]).groups.items():
        y, m = 1970 + mi // 12, mi % 12 + 1
        w = base.copy()
        w[code == "epidemic/mosquito_breeding"] *= 3.0 if 6 <= m <= 9 else (0.3 if m in (12, 1, 2) else 1.0)
        w[code == "emergencies/flooding"] *= 4.0 if m in (6, 7) else (2.0 if m in (8, 9) else 0.5)
        w[code == "eco_environment/open_burning"] *= 3.0 if m in (6, 10, 11) else 0.6
        w[code == "fire_safety/ebike_charging"] *= 1.5 if m in (11, 12, 1, 2) else 1.0
        covid = (y == 2020 and m >= 2) or y == 2021 or y == 2022 or (y == 2020 and m == 1)
        w[code == "epidemic/health_check"] *= 12.0 if covid else 0.3
        if md == 1:
            w = w * minors.iot.to_numpy()
        elif md == 2:
            w = w * np.where(np.isin(fam, ["work_safety", "eco_environment", "labour", "market_supervision"]), 3.0,
                             np.where(fam == "livelihood", 2.0, 0.4))
        elif md == 3:
            w = w * minors.quick.to_numpy()
        out[idx.to_numpy()] = rng.choice(len(base), size=len(idx), p=w / w.sum())
    return out


def build_cases(rng: np.random.Generator, geo, buildings, enterprises, grids: pd.DataFrame,
                staff: pd.DataFrame, reports: pd.DataFrame, now: np.datetime64,
                window_start: np.datetime64) -> pd.DataFrame:
    """All cases, with local-metre coordinates ``x``, ``y`` and naive local times."""
    minors = minor_table()
    rep, reg, src, acc18, rej, _ = _arrivals(rng, now, window_start)
    n_base = len(rep)
    # The window's inspector reports, from patrols.
    r_t = reports.t.to_numpy().astype("datetime64[s]")
    p_reg = min(1.0, _expected_inspector_registered(window_start, now) / max(len(reports), 1))
    r_reg = rng.random(len(reports)) < p_reg
    r_regtime = np.where(r_reg, r_t + _delay_s(rng, np.zeros(len(r_t), int)) * _S, _NAT)
    rep = np.concatenate([rep, r_t])
    reg = np.concatenate([reg, r_regtime])
    src = np.concatenate([src, np.zeros(len(r_t), int)])
    acc18 = np.concatenate([acc18, np.zeros(len(r_t), bool)])
    rej = np.concatenate([rej, np.zeros(len(r_t), bool)])
    self_handled = np.concatenate([np.zeros(n_base, bool), ~r_reg])
    n = len(rep)
    # Categories and places.
    months = rep.astype("datetime64[M]").astype(int)
    mode = np.select([self_handled, src == 3, src == 4], [3, 1, 2], 0)
    mi = _pick_minor(rng, minors, months, mode)
    xy = np.empty((n, 2))
    xy[:n_base] = PlaceSampler(rng, geo, buildings, enterprises).sample_many(minors.place.to_numpy()[mi[:n_base]])
    xy[n_base:] = reports[["x", "y"]].to_numpy()
    # Who: the inspector of the grid a case lies in (patrol cases know theirs).
    gi = polygon_index(grids.geometry.to_numpy(), xy[:, 0], xy[:, 1])
    ins = staff[staff.role == "inspector"]
    by_grid = ins.groupby("grid_id").staff_id.apply(list).reindex(grids.grid_id).to_list()
    counts = np.array([len(v) for v in by_grid])
    pick = (rng.random(n) * counts[gi]).astype(int)
    flat = np.array([s for v in by_grid for s in v], dtype=object)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    reported_by = np.where(src == 0, flat[start[gi] + pick], None)
    reported_by[n_base:] = reports.staff_id.to_numpy()
    district = grids.district_id.to_numpy()[gi]
    handlers = staff[staff.role == "handler"].groupby("district_id").staff_id.apply(np.array)
    handled_by = np.empty(n, dtype=object)
    for d, hs in handlers.items():
        m = district == d
        handled_by[m] = hs[rng.integers(0, len(hs), int(m.sum()))]
    dispatchers = staff.staff_id[staff.role == "dispatcher"].to_numpy()
    # Workflow: time limits, deadlines, closing.
    limit_h = minors.time_limit_h.to_numpy()[mi].astype(float)
    hard = minors.hard.to_numpy()[mi]
    limit_s = (limit_h * 3600).astype(np.int64)
    on_time = rng.random(n) < P_ON_TIME[hard]
    dur = np.where(on_time, np.maximum(480, limit_s * rng.beta(2.0, 3.5, n)),
                   limit_s * (1 + rng.exponential(0.6, n))).astype(np.int64)
    extended = (~on_time) & (hard >= 1) & (rng.random(n) < 0.3)
    rework = (rng.random(n) < 0.035).astype(int)
    dur = dur + (rework * limit_s * rng.uniform(0.2, 0.6, n)).astype(np.int64)
    deadline = reg + (limit_s * (1 + extended)) * _S
    closed = reg + dur * _S
    stuck = (reg >= np.datetime64("2025-01-01T00:00:00")) & (hard == 2) & (rng.random(n) < 0.012)
    closed[stuck] = _NAT
    _calibrate_2018_disposal(rng, reg, closed, acc18)
    # Fixed on the spot: closed minutes after the report, never registered.
    closed[self_handled] = rep[self_handled] + rng.integers(180, 1500, int(self_handled.sum())) * _S
    # Nothing after now.
    keep = rep < now
    reg[reg >= now] = _NAT
    closed[~(closed < now)] = _NAT
    deadline[np.isnat(reg)] = _NAT
    enforcement = _enforcement(rng, minors.enforce.to_numpy()[mi], acc18, ~np.isnat(reg))
    dispatched = reg + rng.integers(60, 1800, n) * _S
    dispatched[~(dispatched < now)] = _NAT
    level = LEVELS[(rng.random(n)[:, None] > np.cumsum(LEVEL_P[hard], axis=1)).sum(axis=1).clip(0, 3)]
    level = np.where(enforcement & (rng.random(n) < 0.8), "town", level)
    level = np.where(self_handled, "grid", level)
    level = np.where(np.isnat(closed), None, level)
    status = _status(rng, now, reg, closed, rej, rework, limit_s, self_handled)
    df = pd.DataFrame({
        "category": minors.major.to_numpy()[mi], "subcategory": minors.code.to_numpy()[mi],
        "source": np.array(rhythm.SOURCES, dtype=object)[src], "reported_by": reported_by,
        "reported_at": rep, "registered_at": reg, "deadline": deadline, "closed_at": closed,
        "status": status, "resolved_level": level, "enforcement": enforcement,
        "time_limit_h": limit_h, "dispatched_at": dispatched,
        "dispatched_by": np.where(np.isnat(dispatched), None, dispatchers[rng.integers(0, len(dispatchers), n)]),
        "handled_by": np.where(np.isnat(reg), None, handled_by), "rework_count": rework,
        "extended": extended & ~np.isnat(reg), "self_handled": self_handled,
        "x": xy[:, 0], "y": xy[:, 1], "tiebreak": rng.random(n),
    })[keep]
    df = df.sort_values(["reported_at", "tiebreak"], kind="stable").reset_index(drop=True)
    day = df.reported_at.dt.strftime("%Y%m%d")
    df["case_id"] = "C" + day + "-" + (df.groupby(day).cumcount() + 1).map("{:05d}".format)
    return df.drop(columns="tiebreak")


def _calibrate_2018_disposal(rng, reg, closed, acc18):
    """Move the fewest late-2018 closings across New Year so exactly 510 fall in 2019."""
    target_open = ACCEPTED_2018 - DISPOSED_2018
    acc = np.flatnonzero(acc18)
    late = acc[~(closed[acc] < END_2018)]
    if len(late) > target_open:
        room = (END_2018 - reg[late]).astype(np.int64)
        movable = late[room > 600]
        move = rng.choice(movable, len(late) - target_open, replace=False)
        room = (END_2018 - reg[move]).astype(np.int64)
        closed[move] = reg[move] + (room * rng.uniform(0.2, 0.95, len(move))).astype(np.int64) * _S
    elif len(late) < target_open:
        cand = acc[(closed[acc] < END_2018) & (reg[acc] >= np.datetime64("2018-12-01T00:00:00"))]
        move = rng.choice(cand, target_open - len(late), replace=False)
        closed[move] = END_2018 + rng.exponential(6 * 86400, len(move)).astype(np.int64) * _S + _S


def _enforcement(rng, p_enf, acc18, accepted) -> np.ndarray:
    """Exactly 261 enforcement cases among 2018's accepted ones; the same rate after."""
    out = np.zeros(len(p_enf), bool)
    idx = np.flatnonzero(acc18 & (p_enf > 0))
    w = p_enf[idx]
    out[rng.choice(idx, ENFORCEMENT_2018, replace=False, p=w / w.sum())] = True
    k = ENFORCEMENT_2018 / p_enf[acc18].sum()
    later = accepted & ~acc18
    out[later] = rng.random(int(later.sum())) < p_enf[later] * k
    return out


def _status(rng, now, reg, closed, rej, rework, limit_s, self_handled) -> np.ndarray:
    n = len(reg)
    age = (now - reg).astype("timedelta64[s]").astype(np.int64) / np.maximum(limit_s, 1)
    open_ = np.select([age < 0.1, age < 0.3, age < 0.8], ["registered", "dispatched", "handled"], "feedback")
    open_ = np.where(rework > 0, "rework", open_)
    old = (now - closed) > np.timedelta64(3, "D")
    done = np.where(old & (rng.random(n) < 0.5) & ~self_handled, "evaluated", "closed")
    st = np.where(~np.isnat(closed), done, np.where(np.isnat(reg), "reported", open_))
    return np.where(rej, "rejected", st).astype(object)
