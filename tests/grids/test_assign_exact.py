"""Exact assignment against the shapely oracle (covers + lowest id), property-based."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grids.systems import GridSystem
from tests.grids.handmade import U, X0, Y0, boundary_segments, covers_oracle, overlapping, partition

FRAMES = {"partition": partition(), "overlapping": overlapping()}
# small budgets force most points through the exact path; the default is the fast path
SYSTEMS = {(name, cells): GridSystem.from_frame(gdf, "grid_id", max_cells=cells)
           for name, gdf in FRAMES.items() for cells in (64, 4096, 1 << 22)}
SEGMENTS = {name: boundary_segments(gdf) for name, gdf in FRAMES.items()}

ulps = st.integers(-3, 3)


@st.composite
def points(draw, name):
    """Points on vertices, on edges, a few ulps off them, random, outside, missing."""
    segs = SEGMENTS[name]
    kind = draw(st.sampled_from(["vertex", "edge", "near", "random", "outside", "nan"]))
    if kind in ("vertex", "edge", "near"):
        x1, y1, x2, y2 = segs[draw(st.integers(0, len(segs) - 1))]
        t = draw(st.integers(0, 64)) / 64 if kind != "vertex" else 0.0
        x, y = x1 + (x2 - x1) * t, y1 + (y2 - y1) * t
        if kind == "near":
            for _ in range(abs(draw(ulps))):
                x = np.nextafter(x, np.inf if draw(st.booleans()) else -np.inf)
            for _ in range(abs(draw(ulps))):
                y = np.nextafter(y, np.inf if draw(st.booleans()) else -np.inf)
        return float(x), float(y)
    if kind == "random":
        return (draw(st.floats(X0 - U, X0 + 13 * U)), draw(st.floats(Y0 - U, Y0 + 9 * U)))
    if kind == "outside":
        return (draw(st.floats(-180, 180)), draw(st.floats(-90, 90)))
    return (float("nan"), draw(st.floats(Y0, Y0 + 8 * U)))


def check(name, cells, pts):
    x = np.array([p[0] for p in pts])
    y = np.array([p[1] for p in pts])
    system = SYSTEMS[(name, cells)]
    want = covers_oracle(FRAMES[name], x, y)
    assert system.ids_of_xy(x, y).tolist() == want
    assert [system.id_of(a, b) for a, b in zip(x, y)] == want


@pytest.mark.parametrize("cells", [64, 4096, 1 << 22])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_partition_with_hole_and_multipolygon_matches_covers_oracle(cells, data):
    check("partition", cells, data.draw(st.lists(points("partition"), min_size=1, max_size=40)))


@pytest.mark.parametrize("cells", [64, 4096, 1 << 22])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_overlapping_grids_follow_the_tie_rule(cells, data):
    check("overlapping", cells, data.draw(st.lists(points("overlapping"), min_size=1, max_size=40)))


def test_tie_rule_by_hand():
    s = SYSTEMS[("partition", 1 << 22)]
    at = lambda x, y: s.id_of(X0 + x * U, Y0 + y * U)  # noqa: E731
    assert at(4, 2) == "G01"      # edge G01|G02
    assert at(4, 4) == "G01"      # vertex of G01, G02, G04
    assert at(1.5, 1.5) == "G03"  # in G01's hole: the other part of multipolygon G03
    assert at(1, 1) == "G01"      # hole corner: on G01's and G03's boundary
    assert at(5, 6) == "G04"      # on the diagonal G04|G05
    assert at(5.5, 6) == "G04" and at(4, 6) == "G05"
    assert at(9, 9) is None
    o = SYSTEMS[("overlapping", 1 << 22)]
    assert o.id_of(X0 + 3.5 * U, Y0 + 3.5 * U) == "A1"  # A1, M5, Z9 cover it
    assert o.id_of(X0 + 5 * U, Y0 + 5 * U) == "M5"


def test_random_voronoi_town_matches_oracle_on_many_points():
    """70 irregular grids, 200 k random points plus every vertex and edge midpoint."""
    import shapely
    from grids.synthetic import voronoi_grids
    g = voronoi_grids(70, seed=5)
    s = GridSystem.from_frame(g, "grid_id")
    rng = np.random.default_rng(1)
    b = g.total_bounds
    x = np.r_[b[0] - 0.01 + rng.random(200_000) * (b[2] - b[0] + 0.02)]
    y = np.r_[b[1] - 0.01 + rng.random(200_000) * (b[3] - b[1] + 0.02)]
    segs = boundary_segments(g)
    x = np.r_[x, segs[:, 0], (segs[:, 0] + segs[:, 2]) / 2]
    y = np.r_[y, segs[:, 1], (segs[:, 1] + segs[:, 3]) / 2]
    got = s.ids_of_xy(x, y)
    pts = shapely.points(x, y)
    p, r = shapely.STRtree(s.geometries).query(pts, predicate="covered_by")
    best = np.full(len(x), len(s), dtype=np.int64)
    np.minimum.at(best, p, r)
    want = np.append(s.ids, None)[best]
    assert (got == want).all()
    assert (got == None).sum() > 0  # noqa: E711 - the margin is outside every grid


def test_empty_and_missing_geometries_cover_nothing():
    import shapely
    s = GridSystem(["A", "B", "C"], [None, shapely.Polygon(), shapely.box(0, 0, 1, 1)])
    assert s.ids_of_xy(np.array([0.5, 2.0]), np.array([0.5, 2.0])).tolist() == ["C", None]
    empty = GridSystem([], [])
    assert empty.ids_of_xy(np.array([0.5]), np.array([0.5])).tolist() == [None]
