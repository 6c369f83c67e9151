"""kpi_command on both store backends: the same numbers as the pure computation on
the hand-made frames, with the period pushed down to the database."""
import geopandas as gpd
import pytest
import shapely

from indicators import compute_kpis
from indicators.report import kpi_command
from tests.indicators import handmade as H


def _load(store):
    c = H.cases()
    store.upsert("cases", gpd.GeoDataFrame(c, geometry=[shapely.Point(120.6, 31.0)] * len(c), crs=4326))
    p = H.patrols().drop(columns=["grid_id", "district_id"])      # the grid comes from staff
    p["patrol_id"] = [f"P{i}" for i in range(len(p))]
    line = shapely.LineString([(120.6, 31.0), (120.61, 31.0)])
    store.upsert("patrols", gpd.GeoDataFrame(p, geometry=[line] * len(p), crs=4326))
    r = H.reports()
    r["case_id"] = [f"R{i}" for i in range(len(r))]
    r["registered_at"] = None
    store.upsert("cases", gpd.GeoDataFrame(r, geometry=[shapely.Point(120.6, 31.0)] * len(r), crs=4326))
    store.upsert("staff", gpd.pd.DataFrame({"staff_id": ["I1", "I2", "I3"], "role": ["inspector"] * 3,
                                            "grid_id": ["G1", "G1", "G2"]}))
    store.upsert("grids", gpd.GeoDataFrame({"grid_id": ["G1", "G2", "G3", "G4", "G5"],
                                            "district_id": ["D1", "D1", "D2", "D2", "D2"]},
                                           geometry=[shapely.box(120, 31, 121, 32)] * 5, crs=4326))


def test_kpi_command_matches_pure_computation(store):
    _load(store)
    got = kpi_command(store, H.PERIOD["start"], H.PERIOD["end"], as_of=H.PERIOD["as_of"])
    want = compute_kpis(H.cases(), H.patrols(), reports=H.reports(), **H.PERIOD)
    assert got == want
    assert got["accepted"] == 9 and got["rule_3510_compliance"] == pytest.approx(2 / 5)


def test_kpi_command_by_grid_lists_every_grid(store):
    _load(store)
    got = kpi_command(store, H.PERIOD["start"], H.PERIOD["end"], as_of=H.PERIOD["as_of"], by="grid")["groups"]
    assert sorted(got) == ["G1", "G2", "G3", "G4", "G5", "unassigned"]
    assert got["G5"]["accepted"] == 0 and got["G5"]["disposal_rate"] is None
    assert got["G1"]["rule_3510_compliance"] == pytest.approx(1 / 4)   # I1, I2 via staff.grid_id
    d = kpi_command(store, H.PERIOD["start"], H.PERIOD["end"], as_of=H.PERIOD["as_of"], by="district")["groups"]
    assert d["D1"]["accepted"] == 6 and d["D1"]["rule_3510_compliance"] == pytest.approx(2 / 5)


def test_kpi_command_refuses_unknown_by(store):
    _load(store)
    with pytest.raises(ValueError, match="--by must be"):
        kpi_command(store, "2024-03-01", "2024-04-01", by="village")


def test_warnings_command_flags_a_burst_read_from_the_store(store):
    """60 calm days of 2 cases a day in two grids, then 15 in one grid on the last day."""
    import geopandas as gpd
    import h3
    import numpy as np
    import pandas as pd
    import shapely

    from indicators.report import warnings_command

    days = pd.date_range("2024-01-01", periods=60, freq="D", tz="Asia/Shanghai")
    rows = []
    for grid, lon in (("G01", 120.60), ("G02", 120.70)):
        counts = np.full(60, 2)
        if grid == "G01":
            counts[-1] = 15
        for day, n in zip(days, counts):
            rows += [(grid, lon, day + pd.Timedelta(hours=9, minutes=k)) for k in range(n)]
    df = pd.DataFrame(rows, columns=["grid_id", "lon", "reported_at"])
    cases = gpd.GeoDataFrame({
        "case_id": [f"C{i:05d}" for i in range(len(df))], "category": "litter", "grid_id": df.grid_id,
        "reported_at": df.reported_at, "registered_at": df.reported_at + pd.Timedelta(minutes=5),
        "h3": [h3.latlng_to_cell(31.0, lon, 9) for lon in df.lon],
    }, geometry=shapely.points(df.lon, np.full(len(df), 31.0)), crs=4326)
    store.append("cases", cases)
    found = warnings_command(store, start="2024-02-29", end="2024-03-01", hotspots=False)
    assert found[["kind", "where", "count"]].to_dict("records") == [{"kind": "surge", "where": "G01", "count": 15}]
    calm = warnings_command(store, start="2024-02-20", end="2024-02-28", hotspots=False)
    assert len(calm) == 0
