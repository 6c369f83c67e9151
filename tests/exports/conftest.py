"""The town the export tests write from: the browser tests' themed fixture town
(districts, grids, roads, a river, buildings, enterprises, residents, staff, patrols,
cases and the modules' own layers), with hostile names planted in it so that every
exporter is seen to escape what it prints."""
from __future__ import annotations

import pandas as pd
import pytest

from tests.browser.conftest import TZ
from tests.browser.town_full import build_themed_town, town_file

#: A name that runs script if any exporter puts it into HTML unescaped.
HOSTILE = '<img src=x onerror="window.__pwned=1">'
HOSTILE_GRID = "G2"


def build_export_town(now: pd.Timestamp) -> dict:
    town = build_themed_town(now)
    grids = town["grids"].copy()
    grids.loc[grids["grid_id"] == HOSTILE_GRID, "name"] = HOSTILE
    town["grids"] = grids
    ent = town["enterprises"].copy()
    ent.loc[ent.index[0], "name"] = HOSTILE + "<script>window.__pwned=2</script>"
    town["enterprises"] = ent
    return town


@pytest.fixture(scope="session")
def export_town(tmp_path_factory) -> str:
    """URL of a GeoPackage holding the export fixture town."""
    return town_file(tmp_path_factory, "export_town", build_export_town(pd.Timestamp.now(tz=TZ)))


@pytest.fixture
def export_store(export_town):
    from geodata.store import open_store
    st = open_store(export_town)
    yield st
    st.close()
