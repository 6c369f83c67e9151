"""The demo town, checked independently of the generator.

The town is generated once (seed 42, today 2026-11-01), written through the store to
a GeoPackage, and every figure below is recomputed from that file with plain
pyogrio / geopandas / shapely / pandas — never with the generator's own helpers.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

SEED = 42
TODAY = dt.date(2026, 11, 1)
TZ = "Asia/Shanghai"
METRIC = "EPSG:4549"


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    from geodata.demo import build_town, write_town
    from geodata.store import open_store
    t0 = time.perf_counter()
    town = build_town(seed=SEED, today=TODAY)
    seconds = time.perf_counter() - t0
    path = tmp_path_factory.mktemp("demo") / "town.gpkg"
    store = open_store(str(path))
    write_town(store, town)
    store.close()
    return {"town": town, "path": path, "seconds": seconds}


def _read(path, layer, **kw) -> pd.DataFrame:
    return pyogrio.read_dataframe(path, layer=layer, **kw)


def _utc(s: pd.Series) -> pd.Series:
    """Stored times as tz-aware UTC, whatever type the reader returned."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.tz_localize("UTC") if s.dt.tz is None else s.dt.tz_convert("UTC")
    return pd.to_datetime(s, utc=True, format="ISO8601")


@pytest.fixture(scope="session")
def cases(demo):
    df = _read(demo["path"], "cases", read_geometry=False,
               columns=["case_id", "source", "reported_by", "reported_at", "registered_at", "deadline",
                        "closed_at", "status", "resolved_level", "enforcement", "subcategory", "category"])
    for col in ("reported_at", "registered_at", "deadline", "closed_at"):
        df[col] = _utc(df[col])
    return df


def test_generation_is_under_a_minute(demo):
    assert demo["seconds"] < 60


def test_layer_counts_match_the_brief(demo):
    n = {name: pyogrio.read_info(demo["path"], layer=name)["features"]
         for name, _ in pyogrio.list_layers(demo["path"])}
    assert n["districts"] == 5
    assert n["grids"] == 70
    assert n["pro_grids"] == 20
    assert n["enterprises"] >= 1400
    assert sum(n.values()) >= 300_000
    # brief.md: "Population, enterprises, buildings, roads and rivers: over 300,000 records".
    assert n["residents"] + n["enterprises"] + n["buildings"] + n["roads"] + n["rivers"] >= 300_000
    assert n["roads"] > 50 and n["rivers"] > 5 and n["patrols"] > 1000 and n["cases"] > 300_000


def test_town_is_a_150_km2_water_town_near_120_6E_31N(demo):
    town = gpd.read_file(demo["path"], layer="town")
    c = town.geometry.iloc[0].centroid
    assert abs(c.x - 120.6) < 0.1 and abs(c.y - 31.0) < 0.1
    assert 140 < town.to_crs(METRIC).area.iloc[0] / 1e6 < 160
    rivers = gpd.read_file(demo["path"], layer="rivers")
    assert (rivers["name"] == "京杭大运河").any()
    roads = gpd.read_file(demo["path"], layer="roads")
    assert {"expressway", "main", "village"} <= set(roads.road_class)


def test_2018_reproduces_the_published_figures(cases):
    # contract KPI definitions, period [2018-01-01, 2019-01-01) Asia/Shanghai, as_of = 2019-01-01.
    start = pd.Timestamp("2018-01-01", tz=TZ)
    end = pd.Timestamp("2019-01-01", tz=TZ)
    acc = cases[(cases.registered_at >= start) & (cases.registered_at < end)]
    assert len(acc) == 36_715
    assert int((acc.closed_at < end).sum()) == 36_205
    assert int((acc.source == "inspector").sum()) == 32_327
    assert int(acc.enforcement.astype(bool).sum()) == 261


def test_no_case_before_2018_or_after_today(cases):
    assert cases.reported_at.min() >= pd.Timestamp("2018-01-01", tz=TZ)
    assert cases.reported_at.max() < pd.Timestamp(TODAY, tz=TZ)


def test_case_workflow_times_are_ordered(cases):
    reg = cases[cases.registered_at.notna()]
    assert (reg.reported_at <= reg.registered_at).all()
    assert (reg.deadline > reg.registered_at).all()
    closed = reg[reg.closed_at.notna()]
    assert (closed.closed_at > closed.registered_at).all()
    assert closed.resolved_level.notna().all()
    assert reg[reg.closed_at.isna()].resolved_level.isna().all()
    levels = closed.resolved_level.value_counts(normalize=True)
    assert levels.index[0] == "grid" and levels["grid"] > 0.6  # 小事不出格
    assert set(levels.index) == {"grid", "village", "town", "district"}


def test_some_cases_are_open_and_some_overdue(cases):
    now = pd.Timestamp(TODAY, tz=TZ)
    acc = cases[cases.registered_at.notna()]
    open_ = acc[acc.closed_at.isna()]
    assert len(open_) > 20
    assert ((open_.deadline < now).sum()) > 5
    due = acc[acc.deadline < now]
    on_time = (due.closed_at <= due.deadline).mean()
    assert 0.85 < on_time < 0.99


def test_categories_form_a_tree_with_time_limits(demo, cases):
    cats = _read(demo["path"], "categories", read_geometry=False)
    majors = cats[cats.parent.isna()]
    minors = cats[cats.parent.notna()]
    assert len(majors) >= 12
    assert set(minors.parent) <= set(majors.code)
    assert (cats.time_limit_h > 0).all()
    assert set(cases.subcategory) <= set(minors.code)
    assert set(cases.category) <= set(majors.code)


def test_sources_follow_the_code_list_and_inspectors_dominate(cases):
    assert set(cases.source) <= {"inspector", "citizen", "hotline", "iot", "department"}
    acc = cases[cases.registered_at.notna()]
    assert 0.8 < (acc.source == "inspector").mean() < 0.92


def test_no_professional_grid_holds_more_than_80_enterprises(demo):
    ent = gpd.read_file(demo["path"], layer="enterprises")
    pro = gpd.read_file(demo["path"], layer="pro_grids")
    joined = gpd.sjoin(ent, pro, predicate="within")
    per = joined.groupby("pro_grid_id").size()
    assert per.max() <= 80
    assert joined.enterprise_id.is_unique and len(joined) == len(ent)


@pytest.mark.parametrize("layer", ["grids", "pro_grids", "districts"])
def test_grids_cover_the_town_without_gap_or_overlap(demo, layer):
    town = gpd.read_file(demo["path"], layer="town").to_crs(METRIC).geometry.iloc[0]
    parts = gpd.read_file(demo["path"], layer=layer).to_crs(METRIC)
    union = shapely.union_all(parts.geometry.to_numpy())
    assert abs(union.area - town.area) < 1.0                      # no gap
    assert abs(parts.area.sum() - union.area) < 1.0               # no overlap
    assert shapely.symmetric_difference(union, town).area < 1.0   # the same shape


def test_districts_are_unions_of_their_grids(demo):
    grids = gpd.read_file(demo["path"], layer="grids").to_crs(METRIC)
    districts = gpd.read_file(demo["path"], layer="districts").to_crs(METRIC).set_index("district_id")
    assert set(grids.district_id) == set(districts.index)
    for did, g in grids.groupby("district_id"):
        assert shapely.symmetric_difference(shapely.union_all(g.geometry.to_numpy()),
                                            districts.geometry[did]).area < 1.0


def test_staff_cover_every_grid_and_two_officers_per_pro_grid(demo):
    staff = _read(demo["path"], "staff", read_geometry=False)
    grids = _read(demo["path"], "grids", read_geometry=False)
    pro = _read(demo["path"], "pro_grids", read_geometry=False)
    ins = staff[staff.role == "inspector"]
    assert set(ins.grid_id) == set(grids.grid_id)
    officers = staff[staff.role == "officer"].groupby("pro_grid_id").size()
    assert (officers.reindex(pro.pro_grid_id) == 2).all()
    assert {"handler", "dispatcher", "auxiliary"} <= set(staff.role)


def test_patrol_tracks_stay_inside_their_inspectors_grid(demo):
    patrols = gpd.read_file(demo["path"], layer="patrols")
    staff = _read(demo["path"], "staff", read_geometry=False)
    grids = gpd.read_file(demo["path"], layer="grids").set_index("grid_id")
    grid_of = staff.set_index("staff_id").grid_id
    gid = patrols.staff_id.map(grid_of)
    assert gid.notna().all()
    area = shapely.buffer(grids.geometry.reindex(gid).to_numpy(), 1e-7)  # ~1 cm
    inside = shapely.covers(area, patrols.geometry.to_numpy())
    assert inside.all(), f"{(~inside).sum()} tracks leave their grid"
    assert (shapely.length(patrols.to_crs(METRIC).geometry.to_numpy()) > 100).all()


def test_3_5_10_rule_is_met_on_most_inspector_days_but_not_all(demo, cases):
    p = _read(demo["path"], "patrols", read_geometry=False)
    p["started_at"], p["ended_at"] = _utc(p.started_at), _utc(p.ended_at)
    p["day"] = p.started_at.dt.tz_convert(TZ).dt.date
    p["hours"] = (p.ended_at - p.started_at).dt.total_seconds() / 3600
    days = p.groupby(["staff_id", "day"]).agg(n=("staff_id", "size"), hours=("hours", "sum"))
    c = cases[cases.reported_by.notna()].assign(day=lambda d: d.reported_at.dt.tz_convert(TZ).dt.date)
    k = c.groupby(["reported_by", "day"]).size()
    k.index.names = ["staff_id", "day"]
    days["cases"] = k.reindex(days.index).fillna(0)
    comply = (days.n >= 3) & (days.hours >= 5) & (days.cases >= 10)
    assert 0.6 < comply.mean() < 0.95
    # Cases an inspector reports on a patrol day fall inside one of that day's patrols.
    last = c[c.reported_at >= p.started_at.min()].merge(p[["staff_id", "started_at", "ended_at"]],
                                                        left_on="reported_by", right_on="staff_id")
    within = (last.reported_at >= last.started_at) & (last.reported_at <= last.ended_at)
    assert within.groupby(last.case_id).any().all()


def test_residents_are_anonymous_and_coded(demo):
    info = pyogrio.read_info(demo["path"], layer="residents")
    assert set(info["fields"]) >= {"resident_id", "building_id", "age_band", "household"}
    assert not {"name", "id_number"} & set(info["fields"])
    r = _read(demo["path"], "residents", read_geometry=False, max_features=20_000)
    assert set(r.household) == {"registered", "floating"}
    assert set(r.age_band) <= {"0-6", "7-17", "18-34", "35-59", "60-79", "80+"}


def test_enterprises_have_industry_mix_and_credit_colours(demo):
    e = _read(demo["path"], "enterprises", read_geometry=False)
    assert e.industry.nunique() >= 10
    assert set(e.credit) == {"green", "yellow", "red"}
    assert (e.employees > 0).all()


def test_build_town_frames_follow_the_contract(demo):
    from geodata.schema import LAYERS
    from geodata.store import STAMPED
    town = demo["town"]
    for name, frame in town.items():
        if name not in LAYERS:
            continue
        by_store = {"added_from", STAMPED.get(name)}  # filled in by the loader / the store's write
        assert set(LAYERS[name].field_names) - by_store <= set(frame.columns), name
        if LAYERS[name].geometry:
            assert frame.crs.to_epsg() == 4326 and frame.geometry.name == "geometry"
    c = town["cases"]
    assert str(c.reported_at.dt.tz) == TZ and c.enforcement.dtype == bool
    assert c.case_id.is_unique and c.case_id.map(type).eq(str).all()


def _cases_hash(frame: pd.DataFrame) -> str:
    cols = ["case_id", "subcategory", "source", "reported_at", "closed_at"]
    h = hashlib.sha256(pd.util.hash_pandas_object(frame[cols], index=False).to_numpy().tobytes())
    h.update(np.round(shapely.get_coordinates(frame.geometry.to_numpy()), 9).tobytes())
    return h.hexdigest()


def test_same_seed_gives_the_same_town(demo):
    from geodata.demo import build_town
    again = build_town(seed=SEED, today=TODAY)
    assert _cases_hash(again["cases"]) == _cases_hash(demo["town"]["cases"])
    for name in MODULE_LAYERS:   # the modules' own layers too
        pd.testing.assert_frame_equal(pd.DataFrame(again[name]), pd.DataFrame(demo["town"][name]))
    assert again["grids"].geometry.geom_equals_exact(demo["town"]["grids"].geometry, tolerance=0).all()


def test_simulator_appends_cases_and_closes_old_ones(demo, tmp_path):
    from geodata.demo.simulate import simulate_step
    from geodata.store import open_store
    path = tmp_path / "live.gpkg"
    shutil.copy(demo["path"], path)
    st = open_store(str(path))
    before = st.count("cases")
    open_before = st.read("cases", where={"closed_at": None}, columns=["case_id", "status"])
    open_before = set(open_before.case_id[open_before.status != "rejected"])
    rng = np.random.default_rng(7)
    now = pd.Timestamp(TODAY, tz=TZ) + pd.Timedelta(hours=9)
    added = 0
    for k in range(6):
        added += simulate_step(st, rng, now + pd.Timedelta(hours=2 * k), n_new=4, step_seconds=7200)["added"]
    assert added == 24 and st.count("cases") == before + 24
    new = st.read("cases", start=now - pd.Timedelta(hours=1), end=now + pd.Timedelta(hours=12))
    assert new.case_id.is_unique and len(new) == 24
    assert set(new.source) <= {"inspector", "citizen", "hotline", "iot", "department"}
    # New cases arrive with their grids, as an independent sjoin puts them.
    grids = gpd.read_file(path, layer="grids")
    joined = gpd.sjoin(new[["case_id", "geometry"]], grids[["grid_id", "geometry"]], predicate="within")
    assert new["grid_id"].notna().all() and new["h3"].notna().all()
    assert dict(zip(joined.case_id, joined.grid_id)) == dict(zip(new.case_id, new.grid_id))
    still_open = st.read("cases", where={"closed_at": None}, columns=["case_id"])
    assert len(open_before - set(still_open.case_id)) > 0
    # 2018 is history: the simulator never touches it.
    y = st.read("cases", start=pd.Timestamp("2018-01-01", tz=TZ), end=pd.Timestamp("2019-01-01", tz=TZ),
                time_field="registered_at", columns=["closed_at"])
    assert len(y) == 36_715


# ---- the modules' own layers (geodata/demo/facilities.py, services.py) --------------------------
MODULE_POINT_LAYERS = ("key_projects", "cameras", "opinion_items", "parking", "schools")
MODULE_LAYERS = MODULE_POINT_LAYERS + ("tasks", "approvals", "bus_routes", "medical_insurance")


@pytest.fixture(scope="session")
def town_metric(demo):
    """The outline, roads, rivers and buildings of the written town in metres (EPSG:4549)."""
    path = demo["path"]
    return {name: gpd.read_file(path, layer=name).to_crs(METRIC) for name in ("town", "roads", "rivers", "districts")}


def test_module_layers_have_the_scale_of_a_town(demo):
    n = {name: pyogrio.read_info(demo["path"], layer=name)["features"] for name in MODULE_LAYERS}
    grids = pyogrio.read_info(demo["path"], layer="grids")["features"]
    assert 20 <= n["key_projects"] <= 60          # a town's list of key projects
    assert 800 <= n["cameras"] <= 2000            # ≈ 8 per km² under 雪亮工程
    assert 30 <= n["parking"] <= 80 and 5 <= n["bus_routes"] <= 20 and 15 <= n["schools"] <= 40
    assert 20_000 <= n["approvals"] <= 40_000     # ≈ 100 applications a working day
    assert 1_500 <= n["opinion_items"] <= 4_000 and 200 <= n["tasks"] <= 600
    assert n["medical_insurance"] == 2 * grids    # last year and this, per grid


@pytest.mark.parametrize("layer", MODULE_POINT_LAYERS + ("bus_routes",))
def test_module_geometries_are_valid_and_inside_the_town(demo, town_metric, layer):
    g = gpd.read_file(demo["path"], layer=layer).to_crs(METRIC)
    assert g.geometry.is_valid.all() and not g.geometry.is_empty.any()
    assert set(g.geom_type) == ({"LineString"} if layer == "bus_routes" else {"Point"})
    town = town_metric["town"].geometry.iloc[0].buffer(1.0)
    assert shapely.covers(town, g.geometry.to_numpy()).all()
    ids = pyogrio.read_dataframe(demo["path"], layer=layer, read_geometry=False).iloc[:, 0]
    assert ids.is_unique


def test_cameras_stand_on_roads_riverbanks_and_among_homes(demo, town_metric):
    cams = gpd.read_file(demo["path"], layer="cameras").to_crs(METRIC)
    roads = shapely.union_all(town_metric["roads"].geometry.to_numpy())
    water = shapely.union_all(town_metric["rivers"].geometry.to_numpy())
    on_road = cams[cams.kind.isin(["public_security", "traffic"])]
    assert (on_road.distance(roads) < 30).all()           # on a pole beside the carriageway
    assert (cams[cams.kind == "river"].distance(water) < 80).all()
    assert {"public_security", "traffic", "river", "community", "fire_safety"} == set(cams.kind)
    online = (cams.status == "online").mean()
    assert 0.9 < online < 0.99


def test_bus_routes_run_along_the_roads(demo, town_metric):
    routes = gpd.read_file(demo["path"], layer="bus_routes").to_crs(METRIC)
    roads = shapely.union_all(town_metric["roads"].geometry.to_numpy())
    for geom in routes.geometry:
        samples = shapely.line_interpolate_point(geom, np.arange(0, geom.length, 100.0))
        assert (shapely.distance(samples, roads) < 5).all()   # simplified to 2 m: never off the road
        assert geom.length > 3000
    assert set(routes.kind) == {"town", "village"} and (routes.stops >= 2).all()


def test_projects_schools_and_car_parks_sit_where_they_belong(demo, town_metric):
    p = gpd.read_file(demo["path"], layer="key_projects").to_crs(METRIC)
    park = town_metric["districts"].set_index("name").geometry["开发区片区"]
    assert shapely.covers(park.buffer(1), p[p.kind == "industry"].geometry.to_numpy()).all()
    water = shapely.union_all(town_metric["rivers"].geometry.to_numpy())
    assert (p[p.kind == "ecology"].distance(water) < 80).all()
    b = gpd.read_file(demo["path"], layer="buildings", columns=["residents"]).to_crs(METRIC)
    homes = shapely.STRtree(b.geometry[b.residents > 0].to_numpy())
    s = gpd.read_file(demo["path"], layer="schools").to_crs(METRIC)
    _, d = homes.query_nearest(s.geometry.to_numpy(), return_distance=True, all_matches=False)
    assert (d < 250).all()
    assert set(s.level) == {"kindergarten", "primary", "junior_middle"}
    assert (s.applications > s.intake_places).any() and (s.applications <= s.intake_places).any()
    k = _read(demo["path"], "parking", read_geometry=False)
    assert ((k.occupied >= 0) & (k.occupied <= k.spaces)).all() and (k.spaces > 0).all()


def test_project_progress_and_tasks_are_consistent(demo):
    p = _read(demo["path"], "key_projects", read_geometry=False)
    assert p.actual_progress.between(0, 100).all() and p.planned_progress.between(0, 100).all()
    assert (p.loc[p.status == "completed", "actual_progress"] == 100).all()
    assert (p.loc[p.status == "planned", "actual_progress"] == 0).all()
    under_way = p[p.status != "planned"]
    on_schedule = (under_way.actual_progress >= under_way.planned_progress).mean()
    assert 0.6 < on_schedule < 0.97
    t = _read(demo["path"], "tasks", read_geometry=False)
    for col in ("issued_at", "deadline", "completed_at"):
        t[col] = _utc(t[col])
    assert (t.deadline > t.issued_at).all()
    done = t[t.completed_at.notna()]
    assert (done.completed_at > done.issued_at).all() and (done.status == "completed").all()
    assert set(t.project_id.dropna()) <= set(p.project_id)
    assert 0.8 < (done.completed_at <= done.deadline).mean() < 0.97


def test_approvals_follow_the_brief(demo):
    a = _read(demo["path"], "approvals", read_geometry=False)
    for col in ("submitted_at", "deadline", "completed_at"):
        a[col] = _utc(a[col])
    assert a.approval_id.is_unique
    assert a.submitted_at.max() < pd.Timestamp(TODAY, tz=TZ)
    assert ((a.status == "completed") == a.completed_at.notna()).all()
    done = a[a.completed_at.notna()]
    assert (done.completed_at > done.submitted_at).all() and (a.deadline > a.submitted_at).all()
    assert 0.95 < (done.completed_at <= done.deadline).mean() < 0.995      # 按期办结
    assert (a.loc[a.channel != "window", "visits"] == 0).all()              # online or a kiosk: no trip
    assert a.loc[a.channel == "window", "visits"].between(1, 2).all()      # at most one trip, mostly
    assert 0.5 < (a.visits == 0).mean() < 0.8                               # brief: 313 of 395 items
    rated = a.satisfaction.dropna()
    assert rated.between(1, 5).all() and rated.mean() > 4.5
    # nights and weekends only online
    local = a.submitted_at.dt.tz_convert(TZ)
    assert (a.loc[local.dt.day_of_week >= 5, "channel"] == "online").all()


def test_opinion_items_answer_the_negative_ones(demo):
    o = _read(demo["path"], "opinion_items", read_geometry=False)
    for col in ("published_at", "handled_at"):
        o[col] = _utc(o[col])
    cats = _read(demo["path"], "categories", read_geometry=False)
    assert set(o.topic) <= set(cats.code)
    assert o.handled_at[o.sentiment != "negative"].isna().all()
    neg = o[o.sentiment == "negative"]
    assert 0.2 < len(neg) / len(o) < 0.4
    assert (neg.handled_at.dropna() > neg.published_at[neg.handled_at.notna()]).all()
    assert neg.handled_at.notna().mean() > 0.9
    assert not {"author", "user", "name"} & set(o.columns)   # public posts, no author


def test_medical_insurance_counts_the_residents_of_each_grid(demo):
    m = _read(demo["path"], "medical_insurance", read_geometry=False)
    res = gpd.read_file(demo["path"], layer="residents", columns=["resident_id"])
    grids = gpd.read_file(demo["path"], layer="grids")
    per_grid = gpd.sjoin(res, grids[["grid_id", "geometry"]], predicate="within").groupby("grid_id").size()
    latest = m[m.year == m.year.max()].set_index("grid_id")
    assert set(latest.index) == set(grids.grid_id)
    # the register counts residents by their building: a building on a grid edge may put a
    # few of its residents' map points over the line, never many
    assert latest.eligible.sum() == len(res)
    gap = (latest.eligible.reindex(per_grid.index) - per_grid).abs() / per_grid
    assert gap.max() < 0.05
    insured = latest.insured_employee + latest.insured_resident
    assert (insured <= latest.eligible).all()
    assert 0.9 < insured.sum() / latest.eligible.sum() < 0.99
