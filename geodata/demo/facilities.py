"""Facilities of the demo town that the wall's modules show on the map: video
cameras, car parks, bus routes, schools and key projects.

brief.md, "The reference town": public management shows video coverage ("Sharp
Eyes", 雪亮工程); transport shows village buses (村村通) and smart parking (智慧停车);
livelihood shows schools (and warns when applications outrun places); leadership
shows the key projects "on one map" (一图解析). Everything is placed where such a
thing stands in a Jiangnan water town: cameras on roads, riverbanks and in
residential blocks, car parks in the centre and at the big villages, buses along
the road network, schools among homes, projects in their zone (factories in the
park, dredging on a river). All in local metres (:mod:`geodata.demo.coords`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from geodata.demo import names
from geodata.demo.geography import CENTRE, PARK_CENTRE, Geography
from geodata.demo.places import PlaceSampler

#: Cameras per kind (≈ 8 per km²; a town of this size ran 1,000–1,500 under 雪亮工程)
#: and where they stand (place kinds of :class:`~geodata.demo.places.PlaceSampler`).
CAMERAS = {"public_security": (520, "road"), "traffic": (240, "road"), "river": (160, "river"),
           "community": (220, "home"), "fire_safety": (60, "park")}
#: Share offline at the last status report, per kind (river and field cameras fail more).
CAMERA_OFFLINE = {"public_security": 0.03, "traffic": 0.025, "river": 0.08, "community": 0.04, "fire_safety": 0.05}

#: Schools per level: (in the centre, in the biggest villages), places per school
#: (low, high) and school years (intake = places / years).
SCHOOLS = {"kindergarten": ((8, 8), (270, 540), 3), "primary": ((5, 4), (1080, 2700), 6),
           "junior_middle": ((2, 1), (1500, 2400), 3)}
_SCHOOL_NAMES = ("实验", "中心", "澜溪", "运河", "文昌", "莺湖", "新华", "锦绣")
_LEVEL_SUFFIX = {"kindergarten": "幼儿园", "primary": "小学", "junior_middle": "中学"}

#: Key projects per kind: (number, place kind, lead office, median investment 万元).
PROJECTS = {"industry": (10, "park", "economy", 50_000), "infrastructure": (8, "road", "construction", 8_000),
            "livelihood": (7, "centre", "social_affairs", 12_000), "ecology": (5, "river", "environment", 5_000),
            "urban_renewal": (4, "centre", "construction", 6_000), "agriculture": (2, "village", "agriculture", 3_000)}
_PROJECT_NAMES = {
    "industry": ("{a}高端纺织面料智能工厂", "{a}差别化纤维扩产项目", "{a}新材料产业园一期", "{a}精密机械智能制造基地",
                 "{a}电子元器件生产线技改", "{a}冷链物流中心", "{a}功能性面料研发中心", "{a}智能仓储基地"),
    "infrastructure": ("{road}改扩建工程", "{road}提档升级工程", "{river}大桥新建工程", "镇区污水管网延伸工程",
                       "{village}农村公路提档工程", "智慧路灯改造工程"),
    "livelihood": ("青澜实验小学扩建工程", "镇卫生院迁建工程", "{community}养老服务中心", "{community}安置房二期",
                   "全民健身中心", "镇文体中心", "{community}邻里中心"),
    "ecology": ("{river}综合整治工程", "{lake}生态修复工程", "{river}清淤疏浚工程", "美丽河湖示范建设"),
    "urban_renewal": ("{street}老旧小区改造", "古镇历史街区保护更新", "{street}街景立面整治", "{community}海绵城市改造"),
    "agriculture": ("{village}高标准农田建设", "{village}现代渔业产业园"),
}


def _xy_frame(xy: np.ndarray, **cols) -> pd.DataFrame:
    return pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], **cols})


def build_cameras(rng: np.random.Generator, sampler: PlaceSampler, now: pd.Timestamp) -> pd.DataFrame:
    """Cameras on roads, riverbanks, in residential blocks and the industrial park."""
    kinds = np.concatenate([np.full(n, k, dtype=object) for k, (n, _) in CAMERAS.items()])
    places = np.concatenate([np.full(n, p, dtype=object) for n, p in CAMERAS.values()])
    xy = sampler.sample_many(places)
    offline = rng.random(len(kinds)) < pd.Series(kinds).map(CAMERA_OFFLINE).to_numpy()
    # 雪亮工程 began in 2016: installed since then, none in the last month
    span = (now.tz_localize(None) - pd.Timestamp("2016-03-01")).days - 30
    installed = pd.Timestamp("2016-03-01") + pd.to_timedelta(rng.integers(0, span, len(kinds)), unit="D")
    seen = now.tz_localize(None) - pd.to_timedelta(
        np.where(offline, rng.integers(3_600, 20 * 86_400, len(kinds)), rng.integers(5, 300, len(kinds))), unit="s")
    df = _xy_frame(xy, kind=kinds, status=np.where(offline, "offline", "online"),
                   installed_at=installed, updated_at=seen)
    df.insert(0, "camera_id", [f"CAM{i:05d}" for i in range(1, len(df) + 1)])
    return df


def _nearest_names(points: np.ndarray, geoms: np.ndarray, labels: np.ndarray) -> np.ndarray:
    tree = shapely.STRtree(geoms)
    return labels[tree.nearest(shapely.points(points[:, 0], points[:, 1]))]


def build_parking(rng: np.random.Generator, geo: Geography, buildings: pd.DataFrame,
                  now: pd.Timestamp) -> pd.DataFrame:
    """Car parks: public, on-street and commercial ones in the centre, a hospital and a
    bus-station car park, public ones in the industrial park and the big villages."""
    centre = buildings[buildings.zone.isin(["centre", "oldtown"])]
    shops = centre[centre.use == "commercial"]
    park = buildings[buildings.zone == "park"]
    vil = geo.villages.sort_values("size", ascending=False).head(8)
    rows = []

    def pick(pool, n):
        b = pool.iloc[rng.choice(len(pool), size=n, replace=False)]
        return np.column_stack([b.cx.to_numpy(), b.cy.to_numpy()]) + rng.normal(0, 15, (n, 2))
    for kind, pool, n, lo, hi, zone in (("public", centre, 10, 80, 400, "centre"),
                                        ("on_street", centre, 10, 20, 80, "centre"),
                                        ("commercial", shops, 5, 150, 600, "centre"),
                                        ("public", park, 8, 60, 300, "park")):
        for p in pick(pool, n):
            rows.append((kind, p, int(rng.integers(lo, hi + 1)), zone))
    rows.append(("hospital", CENTRE + (420, -260), 320, "centre"))
    rows.append(("transit", CENTRE + (-900, -700), 220, "centre"))
    for _, v in vil.iterrows():
        rows.append(("public", np.array([v.x + 40, v.y + 30]), int(rng.integers(30, 81)), "village"))
    kind = np.array([r[0] for r in rows], dtype=object)
    xy = np.vstack([r[1] for r in rows])
    spaces = np.array([r[2] for r in rows])
    zone = np.array([r[3] for r in rows], dtype=object)
    road = _nearest_names(xy, geo.roads.geometry.to_numpy(), geo.roads.name.to_numpy())
    label = {"public": "公共停车场", "on_street": "路内泊位", "commercial": "商业广场停车场",
             "hospital": "人民医院停车场", "transit": "汽车站停车场"}
    names_ = []
    for i, (k, z) in enumerate(zip(kind, zone)):
        if k in ("hospital", "transit"):
            names_.append(f"{names.TOWN[:2]}{label[k]}")
        elif z == "village":
            names_.append(f"{vil.name.iloc[i - (len(rows) - len(vil))]}{label[k]}")
        else:
            names_.append(f"{road[i]}{label[k]}")
    in_centre = zone == "centre"
    # occupancy follows the hour (智慧停车 sensors report live): busy by day, light at night
    hour = now.hour + now.minute / 60
    day = 0.45 + 0.55 * np.clip(np.sin(np.pi * (hour - 6) / 16), 0, 1)
    base = pd.Series(kind).map({"public": 0.72, "on_street": 0.9, "commercial": 0.8, "hospital": 0.95,
                                "transit": 0.7}).to_numpy() * np.where(in_centre, 1.0, 0.6)
    occ = np.clip(base * day * rng.uniform(0.8, 1.12, len(kind)), 0.02, 1.0)
    df = _xy_frame(xy, name=_dedupe(names_), kind=kind, spaces=spaces,
                   occupied=np.round(spaces * occ).astype(int),
                   updated_at=now.tz_localize(None) - pd.to_timedelta(rng.integers(5, 120, len(kind)), unit="s"))
    df.insert(0, "lot_id", [f"P{i:03d}" for i in range(1, len(df) + 1)])
    return df


def _dedupe(labels) -> list[str]:
    """Make names unique the way a register does: 二号, 三号 … after the first
    (a car park: 东风路公共二号停车场; anything else: 路内泊位二段, 项目二期)."""
    seen: dict[str, int] = {}
    out = []
    for s in labels:
        k = seen.get(s, 0) + 1
        seen[s] = k
        cn = "二三四五六七八九十"[min(k, 10) - 2] if k > 1 else ""
        if k == 1:
            out.append(s)
        elif s.endswith("停车场"):
            out.append(f"{s[:-3]}{cn}号停车场")
        else:
            out.append(f"{s}{cn}{'段' if s.endswith('泊位') else '期'}")
    return out


# ---- buses along the road network -------------------------------------------------------------
def _road_graph(roads: pd.DataFrame):
    """Noded road network (no expressway, no footpaths) as a sparse graph of metres."""
    use = roads[roads.road_class.isin(["main", "secondary", "village"])].geometry.to_numpy()
    noded = shapely.get_parts(shapely.node(shapely.multilinestrings(use)))
    coords, idx = shapely.get_coordinates(noded, return_index=True)
    key = np.round(coords, 1)
    uniq, node = np.unique(key, axis=0, return_inverse=True)
    node = node.ravel()
    same = idx[1:] == idx[:-1]
    a, b = node[:-1][same], node[1:][same]
    w = np.hypot(*(coords[1:][same] - coords[:-1][same]).T)
    keep = a != b
    n = len(uniq)
    g = coo_matrix((np.r_[w[keep], w[keep]], (np.r_[a[keep], b[keep]], np.r_[b[keep], a[keep]])), shape=(n, n))
    return g.tocsr(), uniq


def _path(pred: np.ndarray, nodes: np.ndarray, target: int) -> shapely.LineString | None:
    seq = [target]
    while pred[seq[-1]] >= 0:
        seq.append(pred[seq[-1]])
    if len(seq) < 2:
        return None
    return shapely.LineString(nodes[seq[::-1]])


def build_bus_routes(rng: np.random.Generator, geo: Geography) -> pd.DataFrame:
    """Town buses (the ring road, the centre to the park) and village buses (村村通) from
    the bus station to villages all round the town, each the shortest way by road."""
    graph, nodes = _road_graph(geo.roads)
    tree = shapely.STRtree(shapely.points(nodes))
    station = int(tree.nearest(shapely.Point(CENTRE + (-900, -700))))
    dist, pred = dijkstra(graph, indices=station, return_predecessors=True)
    rows = []
    ring = geo.roads[geo.roads.name == names.MAIN_ROADS[7]].geometry
    if len(ring):
        rows.append(("town", "镇区1路（环镇线）", max(ring, key=lambda g: g.length), 500, 72))
    park = int(tree.nearest(shapely.Point(PARK_CENTRE)))
    if np.isfinite(dist[park]):
        rows.append(("town", "镇区2路（汽车站—开发区）", _path(pred, nodes, park), 500, 60))
    v = geo.villages
    ang = np.arctan2(v.y - CENTRE[1], v.x - CENTRE[0])
    order = np.argsort(ang.to_numpy())
    targets = order[:: max(1, len(order) // 8)][:8]     # eight villages spread round the town
    k = 0
    for i in targets:
        node = int(tree.nearest(shapely.Point(v.x.iloc[i], v.y.iloc[i])))
        if not np.isfinite(dist[node]) or dist[node] < 1500:
            continue
        k += 1
        rows.append(("village", f"村村通{k}路（汽车站—{v.name.iloc[i]}）", _path(pred, nodes, node), 800,
                     int(rng.integers(16, 31))))
    rows = [r for r in rows if r[2] is not None]
    geoms = np.array([shapely.simplify(r[2], 2.0) for r in rows], dtype=object)
    stops = [int(round(g.length / r[3])) + 1 for g, r in zip(geoms, rows)]
    return pd.DataFrame({"route_id": [f"BUS{i:02d}" for i in range(1, len(rows) + 1)],
                         "name": [r[1] for r in rows], "kind": [r[0] for r in rows], "stops": stops,
                         "daily_trips": [r[4] for r in rows], "geometry": geoms})


# ---- schools --------------------------------------------------------------------------------------
def build_schools(rng: np.random.Generator, geo: Geography, buildings: pd.DataFrame) -> pd.DataFrame:
    """Kindergartens, primary and junior middle schools among the homes of the centre
    and the biggest villages. Most intakes fit their places; two centre primary schools
    face more applications than places (the brief's school-place early warning)."""
    homes = buildings[buildings.residents > 0]
    centre = homes[homes.zone.isin(["centre", "oldtown"])]
    big = geo.villages.sort_values("size", ascending=False)
    rows = []
    for level, ((n_centre, n_village), (lo, hi), years) in SCHOOLS.items():
        host = centre.iloc[rng.choice(len(centre), size=n_centre, replace=False)]
        for j, (_, b) in enumerate(host.iterrows()):
            name = f"{names.TOWN[:2]}{_SCHOOL_NAMES[j % len(_SCHOOL_NAMES)]}{_LEVEL_SUFFIX[level]}"
            rows.append((level, name, b.cx + 35, b.cy + 25, True, lo, hi, years))
        for _, v in big.head(n_village).iterrows():
            rows.append((level, f"{v['name'][:-1]}{_LEVEL_SUFFIX[level]}", v.x - 60, v.y + 45, False, lo, hi, years))
    df = pd.DataFrame(rows, columns=["level", "name", "x", "y", "centre", "lo", "hi", "years"])
    n = len(df)
    unit = np.where(df.level == "kindergarten", 30, np.where(df.level == "primary", 45, 50))
    scale = np.where(df.centre, 1.0, 0.6)   # village schools are smaller
    classes = rng.uniform(df.lo / unit * scale, df.hi / unit * scale).round()
    df["places"] = (np.maximum(classes, 3) * unit).astype(int)
    df["enrolled"] = np.round(df.places * rng.uniform(0.82, 1.02, n)).astype(int)
    df["intake_places"] = np.round(df.places / df.years).astype(int)
    demand = rng.uniform(0.75, 1.05, n) * np.where(df.centre, 1.05, 0.85)
    surge = np.flatnonzero((df.level == "primary") & df.centre)[:2]
    demand[surge] = rng.uniform(1.3, 1.6, len(surge))
    df["applications"] = np.round(df.intake_places * demand).astype(int)
    df["ownership"] = np.where((df.level == "kindergarten") & (rng.random(n) < 0.3), "private", "public")
    df.insert(0, "school_id", [f"SCH{i:03d}" for i in range(1, n + 1)])
    return df.drop(columns=["centre", "lo", "hi", "years"])


# ---- key projects --------------------------------------------------------------------------------
def build_key_projects(rng: np.random.Generator, geo: Geography, sampler: PlaceSampler,
                       now: pd.Timestamp) -> pd.DataFrame:
    """The town's key projects (重点项目) with investment, schedule and progress as of ``now``.

    Progress follows the calendar: the planned figure is the share of the planned
    period gone by; the actual one keeps up with it except for about one in five."""
    rows = []
    for kind, (n, place, unit, median) in PROJECTS.items():
        xy = sampler.sample_many(np.full(n, place, dtype=object))
        templates = _PROJECT_NAMES[kind]
        for j in range(n):
            fill = {"a": "".join(rng.choice(list("华恒盛鑫丰达源泰通力宏锦瑞祥隆兴"), 2, replace=False)),
                    "road": rng.choice(names.MAIN_ROADS), "river": rng.choice(names.RIVERS),
                    "lake": rng.choice(names.LAKES), "village": rng.choice(geo.villages.name.to_numpy()),
                    "community": rng.choice(names.COMMUNITIES), "street": rng.choice(names.CENTRE_STREETS)}
            rows.append((kind, templates[j % len(templates)].format(**fill), xy[j, 0], xy[j, 1], unit,
                         round(float(median * rng.lognormal(0, 0.6)), -1)))
    df = pd.DataFrame(rows, columns=["kind", "name", "x", "y", "lead_unit", "investment_wan"])
    n = len(df)
    today = now.tz_localize(None).normalize()
    start = today - pd.to_timedelta(rng.integers(-120, 1000, n), unit="D")
    length = pd.to_timedelta(rng.integers(365, 1100, n), unit="D")
    gone = np.clip((today - start) / length, 0, 1)
    planned = np.round(100 * gone, 1)
    # about one project in five lags (by 3–20 points); the rest keep up or run ahead a little
    lag = rng.random(n) < 0.2
    actual = np.clip(np.where(lag, planned - rng.uniform(3, 20, n), planned + rng.uniform(0, 6, n)), 0, 100)
    done = (planned >= 100) & (rng.random(n) < 0.8)
    actual = np.where(done, 100.0, np.where(planned >= 100, np.minimum(actual, 96.0), actual))
    actual = np.where(start > today, 0.0, np.round(actual, 1))
    status = np.where(start > today, "planned", np.where(actual >= 100, "completed", "in_progress"))
    lagging = np.flatnonzero((status == "in_progress") & (actual < planned - 10))
    if len(lagging):
        status[lagging[0]] = "suspended"
    df["name"] = _dedupe(df["name"])
    df["planned_progress"], df["actual_progress"], df["status"] = planned, actual, status
    df["started_at"], df["planned_end"] = start, start + length
    df["updated_at"] = today - pd.to_timedelta(rng.integers(1, 8, n), unit="D")
    df.insert(0, "project_id", [f"KP{now.year}-{i:03d}" for i in range(1, n + 1)])
    return df
