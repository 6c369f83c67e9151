"""A tiny town for the notebook library's runnable examples (doctests).

Two grids side by side in one district, the four cases of
:mod:`indicators.examples` placed inside their grids, one inspector with three
patrols on 2018-01-02, three residents and one enterprise — enough for every
method of :class:`townbrain.Town` to show a number a reader can check by hand.

>>> import townbrain as tb
>>> town = tb.connect(tiny_town())
>>> town.layer("grids")["grid_id"].tolist()
['G1', 'G2']
"""
from __future__ import annotations

import os
import tempfile

import geopandas as gpd
import pandas as pd
import shapely

__all__ = ["tiny_town"]

#: The grids: G1 west of 120.61°E, G2 east of it, both 31.00–31.01°N.
G1 = shapely.box(120.60, 31.00, 120.61, 31.01)
G2 = shapely.box(120.61, 31.00, 120.62, 31.01)


def tiny_town(path: str | None = None) -> str:
    """Write the tiny town to a new GeoPackage and return its path."""
    from geodata.store import open_store
    from indicators.examples import tiny_cases
    path = path or os.path.join(tempfile.mkdtemp(prefix="tb-tiny-"), "tiny.gpkg")
    tz = "Asia/Shanghai"
    st = open_store(path)
    st.create_schema()
    st.upsert("districts", gpd.GeoDataFrame({"district_id": ["D1"], "name": ["东片区"]},
                                            geometry=[shapely.union_all([G1, G2])], crs=4326))
    st.upsert("grids", gpd.GeoDataFrame({"grid_id": ["G1", "G2"], "name": ["一网格", "二网格"],
                                        "district_id": ["D1", "D1"]}, geometry=[G1, G2], crs=4326))
    cases = tiny_cases()
    cases["category"] = ["city_appearance", "city_appearance", "fire_safety", "city_appearance"]
    cases["status"] = ["closed", "dispatched", "closed", "rejected"]
    cases["reported_by"] = ["I1", None, "I1", None]
    x = [120.605 if g == "G1" else 120.615 for g in cases["grid_id"]]
    st.upsert("cases", gpd.GeoDataFrame(cases, geometry=gpd.points_from_xy(x, [31.005] * len(cases)), crs=4326))
    st.upsert("staff", pd.DataFrame({"staff_id": ["I1"], "role": ["inspector"], "grid_id": ["G1"]}))
    t = lambda s: pd.Timestamp(f"2018-01-02 {s}", tz=tz)  # noqa: E731
    st.upsert("patrols", gpd.GeoDataFrame(
        {"patrol_id": ["P1", "P2", "P3"], "staff_id": ["I1"] * 3,
         "started_at": [t("08:00"), t("11:00"), t("14:00")], "ended_at": [t("10:00"), t("13:00"), t("15:30")]},
        geometry=[shapely.LineString([(120.601, 31.001), (120.609, 31.009)])] * 3, crs=4326))
    st.upsert("residents", gpd.GeoDataFrame(
        {"resident_id": ["R1", "R2", "R3"], "building_id": ["B1", "B1", "B2"], "age_band": ["18-59"] * 3,
         "household": ["registered", "floating", "registered"], "grid_id": ["G1", "G1", "G2"],
         "district_id": ["D1"] * 3}, geometry=gpd.points_from_xy([120.603, 120.604, 120.613], [31.003] * 3),
        crs=4326))
    st.upsert("enterprises", gpd.GeoDataFrame(
        {"enterprise_id": ["E1"], "name": ["青澜纺织"], "industry": ["textile"], "employees": [40],
         "credit": ["green"], "grid_id": ["G2"], "district_id": ["D1"]},
        geometry=gpd.points_from_xy([120.616], [31.006]), crs=4326))
    st.close()
    return path
