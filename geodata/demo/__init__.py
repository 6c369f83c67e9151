"""The demo town 青澜镇: a calibrated, deterministic data set (contract, "The demo town").

>>> import datetime as dt
>>> from geodata.demo import build_town    # doctest: +SKIP
>>> town = build_town(seed=42, today=dt.date(2026, 11, 1))    # doctest: +SKIP
>>> len(town["grids"]), len(town["districts"]), len(town["pro_grids"])    # doctest: +SKIP
(70, 5, 20)

Modules, one idea each: :mod:`~geodata.demo.coords` (metric working frame),
:mod:`~geodata.demo.geography` (outline, water, roads, villages),
:mod:`~geodata.demo.buildings`, :mod:`~geodata.demo.grids` (districts, comprehensive
and professional grids), :mod:`~geodata.demo.entities` (enterprises, residents),
:mod:`~geodata.demo.staff_patrols`, :mod:`~geodata.demo.categories`,
:mod:`~geodata.demo.rhythm` and :mod:`~geodata.demo.places` (when and where cases
happen), :mod:`~geodata.demo.cases`, :mod:`~geodata.demo.facilities` and
:mod:`~geodata.demo.services` (the modules' own layers), :mod:`~geodata.demo.simulate` (the live feed) and
:mod:`~geodata.demo.overview` (the PNG map).
"""
from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.demo import names
from geodata.demo.buildings import build_buildings
from geodata.demo.cases import build_cases
from geodata.demo.categories import categories_layer
from geodata.demo.coords import points_to_lonlat, polygon_index, to_lonlat
from geodata.demo.entities import build_enterprises, build_residents
from geodata.demo.facilities import (build_bus_routes, build_cameras, build_key_projects, build_parking,
                                     build_schools)
from geodata.demo.geography import build_geography
from geodata.demo.grids import build_grids, build_pro_grids
from geodata.demo.places import PlaceSampler
from geodata.demo.services import build_approvals, build_medical_insurance, build_opinion_items, build_tasks
from geodata.demo.staff_patrols import build_patrols, build_staff
from geodata.schema import LAYERS, STORAGE_CRS

__all__ = ["build_town", "write_town", "town_now", "DEMO_TZ"]

DEMO_TZ = "Asia/Shanghai"
#: Layers in the order they are written (parents before children).
LAYER_ORDER = ("town", "districts", "grids", "pro_grids", "rivers", "roads", "buildings", "residents",
               "enterprises", "staff", "categories", "patrols", "cases",
               # the modules' own layers (layers/modules.py)
               "key_projects", "tasks", "cameras", "approvals", "opinion_items", "parking", "bus_routes",
               "schools", "medical_insurance")
#: Seed offset of the modules' layers: they draw from their own stream, so adding them
#: left every older layer of a seed exactly as it was.
THEME_STREAM = 0x7E


def town_now(today: dt.date | None = None, now: dt.datetime | None = None) -> pd.Timestamp:
    """The instant the town's history runs up to (tz-aware, Asia/Shanghai).

    ``now`` wins when given; else with ``today`` the history ends at the start of
    that day (whole days only, so the same ``today`` always gives the same town);
    with neither, at the current second.
    """
    if now is not None:
        ts = pd.Timestamp(now)
        return (ts.tz_localize(DEMO_TZ) if ts.tzinfo is None else ts.tz_convert(DEMO_TZ)).floor("s")
    if today is not None:
        return pd.Timestamp(today).tz_localize(DEMO_TZ)
    return pd.Timestamp.now(tz=DEMO_TZ).floor("s")


def _gdf(df: pd.DataFrame, geoms, layer: str) -> gpd.GeoDataFrame:
    """A frame with the layer's dictionary columns first, extras after, EPSG:4326."""
    decl = [f for f in LAYERS[layer].field_names if f in df.columns] if layer in LAYERS else list(df.columns)
    extra = [c for c in df.columns if c not in decl and c != "geometry"]
    return gpd.GeoDataFrame(df[decl + extra].reset_index(drop=True),
                            geometry=gpd.GeoSeries(np.asarray(geoms, dtype=object), crs=STORAGE_CRS))


def _localize(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.tz_localize(DEMO_TZ).dt.as_unit("s")


def build_town(seed: int = 42, today: dt.date | None = None,
               now: dt.datetime | None = None) -> dict[str, pd.DataFrame]:
    """Generate the demo town: ``{layer name: GeoDataFrame or DataFrame}``.

    Deterministic for (``seed``, ``today``): every random draw comes from one
    ``numpy.random.default_rng(seed)`` in a fixed order, except those of the modules'
    own layers (key projects, cameras, approvals …), which come from a second stream
    ``default_rng((seed, THEME_STREAM))``. Cases run from 2018-01-01 up to
    :func:`town_now`; patrols cover the last 60 days (see
    :mod:`geodata.demo.staff_patrols`). All geometry is EPSG:4326, all times are
    tz-aware Asia/Shanghai.
    """
    rng = np.random.default_rng(seed)
    t_now = town_now(today, now)
    now_local = np.datetime64(t_now.tz_localize(None).to_datetime64(), "s")
    geo = build_geography(rng)
    bld = build_buildings(rng, geo)
    blocks, districts, grids = build_grids(rng, geo, bld)
    ent = build_enterprises(rng, bld)
    pro = build_pro_grids(shapely.coverage_union_all(blocks), ent[["x", "y"]].to_numpy())
    res = build_residents(rng, bld)
    bgrid = polygon_index(grids.geometry.to_numpy(), bld.cx.to_numpy(), bld.cy.to_numpy())
    grid_pop = np.bincount(bgrid, weights=bld.residents.to_numpy(), minlength=len(grids))
    staff = build_staff(rng, grids, pro, grid_pop, districts)
    patrols, reports = build_patrols(rng, geo, grids, staff, grid_pop / grid_pop.max(), t_now.tz_localize(None))
    window_start = np.datetime64(patrols.started_at.min().date()) if len(patrols) else now_local.astype("datetime64[D]")
    cases = build_cases(rng, geo, bld, ent, grids, staff, reports, now_local, window_start)

    town: dict[str, pd.DataFrame] = {}
    outline = shapely.coverage_union_all(blocks)
    town["town"] = _gdf(pd.DataFrame({"town_id": ["T01"], "name": [names.TOWN],
                                      "area_km2": [round(outline.area / 1e6, 3)]}), to_lonlat([outline]), "town")
    town["districts"] = _gdf(districts, to_lonlat(districts.geometry), "districts")
    town["grids"] = _gdf(grids, to_lonlat(grids.geometry), "grids")
    town["pro_grids"] = _gdf(pro, to_lonlat(pro.geometry), "pro_grids")
    rivers = geo.rivers.explode("geometry", ignore_index=True)
    rivers["river_id"] = [f"W{i:03d}" for i in range(1, len(rivers) + 1)]
    town["rivers"] = _gdf(rivers, to_lonlat(rivers.geometry), "rivers")
    roads = geo.roads.copy()
    roads["road_id"] = [f"R{i:04d}" for i in range(1, len(roads) + 1)]
    town["roads"] = _gdf(roads, to_lonlat(roads.geometry), "roads")
    b = bld[["building_id", "use", "floors", "residents", "zone"]].copy()
    town["buildings"] = _gdf(b, to_lonlat(bld.geometry), "buildings")
    town["residents"] = _gdf(res.drop(columns=["x", "y"]), points_to_lonlat(res.x, res.y), "residents")
    town["enterprises"] = _gdf(ent.drop(columns=["x", "y"]), points_to_lonlat(ent.x, ent.y), "enterprises")
    town["staff"] = staff[["staff_id", "role", "grid_id", "pro_grid_id", "district_id"]].copy()
    town["categories"] = categories_layer()
    p = patrols[["patrol_id", "staff_id", "started_at", "ended_at", "grid_id", "length_m"]].copy()
    p["started_at"], p["ended_at"] = _localize(p.started_at), _localize(p.ended_at)
    town["patrols"] = _gdf(p, to_lonlat(patrols.geometry), "patrols")
    c = cases.drop(columns=["x", "y"])
    for col in ("reported_at", "registered_at", "deadline", "closed_at", "dispatched_at"):
        c[col] = _localize(c[col])
    c["enforcement"] = c["enforcement"].astype(bool)
    town["cases"] = _gdf(c, points_to_lonlat(cases.x.to_numpy(), cases.y.to_numpy()), "cases")
    # residents per grid by their building (the insurance register counts households, not map points)
    res_grid = bgrid[pd.Index(bld.building_id).get_indexer(res.building_id)]
    res_per_grid = np.bincount(res_grid, minlength=len(grids))
    floating = np.bincount(res_grid, weights=(res.household == "floating").to_numpy(), minlength=len(grids))
    town.update(_theme_layers(np.random.default_rng((seed, THEME_STREAM)), geo, bld, ent, t_now,
                              grids.grid_id.to_numpy(), res_per_grid, floating))
    return {k: town[k] for k in LAYER_ORDER}


def _theme_layers(rng, geo, bld, ent, t_now: pd.Timestamp, grid_ids, grid_residents, grid_floating) -> dict:
    """The layers the wall's modules draw beyond cases and the base town: facilities
    (:mod:`~geodata.demo.facilities`) and service records (:mod:`~geodata.demo.services`)."""
    sampler = PlaceSampler(rng, geo, bld, ent)
    out = {}

    def points(name, df):
        out[name] = _gdf(df.drop(columns=["x", "y"]), points_to_lonlat(df.x.to_numpy(), df.y.to_numpy()), name)

    def local(df, cols):
        for col in cols:
            df[col] = _localize(df[col])
        return df
    projects = build_key_projects(rng, geo, sampler, t_now)
    points("key_projects", local(projects, ["started_at", "planned_end", "updated_at"]))
    out["tasks"] = local(build_tasks(rng, projects, geo.villages.name.to_numpy(), t_now),
                         ["issued_at", "deadline", "completed_at"])
    points("cameras", local(build_cameras(rng, sampler, t_now), ["installed_at", "updated_at"]))
    out["approvals"] = local(build_approvals(rng, t_now), ["submitted_at", "deadline", "completed_at"])
    points("opinion_items", local(build_opinion_items(rng, sampler, geo.villages, geo.centre_zone, t_now),
                                  ["published_at", "handled_at"]))
    points("parking", local(build_parking(rng, geo, bld, t_now), ["updated_at"]))
    routes = build_bus_routes(rng, geo)
    out["bus_routes"] = _gdf(routes.drop(columns=["geometry"]), to_lonlat(routes.geometry), "bus_routes")
    points("schools", build_schools(rng, geo, bld))
    out["medical_insurance"] = build_medical_insurance(rng, grid_ids, grid_residents, grid_floating, t_now)
    return out


def write_town(store, town: dict[str, pd.DataFrame], progress=None) -> dict[str, int]:
    """Create the schema and write every layer of ``town`` (replacing what was there).

    ``progress(name, n)`` is called after each layer. Returns records written per layer.
    """
    store.create_schema()
    written = {}
    for name in [k for k in LAYER_ORDER if k in town] + [k for k in town if k not in LAYER_ORDER]:
        written[name] = store.write(name, town[name], mode="replace")
        if progress:
            progress(name, written[name])
    return written
