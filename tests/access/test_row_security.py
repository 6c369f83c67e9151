"""PostgreSQL row-level security, the second lock (issue 16, Deliver 3): on a real
PostGIS, as a login role that owns its tables and is neither a superuser nor
BYPASSRLS (as a town's app role is), the database itself keeps every read and write
to the scope of the work — whatever the Python side forgot.

The test server's own role is a superuser, which row-level security never binds:
each test makes its app role, which creates the tables itself (so FORCE is what binds
it), and drops it afterwards.
"""
from __future__ import annotations

import uuid

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa

from access.scope import NOTHING, TOWN, known_ids, scope_of
from geodata.row_scope import db_scope
from tests.access.conftest import as_reader  # noqa: F401 - used by the tests below

pytestmark = pytest.mark.postgis

T0 = pd.Timestamp("2026-03-02 09:00", tz="Asia/Shanghai")


@pytest.fixture
def app_url(pg_schema_url):
    """A URL of a fresh login role with USAGE and CREATE on the test's schema only."""
    role = "tb_rls_" + uuid.uuid4().hex[:8]
    schema = pg_schema_url.split("search_path%3D", 1)[1].split(",", 1)[0]
    admin = sa.create_engine("postgresql+psycopg://" + pg_schema_url.split("://", 1)[1].split("?", 1)[0])
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE ROLE {role} LOGIN PASSWORD 'app-pw' NOSUPERUSER NOBYPASSRLS"))
        conn.execute(sa.text(f"GRANT USAGE, CREATE ON SCHEMA {schema} TO {role}"))
        conn.execute(sa.text(f"GRANT USAGE ON SCHEMA public TO {role}"))
    yield pg_schema_url.replace("://townbrain@", f"://{role}:app-pw@", 1)
    with admin.begin() as conn:
        conn.execute(sa.text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"))
        conn.execute(sa.text(f"DROP OWNED BY {role}"))
        conn.execute(sa.text(f"DROP ROLE {role}"))
    admin.dispose()


def small_town(store) -> None:
    """Two districts (D1: G1, G2; D2: G3), a professional grid P1 over the east half;
    cases placed by district and grid, one by its grid alone (a district grant reaches
    it), one by its professional grid alone, one placed nowhere; staff by grid or
    professional grid, patrols only by their inspector, buildings by their footprint."""
    box = shapely.box
    store.upsert("districts", gpd.GeoDataFrame({"district_id": ["D1", "D2"], "name": ["东", "西"]},
                                               geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326))
    store.upsert("grids", gpd.GeoDataFrame({"grid_id": ["G1", "G2", "G3"], "district_id": ["D1", "D1", "D2"]},
                                           geometry=[box(0, 0, 1, .5), box(0, .5, 1, 1), box(1, 0, 2, 1)], crs=4326))
    store.upsert("pro_grids", gpd.GeoDataFrame({"pro_grid_id": ["P1"]}, geometry=[box(1, 0, 2, 1)], crs=4326))
    pt = shapely.Point
    store.upsert("cases", gpd.GeoDataFrame({
        "case_id": ["C1", "C2", "C3", "C4", "C5"], "category": ["市容环境"] * 5, "status": ["reported"] * 5,
        "reported_at": [T0] * 5,
        "district_id": ["D1", "D2", None, None, None], "grid_id": ["G1", "G3", "G2", None, None],
        "pro_grid_id": [None, "P1", None, "P1", None]},
        geometry=[pt(.5, .2), pt(1.5, .5), pt(.5, .7), pt(1.2, .2), pt(9, 9)], crs=4326))
    store.upsert("staff", pd.DataFrame({"staff_id": ["S1", "S2", "S3"], "role": ["inspector", "inspector", "officer"],
                                        "grid_id": ["G1", "G3", None], "pro_grid_id": [None, None, "P1"]}))
    line = shapely.LineString([(0, 0), (1, 1)])
    store.upsert("patrols", gpd.GeoDataFrame({"patrol_id": ["PT1", "PT2", "PT3"], "staff_id": ["S1", "S2", "S3"],
                                              "started_at": [T0] * 3, "ended_at": [T0 + pd.Timedelta(hours=1)] * 3},
                                             geometry=[line] * 3, crs=4326))
    store.upsert("buildings", gpd.GeoDataFrame({"building_id": ["B1", "B2", "B3"], "use": ["住宅"] * 3},
                                               geometry=[box(.1, .1, .2, .2), box(1.1, .1, 1.2, .2),
                                                         box(5, 5, 6, 6)], crs=4326))


@pytest.fixture
def app_store(app_url):
    """The small town, made and written by the app role as the town (the CLI's scope)."""
    from geodata.store import open_store
    st = open_store(app_url)
    st.row_scope = TOWN
    st.create_schema()
    small_town(st)
    st.row_scope = None
    yield st
    st.close()


def scope(store, grants):
    return scope_of(grants, known_ids(store))


def raw_case_ids(conn) -> list[str]:
    return sorted(r[0] for r in conn.execute(sa.text("SELECT case_id FROM cases")))


def set_scope(conn, s) -> None:
    from geodata.row_scope import set_config_sql
    conn.exec_driver_sql(set_config_sql(s, local=True))


# ---- raw SQL: the database decides ---------------------------------------------------------------
def test_a_raw_read_of_cases_keeps_to_the_district_scope_nothing_without_one_and_all_for_the_town(app_store):
    with app_store.engine.begin() as conn:
        set_scope(conn, scope(app_store, "D1"))
        # C1 by its district, C3 by a grid inside D1 (no district of its own)
        assert raw_case_ids(conn) == ["C1", "C3"]
    with app_store.engine.begin() as conn:
        assert raw_case_ids(conn) == []          # nothing set: nothing (fail closed)
        assert conn.execute(sa.text("SELECT count(*) FROM staff")).scalar() == 0
    with app_store.engine.begin() as conn:
        set_scope(conn, NOTHING)
        assert raw_case_ids(conn) == []
    with app_store.engine.begin() as conn:
        set_scope(conn, TOWN)
        assert raw_case_ids(conn) == ["C1", "C2", "C3", "C4", "C5"]
    with app_store.engine.begin() as conn:
        set_scope(conn, scope(app_store, "P1"))
        assert raw_case_ids(conn) == ["C2", "C4"]
        # the geography and access's own tables have no policy
        assert conn.execute(sa.text("SELECT count(*) FROM grids")).scalar() == 3


def test_the_policies_are_on_and_forced_and_the_owner_is_bound(app_store):
    info = app_store.row_security()
    assert info["bound"] is True
    for name in ("cases", "staff", "patrols", "buildings", "residents", "enterprises", "case_history"):
        assert info["layers"].get(name) is True, name
    assert "grids" not in info["layers"] and "users" not in info["layers"]
    assert app_store.secure_rows() == app_store.secure_rows()      # idempotent


def test_a_patrol_is_placed_through_its_inspector_and_a_building_through_its_footprint(app_store):
    with db_scope(scope(app_store, "G1")):
        assert app_store.read("patrols", geometry=False)["patrol_id"].tolist() == ["PT1"]
        assert app_store.read("buildings")["building_id"].tolist() == ["B1"]
    with db_scope(scope(app_store, "P1")):
        assert sorted(app_store.read("patrols", geometry=False)["patrol_id"]) == ["PT3"]
        assert app_store.read("buildings")["building_id"].tolist() == ["B2"]
    with db_scope(scope(app_store, "D2")):
        assert app_store.read("patrols", geometry=False)["patrol_id"].tolist() == ["PT2"]
    with db_scope(TOWN):
        assert len(app_store.read("buildings")) == 3 and len(app_store.read("patrols")) == 3


def test_a_task_is_placed_through_its_key_project_and_a_task_about_none_is_the_towns(app_store):
    """As access/scope.py places it (``PLACED_THROUGH``): the database admits a task
    when it admits the key project the task names; a task about no project, and an
    approval, only to the town."""
    pt = shapely.Point
    app_store.row_scope = TOWN
    app_store.upsert("key_projects", gpd.GeoDataFrame(
        {"project_id": ["KP1", "KP2"], "name": ["东项目", "西项目"], "district_id": ["D1", "D2"],
         "grid_id": ["G1", "G3"]}, geometry=[pt(.5, .2), pt(1.5, .5)], crs=4326))
    app_store.upsert("tasks", pd.DataFrame({"task_id": ["T1", "T2", "T3"], "project_id": ["KP1", "KP2", None],
                                            "issued_at": [T0] * 3}))
    app_store.upsert("approvals", pd.DataFrame({"approval_id": ["A1"], "submitted_at": [T0]}))
    app_store.row_scope = None
    for grants, want in (("D1", ["T1"]), ("G3", ["T2"]), ("P1", [])):
        with db_scope(scope(app_store, grants)):
            assert sorted(app_store.read("tasks", geometry=False)["task_id"]) == want, grants
            assert app_store.count("approvals") == 0
    with db_scope(TOWN):
        assert app_store.count("tasks") == 3 and app_store.count("approvals") == 1


# ---- through the store: every read path ------------------------------------------------------------
def test_the_store_reads_counts_and_points_as_the_scope_of_the_work(app_store):
    d1 = scope(app_store, "D1")
    with db_scope(d1):
        assert sorted(app_store.read("cases", geometry=False)["case_id"]) == ["C1", "C3"]
        assert sorted(app_store.read_points("cases", columns=["case_id"])["case_id"]) == ["C1", "C3"]
        assert app_store.count("cases") == 2
        assert app_store.read("grids", geometry=False)["grid_id"].tolist() == ["G1", "G2", "G3"]
    assert len(app_store.read("cases")) == 0 and app_store.count("cases") == 0   # nothing said: nothing
    app_store.row_scope = TOWN                                                      # the store's own default
    assert app_store.count("cases") == 5
    with db_scope(NOTHING):                                                         # the nearer one wins
        assert app_store.count("cases") == 0


def test_a_pooled_connection_carries_no_scope_from_one_work_into_the_next(app_store):
    """One connection in the pool: a district's work, then the town's, then nothing
    set, then the district's again — each sees its own rows."""
    one = sa.create_engine(app_store.engine.url, pool_size=1, max_overflow=0)
    app_store.engine.dispose()
    app_store.engine = one
    pids = set()

    def pid():
        with one.connect() as conn:
            pids.add(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar())
            return conn.execute(sa.text("SELECT current_setting('townbrain.districts', true), "
                                        "current_setting('townbrain.scope_town', true)")).one()
    with db_scope(scope(app_store, "D1")):
        assert app_store.count("cases") == 2
    assert pid() in ((None, None), ("", ""))      # the transaction's settings went with it
    with db_scope(TOWN):
        assert app_store.count("cases") == 5
    assert app_store.count("cases") == 0
    with db_scope(scope(app_store, "D2")):
        assert app_store.count("cases") == 1      # C2 (C4 is in P1 alone)
    pid()
    assert len(pids) == 1


def test_the_fast_read_connection_is_cleared_after_each_read_in_both_orders(app_store):
    """The ADBC connection (this thread's own, autocommit, reused) sets the scope on its
    session: it is cleared after each read, so the town after a district reads the
    town, the district after the town its district, and an unscoped read nothing."""
    d1 = scope(app_store, "D1")
    for order in ((d1, TOWN, None, d1), (TOWN, d1, TOWN, None)):
        for s in order:
            with db_scope(s):
                got = sorted(app_store.read_points("cases", columns=["case_id"])["case_id"])
            want = {id(d1): ["C1", "C3"], id(TOWN): ["C1", "C2", "C3", "C4", "C5"], id(None): []}[id(s)]
            assert got == want, (s, got)
            con = app_store._local.adbc
            cur = con.cursor()
            cur.execute("SELECT current_setting('townbrain.districts', true), "
                        "current_setting('townbrain.scope_town', true)")
            assert cur.fetchall() == [("", "off")]
            cur.close()


# ---- writes ---------------------------------------------------------------------------------------
def test_a_scoped_writer_changes_its_own_cases_and_cannot_write_outside(app_store):
    from geodata.store import StoreError
    d1 = scope(app_store, "D1")
    with db_scope(d1):
        # a duty officer's transition of a case of their district
        assert app_store.update_columns("cases", pd.DataFrame({"case_id": ["C1", "C2"],
                                                               "status": ["dispatched"] * 2})) == 1
        # moving it out of the scope is refused by the policy's check
        with pytest.raises(Exception, match="row-level security"):
            app_store.update_columns("cases", pd.DataFrame({"case_id": ["C1"], "district_id": ["D2"],
                                                            "grid_id": ["G3"]}))
        with pytest.raises((StoreError, sa.exc.ProgrammingError, Exception), match="row-level security"):
            app_store.append("cases", gpd.GeoDataFrame({"case_id": ["X9"], "reported_at": [T0],
                                                        "district_id": ["D2"]},
                                                       geometry=[shapely.Point(1.5, .5)], crs=4326))
    with db_scope(TOWN):
        got = app_store.read("cases", geometry=False).set_index("case_id")["status"]
    assert got["C1"] == "dispatched" and got["C2"] == "reported" and "X9" not in got.index


def test_the_live_intake_and_a_plain_append_still_write_under_the_policy(app_store):
    """COPY FROM into a table under row-level security is refused by PostgreSQL; the
    store goes through a temporary table then, and the town's writes pass."""
    app_store.row_scope = TOWN     # the server's own work (access/web.py)
    n = app_store.append_records_together({"cases": [
        {"case_id": f"L{i}", "category": "市容环境", "status": "reported", "reported_at": T0,
         "district_id": "D2", "grid_id": "G3", "geometry": shapely.Point(1.5, .5)} for i in range(3)]})
    assert n == 3
    app_store.append("case_history", pd.DataFrame({"id": ["H1", "H2"], "case_id": ["C1", "C2"],
                                                   "step": ["dispatched"] * 2, "at": [T0] * 2}))
    with db_scope(scope(app_store, "D1")):
        assert app_store.read("case_history", geometry=False)["case_id"].tolist() == ["C1"]
    app_store.row_scope = None
    with db_scope(scope(app_store, "G3")):
        assert sorted(app_store.read("cases", geometry=False)["case_id"]) == ["C2", "L0", "L1", "L2"]


def test_townbrain_load_into_postgis_under_the_policy(app_store, tmp_path):
    from typer.testing import CliRunner
    from townbrain.cli import app as cli
    src = tmp_path / "cases.geojson"
    gpd.GeoDataFrame({"case_id": ["F1", "F2"], "category": ["市容环境"] * 2, "reported_at": ["2026-03-01T08:00:00+08:00"] * 2,
                      "district_id": ["D1", "D2"]},
                     geometry=[shapely.Point(.5, .5), shapely.Point(1.5, .5)], crs=4326).to_file(src)
    res = CliRunner().invoke(cli, ["load", str(src), "--layer", "cases", "--db", app_store.url])
    assert res.exit_code == 0, res.output
    with db_scope(scope(app_store, "D2")):
        assert sorted(app_store.read("cases", geometry=False)["case_id"]) == ["C2", "F2"]


# ---- the app on PostGIS, its role bound: the gate sets each request's scope ------------------------
PW = "Rls-Test-2026"


@pytest.fixture
def pg_app(app_url):
    """The real app on the fixture town (cases assigned), written by the app role as the
    town, then served by that role: every request's database work is its session's."""
    from app import create_app
    from geodata.demo import write_town
    from geodata.store import open_store
    from grids.assign import assign_store
    from tests.browser.conftest import build_fixture_town
    st = open_store(app_url)
    st.row_scope = TOWN
    write_town(st, build_fixture_town(pd.Timestamp.now(tz="Asia/Shanghai")))
    assign_store(st, layers=["cases"])
    st.close()
    app = create_app(app_url)
    acc = app.server.extensions["townbrain_access"]
    for name, role, grants in (("d1", "duty_officer", "D1"), ("lead", "duty_officer", "town"), ("none", "grid_staff", "")):
        acc.accounts.create(name, role, grants, by="os:test", password=PW, must_change=False)
    yield app
    app.server.extensions["townbrain_access"].store.close()


def _client(app, name):
    c = app.server.test_client()
    r = c.post("/login", data={"name": name, "password": PW})
    assert r.status_code == 303 and not r.headers["Location"].startswith("/login"), r.headers.get("Location")
    return c, next(ck.value for ck in c._cookies.values() if ck.key == "tb_session")


def _oracle(store):
    with db_scope(TOWN):
        return store.read("cases", geometry=False)


def test_a_limited_readers_request_first_then_the_towns_gives_the_town_the_whole_town(pg_app):
    """The screens' shared caches (the console's frame, the wall's snapshot, the as-of
    counts) are filled by whoever asks first: here a district duty officer, whose request
    reads only D1 from the database. They fill as the town, so the leader after sees the
    whole town, and the officer's figures are the district's."""
    from callbacks.data import case_cache
    from geodata.case_filter import CaseFilter
    from geodata.row_scope import current
    app = pg_app
    store = app.server.extensions["townbrain_access"].store   # the store the app serves
    screen = _screen_data(app)
    every = _oracle(store)
    in_d1 = every[every["district_id"] == "D1"]
    assert 0 < len(in_d1) < len(every)
    _, t_d1 = _client(app, "d1")
    _, t_lead = _client(app, "lead")
    _, t_none = _client(app, "none")
    with as_reader(app, t_d1) as s:
        assert s.districts == frozenset({"D1"})
        # the second lock: a read that forgot the Python scope still gets D1 only
        assert sorted(store.read("cases", geometry=False)["case_id"]) == sorted(in_d1["case_id"])
        d1_counts = screen.case_counts_for(s)
        d1_total = case_cache(screen).get().page(CaseFilter(scope=s)).total
        d1_snap = screen.modules.snapshot_for(s)
    assert current("unset") == "unset"            # the request's scope went with it
    accepted_d1 = int(in_d1["registered_at"].notna().sum())
    assert d1_counts["all"].accepted == accepted_d1 and d1_total == len(in_d1)
    assert set(d1_snap.cases["district_id"].dropna()) <= {"D1"}
    with as_reader(app, t_lead) as s:
        assert s.town
        counts = screen.case_counts_for(s)
        frame = case_cache(screen).get()
        snap = screen.modules.snapshot_for(s)
        assert len(store.read("cases", geometry=False)) == len(every)
    assert frame.n == len(every) and frame.page(CaseFilter(scope=TOWN)).total == len(every)
    assert counts["all"].accepted == int(every["registered_at"].notna().sum())
    assert set(snap.cases["district_id"].dropna()) == {"D1", "D2"}
    with db_scope(TOWN):
        assert len(snap.cases) == len(screen.modules._read().cases)
    with as_reader(app, t_none) as s:                # no grant: nothing, in the database too
        assert s.empty and len(store.read("cases", geometry=False)) == 0
        assert case_cache(screen).get().page(CaseFilter(scope=s)).total == 0


def _screen_data(app):
    """What every wall and console callback reads through, on the app's store, fresh
    (no cache filled yet)."""
    from callbacks.data import ScreenData
    from callbacks.module_data import ModuleData
    store = app.server.extensions["townbrain_access"].store
    data = ScreenData(store, tz="Asia/Shanghai")
    data.modules = ModuleData(store, tz="Asia/Shanghai")
    return data


def test_a_case_outside_the_scope_is_still_a_403_and_audited_when_the_database_hides_it(pg_app):
    app = pg_app
    acc = app.server.extensions["townbrain_access"]
    every = _oracle(acc.store)
    outside = every.loc[every["district_id"] == "D2", "case_id"].iloc[0]
    inside = every.loc[every["district_id"] == "D1", "case_id"].iloc[0]
    c, _ = _client(app, "d1")
    detail = next(k for k, m in app.callback_map.items() if m.get("callback") is not None
                  and m["callback"].__module__ == "callbacks.console" and m["callback"].__name__ == "detail")
    inputs = app.callback_map[detail]["inputs"]
    for case_id, status in ((outside, 403), (inside, 200), ("NO-SUCH-CASE", 200)):
        body = {"output": detail, "outputs": {"id": detail.split(".")[0].lstrip("."), "property": "data"},
                "inputs": [{**inputs[0], "value": case_id}],
                "state": [{**app.callback_map[detail]["state"][0], "value": f"?case={case_id}"}],
                "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]}
        r = c.post("/_dash-update-component", json=body)
        assert r.status_code == status, r.get_data(as_text=True)[:300]
        if status == 200 and case_id == inside:
            assert inside in r.get_data(as_text=True)
    views = acc.audit.list(user="d1")
    views = views[views["action"] == "case_view"]
    assert views["outcome"].tolist()[:2] == ["refused", "ok"]


# ---- the DBA's command -------------------------------------------------------------------------------
def test_townbrain_db_secure_turns_it_on_for_a_store_made_before_and_checks_the_role(app_store, pg_schema_url,
                                                                                  tmp_path):
    from typer.testing import CliRunner
    from townbrain.cli import app as cli
    with app_store.engine.begin() as conn:   # a store from before: no policy, not forced
        conn.execute(sa.text('DROP POLICY townbrain_scope ON cases'))
        conn.execute(sa.text('ALTER TABLE cases NO FORCE ROW LEVEL SECURITY'))
        conn.execute(sa.text('ALTER TABLE cases DISABLE ROW LEVEL SECURITY'))
    assert app_store.row_security()["layers"]["cases"] is False
    assert app_store.count("cases") == 5                  # the owner reads everything, scope or not
    runner = CliRunner()
    res = runner.invoke(cli, ["db", "secure", "--show", "--db", app_store.url])
    assert res.exit_code == 0, res.output
    assert 'CREATE POLICY townbrain_scope ON "cases"' in res.output and "is bound by the policies" in res.output
    assert app_store.row_security()["layers"]["cases"] is True and app_store.count("cases") == 0
    # the test server's own role is a superuser: said, and a failure
    role = app_store.url.split("://", 1)[1].split(":", 1)[0]   # the app's own
    res = runner.invoke(cli, ["db", "secure", "--role", "townbrain", "--db", app_store.url])
    assert res.exit_code == 1 and "superuser or has BYPASSRLS" in res.output
    res = runner.invoke(cli, ["db", "secure", "--role", "no_such_role_x", "--db", app_store.url])
    assert res.exit_code == 1 and "no PostgreSQL role" in res.output
    res = runner.invoke(cli, ["db", "secure", "--role", role, "--db", app_store.url])
    assert res.exit_code == 0, res.output
    from geodata.store import open_store
    with open_store(str(tmp_path / "town.gpkg")) as gpkg:
        gpkg.create_schema(["districts"])
    res = runner.invoke(cli, ["db", "secure", "--db", str(tmp_path / "town.gpkg")])
    assert res.exit_code == 1 and "GeoPackage" in res.output and "Traceback" not in res.output


def test_an_export_job_reads_as_its_reader_under_the_policy_and_holds_the_districts_cases(pg_app, tmp_path):
    """An export runs on its own thread, after its request: it reads as the planner who
    asked (D1), so on PostGIS the database keeps it to D1 as well, and the file is still
    whole for that district — the exporter needs nothing the policy hides from it."""
    import pyotp
    from tests.exports.test_export_web import run
    app = pg_app
    acc = app.server.extensions["townbrain_access"]
    secret = pyotp.random_base32()
    acc.accounts.create("p1", "planner", "D1", by="os:test", password=PW, must_change=False, totp_secret=secret)
    c = app.server.test_client()
    c.post("/login", data={"name": "p1", "password": PW})
    r = c.post("/login/totp", data={"code": pyotp.TOTP(secret).now()})
    assert r.status_code == 303 and not r.headers["Location"].startswith("/login")
    job, st = run(c, page="/wall", kind="data", layer="cases", format="csv", search="?module=public")
    assert st["state"] == "done", st
    out = tmp_path / "cases.csv"
    out.write_bytes(c.get(job["file"]).data)
    got = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    every = _oracle(acc.store)
    want = set(every.loc[every["district_id"] == "D1", "case_id"])
    assert want and set(got["case_id"]) == want
