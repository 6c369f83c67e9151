"""An Access on a fresh store of each backend, with a clock the test moves."""
from __future__ import annotations

import contextlib

import pandas as pd
import pytest
import shapely
import geopandas as gpd


class Clock:
    """A clock a test sets and moves (no sleeping)."""

    def __init__(self, t="2026-12-05T08:00:00Z"):
        self.t = pd.Timestamp(t)

    def __call__(self) -> pd.Timestamp:
        return self.t

    def advance(self, **kw) -> None:
        self.t = self.t + pd.Timedelta(**kw)


def small_town(store) -> None:
    """Two districts, three grids, a professional grid: the ids grants may name."""
    store.upsert("districts", gpd.GeoDataFrame({"district_id": ["D1", "D2"], "name": ["东", "西"]},
                                               geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs=4326))
    store.upsert("grids", gpd.GeoDataFrame({"grid_id": ["G1", "G2", "G3"], "district_id": ["D1", "D1", "D2"]},
                                           geometry=[shapely.box(0, 0, 1, .5), shapely.box(0, .5, 1, 1),
                                                     shapely.box(1, 0, 2, 1)], crs=4326))
    store.upsert("pro_grids", gpd.GeoDataFrame({"pro_grid_id": ["P1"]}, geometry=[shapely.box(0, 0, 2, 1)], crs=4326))


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def access(store, clock):
    from access.service import Access
    small_town(store)
    return Access(store, clock=clock)


@contextlib.contextmanager
def as_reader(app, token):
    """A request of ``token``'s session, through the gate (before and teardown hooks);
    yields the request's scope."""
    from access.scope import request_scope
    with app.server.test_request_context("/console", headers={"Cookie": f"tb_session={token}"}):
        assert app.server.preprocess_request() is None
        try:
            yield request_scope()
        finally:
            app.server.do_teardown_request()
