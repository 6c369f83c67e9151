"""Which case the live wall flies to, and how often (callbacks/live.py, no browser).

An unattended wall should be interrupted a few times an hour: every urgent arrival,
but a newly overdue case at most once in ``OVERDUE_FOCUS_GAP_S``; later workflow
steps of an urgent case never fly the map again.
"""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from callbacks import live

TZ = "Asia/Shanghai"
T0 = pd.Timestamp("2025-05-01 10:00:00", tz=TZ)


def cases(*rows) -> gpd.GeoDataFrame:
    """rows: (case_id, category, change)"""
    return gpd.GeoDataFrame({"case_id": [r[0] for r in rows], "category": [r[1] for r in rows],
                             "change": [r[2] for r in rows]},
                            geometry=[shapely.Point(120.6, 31.0)] * len(rows), crs=4326)


NONE = cases()


def test_an_urgent_arrival_flies_the_map_a_later_step_does_not():
    for change in ("reported", "registered"):
        focus = live.pick_focus(cases(("U1", "emergencies", change)), NONE, {}, "en")
        assert focus["case_id"] == "U1" and focus["kind"] == "urgent"
    for change in ("updated", "closed"):
        assert live.pick_focus(cases(("U1", "emergencies", change)), NONE, {}, "en") is None
    assert live.pick_focus(cases(("N1", "street_order", "reported")), NONE, {}, "en") is None


def test_newly_overdue_cases_fly_the_map_at_most_once_per_gap():
    feed, shown = {}, []
    # a case falls overdue every minute for two hours (the demo simulator does more)
    for minute in range(120):
        now = T0 + pd.Timedelta(minutes=minute)
        focus, last = live.choose_focus(NONE, cases((f"O{minute}", "street_order", "registered")), feed, now, {}, "en")
        if focus is not None and focus.get("t") == now.isoformat():
            shown.append(minute)
        feed = {"focus": focus, "overdue_focus_t": last}
    gap = live.OVERDUE_FOCUS_GAP_S // 60
    assert shown == list(range(0, 120, gap))
    assert 2 <= len(shown) <= 6  # "a few times an hour" over two hours


def test_urgent_arrivals_are_not_held_back_by_the_overdue_gap():
    feed = {"overdue_focus_t": T0.isoformat()}
    focus, last = live.choose_focus(cases(("U1", "emergencies", "registered")), NONE, feed,
                                    T0 + pd.Timedelta(minutes=1), {}, "en")
    assert focus["case_id"] == "U1" and last == T0.isoformat()


def test_a_focus_is_carried_for_a_few_seconds_then_dropped():
    focus, _ = live.choose_focus(cases(("U1", "emergencies", "registered")), NONE, {}, T0, {}, "en")
    feed = {"focus": focus}
    again, _ = live.choose_focus(NONE, NONE, feed, T0 + pd.Timedelta(seconds=live.FOCUS_CARRY_S - 1), {}, "en")
    assert again == focus  # a later poll still carries it (the browser ignores the repeat)
    gone, _ = live.choose_focus(NONE, NONE, feed, T0 + pd.Timedelta(seconds=live.FOCUS_CARRY_S), {}, "en")
    assert gone is None
