"""Districts, comprehensive grids and professional grids of the demo town.

brief.md ("Grids"): "5 districts (片区) split into 70 comprehensive grids covering the
whole town with no gap or overlap" and "20 professional grids, each covering at
most 80 enterprises".

Comprehensive grids are built as a true partition: the town outline, its roads and
its water are noded and polygonised into blocks (faces that share their edges
exactly); blocks too big for a grid are split by Voronoi edges (field boundaries);
blocks are then grouped into districts and grids by a balanced k-means on block
centroids (a power diagram: each cluster gets an additive weight until it holds its
share of area and population), and pieces cut off from their grid are handed to the
neighbour with the longest shared border. A grid is the coverage union of its
blocks, so grid boundaries run along roads and rivers wherever blocks do, and grids
tile the outline exactly.

Professional grids are cut by recursive bisection of the town with straight lines
through the widest gap between enterprises near the balancing quantile, so each
holds ⌊1,4xx / 20⌋ ± 3 enterprises, below the cap of 80.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from geodata.demo import names
from geodata.demo.geography import CENTRE, PARK_CENTRE, Geography

N_DISTRICTS = 5
N_GRIDS = 70
N_PRO_GRIDS = 20
MAX_ENTERPRISES_PER_PRO_GRID = 80
BLOCK_MAX_M2 = 0.8e6
_ZH_NUM = "一二三四五六七八九十"


def build_blocks(rng: np.random.Generator, geo: Geography) -> np.ndarray:
    """The town cut along roads and water into blocks; big blocks split by field lines."""
    roads = geo.roads.loc[geo.roads.road_class != "path", "geometry"].to_numpy()
    water = geo.rivers.loc[geo.rivers.kind != "lake", "geometry"].to_numpy()
    lines = np.concatenate([[geo.outline.boundary], roads, water])
    blocks = _polygonize(lines)
    big = shapely.area(blocks) > BLOCK_MAX_M2
    extra = []
    for blk in blocks[big]:
        k = int(np.ceil(blk.area / (BLOCK_MAX_M2 / 2)))
        minx, miny, maxx, maxy = blk.bounds
        pts = []
        while len(pts) < k:
            x, y = rng.uniform(minx, maxx, 4 * k), rng.uniform(miny, maxy, 4 * k)
            inside = shapely.contains_xy(blk, x, y)
            pts += list(zip(x[inside], y[inside]))
        cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts[:k]), extend_to=blk))
        edges = shapely.intersection(shapely.boundary(cells), blk)
        extra.extend(shapely.get_parts(edges))
    if extra:
        blocks = _polygonize(np.concatenate([lines, np.asarray(extra, dtype=object)]))
    total = float(shapely.area(blocks).sum())
    assert abs(total - geo.outline.area) < 1.0, (total, geo.outline.area)
    return blocks


def _polygonize(lines: np.ndarray) -> np.ndarray:
    noded = shapely.union_all(lines)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    return faces[shapely.area(faces) > 0.0]


def _adjacency(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (i, j), i < j, of blocks sharing an edge, with the shared length."""
    tree = shapely.STRtree(blocks)
    i, j = tree.query(blocks, predicate="touches")
    m = i < j
    i, j = i[m], j[m]
    shared = shapely.length(shapely.intersection(shapely.boundary(blocks[i]), shapely.boundary(blocks[j])))
    m = shared > 0.5
    return i[m], j[m], shared[m]


def _balanced_kmeans(xy, w, seeds, iters=80) -> np.ndarray:
    """Assign points to clusters holding equal weight: k-means with additive weights."""
    k = len(seeds)
    c = np.asarray(seeds, dtype=float).copy()
    alpha = np.zeros(k)
    target = w.sum() / k
    spread = np.mean((xy - xy.mean(axis=0)) ** 2) * 2 / k
    for it in range(iters):
        d2 = ((xy[:, None, :] - c[None, :, :]) ** 2).sum(-1) - alpha
        lab = np.argmin(d2, axis=1)
        W = np.bincount(lab, weights=w, minlength=k)
        alpha += 0.5 * spread * (target - W) / target
        for q in range(k):
            m = lab == q
            if m.any():
                c[q] = (xy[m] * w[m, None]).sum(0) / w[m].sum()
    return lab


def _make_contiguous(lab, w, adj, rounds=8) -> np.ndarray:
    """Hand every detached piece of a cluster to the neighbour it borders most."""
    i, j, shared = adj
    n = len(lab)
    for _ in range(rounds):
        changed = False
        same = lab[i] == lab[j]
        # Connected components of 'same cluster' adjacency (union-find).
        parent = np.arange(n)

        def find(a):
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a
        for a, b in zip(i[same], j[same]):
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        comp = np.array([find(a) for a in range(n)])
        cw = pd.Series(w).groupby([lab, comp]).sum()
        main = cw.groupby(level=0).idxmax().map(lambda t: t[1])
        for (cl, cp), _ in cw.items():
            if main[cl] == cp:
                continue
            members = np.flatnonzero(comp == cp)
            border = pd.Series(np.concatenate([shared, shared]), index=np.concatenate([i, j]))
            other = np.concatenate([j, i])
            inm = np.isin(np.concatenate([i, j]), members) & (lab[other] != cl)
            if not inm.any():
                continue
            votes = pd.Series(border.to_numpy()[inm]).groupby(lab[other][inm]).sum()
            lab[members] = int(votes.idxmax())
            changed = True
        if not changed:
            break
    return lab


def _ensure_k(lab: np.ndarray, k: int, xy: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Relabel 0..k-1; should a cluster have come out empty, halve the heaviest one
    across its principal axis at the weighted median until there are k."""
    _, lab = np.unique(lab, return_inverse=True)
    while lab.max() + 1 < k:
        big = int(np.argmax(np.bincount(lab, weights=w)))
        m = np.flatnonzero(lab == big)
        p = xy[m] - xy[m].mean(axis=0)
        proj = p @ np.linalg.svd(p, full_matrices=False)[2][0]
        order = np.argsort(proj, kind="stable")
        cw = np.cumsum(w[m][order])
        lab[m[order[cw > cw[-1] / 2]]] = lab.max() + 1
    return lab


def _zh(n: int) -> str:
    """1..99 in Chinese numerals (一, 十, 十一, 二十, 二十一 …)."""
    tens, ones = divmod(n, 10)
    return ((_ZH_NUM[tens - 1] if tens > 1 else "") + ("十" if tens else "")
            + (_ZH_NUM[ones - 1] if ones else ""))


def _largest_remainder(shares: np.ndarray, total: int, minimum: int) -> np.ndarray:
    raw = shares / shares.sum() * (total - minimum * len(shares))
    n = np.floor(raw).astype(int) + minimum
    rest = total - n.sum()
    n[np.argsort(-(raw - np.floor(raw)), kind="stable")[:rest]] += 1
    return n


def build_grids(rng: np.random.Generator, geo: Geography, buildings: pd.DataFrame):
    """Return (blocks with labels, districts, grids) as DataFrames in local metres."""
    blocks = build_blocks(rng, geo)
    pts = shapely.point_on_surface(blocks)
    xy = shapely.get_coordinates(pts)
    area = shapely.area(blocks)
    tree = shapely.STRtree(blocks)
    bi, blk = tree.query(shapely.points(buildings.cx.to_numpy(), buildings.cy.to_numpy()), predicate="within")
    pop = np.bincount(blk, weights=buildings.residents.to_numpy()[bi], minlength=len(blocks))
    w_grid = 0.5 * area / area.sum() + 0.5 * pop / pop.sum()
    w_dist = 0.7 * area / area.sum() + 0.3 * pop / pop.sum()
    adj = _adjacency(blocks)
    seeds = np.array([CENTRE, PARK_CENTRE, (0, 4500), (-5200, -600), (-800, -4700)], dtype=float)
    dlab = _make_contiguous(_balanced_kmeans(xy, w_dist, seeds), w_dist, adj)
    dlab = _ensure_k(dlab, N_DISTRICTS, xy, w_dist)
    n_per = _largest_remainder(np.bincount(dlab, weights=w_grid, minlength=N_DISTRICTS), N_GRIDS, 3)
    glab = np.full(len(blocks), -1)
    gdist = []
    for d in range(N_DISTRICTS):
        m = np.flatnonzero(dlab == d)
        k = int(n_per[d])
        order = rng.permutation(len(m))
        init = [xy[m][order[0]]]
        for _ in range(1, k):  # farthest-point initialisation, deterministic given rng
            dd = np.min(((xy[m][:, None] - np.asarray(init)[None]) ** 2).sum(-1), axis=1)
            init.append(xy[m][int(np.argmax(dd * w_grid[m]))])
        sub = _balanced_kmeans(xy[m], w_grid[m], np.asarray(init))
        sub_adj = _sub_adjacency(adj, m)
        sub = _make_contiguous(sub, w_grid[m], sub_adj)
        sub = _make_contiguous(_ensure_k(sub, k, xy[m], w_grid[m]), w_grid[m], sub_adj)
        sub = _ensure_k(sub, k, xy[m], w_grid[m])
        glab[m] = len(gdist) + sub
        gdist += [d] * int(sub.max() + 1)
    assert len(gdist) == N_GRIDS, len(gdist)
    districts, grids = _name(geo, blocks, dlab, glab, np.asarray(gdist))
    return blocks, districts, grids


def _sub_adjacency(adj, members):
    i, j, s = adj
    pos = -np.ones(max(i.max(), j.max()) + 1, dtype=int)
    pos[members] = np.arange(len(members))
    m = (pos[i] >= 0) & (pos[j] >= 0)
    return pos[i[m]], pos[j[m]], s[m]


def _name(geo, blocks, dlab, glab, gdist):
    # Districts ordered and named: centre, park, then by compass direction.
    dgeom = np.array([shapely.coverage_union_all(blocks[dlab == d]) for d in range(N_DISTRICTS)], dtype=object)
    cen = shapely.get_coordinates(shapely.centroid(dgeom))
    kinds = [None] * N_DISTRICTS
    kinds[int(np.argmin(np.hypot(*(cen - CENTRE).T)))] = "centre"
    rest = [d for d in range(N_DISTRICTS) if kinds[d] is None]
    kinds[rest[int(np.argmin(np.hypot(*(cen[rest] - PARK_CENTRE).T)))]] = "park"
    dirs = {"north": (0, 1), "west": (-1, 0), "south": (0, -1), "east": (1, 0)}
    for d in [d for d in range(N_DISTRICTS) if kinds[d] is None]:
        v = cen[d] - CENTRE
        free = [k for k in dirs if k not in kinds]
        kinds[d] = max(free, key=lambda k: np.dot(v, dirs[k]))
    order = sorted(range(N_DISTRICTS), key=lambda d: list(names.DISTRICT_NAMES).index(kinds[d]))
    did = {d: f"D{r + 1:02d}" for r, d in enumerate(order)}
    districts = pd.DataFrame({"district_id": [did[d] for d in order],
                              "name": [names.DISTRICT_NAMES[kinds[d]] for d in order],
                              "geometry": dgeom[order]})
    ggeom = np.array([shapely.coverage_union_all(blocks[glab == g]) for g in range(N_GRIDS)], dtype=object)
    gc = shapely.get_coordinates(shapely.point_on_surface(ggeom))
    rows = []
    for d in order:
        gs = np.flatnonzero(gdist == d)
        gs = gs[np.lexsort((gc[gs, 0], -np.round(gc[gs, 1], -3)))]  # north to south, west to east
        for k, g in enumerate(gs):
            rows.append((f"G{did[d][1:]}-{k + 1:02d}", did[d], _place(geo, gc[g]), ggeom[g]))
    grids = pd.DataFrame(rows, columns=["grid_id", "district_id", "place", "geometry"])
    dup = grids.groupby("place").cumcount()
    many = grids.place.map(grids.place.value_counts()) > 1
    grids["name"] = [f"{p}{'第' + _zh(k + 1) if m else ''}网格" for p, k, m in zip(grids.place, dup, many)]
    return districts, grids.drop(columns="place")


def _place(geo: Geography, p) -> str:
    if shapely.contains_xy(geo.park.buffer(400), *p):
        return "开发区"
    if shapely.contains_xy(geo.centre_zone.buffer(600), *p):
        ang = np.arctan2(p[1] - CENTRE[1], p[0] - CENTRE[0])
        r = np.hypot(p[0] - CENTRE[0], p[1] - CENTRE[1])
        k = 0 if r < 700 else 1 + int(((ang + np.pi) / (2 * np.pi) * 10) % 10)
        return names.COMMUNITIES[k]
    v = geo.villages
    return v.name.iloc[int(np.argmin(np.hypot(v.x - p[0], v.y - p[1])))]


def build_pro_grids(outline: shapely.Polygon, ent_xy: np.ndarray) -> pd.DataFrame:
    """20 professional grids by recursive bisection on enterprise locations."""
    leaves: list[shapely.Geometry] = []

    def split(region, idx, k):
        if k == 1:
            leaves.append(region)
            return
        pts = ent_xy[idx]
        minx, miny, maxx, maxy = region.bounds
        axis = 0 if (maxx - minx) >= (maxy - miny) else 1
        order = idx[np.argsort(pts[:, axis], kind="stable")]
        v = ent_xy[order, axis]
        k_lo = k // 2
        want = int(round(len(idx) * k_lo / k))
        # Widest gap among cuts that keep both sides within their average cap.
        cands = [c for c in range(want - 3, want + 4)
                 if 0 < c < len(v) and c / k_lo <= MAX_ENTERPRISES_PER_PRO_GRID - 2
                 and (len(v) - c) / (k - k_lo) <= MAX_ENTERPRISES_PER_PRO_GRID - 2]
        cut = max(cands, key=lambda c: v[c] - v[c - 1])
        at = (v[cut] + v[cut - 1]) / 2
        big = 1e6
        lo_box = shapely.box(-big, -big, at, big) if axis == 0 else shapely.box(-big, -big, big, at)
        lo = shapely.intersection(region, lo_box)
        hi = shapely.difference(region, lo_box)
        split(lo, order[:cut], k_lo)
        split(hi, order[cut:], k - k_lo)

    split(outline, np.arange(len(ent_xy)), N_PRO_GRIDS)
    geoms = np.asarray(leaves, dtype=object)
    c = shapely.get_coordinates(shapely.point_on_surface(geoms))
    order = np.lexsort((c[:, 0], -np.round(c[:, 1], -3)))
    return pd.DataFrame({"pro_grid_id": [f"P{i + 1:02d}" for i in range(len(order))],
                         "name": [f"第{_zh(i + 1)}专业网格" for i in range(len(order))],
                         "geometry": geoms[order]})
