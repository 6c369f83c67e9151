"""The console's case queries, on both store backends, against plain pandas.

The oracle is a few lines of pandas on the hand-made frame below; the pushed-down
read (:func:`read_cases`) and the in-memory frame (:class:`CaseFrame`) must both
agree with it, row for row.
"""
from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geodata.case_queries import (CaseCache, CaseFilter, CaseFrame, case_detail, category_names, read_cases,
                                  timeline_from_case)
from geodata.workflow import history_frame

TZ = "Asia/Shanghai"
NOW = pd.Timestamp("2024-06-15 12:00", tz=TZ)


def _t(s):
    return pd.Timestamp(s, tz=TZ)


def make_cases(n: int = 60, seed: int = 3) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    reported = _t("2024-01-01") + pd.to_timedelta(rng.uniform(0, 166, n), unit="D")
    accepted = rng.random(n) < 0.85
    registered = pd.Series(reported + pd.Timedelta(minutes=20)).where(accepted)
    deadline = (registered + pd.Timedelta(hours=24)).where(accepted)
    closed_at = registered + pd.to_timedelta(rng.uniform(1, 60, n), unit="h")
    closed = accepted & (rng.random(n) < 0.7) & (closed_at < NOW)
    return gpd.GeoDataFrame({
        "case_id": [f"C2024-{i:04d}" for i in range(n)],
        "category": rng.choice(["city_appearance", "fire_safety", "street_order"], n),
        "subcategory": rng.choice(["city_appearance/litter", "fire_safety/exits", None], n),
        "source": rng.choice(["inspector", "citizen", "hotline"], n),
        "reported_by": rng.choice(["INS1", "INS2", None], n),
        "reported_at": reported,
        "registered_at": registered,
        "deadline": deadline,
        "closed_at": closed_at.where(closed),
        "status": np.where(closed, "closed", np.where(accepted, "dispatched", "reported")),
        "district_id": rng.choice(["D1", "D2"], n),
        "grid_id": rng.choice(["G1", "G2", "G3", None], n),
    }, geometry=gpd.points_from_xy(rng.uniform(120.6, 120.7, n), rng.uniform(30.9, 31.0, n)), crs=4326)


CATEGORIES = pd.DataFrame({"code": ["city_appearance", "fire_safety", "street_order", "city_appearance/litter"],
                           "parent": [None, None, None, "city_appearance"],
                           "name": ["市容环境", "消防安全", "街面秩序", "暴露垃圾"],
                           "name_en": ["City appearance", "Fire safety", "Street order", "Exposed litter"],
                           "time_limit_h": [12.0, 1.0, 2.0, 24.0]})


@pytest.fixture
def town(store):
    store.write("cases", make_cases(), mode="replace")
    store.write("categories", CATEGORIES, mode="replace")
    return store


def oracle(df: pd.DataFrame, flt: CaseFilter, names: dict) -> pd.Series:
    """Plain pandas: which rows match ``flt``."""
    m = pd.Series(True, index=df.index)
    if flt.start is not None:
        m &= df["reported_at"] >= flt.start
    if flt.end is not None:
        m &= df["reported_at"] < flt.end
    for f, col in (("categories", "category"), ("statuses", "status"), ("sources", "source"),
                   ("districts", "district_id"), ("grids", "grid_id")):
        if getattr(flt, f):
            m &= df[col].isin(getattr(flt, f))
    if flt.overdue:
        m &= df["registered_at"].notna() & ~(df["closed_at"] < NOW) & (df["deadline"] < NOW)
    if flt.search:
        q = flt.search.lower()
        text = lambda c: df[c].astype(object).map(lambda v: "" if v is None or pd.isna(v) else  # noqa: E731
                                                  f"{v} {names.get(v, '')}".lower())
        m &= df["case_id"].str.lower().str.contains(q, regex=False) | text("category").str.contains(q, regex=False) \
            | text("subcategory").str.contains(q, regex=False)
    return m.fillna(False).astype(bool)


FILTERS = [
    CaseFilter(),
    CaseFilter(categories=("fire_safety",)),
    CaseFilter(statuses=("dispatched", "reported"), sources=("inspector",)),
    CaseFilter(grids=("G1", "G3"), districts=("D2",)),
    CaseFilter(start=_t("2024-03-01"), end=_t("2024-05-01")),
    CaseFilter(overdue=True),
    CaseFilter(search="消防"),          # a category's Chinese name
    CaseFilter(search="litter"),        # a subcategory code / English name
    CaseFilter(search="c2024-001"),     # part of a case id, any case
    CaseFilter(categories=("street_order",), overdue=True, start=_t("2024-02-01")),
]


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: repr({k: v for k, v in vars(f).items() if v not in (None, (), False, "")}))
def test_pushed_down_read_and_frame_agree_with_pandas(town, flt):
    names = category_names(town)
    everything = town.read("cases", geometry=False)
    expected = set(everything.loc[oracle(everything, flt, names), "case_id"])
    assert set(read_cases(town, flt, names=names, now=NOW)["case_id"]) == expected
    frame = CaseFrame(everything, names=names)
    page = frame.page(flt, size=1000, now=NOW)
    assert page.total == len(expected)
    assert set(page.rows["case_id"]) == expected


@pytest.mark.parametrize("sort", ["reported_at", "deadline", "case_id", "category", "grid_id"])
@pytest.mark.parametrize("descending", [True, False])
def test_sort_and_pages_cover_every_row_once_in_order(town, sort, descending):
    frame = CaseFrame(town.read("cases", geometry=False))
    flt = CaseFilter(statuses=("dispatched", "closed"))
    pages = [frame.page(flt, sort=sort, descending=descending, page=p, size=7, now=NOW) for p in range(1, 20)]
    total = pages[0].total
    seen = pd.concat([p.rows for p in pages[: pages[0].pages]], ignore_index=True)
    assert len(seen) == total and seen["case_id"].is_unique
    # the oracle order: missing values last in both directions, ties by case id
    df = town.read("cases", geometry=False)
    df = df[df["status"].isin(["dispatched", "closed"])]
    key = df[sort].astype(object) if sort not in ("reported_at", "deadline") else df[sort]
    present, missing = df[key.notna()], df[key.isna()]
    present = present.sort_values([sort, "case_id"], ascending=not descending, kind="stable")
    missing = missing.sort_values("case_id", ascending=not descending, kind="stable")
    assert seen["case_id"].tolist() == present["case_id"].tolist() + missing["case_id"].tolist()


def test_page_past_the_end_is_clamped_to_the_last(town):
    frame = CaseFrame(town.read("cases", geometry=False))
    p = frame.page(CaseFilter(), page=999, size=25, now=NOW)
    assert p.page == p.pages == 3 and len(p.rows) == 60 - 50


def test_counts_by_grid_skips_the_grid_filter_for_the_map(town):
    df = town.read("cases", geometry=False)
    frame = CaseFrame(df)
    flt = CaseFilter(grids=("G1",), sources=("inspector",))
    counts = frame.counts_by(flt, "grid_id", now=NOW, skip=("grids",))
    expected = df[df["source"] == "inspector"].groupby("grid_id").size()
    assert counts.to_dict() == {str(k): int(v) for k, v in expected.items()}


def test_overdue_and_at_risk_lists(town):
    df = town.read("cases", geometry=False)
    frame = CaseFrame(df)
    rows, total = frame.due_soon(CaseFilter(), NOW)
    open_ = df["registered_at"].notna() & df["closed_at"].isna()
    assert total == int((open_ & (df["deadline"] < NOW)).sum())
    assert rows["deadline"].is_monotonic_decreasing  # most recently due first: work to do, not history
    soon, n_soon = frame.due_soon(CaseFilter(), NOW, hours=24 * 30)
    assert n_soon == int((open_ & (df["deadline"] >= NOW) & (df["deadline"] < NOW + pd.Timedelta(days=30))).sum())


def test_case_detail_rebuilds_the_timeline_without_history(town):
    case, steps = case_detail(town, "C2024-0000")
    assert case["case_id"] == "C2024-0000"
    assert steps["step"].iloc[0] == "reported" and (steps["source"] == "case").all()
    assert steps["at"].dropna().is_monotonic_increasing
    assert case_detail(town, "NOPE")[0] is None


def test_case_detail_prefers_the_case_history(town):
    at = _t("2024-05-01 08:00")
    rows = [{"id": "C2024-0001:0001", "case_id": "C2024-0001", "seq": 1, "action": "register",
             "from_status": "reported", "to_status": "registered", "at": at, "by": "DSP1", "level": "grid",
             "deadline": at + pd.Timedelta(hours=4), "note": None},
            {"id": "C2024-0001:0002", "case_id": "C2024-0001", "seq": 2, "action": "escalate",
             "from_status": "registered", "to_status": "dispatched", "at": at + pd.Timedelta(hours=1),
             "by": "DSP1", "level": "village", "deadline": at + pd.Timedelta(hours=4), "note": "needs the village"}]
    town.write("case_history", history_frame(rows), mode="replace")
    case, steps = case_detail(town, "C2024-0001")
    # the report (from the case), the two recorded actions, then handling due by the deadline
    assert steps["step"].tolist() == ["reported", "registered", "escalated", "handled"]
    assert steps["state"].tolist() == ["done", "done", "done", "due"]
    assert steps["level"].tolist()[1:3] == ["grid", "village"] and (steps["source"] == "history").all()
    assert steps["deadline"].iloc[-1] == at + pd.Timedelta(hours=4)
    assert pd.isna(steps["at"].iloc[-1])


def test_timeline_names_what_the_status_says_without_a_time():
    t0 = _t("2024-05-01 08:00")
    steps = timeline_from_case({"reported_at": t0, "status": "rejected", "source": "citizen"})
    assert steps["step"].tolist() == ["reported", "rejected"]
    assert pd.isna(steps["at"].iloc[1])


def test_cache_serves_the_old_frame_while_reloading(town):
    cache = CaseCache(town, ttl_s=3600)
    first = cache.get()
    assert first.n == 60 and cache.extra("categories") is not None
    town.upsert("cases", make_cases(61, seed=9).iloc[[-1]].assign(case_id="C2024-NEW"))
    assert cache.get() is first  # fresh: no read at all
    cache.ttl_s = 0.0
    assert cache.get() is first  # stale: served at once, the reload runs behind it
    for _ in range(200):
        if cache.get().n == 61:
            break
        time.sleep(0.05)
    assert cache.get().n == 61
    cache.ttl_s = 3600
    cache.invalidate()
    assert cache.get().n == 61
