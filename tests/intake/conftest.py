"""A hand-made town in the store under test and an intake server on it."""
from __future__ import annotations

import contextlib

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from flask import Flask

from geodata.apikeys import SCOPES
from tests.grids.handmade import B, partition

TOWN_NAME = "青澜镇"
#: Every scope: the fixtures' key may do everything (tests/intake/test_scopes.py takes them away).
ALL_SCOPES = tuple(SCOPES)


def handmade_town(store) -> None:
    """Town = the 8×8 lattice square of tests/grids/handmade.py: 5 grids, 2 districts,
    1 professional grid, a category tree of two majors and one minor."""
    crs = 4326
    store.write("town", gpd.GeoDataFrame({"town_id": ["T1"], "name": [TOWN_NAME]},
                                         geometry=[shapely.MultiPolygon([B(0, 0, 8, 8)])], crs=crs))
    store.write("districts", gpd.GeoDataFrame({"district_id": ["D1", "D2"], "name": ["西", "东"]},
                                              geometry=[B(0, 0, 4, 8), B(4, 0, 8, 8)], crs=crs))
    grids = partition()
    grids["district_id"] = ["D2", "D2", "D2", "D1", "D1"]  # G05 G02 G04 G01 G03 (by centroid side)
    store.write("grids", grids)
    store.write("pro_grids", gpd.GeoDataFrame({"pro_grid_id": ["PG1"]}, geometry=[B(0, 0, 8, 4)], crs=crs))
    store.write("categories", pd.DataFrame({
        "code": ["street_order", "street_order/vendor", "city_appearance"],
        "parent": [None, "street_order", None],
        "name": ["街面秩序", "占道经营", "市容环境"],
        "name_en": ["Street order", "Street vending", "City appearance"],
        "time_limit_h": [2.0, 1.0, 12.0]}))
    store.write("staff", pd.DataFrame({"staff_id": ["DSP01", "INS01", "D1"],
                                       "role": ["dispatcher", "inspector", "officer"],
                                       "grid_id": [None, "G01", None], "pro_grid_id": [None, None, None]}))


#: A point inside grid G02 (lattice (6, 2)), district D2, pro grid PG1.
INSIDE = {"lon": 120.5 + 6 / 64, "lat": 31.0 + 2 / 64}


@pytest.fixture(autouse=True)
def generous_rate_limits(monkeypatch):
    """The intake tests send hundreds of requests a minute from one address with one
    key; tests/intake/test_rate_limits.py sets its own limits."""
    monkeypatch.setattr("intake.limits.ADDRESS_DEFAULT", "1000000/minute")
    monkeypatch.setattr("intake.limits.KEY_DEFAULT", "1000000/minute")


@pytest.fixture
def town_store(store):
    handmade_town(store)
    return store


@pytest.fixture
def intake_app(town_store):
    from intake import register_intake
    server = Flask("intake-test")
    state = register_intake(server, town_store, timeout_s=5.0)
    server.config["TESTING"] = True
    key = state.keys.create("test-client", ALL_SCOPES)
    server.intake_key = key
    return server


@pytest.fixture
def client(intake_app):
    return intake_app.test_client()


@pytest.fixture
def key(intake_app):
    return intake_app.intake_key


@contextlib.contextmanager
def served_intake(tmp_path, app: Flask | None = None, **limits):
    """The intake on the hand-made town in a GeoPackage, behind the real server
    (waitress with townbrain/server.py's options, as `townbrain serve` runs it):
    yields (state, key, base URL of /open311/v2, port)."""
    import threading

    from geodata.store import open_store
    from intake import register_intake
    from townbrain.server import create_server
    store = open_store(str(tmp_path / "town.gpkg"))
    store.create_schema()
    handmade_town(store)
    app = app or Flask("served")
    state = register_intake(app, store, timeout_s=5.0, **limits)
    key = state.keys.create("served", ALL_SCOPES)
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    port = server.socket.getsockname()[1]
    try:
        yield state, key, f"http://127.0.0.1:{port}/open311/v2", port
    finally:
        server.close()


def report(**over) -> dict:
    body = {"service_code": "street_order", "lat": INSIDE["lat"], "long": INSIDE["lon"],
            "description": "摊贩占道", "source": "citizen"}
    body.update(over)
    return body
