"""Every case indicator on the hand-made town (tests/indicators/handmade.py).

The expected values are worked out by hand from the table in handmade.py, with the
cases that count named in each comment; the code under test is not the oracle.
"""
import pandas as pd
import pytest

from indicators import REGISTRY, compute_all, compute_kpis
from indicators.kpis import CONTRACT_KEYS
from tests.indicators import handmade as H

C = H.cases()


def ind(name, **kw):
    return REGISTRY[name](C, **{**H.PERIOD, **kw})


def test_accepted_counts_registered_in_half_open_period():
    # c1 (00:00 on the first day, included), c3 c4 c5 c6 c7 c9 c11 c12; not c2 (Feb), c8 (rejected), c10 (= end)
    assert ind("accepted") == 9


def test_disposed_and_disposal_rate():
    # closed before as_of 03-20: c1, c3, c6, c11 (c12 closes 03-21)
    assert ind("disposed") == 4
    assert ind("disposal_rate") == pytest.approx(4 / 9)


def test_inspector_reported_and_share():
    # inspector among accepted: c1 c3 c6 c11 c12
    assert ind("inspector_reported") == 5
    assert ind("inspector_share") == pytest.approx(5 / 9)


def test_enforcement():
    assert ind("enforcement") == 2  # c3, c12


def test_due_closed_on_time_and_rates():
    # deadline before as_of: c1 (03-02) c3 (03-10) c4 (03-19) c11 (03-03) c12 (03-09); c5's is 03-20 10:00
    assert ind("due") == 5
    # of those, closed before as_of: c1 c3 c11 (c12 only on 03-21)
    assert ind("closed") == 3
    assert ind("closure_rate") == pytest.approx(3 / 5)
    # closed_at ≤ deadline: c1, c11 (closed exactly at its deadline)
    assert ind("closed_on_time") == 2
    assert ind("ontime_closure_rate") == pytest.approx(2 / 5)


def test_open_overdue_and_at_risk():
    # open at as_of with a passed deadline: c4, c12 (still open on 03-20)
    assert ind("open_overdue") == 2
    # open, deadline within 24 h after as_of: c5 (03-20 10:00); c7 was registered after as_of
    assert ind("at_risk") == 1
    assert ind("at_risk", risk_hours=6) == 0


def test_rework_and_extension_rates():
    assert ind("rework_rate") == pytest.approx(1 / 4)      # c3 of the 4 disposed
    assert ind("extension_rate") == pytest.approx(1 / 9)   # c4 of the 9 accepted


def test_rework_and_extension_from_history_when_columns_missing():
    hist = pd.DataFrame({"case_id": ["c3", "c3", "c4", "c2"], "action": ["rework", "rework", "extend", "extend"]})
    base = C.drop(columns=["rework_count", "extended"])
    kw = {**H.PERIOD, "history": hist}
    assert REGISTRY["rework_rate"](base, **kw) == pytest.approx(1 / 4)
    assert REGISTRY["extension_rate"](base, **kw) == pytest.approx(1 / 9)  # c2 is not accepted
    assert REGISTRY["rework_rate"](base, **H.PERIOD) is None                 # no marker at all: no data


def test_resolved_level_split():
    assert ind("resolved_level") == {"grid": 1, "village": 1, "town": 1, "district": 1}  # c1 c3 c6 c11


def test_per_grid_values():
    got = compute_all(C, **H.PERIOD, by="grid")
    assert list(got.index) == ["G1", "G2", "G3", "G4", None]
    # G1: c1 c3 c12 | G2: c4 c5 c11 | G3: c6 c7 | G4: c10 (outside) | unassigned: c9
    assert got["accepted"].tolist() == [3, 3, 2, 0, 1]
    assert got["disposed"].tolist() == [2, 1, 1, 0, 0]
    assert got["due"].tolist() == [3, 2, 0, 0, 0]
    assert got["closed"].tolist() == [2, 1, 0, 0, 0]
    assert got["closed_on_time"].tolist() == [1, 1, 0, 0, 0]
    assert got["open_overdue"].tolist() == [1, 1, 0, 0, 0]
    assert got["inspector_reported"].tolist() == [3, 1, 1, 0, 0]
    assert got["enforcement"].tolist() == [2, 0, 0, 0, 0]
    assert got.loc["G1", "closure_rate"] == pytest.approx(2 / 3)
    assert got.loc["G2", "ontime_closure_rate"] == pytest.approx(1 / 2)
    assert got.loc["G3", "disposal_rate"] == pytest.approx(1 / 2)
    assert got["resolved_level_village"].tolist() == [1, 0, 0, 0, 0]


def test_zero_denominators_are_null_not_zero():
    got = compute_kpis(C, **H.PERIOD, by="grid")["groups"]
    assert got["G3"]["closure_rate"] is None and got["G3"]["ontime_closure_rate"] is None  # nothing due
    assert got["G4"]["disposal_rate"] is None and got["G4"]["inspector_share"] is None      # nothing accepted
    assert got["G4"]["rework_rate"] is None                                                 # nothing disposed
    empty = compute_kpis(C, start="2030-01-01", end="2030-02-01")
    assert empty["accepted"] == 0
    assert all(empty[k] is None for k in ("disposal_rate", "inspector_share", "closure_rate",
                                          "ontime_closure_rate", "rule_3510_compliance"))
    s = REGISTRY["closure_rate"](C, **H.PERIOD, by="grid")
    assert pd.isna(s["G3"]) and s["G1"] == pytest.approx(2 / 3)


def test_per_district_and_h3_and_unassigned_key():
    d = compute_kpis(C, **H.PERIOD, by="district")["groups"]
    assert {k: v["accepted"] for k, v in d.items()} == {"D1": 6, "D2": 2, "unassigned": 1}
    h = compute_kpis(C, **H.PERIOD, by="h3")["groups"]
    assert {k: v["disposed"] for k, v in h.items()} == {"ha": 2, "hb": 1, "hc": 1, "unassigned": 0}


def test_groups_argument_lists_units_without_cases():
    got = compute_all(C, **H.PERIOD, by="grid", groups=["G1", "G9"])
    assert got.loc["G9", "accepted"] == 0 and pd.isna(got.loc["G9", "disposal_rate"])


def test_contract_keys_exactly_present():
    k = compute_kpis(C, H.patrols(), reports=H.reports(), **H.PERIOD)
    assert set(CONTRACT_KEYS) <= set(k)
    assert set(k["resolved_level"]) == {"grid", "village", "town", "district"}
    assert k["period"] == {"from": "2024-03-01T00:00:00+08:00", "to": "2024-04-01T00:00:00+08:00",
                           "as_of": "2024-03-20T00:00:00+08:00"}


def test_as_of_defaults_to_earlier_of_end_and_now():
    k = compute_kpis(C, start="2024-03-01", end="2024-04-01", now="2024-03-20 00:00")
    assert k["period"]["as_of"] == "2024-03-20T00:00:00+08:00" and k["disposed"] == 4
    k = compute_kpis(C, start="2024-03-01", end="2024-04-01", now="2030-01-01")
    assert k["period"]["as_of"] == "2024-04-01T00:00:00+08:00"
    # at 04-01 c12 (closed 03-21) is disposed too
    assert k["disposed"] == 5


def test_composite_score_by_hand():
    from indicators.weights import WEIGHTS
    got = compute_all(C, H.patrols(), reports=H.reports(), **H.PERIOD, by="grid")
    # G1: disposal 2/3, closure 2/3, on-time 1/3, rework 1/2 → 1/2, extension 0 → 1, 3-5-10 1/4
    g1 = (WEIGHTS["disposal_rate"] * 2 / 3 + WEIGHTS["closure_rate"] * 2 / 3 + WEIGHTS["ontime_closure_rate"] / 3
          + WEIGHTS["rework_rate"] * 0.5 + WEIGHTS["extension_rate"] * 1 + WEIGHTS["rule_3510_compliance"] * 0.25)
    assert got.loc["G1", "composite_score"] == pytest.approx(100 * g1 / sum(WEIGHTS.values()))
    # G3: due 0 (closure, on-time missing), no patrols (3-5-10 missing): renormalised over the rest
    # disposal 1/2, rework 0/1 → 1, extension 0/2 → 1
    w = WEIGHTS["disposal_rate"] + WEIGHTS["rework_rate"] + WEIGHTS["extension_rate"]
    g3 = WEIGHTS["disposal_rate"] * 0.5 + WEIGHTS["rework_rate"] + WEIGHTS["extension_rate"]
    assert got.loc["G3", "composite_score"] == pytest.approx(100 * g3 / w)
    assert pd.isna(got.loc["G4", "composite_score"])  # nothing accepted: not ranked


def test_composite_ranking_orders_best_first():
    from indicators.composite_score import composite_ranking
    r = composite_ranking(C, **H.PERIOD, by="grid")
    ranked = r.dropna(subset=["score"]).sort_values("rank")
    assert ranked["score"].is_monotonic_decreasing
    assert ranked["rank"].iloc[0] == 1
