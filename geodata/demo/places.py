"""Where cases happen: spatial hot spots for each kind of place.

brief.md ("What the platforms do with the data"): "Heat maps of where residents'
needs and cases concentrate"; the demo's "spatial hot spots (markets, the industrial
park, riverbanks)". Each minor category names a place kind (see
:mod:`geodata.demo.categories`); this module draws case locations for it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from geodata.demo.buildings import village_intensity
from geodata.demo.entities import point_in_rect
from geodata.demo.geography import CENTRE, Geography

_ROAD_WEIGHT = {"expressway": 0.1, "main": 3.0, "secondary": 3.0, "village": 1.0, "path": 1.5}


class PlaceSampler:
    """Draw n points (local metres) for a place kind, vectorised."""

    def __init__(self, rng: np.random.Generator, geo: Geography, buildings: pd.DataFrame,
                 enterprises: pd.DataFrame):
        self.rng, self.geo = rng, geo
        self.b = buildings
        self.home_p = buildings.residents.to_numpy() / buildings.residents.sum()
        vil = (buildings.zone == "village").to_numpy()
        self.village_idx = np.flatnonzero(vil)
        vw = buildings.residents.to_numpy()[vil] + 1.0
        self.village_p = vw / vw.sum()
        self.ent = enterprises
        self.ent_park = np.flatnonzero(enterprises.park.to_numpy())
        self.ent_village = np.flatnonzero((enterprises.zone == "village").to_numpy())
        self.roads = self._segments(geo.roads.geometry.to_numpy(),
                                    geo.roads.road_class.map(_ROAD_WEIGHT).to_numpy(), centre_boost=True)
        water = geo.rivers[geo.rivers.kind != "lake"]
        self.water = self._segments(water.geometry.to_numpy(), np.ones(len(water)), centre_boost=False,
                                    offset=water.width_m.to_numpy() / 2 + 5)
        # Construction sites: a few dozen, in the centre's edge, the park and big villages.
        n_sites = 36
        ang = rng.uniform(0, 2 * np.pi, n_sites)
        r = rng.uniform(600, 2600, n_sites)
        self.sites = np.column_stack([CENTRE[0] + r * np.cos(ang), CENTRE[1] + r * np.sin(ang)])

    def _segments(self, lines, weights, centre_boost, offset=None):
        coords, idx = shapely.get_coordinates(shapely.segmentize(lines, 50.0), return_index=True)
        same = idx[1:] == idx[:-1]
        p0, p1, li = coords[:-1][same], coords[1:][same], idx[:-1][same]
        seglen = np.hypot(*(p1 - p0).T)
        mid = (p0 + p1) / 2
        w = seglen * weights[li]
        # Busy where people are: the centre and villages.
        inten = village_intensity(self.geo, mid[:, 0], mid[:, 1])
        dc = np.hypot(mid[:, 0] - CENTRE[0], mid[:, 1] - CENTRE[1])
        w = w * (0.3 + inten + (2.5 if centre_boost else 1.2) * np.exp(-(dc / 1800) ** 2))
        off = np.zeros(len(li)) if offset is None else offset[li]
        return p0, p1, off, w / w.sum()

    def _along(self, segs, n):
        p0, p1, off, p = segs
        k = self.rng.choice(len(p), size=n, p=p)
        t = self.rng.random(n)
        d = p1[k] - p0[k]
        ln = np.hypot(*d.T)
        nrm = np.column_stack([-d[:, 1], d[:, 0]]) / ln[:, None]
        side = self.rng.choice([-1.0, 1.0], n)
        o = (off[k] + self.rng.uniform(3, 12, n)) * side
        return p0[k] + t[:, None] * d + nrm * o[:, None]

    def _in_building(self, idx):
        x, y = point_in_rect(self.rng, self.b.iloc[idx])
        return np.column_stack([x, y])

    def _enterprise(self, idx):
        e = self.ent.iloc[idx]
        return np.column_stack([e.x.to_numpy(), e.y.to_numpy()]) + self.rng.normal(0, 6, (len(idx), 2))

    def sample(self, kind: str, n: int) -> np.ndarray:
        rng = self.rng
        if n == 0:
            return np.zeros((0, 2))
        if kind == "road":
            return self._along(self.roads, n)
        if kind == "river":
            return self._along(self.water, n)
        if kind == "market":
            m = self.geo.markets
            w = np.r_[3.0, 3.0, 2.0, np.ones(len(m) - 3)]
            k = rng.choice(len(m), size=n, p=w / w.sum())
            return m[k] + rng.normal(0, 110, (n, 2))
        if kind == "centre":
            return CENTRE + rng.normal(0, 850, (n, 2))
        if kind == "site":
            return self.sites[rng.integers(0, len(self.sites), n)] + rng.normal(0, 50, (n, 2))
        if kind == "village":
            return self._in_building(self.village_idx[rng.choice(len(self.village_idx), size=n, p=self.village_p)]) \
                + rng.normal(0, 15, (n, 2))
        if kind == "home":
            return self._in_building(rng.choice(len(self.b), size=n, p=self.home_p))
        if kind == "enterprise":
            return self._enterprise(rng.integers(0, len(self.ent), n))
        if kind == "park":
            return self._enterprise(self.ent_park[rng.integers(0, len(self.ent_park), n)])
        if kind == "village_ent":
            return self._enterprise(self.ent_village[rng.integers(0, len(self.ent_village), n)])
        raise ValueError(f"unknown place kind {kind!r}")

    def sample_many(self, kinds: np.ndarray) -> np.ndarray:
        """One point per entry of ``kinds``; points outside the town move to a home."""
        out = np.empty((len(kinds), 2))
        for kind in np.unique(kinds):
            m = kinds == kind
            out[m] = self.sample(str(kind), int(m.sum()))
        bad = ~shapely.contains_xy(self.geo.outline, out[:, 0], out[:, 1])
        if bad.any():
            out[bad] = self.sample("home", int(bad.sum()))
        return out
