"""The indicators of the modules' own layers (indicators/records.py and the files it
serves), against hand computations on tiny frames: every row below is counted by eye."""
from __future__ import annotations

import pandas as pd
import pytest

from indicators import get

TZ = "Asia/Shanghai"


def ts(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz=TZ)


YEAR = {"start": ts("2026-01-01"), "end": ts("2027-01-01")}


def test_key_project_on_schedule_rate_counts_only_projects_under_way():
    p = pd.DataFrame({"status": ["in_progress", "in_progress", "suspended", "completed", "planned", "in_progress"],
                      "planned_progress": [50, 40, 60, 100, 0, 10.0], "actual_progress": [50, 39.9, 20, 100, 0, 12],
                      "grid_id": ["G1", "G1", "G2", "G2", "G2", "G3"]})
    # under way: rows 0,1,2,3,5 (5); on schedule: 0 (equal), 3 (done), 5 → 3 / 5
    assert get("key_project_on_schedule_rate")(p) == pytest.approx(3 / 5)
    by = get("key_project_on_schedule_rate")(p, by="grid")
    assert by.to_dict() == {"G1": 0.5, "G2": 0.5, "G3": 1.0}
    assert get("key_project_on_schedule_rate")(p[p.status == "planned"]) is None


def test_task_ontime_rate_is_the_on_time_closure_rate_of_tasks():
    issued = pd.to_datetime(["2025-12-30", "2026-01-02", "2026-01-03", "2026-01-04", "2026-03-01"]).tz_localize(TZ)
    t = pd.DataFrame({"issued_at": issued, "deadline": issued + pd.Timedelta(days=10),
                      "completed_at": [issued[0] + pd.Timedelta(days=1),   # issued last year: not counted
                                       issued[1] + pd.Timedelta(days=10),  # on the deadline: on time
                                       issued[2] + pd.Timedelta(days=11),  # late
                                       pd.NaT,                             # open and overdue
                                       pd.NaT]})                           # not due yet at as_of
    as_of = ts("2026-03-05")
    # due: rows 1, 2, 3 → on time: row 1 → 1 / 3
    assert get("task_ontime_rate")(t, as_of=as_of, **YEAR) == pytest.approx(1 / 3)
    # as of 2026-01-13 00:00 only row 1 is due (deadline 01-12); row 2's deadline is 01-13 00:00, not before
    assert get("task_ontime_rate")(t, as_of=ts("2026-01-13"), **YEAR) == pytest.approx(1.0)
    assert get("task_ontime_rate")(t, as_of=ts("2026-01-05"), **YEAR) is None


def test_camera_online_rate_overall_and_per_district():
    c = pd.DataFrame({"status": ["online", "offline", "online", "online"], "district_id": ["D1", "D1", "D2", None]})
    assert get("camera_online_rate")(c) == 0.75
    assert get("camera_online_rate")(c, by="district").to_dict() == {"D1": 0.5, "D2": 1.0}
    assert get("camera_online_rate")(c.iloc[0:0]) is None


def _approvals() -> pd.DataFrame:
    sub = pd.to_datetime(["2025-12-31 10:00", "2026-01-05 09:00", "2026-01-06 09:00", "2026-01-07 09:00",
                          "2026-02-01 09:00"]).tz_localize(TZ)
    return pd.DataFrame({
        "submitted_at": sub, "deadline": sub + pd.Timedelta(days=5),
        "completed_at": [sub[0] + pd.Timedelta(days=2),       # completed 2026-01-02: in the year, on time, 2 days
                         sub[1] + pd.Timedelta(hours=12),     # on time, 0.5 day
                         sub[2] + pd.Timedelta(days=6),       # late, 6 days
                         pd.NaT,                              # in progress
                         sub[4] + pd.Timedelta(days=1)],      # on time, 1 day
        "visits": [1, 0, 2, 0, 0], "channel": ["window", "online", "window", "online", "self_service"]})


def test_approval_ontime_rate_and_average_days_count_completions_in_the_period():
    a = _approvals()
    assert get("approval_ontime_rate")(a, **YEAR) == pytest.approx(3 / 4)
    assert get("approval_avg_days")(a, **YEAR) == pytest.approx((2 + 0.5 + 6 + 1) / 4)
    assert get("approval_avg_days")(a, start=ts("2030-01-01"), end=ts("2031-01-01")) is None
    assert get("approval_avg_days")(a, by="channel", **YEAR).to_dict() == {"online": 0.5, "self_service": 1.0,
                                                                          "window": 4.0}


def test_approval_no_visit_share_counts_submissions_in_the_period():
    a = _approvals()
    # submitted in 2026: rows 1-4; visits 0 in rows 1, 3, 4 → 3 / 4
    assert get("approval_no_visit_share")(a, **YEAR) == pytest.approx(3 / 4)
    assert get("approval_no_visit_share")(a) == pytest.approx(3 / 5)


def _opinion() -> pd.DataFrame:
    pub = pd.to_datetime(["2026-03-01 08:00"] * 5 + ["2025-12-31 08:00"]).tz_localize(TZ)
    return pd.DataFrame({"published_at": pub,
                         "sentiment": ["negative", "negative", "negative", "neutral", "positive", "negative"],
                         "handled_at": [pub[0] + pd.Timedelta(hours=3), pub[1] + pd.Timedelta(days=3), pd.NaT,
                                        pd.NaT, pd.NaT, pub[5] + pd.Timedelta(hours=1)],
                         "grid_id": ["G1", "G2", "G2", "G1", "G1", "G1"]})


def test_opinion_handled_rate_counts_negative_items_answered_by_as_of():
    o = _opinion()
    # negative in 2026: rows 0, 1, 2; answered by 03-02: row 0 only; by 03-10: rows 0 and 1
    assert get("opinion_handled_rate")(o, as_of=ts("2026-03-02"), **YEAR) == pytest.approx(1 / 3)
    assert get("opinion_handled_rate")(o, as_of=ts("2026-03-10"), **YEAR) == pytest.approx(2 / 3)
    assert get("opinion_handled_rate")(o, as_of=ts("2026-03-10"), by="grid", **YEAR).to_dict() == {"G1": 1.0,
                                                                                                  "G2": 0.5}


def test_opinion_negative_share_of_the_period():
    o = _opinion()
    assert get("opinion_negative_share")(o, **YEAR) == pytest.approx(3 / 5)
    assert get("opinion_negative_share")(o) == pytest.approx(4 / 6)


def test_parking_occupancy_is_a_ratio_of_sums_not_a_mean_of_ratios():
    k = pd.DataFrame({"spaces": [100, 10], "occupied": [50, 10], "kind": ["public", "on_street"]})
    assert get("parking_occupancy")(k) == pytest.approx(60 / 110)   # the mean of ratios would be 0.75
    assert get("parking_occupancy")(k, by="kind").to_dict() == {"on_street": 1.0, "public": 0.5}
    assert get("parking_occupancy")(k.assign(spaces=0, occupied=0)) is None


def test_insurance_coverage_rate_takes_the_latest_year_unless_told():
    m = pd.DataFrame({"grid_id": ["G1", "G2", "G1", "G2"], "year": [2025, 2025, 2026, 2026],
                      "eligible": [100, 100, 100, 300], "insured_employee": [10, 20, 30, 100],
                      "insured_resident": [80, 70, 68, 190]})
    assert get("insurance_coverage_rate")(m) == pytest.approx((98 + 290) / 400)
    assert get("insurance_coverage_rate")(m, year=2025) == pytest.approx(180 / 200)
    assert get("insurance_coverage_rate")(m, by="grid").to_dict() == pytest.approx({"G1": 0.98, "G2": 290 / 300})
    assert get("insurance_coverage_rate")(m.iloc[0:0]) is None


def test_school_place_utilisation_and_application_ratio():
    s = pd.DataFrame({"level": ["primary", "primary", "kindergarten"], "places": [1800, 1200, 300],
                      "enrolled": [1850, 1000, 270], "intake_places": [300, 200, 100],
                      "applications": [450, 150, 80]})
    assert get("school_place_utilisation")(s) == pytest.approx(3120 / 3300)
    assert get("school_application_ratio")(s) == pytest.approx(680 / 600)
    by = get("school_application_ratio")(s, by="level")
    assert by.to_dict() == pytest.approx({"kindergarten": 0.8, "primary": 1.2})


def test_grouping_by_a_missing_column_says_what_to_do():
    with pytest.raises(KeyError, match="townbrain assign"):
        get("camera_online_rate")(pd.DataFrame({"status": ["online"]}), by="grid")
