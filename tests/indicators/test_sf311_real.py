"""Real data: San Francisco 311 cases loaded through the loaders, KPIs through
kpi_command, against a plain pandas computation on the CSV read directly."""

import pandas as pd
import pytest

from geodata.loaders import load_file
from indicators.report import kpi_command
from tests.realdata import REAL

CSV = REAL / "sf311" / "cases_sample.csv"
LA = "America/Los_Angeles"


@pytest.mark.parametrize("year", [2012, 2013])
def test_sf311_disposal_matches_plain_pandas(store, year):
    if not CSV.exists():
        pytest.fail(f"real data missing: {CSV}")
    rep = load_file(store, CSV, "cases", source_tz=LA,
                    mapping={"case_id": "CaseID", "reported_at": "Opened", "registered_at": "Opened",
                             "closed_at": "Closed"})
    start, end = pd.Timestamp(f"{year}-01-01", tz=LA), pd.Timestamp(f"{year + 1}-01-01", tz=LA)
    got = kpi_command(store, start, end)

    raw = pd.read_csv(CSV)
    assert rep.loaded == len(raw) and rep.quarantined == 0
    opened = pd.to_datetime(raw["Opened"]).dt.tz_localize(LA, ambiguous="NaT", nonexistent="shift_forward")
    closed = pd.to_datetime(raw["Closed"]).dt.tz_localize(LA, ambiguous="NaT", nonexistent="shift_forward")
    accepted = (opened >= start) & (opened < end)
    as_of = end                                   # the earlier of `to` and now
    disposed = accepted & (closed < as_of)
    assert got["accepted"] == int(accepted.sum()) > 100
    assert got["disposed"] == int(disposed.sum())
    assert got["disposal_rate"] == pytest.approx(disposed.sum() / accepted.sum())
    assert got["due"] == 0 and got["closure_rate"] is None       # SF311 has no deadlines: null, not 0
    assert got["inspector_reported"] == 0 and got["enforcement"] == 0
    assert got["period"]["as_of"] == as_of.tz_convert("Asia/Shanghai").isoformat()
