"""Buildings of the demo town: apartment blocks in the centre, factories in the park,
and houses strung along village roads and creeks (the ribbon villages of a Jiangnan
water town). Every building is a rotated rectangle, kept by its centre, half sizes
and angle so residents can be placed inside it without geometry calls.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from geodata.demo.geography import CENTRE, PARK_CENTRE, ROAD_HALF_WIDTH, Geography

#: People living in the town (brief.md: "~0.3 M base records" — residents are most of them).
RESIDENTS_TARGET = 272_000


def rectangles(cx, cy, a, b, ang) -> np.ndarray:
    """Rotated rectangles (centre, half length ``a`` along ``ang``, half width ``b``)."""
    ux, uy = np.cos(ang), np.sin(ang)
    sx = np.array([-1, 1, 1, -1, -1])
    sy = np.array([-1, -1, 1, 1, -1])
    x = cx[:, None] + sx * a[:, None] * ux[:, None] - sy * b[:, None] * uy[:, None]
    y = cy[:, None] + sx * a[:, None] * uy[:, None] + sy * b[:, None] * ux[:, None]
    return shapely.polygons(np.stack([x, y], axis=-1))


def _lattice(zone, origin, angle_deg, dx, dy):
    a = np.deg2rad(angle_deg)
    minx, miny, maxx, maxy = zone.bounds
    r = np.hypot(maxx - minx, maxy - miny)
    i, j = np.meshgrid(np.arange(-r, r, dx), np.arange(-r, r, dy))
    i, j = i.ravel(), j.ravel()
    x = origin[0] + i * np.cos(a) - j * np.sin(a)
    y = origin[1] + i * np.sin(a) + j * np.cos(a)
    keep = shapely.contains_xy(zone, x, y)
    return x[keep], y[keep], i[keep], j[keep], a


def _centre(rng, geo: Geography) -> pd.DataFrame:
    """Slabs of 6–18 floors on a lattice; an old town of 2–3 floor houses by the canal."""
    x, y, i, j, a = _lattice(geo.centre_zone, CENTRE, 8.0, 52.0, 40.0)
    block = (np.floor(i / 380).astype(int) * 1000 + np.floor(j / 380).astype(int))
    ublocks, inv = np.unique(block, return_inverse=True)
    open_block = rng.random(len(ublocks)) < 0.2  # parks, schools, squares
    old = np.hypot(x - CENTRE[0], y - CENTRE[1]) < 650
    keep = ~open_block[inv] & ~old & (rng.random(len(x)) < 0.85)
    x, y = x[keep], y[keep]
    n = len(x)
    kind = rng.choice(["apt6", "apt11", "apt18", "shop"], n, p=[0.58, 0.15, 0.12, 0.15])
    floors = np.select([kind == "apt6", kind == "apt11", kind == "apt18"],
                       [rng.integers(5, 8, n), rng.integers(10, 13, n), rng.integers(16, 27, n)],
                       rng.integers(2, 6, n))
    la = np.where(kind == "shop", rng.uniform(10, 22, n), rng.uniform(17, 24, n))
    lb = np.where(kind == "shop", rng.uniform(7, 12, n), rng.uniform(6, 7.5, n))
    use = np.where(kind == "shop", "commercial", "residential")
    slabs = pd.DataFrame({"cx": x, "cy": y, "a": la, "b": lb, "ang": a + rng.normal(0, 0.01, n),
                          "floors": floors, "use": use, "zone": "centre"})
    ox, oy, *_ = _lattice(shapely.Point(CENTRE).buffer(650), CENTRE, 8.0, 22.0, 17.0)
    m = len(ox)
    houses = pd.DataFrame({"cx": ox + rng.normal(0, 1.5, m), "cy": oy + rng.normal(0, 1.5, m),
                           "a": rng.uniform(5, 8, m), "b": rng.uniform(4, 6, m),
                           "ang": a + rng.normal(0, 0.05, m), "floors": rng.integers(2, 4, m),
                           "use": rng.choice(["residential", "commercial"], m, p=[0.7, 0.3]),
                           "zone": "oldtown"})
    return pd.concat([slabs, houses], ignore_index=True)


def _park(rng, geo: Geography) -> pd.DataFrame:
    """Standard factory buildings (标准厂房) and workers' dormitories."""
    ang = np.arctan2(*np.diff(np.asarray(geo.park.exterior.coords)[:2], axis=0)[0][::-1])
    x, y, *_ = _lattice(geo.park, PARK_CENTRE, np.rad2deg(ang), 130.0, 95.0)
    keep = rng.random(len(x)) < 0.88
    x, y = x[keep], y[keep]
    n = len(x)
    edge = shapely.distance(shapely.points(x, y), geo.park.exterior) < 220
    dorm = edge & (rng.random(n) < 0.35)
    return pd.DataFrame({
        "cx": x, "cy": y,
        "a": np.where(dorm, rng.uniform(25, 35, n), rng.uniform(25, 55, n)),
        "b": np.where(dorm, rng.uniform(7, 9, n), rng.uniform(14, 32, n)),
        "ang": np.full(n, ang), "floors": np.where(dorm, rng.integers(5, 8, n), rng.integers(1, 5, n)),
        "use": np.where(dorm, "dormitory", "industrial"), "zone": "park"})


def village_intensity(geo: Geography, x, y) -> np.ndarray:
    """How built-up a place is, 0..1: villages are Gaussian bumps, plus scattered farms."""
    v = geo.villages
    s = 480 * v["size"].to_numpy() + 260
    d2 = (x[:, None] - v.x.to_numpy()) ** 2 + (y[:, None] - v.y.to_numpy()) ** 2
    return np.clip((v["size"].to_numpy() * np.exp(-d2 / (2 * s ** 2))).max(axis=1) + 0.07, 0, 0.97)


def _ribbons(rng, geo: Geography) -> pd.DataFrame:
    """Houses along village roads, lanes and creeks, one to three rows deep."""
    roads = geo.roads[geo.roads.road_class.isin(["main", "village", "path"])]
    water = geo.rivers[geo.rivers.kind.isin(["river", "branch", "canal"])]
    lines = np.concatenate([roads.geometry.to_numpy(), water.geometry.to_numpy()])
    half = np.concatenate([roads.road_class.map(ROAD_HALF_WIDTH).to_numpy(), water.width_m.to_numpy() / 2 + 4])
    coords, idx = shapely.get_coordinates(shapely.segmentize(lines, 17.0), return_index=True)
    same = idx[1:] == idx[:-1]
    p0, p1, li = coords[:-1][same], coords[1:][same], idx[:-1][same]
    seg = p1 - p0
    seglen = np.hypot(seg[:, 0], seg[:, 1])
    ok = seglen > 1
    p0, seg, seglen, li = p0[ok], seg[ok], seglen[ok], li[ok]
    mid = p0 + seg / 2
    ang = np.arctan2(seg[:, 1], seg[:, 0])
    nx, ny = -seg[:, 1] / seglen, seg[:, 0] / seglen
    inten = village_intensity(geo, mid[:, 0], mid[:, 1])
    frames = []
    for side in (-1, 1):
        for row in range(3):
            p = np.minimum(0.95, 1.5 * inten * seglen / 17.0) * (1.0, 0.8, 0.6)[row] * (inten > (0.0, 0.3, 0.5)[row])
            take = rng.random(len(mid)) < p
            n = int(take.sum())
            workshop = rng.random(n) < 0.07 + 0.05 * (row > 0)
            a = np.where(workshop, rng.uniform(12, 22, n), rng.uniform(5, 7.2, n))
            b = np.where(workshop, rng.uniform(7, 11, n), rng.uniform(4, 6, n))
            off = half[li[take]] + 5 + b + row * 22 + rng.uniform(0, 3, n)
            frames.append(pd.DataFrame({
                "cx": mid[take, 0] + side * off * nx[take], "cy": mid[take, 1] + side * off * ny[take],
                "a": a, "b": b, "ang": ang[take] + rng.normal(0, 0.04, n),
                "floors": np.where(workshop, rng.integers(1, 3, n), rng.choice([2, 3, 3, 4], n)),
                "use": np.where(workshop, "industrial", "residential"), "zone": "village"}))
    df = pd.concat(frames, ignore_index=True)
    near = np.hypot(df.cx.to_numpy()[:, None] - geo.villages.x.to_numpy(),
                    df.cy.to_numpy()[:, None] - geo.villages.y.to_numpy()).min(axis=1) < 220
    shop = near & (df.use.to_numpy() == "residential") & (rng.random(len(df)) < 0.18)
    df.loc[shop, "use"] = "commercial"
    far = village_intensity(geo, df.cx.to_numpy(), df.cy.to_numpy()) < 0.1
    df.loc[far & (rng.random(len(df)) < 0.3) & (df.use == "residential"), "use"] = "agricultural"
    return df


def build_buildings(rng: np.random.Generator, geo: Geography) -> pd.DataFrame:
    """All buildings with use, floors, residents and their rectangle parameters."""
    df = pd.concat([_centre(rng, geo), _park(rng, geo), _ribbons(rng, geo)], ignore_index=True)
    in_other_zone = shapely.contains_xy(geo.centre_zone.buffer(60), df.cx, df.cy) \
        | shapely.contains_xy(geo.park.buffer(60), df.cx, df.cy)
    outside_ribbon_zone = (df.zone == "village").to_numpy() & in_other_zone
    df = df[~outside_ribbon_zone].reset_index(drop=True)
    geom = rectangles(df.cx.to_numpy(), df.cy.to_numpy(), df.a.to_numpy(), df.b.to_numpy(), df.ang.to_numpy())
    shapely.prepare(geo.outline)
    shapely.prepare(geo.water_mask)
    ok = shapely.within(geom, geo.outline) & ~shapely.intersects(geom, geo.water_mask)
    # Off the carriageway of every road.
    roads = geo.roads.geometry.to_numpy()
    rhalf = geo.roads.road_class.map(ROAD_HALF_WIDTH).to_numpy()
    tree = shapely.STRtree(roads)
    bi, ri = tree.query(geom, predicate="dwithin", distance=float(rhalf.max()) + 1)
    hit = shapely.distance(geom[bi], roads[ri]) < rhalf[ri] + 1
    ok[bi[hit]] = False
    df, geom = df[ok].reset_index(drop=True), geom[ok]
    # No two buildings overlap: of each overlapping pair the later one goes.
    tree = shapely.STRtree(geom)
    i, j = tree.query(geom, predicate="intersects")
    drop = np.unique(j[i < j])
    keep = np.ones(len(df), bool)
    keep[drop] = False
    df, geom = df[keep].reset_index(drop=True), geom[keep]
    # Public buildings: schools, clinics, village committees near the centres.
    d_c = np.hypot(df.cx - CENTRE[0], df.cy - CENTRE[1]).to_numpy()
    public = (df.use.to_numpy() != "industrial") & (rng.random(len(df)) < np.where(d_c < 2500, 0.02, 0.008))
    df.loc[public, "use"] = "public"
    df["floors"] = df["floors"].astype(int)
    df["footprint"] = shapely.area(geom)
    df["geometry"] = geom
    df["residents"] = _residents(rng, df)
    df["building_id"] = [f"B{i:06d}" for i in range(1, len(df) + 1)]
    return df


def _residents(rng, df: pd.DataFrame) -> np.ndarray:
    """People per building: living space ÷ space per person, scaled to the town total."""
    per_person = df.use.map({"residential": 38.0, "dormitory": 12.0, "commercial": 150.0}).fillna(np.inf)
    cap = df.floors * df.footprint * 0.75 / per_person
    cap = cap * np.where(df.zone == "village", 1.5, 1.0)  # rooms let to migrant workers
    k = RESIDENTS_TARGET / cap.sum()
    return rng.poisson(cap.to_numpy() * k)
