"""Real data: San Francisco 311 cases against census tracts (../shared/data/real/sf311)."""
from __future__ import annotations


import geopandas as gpd
import pandas as pd

from grids.systems import GridSystem
from tests.realdata import REAL

DATA = REAL / "sf311"


def test_sf311_cases_land_in_their_own_census_tract():
    tracts = gpd.read_file(DATA / "city_analysis_neighbor.geojson")
    cases = pd.read_csv(DATA / "cases_sample.csv", usecols=["CaseID", "Lat", "Long", "tractce10"])
    assert len(cases) > 4000 and cases["tractce10"].notna().all()
    system = GridSystem.from_frame(tracts, "tractce10", name="tracts")
    got = system.ids_of_xy(cases["Long"].to_numpy(), cases["Lat"].to_numpy())
    # the CSV stores the tract code as an integer: 12800 is tract "012800"
    want = cases["tractce10"].astype(int).astype(str).str.zfill(6).to_numpy()
    mismatched = cases.loc[got != want, "CaseID"].tolist()
    assert mismatched == []
