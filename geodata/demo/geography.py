"""Geography of the demo town 青澜镇: outline, water, centre, park, villages, roads.

A Jiangnan water town of ~150 km² near 120.6°E, 31.0°N (brief.md, "Scale to plan
for": "A town: ~150 km²"): the Grand Canal runs north-south
west of the old centre, three rivers cross it west-east with side creeks (港),
two lakes lie in the west; an expressway skirts the industrial park in the east;
main roads radiate from the centre; village roads join ~26 villages strung along
the water. Everything here is in local metres (see :mod:`geodata.demo.coords`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from geodata.demo import names
from geodata.demo.coords import meander

#: Town area in km² (brief.md: "A town: ~150 km²").
TOWN_AREA_KM2 = 150.0
CENTRE = np.array([-600.0, 500.0])
CENTRE_RADIUS = 1900.0
PARK_CENTRE = np.array([4300.0, -1700.0])
N_VILLAGES = 26
#: Half-widths (m) used to keep buildings off roads and water.
ROAD_HALF_WIDTH = {"expressway": 30.0, "main": 14.0, "secondary": 9.0, "village": 5.0, "path": 3.0}
WATER_WIDTH = {"canal": 90.0, "river": 30.0, "branch": 12.0}


@dataclass
class Geography:
    outline: shapely.Polygon
    centre_zone: shapely.Polygon
    park: shapely.Polygon
    villages: pd.DataFrame          # name, x, y, size (0..1)
    markets: np.ndarray             # (n, 2) market places
    rivers: pd.DataFrame            # name, kind (canal/river/branch/lake), width_m, geometry
    roads: pd.DataFrame             # name, road_class, geometry
    water_mask: shapely.Geometry = field(default=None)  # water surface incl. banks


def _outline(rng: np.random.Generator) -> shapely.Polygon:
    """An irregular oval (7.6 × 6.3 km semi-axes with harmonic wobble) scaled to 150 km²."""
    t = np.linspace(0, 2 * np.pi, 121)[:-1]
    r = np.ones_like(t)
    for k in range(2, 7):
        r += rng.uniform(0.015, 0.05) * np.cos(k * t + rng.uniform(0, 2 * np.pi))
    x, y = 7600 * r * np.cos(t), 6300 * r * np.sin(t)
    poly = shapely.Polygon(np.column_stack([x, y]))
    f = np.sqrt(TOWN_AREA_KM2 * 1e6 / poly.area)
    return shapely.Polygon(np.column_stack([x * f, y * f]))


def _rotated_rect(cx, cy, w, h, angle_deg) -> shapely.Polygon:
    a = np.deg2rad(angle_deg)
    dx = np.array([-w, w, w, -w]) / 2
    dy = np.array([-h, -h, h, h]) / 2
    return shapely.Polygon(np.column_stack([cx + dx * np.cos(a) - dy * np.sin(a),
                                            cy + dx * np.sin(a) + dy * np.cos(a)]))


def _street_grid(zone: shapely.Polygon, origin, spacing: float, angle_deg: float) -> list[shapely.LineString]:
    """Straight streets every ``spacing`` m in two directions, clipped to ``zone``."""
    a = np.deg2rad(angle_deg)
    u, v = np.array([np.cos(a), np.sin(a)]), np.array([-np.sin(a), np.cos(a)])
    half = 12000.0
    lines = []
    for k in np.arange(-12000, 12000 + 1, spacing):
        for d, n in ((u, v), (v, u)):
            p = np.asarray(origin) + n * k
            lines.append(shapely.LineString([p - d * half, p + d * half]))
    clipped = shapely.intersection(np.array(lines, dtype=object), zone)
    return [g for g in shapely.get_parts(clipped) if g.geom_type == "LineString" and g.length > 150]


def _villages(rng, outline, centre_zone, park, water_lines) -> pd.DataFrame:
    """Dart-throwing with 1.5 km spacing; villages prefer the waterside (水乡)."""
    inner = outline.buffer(-450)
    keep_out = shapely.union_all([centre_zone.buffer(500), park.buffer(500)])
    shapely.prepare(inner)
    shapely.prepare(keep_out)
    pts: list[np.ndarray] = []
    minx, miny, maxx, maxy = inner.bounds
    tries = 0
    while len(pts) < N_VILLAGES and tries < 20000:
        tries += 1
        p = np.array([rng.uniform(minx, maxx), rng.uniform(miny, maxy)])
        if not shapely.contains_xy(inner, *p) or shapely.contains_xy(keep_out, *p):
            continue
        if pts and np.min(np.hypot(*(np.asarray(pts) - p).T)) < 1500:
            continue
        d_water = shapely.distance(shapely.Point(p), water_lines)
        if d_water < 80 or (d_water > 450 and rng.random() < 0.7):
            continue
        pts.append(p)
    xy = np.asarray(pts)
    order = np.lexsort((xy[:, 0], -xy[:, 1]))  # named north to south, west to east
    xy = xy[order]
    return pd.DataFrame({"name": list(names.VILLAGES[: len(xy)]), "x": xy[:, 0], "y": xy[:, 1],
                         "size": rng.uniform(0.5, 1.0, len(xy))})


def _water(rng, outline):
    rows = []
    canal = meander(rng, [(-1700, -11000), (-1500, 0), (-2100, 11000)], amplitude=350, wavelength=6000)
    rows.append((names.CANAL, "canal", canal))
    river_paths = [
        [(-11000, 1300), CENTRE + (-700, 150), CENTRE + (600, 250), (11000, 1700)],
        [(-11000, -4300), (-2000, -3600), (11000, -900)],
        [(-11000, 4600), (-3000, 4200), (4000, 6500), (9000, 9000)],
    ]
    mains = []
    for name, path in zip(names.RIVERS, river_paths):
        line = meander(rng, path, amplitude=260, wavelength=3000)
        rows.append((name, "river", line))
        mains.append(line)
    stems = list(names.BRANCH_STEMS)
    rng.shuffle(stems)
    for line in mains + [canal]:
        for _ in range(int(rng.integers(3, 6))):
            s = rng.uniform(0.1, 0.9) * line.length
            p0 = np.array(shapely.line_interpolate_point(line, s).coords[0])
            p1 = np.array(shapely.line_interpolate_point(line, s + 5).coords[0])
            d = (p1 - p0) / np.hypot(*(p1 - p0))
            n = np.array([-d[1], d[0]]) * rng.choice([-1, 1])
            length = rng.uniform(1500, 4000)
            end = p0 + length * (0.85 * n + rng.uniform(-0.5, 0.5) * d)
            br = meander(rng, [p0, end], amplitude=120, wavelength=1500, step=60, pin_start=True)
            rows.append((stems.pop() + names.BRANCH_SUFFIX, "branch", br))
    lakes = []
    for name, (cx, cy, a, b) in zip(names.LAKES, [(-5600, -1500, 950, 600), (-3800, 2700, 500, 330)]):
        t = np.linspace(0, 2 * np.pi, 49)[:-1]
        r = 1 + 0.12 * np.cos(3 * t + rng.uniform(0, 6)) + 0.07 * np.cos(5 * t + rng.uniform(0, 6))
        lake = shapely.Polygon(np.column_stack([cx + a * r * np.cos(t), cy + b * r * np.sin(t)]))
        lakes.append((name, "lake", lake))
    df = pd.DataFrame(rows + lakes, columns=["name", "kind", "geometry"])
    df["geometry"] = shapely.intersection(df["geometry"].to_numpy(), outline)
    df = df.explode("geometry", ignore_index=True)  # a river leaving and re-entering the town
    df = df[~shapely.is_empty(df["geometry"].to_numpy())
            & (shapely.get_type_id(df["geometry"].to_numpy()) != 0)].reset_index(drop=True)
    df["width_m"] = df["kind"].map(WATER_WIDTH).fillna(0.0)
    return df


def _line(points) -> shapely.LineString:
    return shapely.LineString(np.asarray(points, dtype=float))


def _roads(rng, outline, centre_zone, park, park_angle, villages, rivers) -> pd.DataFrame:
    c = CENTRE
    pc = PARK_CENTRE
    canal = rivers.loc[rivers.kind == "canal", "geometry"].iloc[0]
    rows = [(names.EXPRESSWAY, "expressway", meander(rng, [(-11000, -5600), (11000, -3400)], 60, wavelength=9000))]
    canal_road = shapely.offset_curve(shapely.simplify(canal, 30), 320)
    mains = [
        (names.MAIN_ROADS[0], canal_road),
        (names.MAIN_ROADS[1], meander(rng, [(-11000, 700), c, pc + (0, 1300), (11000, 500)], 80)),
        (names.MAIN_ROADS[2], meander(rng, [c, pc, (11000, -2600)], 60)),
        (names.MAIN_ROADS[3], meander(rng, [c, (-3600, -3000), (-9000, -7000)], 90)),
        (names.MAIN_ROADS[4], meander(rng, [c, (700, 3600), (3500, 9000)], 90)),
        (names.MAIN_ROADS[5], meander(rng, [c, (-4200, 3000), (-11000, 5200)], 90)),
        (names.MAIN_ROADS[6], meander(rng, [c, (400, -3000), (900, -9000)], 90)),
    ]
    t = np.linspace(0, 2 * np.pi, 97)
    ring = _line(np.column_stack([c[0] + 2400 * np.cos(t), c[1] + 2150 * np.sin(t)]))
    mains.append((names.MAIN_ROADS[7], ring))
    rows += [(n, "main", g) for n, g in mains]
    streets = _street_grid(centre_zone, c, 380.0, 8.0)
    rows += [(names.CENTRE_STREETS[i % len(names.CENTRE_STREETS)], "secondary", g) for i, g in enumerate(streets)]
    pstreets = _street_grid(park, pc, 520.0, park_angle)
    pstreets.append(park.exterior)
    rows += [(names.PARK_STREETS[i % len(names.PARK_STREETS)], "secondary", g) for i, g in enumerate(pstreets)]
    # Village roads: each village to its nearest neighbours (a minimum spanning tree)
    # and to the nearest main road; wiggly like lanes along field edges.
    main_net = shapely.union_all([g for _, g in mains])
    xy = villages[["x", "y"]].to_numpy()
    n = len(xy)
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    in_tree, edges = [0], []
    best = d[0].copy()
    parent = np.zeros(n, dtype=int)
    best[0] = np.inf
    for _ in range(n - 1):  # Prim's algorithm; n ≈ 26
        j = int(np.argmin(np.where(np.isin(np.arange(n), in_tree), np.inf, best)))
        edges.append((parent[j], j))
        in_tree.append(j)
        closer = d[j] < best
        parent[closer] = j
        best = np.minimum(best, d[j])
        best[in_tree] = np.inf
    for i, j in edges:
        if d[i, j] < 3500:
            rows.append((f"{villages.name[i][:-1]}{villages.name[j][:-1]}线", "village",
                         meander(rng, [xy[i], xy[j]], 70, step=60, wavelength=1200)))
    for i in range(n):
        p = shapely.Point(xy[i])
        q = shapely.shortest_line(p, main_net).coords[1]
        if np.hypot(q[0] - xy[i, 0], q[1] - xy[i, 1]) < 3200:
            rows.append((f"{villages.name[i][:-1]}路", "village",
                         meander(rng, [xy[i], q], 60, step=60, wavelength=1000)))
        # Lanes through the village itself (ribbon settlements grow along them).
        for k in range(int(rng.integers(2, 4))):
            ang = rng.uniform(0, 2 * np.pi)
            length = rng.uniform(350, 800) * (0.6 + villages["size"][i])
            end = xy[i] + length * np.array([np.cos(ang), np.sin(ang)])
            rows.append((f"{villages.name[i][:-1]}{'东西南北中'[k]}弄", "path",
                         meander(rng, [xy[i], end], 25, step=40, wavelength=600)))
    df = pd.DataFrame(rows, columns=["name", "road_class", "geometry"])
    df["geometry"] = shapely.intersection(df["geometry"].to_numpy(), outline)
    df = df.explode("geometry", ignore_index=True)
    df = df[(shapely.get_type_id(df["geometry"].to_numpy()) == 1)
            & (shapely.length(df["geometry"].to_numpy()) > 40)].reset_index(drop=True)
    return df


def build_geography(rng: np.random.Generator) -> Geography:
    outline = _outline(rng)
    t = np.linspace(0, 2 * np.pi, 73)[:-1]
    r = CENTRE_RADIUS * (1 + 0.06 * np.cos(3 * t + rng.uniform(0, 6)))
    centre_zone = shapely.Polygon(np.column_stack([CENTRE[0] + r * np.cos(t), CENTRE[1] + r * np.sin(t)]))
    park_angle = float(rng.uniform(-12, 12))
    park = shapely.intersection(_rotated_rect(*PARK_CENTRE, 3300, 2600, park_angle), outline.buffer(-300))
    rivers = _water(rng, outline)
    water_lines = shapely.union_all(rivers.loc[rivers.kind != "lake", "geometry"].to_numpy())
    villages = _villages(rng, outline, centre_zone, park, water_lines)
    roads = _roads(rng, outline, centre_zone, park, park_angle, villages, rivers)
    vx, vy = villages.x.to_numpy(), villages.y.to_numpy()
    big = np.argsort(-villages["size"].to_numpy())[:6]
    markets = np.vstack([CENTRE + (250, -120), CENTRE + (-380, 420), PARK_CENTRE + (-900, 800),
                         np.column_stack([vx[big] + 60, vy[big] - 40])])
    widths = rivers["width_m"].to_numpy()
    geoms = rivers["geometry"].to_numpy()
    is_lake = rivers["kind"].to_numpy() == "lake"
    water_mask = shapely.union_all(np.concatenate([
        shapely.buffer(geoms[~is_lake], widths[~is_lake] / 2 + 8, quad_segs=2), geoms[is_lake]]))
    return Geography(outline, centre_zone, park, villages, markets, rivers, roads, water_mask)
