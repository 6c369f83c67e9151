"""A GeoPackage that goes away is an outage, not a town without cases: the wall's
counts raise StoreError (the screen keeps its numbers under the stale mark) instead
of reading zeros."""
from __future__ import annotations

import pytest

from callbacks.data import ScreenData
from geodata.store import StoreError, open_store
from tests.browser.conftest import TZ


def test_counts_of_a_geopackage_that_went_away_raise(tmp_path):
    path = tmp_path / "town.gpkg"
    store = open_store(str(path))
    store.create_schema(["cases", "grids"])
    data = ScreenData(store, tz=TZ)
    counts = data.case_counts()
    assert counts["all"].accepted == 0 and counts["year"].open == 0  # an empty town reads as zeros
    assert data.layer_counts(["cases", "grids", "roads"]) == {"cases": 0, "grids": 0, "roads": None}
    path.rename(tmp_path / "moved.gpkg")
    with pytest.raises(StoreError, match="not found"):
        data.case_counts()
    with pytest.raises(StoreError, match="not found"):
        data.layer_counts(["cases", "grids"])
