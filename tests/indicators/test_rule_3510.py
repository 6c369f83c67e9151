"""3-5-10 on hand-made patrols (tests/indicators/handmade.py): five inspector-days,
two comply (I1 on 03-05, I3 on 03-05)."""
import pandas as pd
import pytest

from indicators import REGISTRY, compute_kpis
from indicators.rule_3510 import compliance_by, inspector_days
from tests.indicators import handmade as H


def test_inspector_days_by_hand():
    d = inspector_days(H.patrols(), H.reports(), start="2024-03-01", end="2024-04-01")
    got = {(r.staff_id, str(r.day)): (r.patrols, r.hours, r.cases, r.complies) for r in d.itertuples()}
    assert got == {
        ("I1", "2024-03-05"): (3, 5.0, 10, True),    # exactly 3, 5 h, 10: complies
        ("I1", "2024-03-06"): (3, 4.5, 12, False),   # 4.5 h
        ("I2", "2024-03-05"): (2, 6.0, 15, False),   # 2 patrols
        ("I2", "2024-03-06"): (3, 6.0, 9, False),    # 9 cases
        ("I3", "2024-03-05"): (3, 6.0, 10, True),    # the 23:30 case counts, the 00:30 one does not
    }


def test_compliance_town_and_grid():
    kw = {**H.PERIOD, "patrols": H.patrols(), "reports": H.reports()}
    assert REGISTRY["rule_3510_compliance"](H.cases(), **kw) == pytest.approx(2 / 5)
    by_grid = REGISTRY["rule_3510_compliance"](H.cases(), **kw, by="grid")
    assert by_grid["G1"] == pytest.approx(1 / 4) and by_grid["G2"] == pytest.approx(1.0)
    assert pd.isna(by_grid["G3"])  # no patrols there: null, not 0


def test_compliance_per_inspector_and_day():
    d = inspector_days(H.patrols(), H.reports(), start="2024-03-01", end="2024-04-01")
    per_staff = compliance_by(d, "staff_id")["compliance"].to_dict()
    assert per_staff == {"I1": 0.5, "I2": 0.0, "I3": 1.0}
    per_day = compliance_by(d, "day")["compliance"]
    assert per_day.tolist() == [pytest.approx(2 / 3), 0.0]


def test_no_patrols_is_null():
    assert compute_kpis(H.cases(), **H.PERIOD)["rule_3510_compliance"] is None
