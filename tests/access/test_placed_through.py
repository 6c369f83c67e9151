"""The wall's layers with no place of their own, for a reader whose grants are less than
the town (issue 16, Deliver 3): a supervised task is placed through the key project it
concerns, as a patrol is through its inspector; an approval (the town's one service
centre) and a task about no project have no place at all, are not shown and the
module's note says so. A district officer's task tiles count the district's own tasks.

The oracle is the district's polygon and the key projects' points (shapely, by hand),
not the gate. On the GeoPackage and on PostGIS (``TOWNBRAIN_TEST_PG``, or under CI);
PostGIS's row-level security places a task the same way (test_row_security.py).
"""
from __future__ import annotations

import re
import uuid

import pandas as pd
import pytest

from tests.browser.conftest import TZ
from tests.browser.town_full import build_themed_town

NOW = pd.Timestamp.now(tz=TZ).floor("s")
PW = "Placed-Through-2026"


@pytest.fixture(scope="module", params=["gpkg", "postgis"])
def town_url(request, tmp_path_factory):
    """The themed town (every module's own layers) written and assigned to its grids
    (``townbrain assign``: the key projects get their district and grid)."""
    import sqlalchemy as sa
    from geodata.demo import write_town
    from geodata.store import open_store
    from grids.assign import assign_store
    schema = None
    if request.param == "gpkg":
        url = str(tmp_path_factory.mktemp("placed") / "town.gpkg")
    else:
        base = request.getfixturevalue("pg_base_url")
        schema = "placed_" + uuid.uuid4().hex[:10]
        eng = sa.create_engine("postgresql+psycopg://" + base.split("://", 1)[1])
        with eng.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema},public"
    store = open_store(url)
    store.create_schema()
    write_town(store, build_themed_town(NOW))
    assign_store(store)
    store.close()
    yield url
    if schema:
        with eng.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        eng.dispose()


@pytest.fixture(scope="module")
def raw(town_url):
    from geodata.store import open_store
    store = open_store(town_url)
    out = {name: store.read(name) for name in ("districts", "key_projects", "tasks", "approvals")}
    store.close()
    return out


def tasks_in(raw, district: str) -> pd.DataFrame:
    """The district's tasks by hand: those about a key project whose point lies in its polygon."""
    shape = raw["districts"].set_index("district_id").geometry[district]
    kp = raw["key_projects"]
    inside = set(kp.loc[[shape.contains(p) for p in kp.geometry], "project_id"])
    return raw["tasks"][raw["tasks"]["project_id"].isin(inside)]


@pytest.fixture(scope="module")
def screen(town_url):
    from callbacks.data import ScreenData
    from callbacks.module_data import ModuleData
    from geodata.store import open_store
    store = open_store(town_url)
    data = ScreenData(store, tz=TZ)
    data.modules = ModuleData(store, tz=TZ)
    yield data
    store.close()


def test_the_town_has_tasks_placed_in_each_district_and_tasks_and_approvals_with_no_place(raw):
    assert all(len(tasks_in(raw, d)) for d in ("D1", "D2")), "each district needs tasks of its own"
    assert raw["tasks"]["project_id"].isna().any() and len(raw["approvals"])


@pytest.mark.parametrize("district", ["D1", "D2"])
def test_a_district_reader_sees_the_tasks_of_its_key_projects_and_no_approval(screen, raw, district):
    from access.scope import known_ids, scope_of
    from callbacks.as_of import screen_period
    from indicators.registry import get
    scope = scope_of(district, known_ids(screen.store))
    period = screen_period(None, NOW)
    snap = screen.modules.snapshot_for(scope, period)
    town = screen.modules.snapshot(period)
    want = tasks_in(raw, district)
    issued = want[want["issued_at"] >= town.theme_frames["tasks"]["issued_at"].min()]  # what the wall reads
    got = snap.theme_frames["tasks"]
    assert sorted(got["task_id"]) == sorted(issued["task_id"]) and len(got)
    assert len(snap.theme_frames["approvals"]) == 0                       # no place: the town's alone
    assert set(snap.withheld) == {"tasks", "approvals"} and town.withheld == ()
    # the tiles: the district's own tasks, by the registered indicator
    stats = snap.layer_stats()
    rate = get("task_ontime_rate")(issued, as_of=snap.now, start=snap.year_start, end=snap.year_end)
    assert stats["task_ontime_rate"] == rate and stats["approvals"] == 0
    assert stats["tasks_open"] == int(issued["completed_at"].isna().sum())
    # the town sees every task and approval it read
    assert len(town.theme_frames["tasks"]) > len(got) and len(town.theme_frames["approvals"]) > 0


@pytest.fixture(scope="module")
def officer(town_url):
    from app import create_app
    app = create_app(town_url)
    acc = app.server.extensions["townbrain_access"]
    acc.accounts.create("d-officer", "duty_officer", "D1", by="os:test", password=PW, must_change=False)
    acc.accounts.create("t-officer", "duty_officer", "town", by="os:test", password=PW, must_change=False)
    clients = {}
    for name in ("d-officer", "t-officer"):
        clients[name] = app.server.test_client()
        assert clients[name].post("/login", data={"name": name, "password": PW}).status_code == 303
    return app, clients


def panels(app, client, module: str, lang: str = "en") -> dict:
    from callbacks import ids as I
    from tests.access.test_grid_isolation import call
    status, resp = call(app, client, "callbacks.modules", "refresh_module_panels",
                        {I.WALL_URL: f"?module={module}&lang={lang}", I.WALL_REFRESH: 1})
    assert status == 200
    return resp


def tile(resp: dict, name: str) -> str:
    """The text of a module tile's figure in the panel fragment."""
    from callbacks import ids as I
    html = next(v["data"] for k, v in resp.items() if "data" in v and I.module_kpi(name) in str(v["data"]))
    m = re.search(rf'id="{re.escape(I.module_kpi(name))}"[^>]*>([^<]*)<', html)
    return m.group(1)


def test_a_district_officers_wall_shows_its_tasks_and_says_what_it_leaves_out(officer, raw, screen):
    from access.scope import known_ids, scope_of
    from callbacks import ids as I
    from callbacks.modules import metric_text
    app, clients = officer
    d1 = panels(app, clients["d-officer"], "leadership")
    town = panels(app, clients["t-officer"], "leadership")
    mine = screen.modules.snapshot_for(scope_of("D1", known_ids(screen.store))).layer_stats()["task_ontime_rate"]
    assert tile(d1, "task_ontime_rate") == metric_text("task_ontime_rate", mine, "en")[0]
    notes = {k: v for k, v in d1.items() if I.MODULE_WITHHELD in str(v.get("data", ""))}
    assert notes and "Supervised tasks about no key project" in str(notes)
    assert d1[I.MODULE_NEEDS]["hidden"] is False and town[I.MODULE_NEEDS]["hidden"] is True
    assert I.MODULE_WITHHELD not in str(town)
    # the administration module: no approval for a district, and the note names them
    admin = panels(app, clients["d-officer"], "admin")
    assert tile(admin, "approvals") == "0" and "Approval items (the town" in str(admin)
    assert tile(panels(app, clients["t-officer"], "admin"), "approvals") != "0"
