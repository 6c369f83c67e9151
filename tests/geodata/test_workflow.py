"""The case workflow: the transition table, illegal transitions, deadlines from the
category's time limit, history on both store backends, and state reconstruction."""
import itertools

import pandas as pd
import pytest

from geodata.schema import STATUSES
from geodata.workflow import (ACTIONS, DEFAULT_TIME_LIMIT_H, TRANSITIONS, TransitionError, apply_transition,
                              history_frame, state_at, transition)

TZ = "Asia/Shanghai"


def t(h):
    return pd.Timestamp("2024-05-06 08:00", tz=TZ) + pd.Timedelta(hours=h)


def run(case, steps):
    hist = []
    for i, (action, kw) in enumerate(steps):
        case, h = transition(case, action, t(i + 1), "S1", **kw)
        hist.append(h)
    return case, hist


def test_full_lifecycle_with_rework_and_escalation():
    case = {"case_id": "C1", "status": "reported"}
    case, hist = run(case, [("register", {"time_limit_h": 24}), ("dispatch", {}), ("handle", {}),
                            ("feedback", {}), ("rework", {}), ("escalate", {}), ("handle", {}),
                            ("feedback", {}), ("close", {}), ("evaluate", {})])
    assert [h["to_status"] for h in hist] == ["registered", "dispatched", "handled", "feedback", "rework",
                                              "dispatched", "handled", "feedback", "closed", "evaluated"]
    assert case["status"] == "evaluated" and case["rework_count"] == 1
    assert case["resolved_level"] == "village"            # escalated once from grid
    assert case["deadline"] == t(1) + pd.Timedelta(hours=24)
    assert case["closed_at"] == t(9)
    assert [h["id"] for h in hist][:2] == ["C1:0001", "C1:0002"]


@pytest.mark.parametrize("status,action", [(s, a) for s, a in itertools.product(STATUSES, ACTIONS)
                                           if (s, a) not in TRANSITIONS])
def test_every_transition_outside_the_table_raises(status, action):
    with pytest.raises(TransitionError, match="cannot"):
        transition({"case_id": "X", "status": status}, action, t(0), "S1", extend_hours=1)


def test_escalation_goes_up_to_district_and_no_further():
    case = {"case_id": "C2", "status": "registered", "level": "grid"}
    case, _ = transition(case, "escalate", t(0), "S1", level="town")
    assert case["level"] == "town"
    with pytest.raises(TransitionError, match="goes up"):
        transition(case, "escalate", t(1), "S1", level="village")
    case, _ = transition(case, "escalate", t(1), "S1")
    assert case["level"] == "district"
    with pytest.raises(TransitionError, match="above"):
        transition(case, "escalate", t(2), "S1")


def test_extension_moves_deadline_later_and_marks_case():
    case, _ = transition({"case_id": "C3", "status": "reported"}, "register", t(0), "S1")
    assert case["deadline"] == t(0) + pd.Timedelta(hours=DEFAULT_TIME_LIMIT_H)
    case, h = transition(case, "extend", t(1), "S1", extend_hours=24)
    assert case["extended"] and case["status"] == "registered" and h["action"] == "extend"
    assert case["deadline"] == t(0) + pd.Timedelta(hours=DEFAULT_TIME_LIMIT_H + 24)
    with pytest.raises(TransitionError, match="later"):
        transition(case, "extend", t(2), "S1", deadline=t(0))


def test_time_cannot_run_backwards():
    case, _ = transition({"case_id": "C4"}, "register", t(5), "S1")
    with pytest.raises(TransitionError, match="before its last"):
        transition(case, "dispatch", t(4), "S1")


def test_state_at_rebuilds_any_past_state():
    a, ha = run({"case_id": "A"}, [("register", {}), ("dispatch", {}), ("handle", {}), ("feedback", {}),
                                   ("close", {})])
    b, hb = run({"case_id": "B"}, [("reject", {})])
    hist = pd.DataFrame(ha + hb)
    assert state_at(hist, t(0.5)).empty                                  # nothing existed yet
    s = state_at(hist, t(1)).set_index("case_id")["status"].to_dict()
    assert s == {"A": "registered", "B": "rejected"}
    assert state_at(hist, t(3.5)).set_index("case_id")["status"]["A"] == "handled"
    assert state_at(hist, t(99)).set_index("case_id")["status"]["A"] == "closed"


def test_apply_transition_on_the_store_keeps_history(store):
    import geopandas as gpd
    import shapely
    store.upsert("categories", pd.DataFrame({"code": ["street_order", "street_order/vendor"],
                                             "parent": [None, "street_order"], "time_limit_h": [4.0, 2.0]}))
    cases = gpd.GeoDataFrame({"case_id": ["K1", "K2"], "category": ["street_order", "unknown"],
                              "subcategory": ["street_order/vendor", None],
                              "reported_at": [t(0), t(0)], "status": ["reported", "reported"]},
                             geometry=[shapely.Point(120.6, 31.0)] * 2, crs=4326)
    store.upsert("cases", cases)
    apply_transition(store, "K1", "register", t(1), "DSP01")
    apply_transition(store, "K1", "dispatch", t(2), "DSP01")
    apply_transition(store, "K1", "escalate", t(3), "DSP01", level="town")
    apply_transition(store, "K2", "register", t(1), "DSP01")
    with pytest.raises(TransitionError):
        apply_transition(store, "K2", "close", t(2), "DSP01")
    got = store.read("cases").set_index("case_id")
    assert got.loc["K1", "status"] == "dispatched" and got.loc["K1", "level"] == "town"
    assert got.loc["K1", "deadline"] == t(1) + pd.Timedelta(hours=2)          # the subcategory's limit
    assert got.loc["K2", "deadline"] == t(1) + pd.Timedelta(hours=DEFAULT_TIME_LIMIT_H)  # unknown: fallback
    hist = pd.DataFrame(store.read("case_history"))
    assert sorted(hist["id"]) == ["K1:0001", "K1:0002", "K1:0003", "K2:0001"]
    past = state_at(hist, t(2.5)).set_index("case_id")
    assert past.loc["K1", "status"] == "dispatched" and past.loc["K1", "level"] == "grid"
    assert state_at(hist, t(3)).set_index("case_id").loc["K1", "level"] == "town"


def test_history_frame_shape():
    _, h = transition({"case_id": "Z"}, "register", t(0), "S1")
    f = history_frame([h])
    assert list(f.columns) == ["id", "case_id", "seq", "action", "from_status", "to_status", "at", "by",
                                    "level", "deadline", "note"]
