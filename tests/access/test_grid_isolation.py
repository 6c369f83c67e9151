"""Grid isolation as a property (issue 16, Deliver 3 and Show): whatever the grants —
the town, any set of districts, grids and professional grids, or none — and whatever
is asked — the console's filters, dates, search and page; the wall's counts, map,
rankings and grid cards; the notebook library's cases and KPIs; an export of cases
as CSV or GeoJSON — nobody receives a record (or an aggregate group) outside the
grants, and every count equals pandas' over the store filtered by the grants.

The oracle is independent of the gate: the rule of the grants written out again
(:func:`admitted`: a record is in when its district, grid or professional grid is
granted, a grid also when it lies in a granted district; a patrol through its
inspector; a footprint through the grid it lies in) applied to the raw layers, and
each question asked once without a scope and filtered by that rule. Runs on the
GeoPackage, and on PostGIS when ``TOWNBRAIN_TEST_PG`` is set (or under CI).
"""
from __future__ import annotations

import json
import re
import uuid

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.browser.conftest import TZ, build_fixture_town
from tests.browser.town_full import assign_points, build_full_town

NOW = pd.Timestamp.now(tz=TZ).floor("s")
IDS = ["D1", "D2", "G1", "G2", "G3", "G4", "PG1", "PG2"]
PW = "Grid-Isolation-2026"
CATEGORIES = ["市容环境", "宣传广告", "施工管理"]
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


# ---- the town ----------------------------------------------------------------------------------------
def isolation_town(now: pd.Timestamp) -> dict:
    """The fuller fixture town with 150 cases (three seeds of the small town's 50), its
    professional grids cut across the districts (south PG1, north PG2) and every point
    record carrying the professional grid it lies in; staff carry only a grid or a
    professional grid, patrols only their inspector — they are placed through those."""
    town = build_full_town(now)
    x0, y0, x1, y1 = town["districts"].total_bounds
    ym = (y0 + y1) / 2
    town["pro_grids"] = gpd.GeoDataFrame({"pro_grid_id": ["PG1", "PG2"], "name": ["南专网", "北专网"]},
                                         geometry=[shapely.box(x0, y0, x1, ym), shapely.box(x0, ym, x1, y1)], crs=4326)
    parts = []
    for seed in (7, 8, 9):
        c = build_fixture_town(now, seed=seed)["cases"]
        parts.append(c.assign(case_id=[f"S{seed}-{i:03d}" for i in range(len(c))]))
    cases = assign_points(gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=4326), town["grids"])
    for name in ("enterprises", "residents"):
        town[name] = town[name].assign(pro_grid_id=np.where(town[name].geometry.y < ym, "PG1", "PG2"))
    town["cases"] = cases.assign(pro_grid_id=np.where(cases.geometry.y < ym, "PG1", "PG2"))
    start = now - pd.Timedelta(hours=5)
    more = gpd.GeoDataFrame({"patrol_id": ["PT3", "PT4"], "staff_id": ["S6", "S2"], "started_at": [start] * 2,
                             "ended_at": [start + pd.Timedelta(hours=1)] * 2},
                            geometry=[shapely.LineString([(x0 + .01, y0 + .01), (x1 - .01, y0 + .02)])] * 2, crs=4326)
    town["patrols"] = gpd.GeoDataFrame(pd.concat([town["patrols"], more], ignore_index=True), crs=4326)
    return town


@pytest.fixture(scope="module", params=["gpkg", "postgis"])
def town_url(request, tmp_path_factory):
    """The isolation town written through the store on each backend (PostGIS in a schema of its own)."""
    from geodata.demo import write_town
    from geodata.store import open_store
    if request.param == "gpkg":
        url = str(tmp_path_factory.mktemp("isolation") / "town.gpkg")
        yield _written(url, write_town, open_store)
        return
    import sqlalchemy as sa
    base = request.getfixturevalue("pg_base_url")   # no PostGIS: skipped, or failed under CI (tests/conftest.py)
    schema = "iso_" + uuid.uuid4().hex[:10]
    eng = sa.create_engine("postgresql+psycopg://" + base.split("://", 1)[1])
    with eng.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base else "?"
    yield _written(f"{base}{sep}options=-csearch_path%3D{schema},public", write_town, open_store)
    with eng.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    eng.dispose()


def _written(url, write_town, open_store) -> str:
    store = open_store(url)
    store.create_schema()
    write_town(store, isolation_town(NOW))
    store.close()
    return url


@pytest.fixture(scope="module")
def raw(town_url):
    """The layers as the store holds them, read once: what the oracle filters."""
    from geodata.store import open_store
    store = open_store(town_url)
    out = {name: store.read(name) for name in ("districts", "grids", "pro_grids", "cases", "staff", "patrols",
                                              "enterprises", "residents", "buildings")}
    store.close()
    return out


@pytest.fixture(scope="module")
def store(town_url):
    from geodata.store import open_store
    st_ = open_store(town_url)
    yield st_
    st_.close()


# ---- the oracle ------------------------------------------------------------------------------------------
def grants_of(ids: list[str] | str) -> dict:
    ids = ["town"] if ids == "town" else ids
    return {"town": "town" in ids, "districts": {i for i in ids if i.startswith("D")},
            "grids": {i for i in ids if i.startswith("G")}, "pros": {i for i in ids if i.startswith("PG")}}


def admitted(frame: pd.DataFrame, g: dict, raw: dict) -> np.ndarray:
    """The grants' rule, written out again: by district, by grid (granted, or in a
    granted district), by professional grid; nothing without a grant."""
    if g["town"]:
        return np.ones(len(frame), dtype=bool)
    grids = raw["grids"]
    in_districts = set(grids.loc[grids["district_id"].isin(g["districts"]), "grid_id"])
    m = np.zeros(len(frame), dtype=bool)
    for col, ids in (("district_id", g["districts"]), ("grid_id", g["grids"] | in_districts),
                     ("pro_grid_id", g["pros"])):
        if col in frame:
            m |= frame[col].isin(ids).to_numpy(bool)
    return m


def admitted_patrols(g: dict, raw: dict) -> pd.DataFrame:
    staff = raw["staff"][admitted(raw["staff"], g, raw)]
    p = raw["patrols"]
    return p[p["staff_id"].isin(staff["staff_id"]) | admitted(p, g, raw)]


def admitted_buildings(g: dict, raw: dict) -> pd.DataFrame:
    """Footprints by the grid and professional grid their representative point lies in."""
    b, grids, pros = raw["buildings"], raw["grids"], raw["pro_grids"]
    pts = b.geometry.representative_point()
    grid = [next((r for r in grids.itertuples() if r.geometry.contains(p)), None) for p in pts]
    pro = [next((r.pro_grid_id for r in pros.itertuples() if r.geometry.contains(p)), None) for p in pts]
    placed = pd.DataFrame({"grid_id": [w.grid_id if w else None for w in grid],
                           "district_id": [w.district_id if w else None for w in grid], "pro_grid_id": pro})
    return b[admitted(placed, g, raw)]


def allowed_groups(g: dict, raw: dict, cases: pd.DataFrame) -> set:
    """The grid groups an aggregate may show: granted grids (directly or by district)
    and the grids of the admitted cases it counts."""
    grids = raw["grids"]
    return set(grids.loc[admitted(grids, g, raw), "grid_id"]) | set(cases["grid_id"].dropna())


def scope_for(store, ids):
    from access.scope import known_ids, scope_of
    return scope_of(ids, known_ids(store))


# ---- what is asked -----------------------------------------------------------------------------------
grants_st = st.one_of(st.just("town"), st.lists(st.sampled_from(IDS), unique=True, max_size=4))
day_st = st.one_of(st.none(), st.integers(min_value=0, max_value=520))


@st.composite
def console_states(draw):
    from callbacks.console_state import ConsoleState
    a, b = draw(day_st), draw(day_st)
    days = sorted(d for d in (a, b) if d is not None)
    dates = [(NOW - pd.Timedelta(days=d)).strftime("%Y-%m-%d") for d in reversed(days)]
    return ConsoleState(
        date_from=dates[0] if dates else None, date_to=dates[1] if len(dates) > 1 else None,
        categories=tuple(sorted(draw(st.sets(st.sampled_from(CATEGORIES), max_size=2)))),
        statuses=tuple(sorted(draw(st.sets(st.sampled_from(["reported", "dispatched", "closed"]), max_size=2)))),
        sources=tuple(sorted(draw(st.sets(st.sampled_from(["inspector", "citizen", "hotline"]), max_size=2)))),
        districts=tuple(sorted(draw(st.sets(st.sampled_from(["D1", "D2"]), max_size=1)))),
        grids=tuple(sorted(draw(st.sets(st.sampled_from(["G1", "G2", "G3", "G4"]), max_size=2)))),
        overdue=draw(st.booleans()), q=draw(st.sampled_from(["", "S7-0", "东", "西一", "G2", "垃圾", "zzz"])),
        page=draw(st.integers(min_value=1, max_value=3)))


def unscoped_ids(store, flt) -> pd.DataFrame:
    from geodata import case_queries as cq
    return cq.read_cases(store, flt.replace(scope=None), names=cq.category_names(store),
                         places=cq.place_names(store), now=NOW)


@pytest.fixture(scope="module")
def screen(store):
    from callbacks.data import ScreenData
    from callbacks.module_data import ModuleData
    data = ScreenData(store, tz=TZ)
    data.modules = ModuleData(store, tz=TZ)
    return data


# ---- the console's queries ----------------------------------------------------------------------------
@SETTINGS
@given(ids=grants_st, s=console_states())
def test_console_queries_return_only_granted_cases_and_count_them_all(screen, raw, ids, s):
    from callbacks.console_state import state_filter
    from geodata import case_queries as cq
    from callbacks.data import case_cache
    store = screen.store
    g, scope = grants_of(ids), scope_for(store, ids)
    flt = state_filter(s, NOW).replace(scope=scope)
    every = unscoped_ids(store, flt)
    want = every[admitted(every, g, raw)]
    got = cq.read_cases(store, flt, names=cq.category_names(store), places=cq.place_names(store), now=NOW)
    assert sorted(got["case_id"]) == sorted(want["case_id"])
    frame = case_cache(screen).get()
    page = frame.page(flt, page=s.page, size=7, now=NOW)
    assert page.total == len(want) and set(page.rows["case_id"]) <= set(want["case_id"])
    counts = frame.counts_by(flt, "grid_id", now=NOW)
    assert counts.to_dict() == want["grid_id"].value_counts().to_dict()
    overdue, n = frame.due_soon(flt, NOW)
    assert set(overdue["case_id"]) <= set(raw["cases"].loc[admitted(raw["cases"], g, raw), "case_id"])


# ---- the wall's figures and the console's rankings ------------------------------------------------------------
@SETTINGS
@given(ids=grants_st)
def test_the_wall_counts_maps_and_grid_cards_keep_to_the_grants(screen, raw, ids):
    from callbacks.as_of import screen_period
    from callbacks.module_data import grid_card_numbers
    from callbacks.wall import COUNTED_LAYERS
    from callbacks.wall_warnings import wall_warnings
    g, scope = grants_of(ids), scope_for(screen.store, ids)
    period = screen_period(None, NOW)
    snap = screen.modules.snapshot_for(scope, period)
    cases = raw["cases"][admitted(raw["cases"], g, raw)]
    staff = raw["staff"][admitted(raw["staff"], g, raw)]
    # every record the snapshot holds is granted
    for name in ("cases", "open_cases", "heat", "reports", "enterprises", "staff", "grids", "districts", "pro_grids"):
        frame = getattr(snap, name)
        assert frame is None or admitted(frame, g, raw).all(), name
    for name in ("patrols", "patrols_recent"):
        frame = getattr(snap, name)
        assert frame is None or frame["staff_id"].isin(staff["staff_id"]).all() or g["town"], name
    # the counts are pandas' over the granted records
    counts = screen.case_counts_for(scope, NOW, period)
    reg, closed = cases["registered_at"], cases["closed_at"]
    year = (reg >= period.start) & (reg < period.end)
    assert (counts["year"].accepted, counts["year"].open) == (int(year.sum()), int((year & closed.isna()).sum()))
    assert (counts["all"].accepted, counts["all"].open) == (int(reg.notna().sum()),
                                                           int((reg.notna() & closed.isna()).sum()))
    records = screen.layer_counts_for(scope, COUNTED_LAYERS, snap)
    want = {name: int(admitted(raw[name], g, raw).sum())
            for name in ("districts", "grids", "pro_grids", "cases", "enterprises", "residents")}
    want |= {"patrols": len(admitted_patrols(g, raw)), "buildings": len(admitted_buildings(g, raw))}
    assert {k: records[k] for k in want} == want
    # the grid table and cards: granted groups only, counted from granted cases
    table = snap.grid_table(None)
    groups = {x for x in table.index if x is not None}
    assert groups <= allowed_groups(g, raw, cases)
    this_year = cases[year]
    for gid in groups:
        assert int(table.loc[gid, "accepted"]) == int((this_year["grid_id"] == gid).sum()), gid
        card = grid_card_numbers(snap, gid)
        opened = cases[(cases["grid_id"] == gid) & reg.notna() & closed.isna()]
        assert card["open"] == len(opened)
        ent = raw["enterprises"]
        assert card["enterprises"] == int((admitted(ent, g, raw) & (ent["grid_id"] == gid)).sum())
    # the map's districts and grids, and the warnings' places
    base = screen.base_layers_for(scope)
    for name in ("districts", "grids"):
        assert admitted(base[name], g, raw).all(), name
    names = dict(zip(raw["grids"]["grid_id"], raw["grids"]["name"]))
    allowed = allowed_groups(g, raw, cases)
    for w in wall_warnings(snap, "zh"):
        where = w["id"].split(":")[1] if w["kind"] == "surge" else None
        assert where in allowed if where else w["place"] in {names[x] for x in allowed}, w
    if g["town"]:
        assert snap is screen.modules.snapshot(period)


@SETTINGS
@given(ids=grants_st, since=st.sampled_from([30, 200, 520]))
def test_the_console_rankings_rank_only_granted_grids_and_inspectors(screen, raw, ids, since):
    from callbacks.console import _rankings
    from callbacks.data import case_cache
    g, scope = grants_of(ids), scope_for(screen.store, ids)
    start, end = NOW - pd.Timedelta(days=since), NOW + pd.Timedelta(seconds=1)
    rank, comp = _rankings(case_cache(screen), start, end, (), (), 0, scope)
    cases = raw["cases"][admitted(raw["cases"], g, raw)]
    assert set(rank.index) <= allowed_groups(g, raw, cases)
    period = cases[(cases["registered_at"] >= start) & (cases["registered_at"] < end)]
    for gid in rank.index:
        mine = period[period["grid_id"] == gid]
        want = (mine["closed_at"] < end).sum() / len(mine) if len(mine) else None
        got = rank.loc[gid, "disposal_rate"]
        assert (pd.isna(got) and want is None) or abs(float(got) - want) < 1e-9, gid
    if comp is not None:
        assert set(comp["staff_id"]) <= set(admitted_patrols(g, raw)["staff_id"])


# ---- the notebook library ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def whole(town_url):
    import townbrain as tb
    with tb.connect(town_url) as town:
        yield town


@SETTINGS
@given(ids=grants_st, since=st.sampled_from([10, 100, 520]), grid=st.sampled_from([None, "G1", ["G2", "G3"]]),
       search=st.sampled_from([None, "S8", "东"]))
def test_the_notebook_library_reads_only_granted_cases_and_kpis(town_url, whole, raw, ids, since, grid, search):
    import townbrain as tb
    g = grants_of(ids)
    start = (NOW - pd.Timedelta(days=since)).tz_localize(None).normalize()
    with tb.connect(town_url, scope=ids) as town:
        got = town.cases(start=start, grid=grid, search=search, now=NOW)
        every = whole.cases(start=start, grid=grid, search=search, now=NOW)
        assert list(got["case_id"]) == list(every.loc[admitted(every, g, raw), "case_id"])
        kpi = town.kpi(start, None, by="grid_id")
    cases = raw["cases"][admitted(raw["cases"], g, raw)]
    reg = cases["registered_at"]
    accepted = cases[(reg >= start.tz_localize(TZ)) & reg.notna()]
    groups = {x for x in kpi.index if x != "unassigned" and x is not None}
    assert groups <= allowed_groups(g, raw, cases)
    assert int(kpi["accepted"].sum() if "accepted" in kpi else 0) == len(accepted)
    for gid in groups:
        assert int(kpi.loc[gid, "accepted"]) == int((accepted["grid_id"] == gid).sum()), gid


# ---- exports -------------------------------------------------------------------------------------------------
def _read_back(path, fmt: str) -> pd.DataFrame:
    if fmt == "csv":
        return pd.read_csv(path, dtype=str, comment="#")
    return gpd.read_file(path)


@SETTINGS
@given(ids=grants_st, fmt=st.sampled_from(["csv", "geojson"]), s=console_states())
def test_an_export_of_cases_holds_only_granted_cases(screen, raw, tmp_path_factory, ids, fmt, s):
    from callbacks.console_export import console_cases
    from callbacks.console_state import state_to_search
    from exports.data_export import export_frame, export_layer
    g, scope = grants_of(ids), scope_for(screen.store, ids)
    out = tmp_path_factory.mktemp("exp")
    want = raw["cases"].loc[admitted(raw["cases"], g, raw), "case_id"]
    # the exporter takes the gate's own scope; no grant writes no record (the export
    # route refuses it before, exports/web.py)
    r = export_layer(screen.store, "cases", out / f"all.{fmt}", fmt, scope=scope)
    back = _read_back(r.path, fmt)
    assert sorted(back["case_id"].astype(str) if len(back) else []) == sorted(want)
    assert not scope.empty or r.records == 0
    # the console's Export: the filtered cases of the page, within the reader's scope
    cases, _filters = console_cases(screen, state_to_search(s.replace(page=1)), scope)
    every, _ = console_cases(screen, state_to_search(s.replace(page=1)), None)
    assert sorted(cases["case_id"]) == sorted(every.loc[admitted(every, g, raw), "case_id"])
    if len(cases):
        r = export_frame(screen.store, cases, out / f"page.{fmt}", fmt, layer="cases")
        assert set(_read_back(r.path, fmt)["case_id"].astype(str)) <= set(want)


# ---- the same through the server: a signed-in duty officer ------------------------------------------------------
@pytest.fixture(scope="module")
def officer(town_url):
    """The app on the town and a signed-in duty officer whose grants each example sets."""
    from app import create_app
    from tests.access.conftest import Clock
    app = create_app(town_url)
    acc = app.server.extensions["townbrain_access"]
    acc.clock = Clock(pd.Timestamp.now(tz="UTC"))
    acc.accounts.create("iso", "duty_officer", "", by="os:test", password=PW, must_change=False)
    client = app.server.test_client()
    assert client.post("/login", data={"name": "iso", "password": PW}).status_code == 303
    return app, client


def call(app, client, module: str, name: str, values: dict):
    """POST one server callback of ``module`` named ``name`` with ``values`` {component
    id: value} for its inputs and states; (status, {id: {prop: value}})."""
    key, spec = next((k, m) for k, m in app.callback_map.items() if m.get("callback") is not None
                     and m["callback"].__module__ == module and m["callback"].__name__ == name)
    items = key[2:-2].split("...") if key.startswith("..") else [key]
    outputs = [{"id": i.rsplit(".", 1)[0], "property": i.rsplit(".", 1)[1]} for i in items]
    body = {"output": key, "outputs": outputs if key.startswith("..") else outputs[0],
            "inputs": [{**i, "value": values.get(i["id"])} for i in spec["inputs"]],
            "state": [{**i, "value": values.get(i["id"])} for i in spec.get("state", [])],
            "changedPropIds": [f"{spec['inputs'][0]['id']}.{spec['inputs'][0]['property']}"]}
    r = client.post("/_dash-update-component", json=body)
    return r.status_code, (r.get_json() or {}).get("response", {}) if r.status_code == 200 else {}


CASE_ID = re.compile(r"S[789]-\d{3}")
GRID_ID = re.compile(r"grids=(G\d)")


@settings(SETTINGS, max_examples=15)
@given(ids=grants_st, s=console_states(), case=st.integers(min_value=0, max_value=149))
def test_a_signed_in_officer_is_answered_only_within_the_grants(officer, raw, ids, s, case):
    from callbacks import ids as I
    from callbacks.console_state import state_filter, state_to_search
    app, client = officer
    acc = app.server.extensions["townbrain_access"]
    acc.accounts.set_grants("iso", ids if ids != "town" else "town", by="os:test")
    g = grants_of(ids)
    granted = set(raw["cases"].loc[admitted(raw["cases"], g, raw), "case_id"])
    search = state_to_search(s)
    # the console's table, total, map and lists
    status, resp = call(app, client, "callbacks.console", "render", {I.CONSOLE_URL: search})
    assert status == 200
    body = json.dumps(resp, ensure_ascii=False)
    assert set(CASE_ID.findall(body)) <= granted
    flt = state_filter(s, NOW)
    every = unscoped_ids(acc.store, flt)
    want = every[admitted(every, g, raw)]
    total = resp[I.CONSOLE_TOTAL]["children"]
    assert int(re.sub(r"\D", "", total) or 0) == len(want), total
    spec = resp[I.CONSOLE_MAP_SPEC]["data"]
    if spec and spec["layers"]:
        layer = spec["layers"][0]
        grids = raw["grids"]
        assert set(layer["ids"]) <= set(grids.loc[admitted(grids, g, raw), "grid_id"])
        on_map = unscoped_ids(acc.store, flt.replace(grids=()))  # the map counts all grids of the other filters
        on_map = on_map[admitted(on_map, g, raw)]
        shown = [int(re.sub(r"\D", "", tip.rsplit("<br>", 1)[-1])) for tip in layer["tips"] or []]
        assert dict(zip(layer["ids"], shown)) == {gid: int((on_map["grid_id"] == gid).sum()) for gid in layer["ids"]}
    # the rankings name granted grids only
    status, resp = call(app, client, "callbacks.console", "rankings", {I.CONSOLE_URL: search})
    assert status == 200
    allowed = allowed_groups(g, raw, raw["cases"][admitted(raw["cases"], g, raw)])
    assert set(GRID_ID.findall(json.dumps(resp, ensure_ascii=False))) <= allowed
    # a case asked for by id: 403 and audited outside the grants
    case_id = sorted(raw["cases"]["case_id"])[case]
    before = len(acc.audit.list(user="iso"))
    status, resp = call(app, client, "callbacks.console", "detail",
                        {I.CONSOLE_CASE_KEY: case_id, I.CONSOLE_URL: f"?case={case_id}"})
    log = acc.audit.list(user="iso").iloc[before:]
    views = log[log["action"] == "case_view"]
    if case_id in granted:
        assert status == 200 and views["outcome"].tolist() == ["ok"]
    else:
        assert status == 403 and views["outcome"].tolist() == ["refused"]
        assert views["object"].tolist() == [f"case {case_id}"]
    # the wall's counts
    status, resp = call(app, client, "callbacks.wall", "refresh_wall", {I.WALL_URL: "?lang=en"})
    assert status == 200
    cases = raw["cases"][admitted(raw["cases"], g, raw)]
    reg, closed = cases["registered_at"], cases["closed_at"]
    figure = {k: int(re.sub(r"\D", "", v["children"]) or 0) for k, v in resp.items() if "children" in v
              and k != I.DATA_AS_OF}
    assert figure[I.kpi_value("all", "accepted")] == int(reg.notna().sum())
    assert figure[I.kpi_value("all", "open")] == int((reg.notna() & closed.isna()).sum())
    assert figure[I.base_count("cases")] == len(cases)
    assert figure[I.base_count("enterprises")] == int(admitted(raw["enterprises"], g, raw).sum())


# ---- the wall's live feed ----------------------------------------------------------------------------------
def feed_cursor(raw) -> dict:
    """A cursor placed just before the town was written: every case is a change since."""
    return {"t": (raw["cases"]["updated_at"].min() - pd.Timedelta(seconds=1)).tz_convert("UTC").isoformat(),
            "seen": []}


def feed_now(raw) -> pd.Timestamp:
    return raw["cases"]["updated_at"].max() + pd.Timedelta(seconds=1)


def heat_cells(cases: pd.DataFrame) -> dict:
    """{H3 cell at the heat map's resolution: cases}, by h3 itself (not the feed's aggregation)."""
    import h3
    from geodata.changes import HEAT_RESOLUTION
    cells = [h3.latlng_to_cell(p.y, p.x, HEAT_RESOLUTION) for p in cases.geometry]
    return pd.Series(cells, dtype=object).value_counts().to_dict() if cells else {}


def cells_of(frame: list) -> dict:
    """{H3 cell: n} of the feed's [[lon, lat, n], …] (each a cell's centre)."""
    import h3
    from geodata.changes import HEAT_RESOLUTION
    return {h3.latlng_to_cell(lat, lon, HEAT_RESOLUTION): n for lon, lat, n in frame}


def test_the_feed_carries_every_place_column_the_gate_decides_by():
    from access.scope import COLUMNS
    from geodata.changes import FEED_COLUMNS, PLACE_COLUMNS
    assert set(PLACE_COLUMNS) == set(COLUMNS.values()) and set(PLACE_COLUMNS) <= set(FEED_COLUMNS)


@SETTINGS
@given(ids=st.one_of(grants_st, st.sampled_from([["PG1"], ["PG2"], ["D1"], ["G3"]])))
def test_the_live_feed_ticker_overdue_and_playback_hold_exactly_the_granted_cases(store, raw, ids):
    """A reader granted only a professional grid gets its cases (the feed used to carry
    the grid alone, and gave them nothing); a district its district's; the town all."""
    from geodata import changes
    g, scope = grants_of(ids), scope_for(store, ids)
    cases = raw["cases"]
    mine = cases[admitted(cases, g, raw)]
    # the changes since a cursor before the town was written: every granted case, no other
    frame, cursor = changes.changed_since(store, feed_cursor(raw), now=feed_now(raw), scope=scope)
    assert sorted(frame["case_id"]) == sorted(mine["case_id"])
    _, town_cursor = changes.changed_since(store, feed_cursor(raw), now=feed_now(raw))
    assert cursor == town_cursor   # the cursor is the town's: the next poll neither repeats nor skips
    # the ticker's first fill: the newest granted cases of the last 30 days, however few
    latest = changes.latest_cases(store, 8, now=NOW, scope=scope)
    recent = mine[mine["reported_at"] >= NOW - pd.Timedelta(days=30)].sort_values("reported_at", ascending=False)
    assert latest["reported_at"].tolist() == recent["reported_at"].head(8).tolist()
    assert set(latest["case_id"]) <= set(mine["case_id"])
    # the cases that fell overdue in a window
    start, end = NOW - pd.Timedelta(days=200), NOW
    overdue = changes.overdue_between(store, start, end, scope=scope)
    dl = mine["deadline"]
    want = mine[(dl >= start) & (dl < end) & mine["closed_at"].isna() & mine["registered_at"].notna()]
    assert sorted(overdue["case_id"] if len(overdue) else []) == sorted(want["case_id"])
    # the playback's 30 days of heat
    days = changes.daily_cells(store, 30, now=NOW, scope=scope)
    day_of = mine["reported_at"].dt.tz_convert(TZ).dt.strftime("%Y-%m-%d")
    for day, frame_ in zip(days["days"], days["frames"]):
        assert cells_of(frame_) == heat_cells(mine[(day_of == day).to_numpy()]), day


@pytest.mark.parametrize("ids", [["PG1"], ["D2"], "town"])
def test_a_signed_in_reader_polls_a_live_feed_of_exactly_the_granted_cases(officer, raw, ids):
    from callbacks import ids as I
    from callbacks.live import TICKER_LEN
    app, client = officer
    app.server.extensions["townbrain_access"].accounts.set_grants("iso", ids, by="os:test")
    g = grants_of(ids)
    cases = raw["cases"]
    mine = cases[admitted(cases, g, raw)]
    assert 0 < len(mine) <= len(cases) and (len(mine) < len(cases)) == (ids != "town")
    # a poll from a cursor before the town was written: every granted case changed, no other
    status, resp = call(app, client, "callbacks.live", "poll_feed",
                        {I.LIVE_POLL: 1, I.LIVE_FEED: {"cursor": feed_cursor(raw), "latest": [], "total": 0},
                         I.URL: "?lang=en"})
    assert status == 200
    feed = resp[I.LIVE_FEED]["data"]
    assert feed["ok"] and feed["count"] == len(mine) and feed["overflow"] == 0
    assert {it["id"] for it in feed["latest"]} <= set(mine["case_id"]) and len(feed["latest"]) == TICKER_LEN
    assert sum(c[2] for c in feed["cells"]) <= len(mine)
    assert set(cells_of(feed["cells"])) <= set(heat_cells(mine))
    # a fresh page: the ticker filled with the newest granted cases
    status, resp = call(app, client, "callbacks.live", "poll_feed", {I.LIVE_POLL: 1, I.LIVE_FEED: {}, I.URL: ""})
    assert status == 200
    recent = mine[mine["reported_at"] >= NOW - pd.Timedelta(days=30)].sort_values("reported_at", ascending=False)
    assert [it["id"] for it in resp[I.LIVE_FEED]["data"]["latest"]] == recent["case_id"].head(TICKER_LEN).tolist()
    # the playback: each day's heat of the granted cases
    day_of = mine["reported_at"].dt.tz_convert(TZ).dt.strftime("%Y-%m-%d")
    for pos in (0, 25, 29):
        status, resp = call(app, client, "callbacks.live", "playback_frame",
                            {I.PLAYBACK_SLIDER: pos, I.URL: ""})
        assert status == 200
        shown = resp[I.PLAYBACK_FRAME]["data"]
        assert cells_of(shown["cells"]) == heat_cells(mine[(day_of == shown["day"]).to_numpy()]), pos
