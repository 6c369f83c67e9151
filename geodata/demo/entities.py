"""Enterprises and residents of the demo town.

brief.md ("The reference town"): "About 1,400 enterprises in the credit-supervision
base"; "Enterprise credit map … red/yellow cards"; population "registered and
floating" ("new citizens"). Most enterprises sit in the industrial park (standard
factory buildings, several tenants each); the rest are home looms and workshops in
the villages (the 散乱污 the ecology module tracks) and shops in the centre.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from geodata.demo import names
from geodata.schema import AGE_BANDS

#: Enterprises per zone (sum 1,460 ≥ the brief's "about 1,400").
N_ENTERPRISES = {"park": 830, "village": 380, "centre": 250}

_INDUSTRY = {
    "park": {"textile": 0.22, "chemical_fibre": 0.11, "dyeing": 0.05, "machinery": 0.16, "electronics": 0.12,
             "new_materials": 0.08, "logistics": 0.08, "food": 0.05, "packaging": 0.06,
             "hazardous_chemicals": 0.03, "furniture": 0.04},
    "village": {"home_weaving": 0.30, "textile": 0.08, "recycling": 0.08, "machinery": 0.14,
                "building_materials": 0.10, "furniture": 0.09, "plastics": 0.10, "food": 0.04,
                "aquaculture": 0.07},
    "centre": {"retail": 0.30, "catering": 0.28, "hotel": 0.05, "services": 0.15, "education": 0.05,
               "finance": 0.03, "healthcare": 0.06, "entertainment": 0.08},
}
#: Median employees and spread (log-normal) per zone.
_EMPLOYEES = {"park": (60, 1.1), "village": (7, 0.7), "centre": (5, 0.7)}
_CREDIT = {"park": (0.86, 0.11, 0.03), "village": (0.70, 0.20, 0.10), "centre": (0.90, 0.08, 0.02)}

_AGE_P = {"registered": (0.06, 0.11, 0.18, 0.36, 0.23, 0.06),
          "floating": (0.05, 0.08, 0.47, 0.37, 0.03, 0.0)}
_FLOATING_P = {"centre": 0.30, "oldtown": 0.22, "park": 0.92, "village": 0.48}


def point_in_rect(rng, b: pd.DataFrame, n: int | None = None):
    """Uniform points inside the rectangles of ``b`` (one per row)."""
    n = len(b)
    s, t = rng.uniform(-0.85, 0.85, n), rng.uniform(-0.85, 0.85, n)
    a, w, ang = b.a.to_numpy(), b.b.to_numpy(), b.ang.to_numpy()
    x = b.cx.to_numpy() + s * a * np.cos(ang) - t * w * np.sin(ang)
    y = b.cy.to_numpy() + s * a * np.sin(ang) + t * w * np.cos(ang)
    return x, y


def build_enterprises(rng: np.random.Generator, buildings: pd.DataFrame) -> pd.DataFrame:
    frames = []
    pools = {
        "park": buildings[(buildings.zone == "park") & (buildings.use == "industrial")],
        "village": buildings[(buildings.zone == "village") & (buildings.use == "industrial")],
        "centre": buildings[buildings.zone.isin(["centre", "oldtown"]) & (buildings.use == "commercial")],
    }
    for zone, n in N_ENTERPRISES.items():
        pool = pools[zone]
        w = pool.footprint.to_numpy() if zone == "park" else np.ones(len(pool))
        if zone == "park":  # several tenants per standard factory building
            pick = rng.choice(len(pool), size=n, replace=True, p=w / w.sum())
        else:
            pick = rng.choice(len(pool), size=n, replace=len(pool) < n)
        host = pool.iloc[np.sort(pick)]
        x, y = point_in_rect(rng, host)
        ind = _INDUSTRY[zone]
        industry = rng.choice(list(ind), size=n, p=np.array(list(ind.values())) / sum(ind.values()))
        med, sig = _EMPLOYEES[zone]
        emp = np.maximum(1, np.round(med * rng.lognormal(0, sig, n))).astype(int)
        credit = rng.choice(["green", "yellow", "red"], size=n, p=_CREDIT[zone])
        frames.append(pd.DataFrame({"x": x, "y": y, "industry": industry, "employees": emp,
                                    "credit": credit, "building_id": host.building_id.to_numpy(),
                                    "park": zone == "park", "zone": zone}))
    ent = pd.concat(frames, ignore_index=True)
    ent["enterprise_id"] = [f"E{i:05d}" for i in range(1, len(ent) + 1)]
    ent["name"] = names.enterprise_names(rng, ent.industry.to_numpy())
    return ent


def build_residents(rng: np.random.Generator, buildings: pd.DataFrame) -> pd.DataFrame:
    """One anonymous point per resident inside their building (no names, no ID numbers)."""
    counts = buildings.residents.to_numpy()
    idx = np.repeat(np.arange(len(buildings)), counts)
    host = buildings.iloc[idx]
    x, y = point_in_rect(rng, host)
    p_float = host.zone.map(_FLOATING_P).to_numpy()
    p_float = np.where(host.use.to_numpy() == "dormitory", 0.97, p_float)
    floating = rng.random(len(idx)) < p_float
    age = np.empty(len(idx), dtype=object)
    for hh, m in (("floating", floating), ("registered", ~floating)):
        age[m] = rng.choice(np.array(AGE_BANDS, dtype=object), size=int(m.sum()), p=_AGE_P[hh])
    return pd.DataFrame({"resident_id": [f"R{i:07d}" for i in range(1, len(idx) + 1)],
                         "building_id": host.building_id.to_numpy(), "age_band": age,
                         "household": np.where(floating, "floating", "registered"), "x": x, "y": y})
