"""The numbers the modules show of their own layers, from the frames of those layers:
the tiles' values (rates by the registered indicators of ``indicators/``) and the
breakdowns their charts draw. Pure: frames in, a JSON-able dict out; aggregates only
(brief.md, "Security": personal data is protected — no record leaves as a record).

A layer the store lacks is simply absent from ``frames`` and its keys from the result
(the tile then shows "—" and the module's "not loaded" panel names the layer).

>>> import pandas as pd
>>> cams = pd.DataFrame({"kind": ["traffic", "traffic", "river"], "status": ["online", "offline", "online"]})
>>> s = layer_stats({"cameras": cams}, start=None, end=None, now=pd.Timestamp("2026-06-01", tz="UTC"))
>>> s["cameras"], round(s["camera_online_rate"], 3), s["cameras_by_kind"]["traffic"]
(3, 0.667, {'offline': 1, 'online': 1})
"""
from __future__ import annotations

import pandas as pd

from indicators.registry import get, to_python
from layers.key_projects import schedule_state

METRIC_CRS = 4549  # lengths in CGCS2000 / Gauss-Krüger (conventions.md)


def _counts(series: pd.Series) -> dict:
    return {str(k): int(v) for k, v in series.value_counts().sort_index().items()}


def _split(frame: pd.DataFrame, key: str, part: pd.Series, names: tuple[str, str]) -> dict:
    """{key value: {names[0]: rows where part, names[1]: the others}}."""
    out: dict = {}
    for k, p in zip(frame[key].astype(str), part.fillna(False).astype(bool)):
        d = out.setdefault(k, {names[0]: 0, names[1]: 0})
        d[names[0] if p else names[1]] += 1
    return out


def layer_stats(frames: dict, start, end, now) -> dict:
    """Every tile value and chart breakdown the modules' own layers give, for the
    period [start, end) at ``now`` (the wall: this year so far)."""
    out: dict = {}
    period = {"start": start, "end": end}
    if (p := frames.get("key_projects")) is not None:
        out["key_projects"] = len(p)
        out["key_project_on_schedule_rate"] = get("key_project_on_schedule_rate")(p)
        out["projects_by_state"] = _counts(pd.Series(schedule_state(p["status"], p["planned_progress"],
                                                                    p["actual_progress"])))
        out["key_project_investment_wan"] = to_python(p["investment_wan"].sum())
    if (t := frames.get("tasks")) is not None:
        out["task_ontime_rate"] = get("task_ontime_rate")(t, as_of=now, **period)
        out["tasks_open"] = int(t["completed_at"].isna().sum())
    if (c := frames.get("cameras")) is not None:
        out["cameras"] = len(c)
        out["camera_online_rate"] = get("camera_online_rate")(c)
        out["cameras_by_kind"] = _split(c, "kind", c["status"] == "offline", ("offline", "online"))
    if (a := frames.get("approvals")) is not None:
        submitted = a[a["submitted_at"].notna() & (a["submitted_at"] >= start) & (a["submitted_at"] < end)] \
            if start is not None else a
        out["approvals"] = len(submitted)
        out["approvals_by_channel"] = _counts(submitted["channel"])
        for name in ("approval_ontime_rate", "approval_avg_days", "approval_no_visit_share"):
            out[name] = get(name)(a, **period)
    if (o := frames.get("opinion_items")) is not None:
        year = o[(o["published_at"] >= start) & (o["published_at"] < end)] if start is not None else o
        out["opinion_items"] = len(year)
        out["opinion_negative_share"] = get("opinion_negative_share")(o, **period)
        out["opinion_handled_rate"] = get("opinion_handled_rate")(o, as_of=now, **period)
        out["opinion_by_platform"] = _split(year, "platform", year["sentiment"] == "negative", ("negative", "other"))
    if (k := frames.get("parking")) is not None:
        out["parking_occupancy"] = get("parking_occupancy")(k)
        out["parking_spaces"] = int(k["spaces"].fillna(0).sum())
        by = get("parking_occupancy")(k, by="kind")
        out["parking_by_kind"] = {str(i): float(v) for i, v in by.items() if not pd.isna(v)}
    if (b := frames.get("bus_routes")) is not None:
        out["bus_routes"] = len(b)
        out["bus_route_km"] = float(b.geometry.to_crs(METRIC_CRS).length.sum() / 1000) if len(b) else 0.0
    if (m := frames.get("medical_insurance")) is not None:
        out["insurance_coverage_rate"] = get("insurance_coverage_rate")(m)
    if (s := frames.get("schools")) is not None:
        out["school_place_utilisation"] = get("school_place_utilisation")(s)
        out["school_application_ratio"] = get("school_application_ratio")(s)
        out["schools_by_level"] = {str(lv): {"intake_places": int(g["intake_places"].fillna(0).sum()),
                                             "applications": int(g["applications"].fillna(0).sum())}
                                   for lv, g in s.groupby("level")}
    return out
