"""Reading cases back as GeoReport v2 service requests (``GET requests.json``).

Only public fields leave the store: the reporter (``reported_by``), the API client
and anything else personal never do (brief.md: "personal data is protected").
GeoReport v2 lets a server bound an open query; without dates the window is the
:data:`DEFAULT_DAYS` days before ``end_date`` (or now).
"""
from __future__ import annotations

import pandas as pd

from geodata.intake_town import CLOSED_STATES, TownContext

DEFAULT_DAYS = 90
_COLUMNS = ["case_id", "category", "subcategory", "status", "reported_at", "closed_at", "deadline",
            "description", "address", "district_id", "grid_id", "pro_grid_id", "h3", "received_at",
            "updated_at", "status_at"]


def _iso(v) -> str | None:
    return None if v is None or pd.isna(v) else pd.Timestamp(v).isoformat()


def _text(v) -> str | None:
    return None if v is None or pd.isna(v) else str(v)


def request_of_case(row: dict, ctx: TownContext, lang: str = "zh") -> dict:
    """One case as a GeoReport service request, with TownBrain's extensions."""
    status = _text(row.get("status")) or "reported"
    closed = status in CLOSED_STATES or not pd.isna(row.get("closed_at"))
    code = _text(row.get("subcategory")) or _text(row.get("category"))
    updated = next((row.get(c) for c in ("updated_at", "status_at", "received_at") if not pd.isna(row.get(c))),
                   row.get("reported_at"))
    geom = row.get("geometry")
    return {
        "service_request_id": _text(row["case_id"]), "status": "closed" if closed else "open",
        "status_notes": status, "service_name": ctx.service_name(code, lang), "service_code": code,
        "description": _text(row.get("description")), "agency_responsible": None, "service_notice": None,
        "requested_datetime": _iso(row.get("reported_at")), "updated_datetime": _iso(updated),
        "expected_datetime": _iso(row.get("deadline")), "address": _text(row.get("address")),
        "address_id": None, "zipcode": None,
        "lat": None if geom is None or geom.is_empty else float(geom.y),
        "long": None if geom is None or geom.is_empty else float(geom.x),
        "media_url": None, "workflow_status": status, "category": _text(row.get("category")),
        "district_id": _text(row.get("district_id")), "grid_id": _text(row.get("grid_id")),
        "pro_grid_id": _text(row.get("pro_grid_id")), "h3": _text(row.get("h3")),
    }


def _columns(store) -> list[str]:
    have = set(store.columns("cases"))
    return [c for c in _COLUMNS if c in have]


def get_request(store, ctx: TownContext, case_id: str, lang: str = "zh") -> dict | None:
    found = store.read("cases", where={"case_id": str(case_id)}, columns=_columns(store))
    if len(found) == 0:
        return None
    return request_of_case(found.iloc[0].to_dict(), ctx, lang)


def list_requests(store, ctx: TownContext, *, ids: list[str] | None = None, service_codes=None,
                  status: str | None = None, start=None, end=None, page: int = 1, page_size: int = 50,
                  lang: str = "zh") -> tuple[list[dict], int]:
    """(requests of the page, total matching), newest first. ``ids`` overrides the
    other filters (GeoReport: "service_request_id ... all other parameters are ignored")."""
    cols = _columns(store)
    if ids:
        df = store.read("cases", where={"case_id": [str(i) for i in ids]}, columns=cols)
    else:
        end = pd.Timestamp.now(tz="UTC") if end is None else pd.Timestamp(end)
        start = end - pd.Timedelta(days=DEFAULT_DAYS) if start is None else pd.Timestamp(start)
        where = {}
        if service_codes:
            majors = [c for c in service_codes if ctx.parent.get(c) is None]
            if majors and len(majors) == len(service_codes):
                where["category"] = majors
        df = store.read("cases", start=start, end=end, where=where or None, columns=cols)
        if service_codes and "category" not in where:
            codes = set(service_codes)
            df = df[df["category"].isin(codes) | df["subcategory"].isin(codes)]
        if status in ("open", "closed"):
            closed = df["status"].isin(CLOSED_STATES) | df["closed_at"].notna()
            df = df[closed if status == "closed" else ~closed]
    df = df.sort_values(["reported_at", "case_id"], ascending=[False, False], kind="stable")
    total = len(df)
    part = df.iloc[(page - 1) * page_size: page * page_size]
    return [request_of_case(r, ctx, lang) for r in part.to_dict("records")], total
