"""Reading cases back as GeoReport v2 service requests (``GET requests.json``).

Only the fields of a service request leave the store: the reporter (``reported_by``),
the contact fields, the API client and anything else personal never do (brief.md:
"personal data is protected"); which of the rest a reader without a key sees is
intake/privacy.py's. Reports that wait for a location (``awaiting_location``) are
read with the cases, until a case of the same id exists.
GeoReport v2 lets a server bound an open query; without dates the window is the
:data:`DEFAULT_DAYS` days before ``end_date`` (or now).
"""
from __future__ import annotations

import json

import pandas as pd

from geodata.intake_town import CLOSED_STATES, TownContext

DEFAULT_DAYS = 90
AWAITING = "awaiting_location"
_COLUMNS = ["case_id", "category", "subcategory", "status", "reported_at", "closed_at", "deadline",
            "description", "address", "address_id", "media_url", "attributes", "district_id", "grid_id",
            "pro_grid_id", "h3", "received_at", "updated_at", "status_at"]


def _iso(v) -> str | None:
    return None if v is None or pd.isna(v) else pd.Timestamp(v).isoformat()


def _text(v) -> str | None:
    return None if v is None or pd.isna(v) else str(v)


def _attributes(v) -> list[dict]:
    """The stored answers (JSON {code: value or [values]}) as GeoReport-style
    ``[{"code": …, "value": …}]`` (XML: ``<attributes><attribute>``)."""
    if v is None or (not isinstance(v, str) and pd.isna(v)) or not v:
        return []
    return [{"code": code, "value": value} for code, value in json.loads(v).items()]


def request_of_case(row: dict, ctx: TownContext, lang: str = "zh") -> dict:
    """One case as a GeoReport service request, with TownBrain's extensions."""
    status = _text(row.get("status")) or "reported"
    closed = status in CLOSED_STATES or not pd.isna(row.get("closed_at"))
    code = _text(row.get("subcategory")) or _text(row.get("category"))
    updated = next((row.get(c) for c in ("updated_at", "status_at", "received_at") if not pd.isna(row.get(c))),
                   row.get("reported_at"))
    geom = row.get("geometry")
    placed = hasattr(geom, "is_empty") and not geom.is_empty  # an awaiting report has none (None or NaN)
    return {
        "service_request_id": _text(row["case_id"]), "status": "closed" if closed else "open",
        "status_notes": status, "service_name": ctx.service_name(code, lang), "service_code": code,
        "description": _text(row.get("description")), "agency_responsible": None, "service_notice": None,
        "requested_datetime": _iso(row.get("reported_at")), "updated_datetime": _iso(updated),
        "expected_datetime": _iso(row.get("deadline")), "address": _text(row.get("address")),
        "address_id": _text(row.get("address_id")), "zipcode": None,
        "lat": float(geom.y) if placed else None, "long": float(geom.x) if placed else None,
        "media_url": _text(row.get("media_url")), "attributes": _attributes(row.get("attributes")),
        "workflow_status": status, "category": _text(row.get("category")),
        "district_id": _text(row.get("district_id")), "grid_id": _text(row.get("grid_id")),
        "pro_grid_id": _text(row.get("pro_grid_id")), "h3": _text(row.get("h3")),
    }


def _columns(store, layer: str = "cases") -> list[str]:
    have = set(store.columns(layer))
    return [c for c in _COLUMNS if c in have]


def _read(store, layer: str, **kw) -> pd.DataFrame:
    if layer == AWAITING and not store.has_layer(AWAITING):
        return pd.DataFrame(columns=["case_id"])
    return store.read(layer, columns=_columns(store, layer), **kw)


def _with_awaiting(store, cases: pd.DataFrame, **kw) -> pd.DataFrame:
    """``cases`` and the reports awaiting location that match the same read, less
    those placed since (a case of the same id exists)."""
    waiting = _read(store, AWAITING, **kw)
    pending = [i for i in waiting["case_id"] if i not in set(cases["case_id"])]
    if pending:
        placed = set(store.read("cases", where={"case_id": pending}, columns=["case_id"])["case_id"])
        pending = [i for i in pending if i not in placed]
    if not pending:
        return cases
    waiting = pd.DataFrame(waiting[waiting["case_id"].isin(pending)])
    return pd.concat([cases, waiting], ignore_index=True) if len(cases) else waiting


def get_request(store, ctx: TownContext, case_id: str, lang: str = "zh") -> dict | None:
    found = _read(store, "cases", where={"case_id": str(case_id)})
    if len(found) == 0:
        found = _read(store, AWAITING, where={"case_id": str(case_id)})
    if len(found) == 0:
        return None
    return request_of_case(found.iloc[0].to_dict(), ctx, lang)


def list_requests(store, ctx: TownContext, *, ids: list[str] | None = None, service_codes=None,
                  statuses=None, start=None, end=None, page: int = 1, page_size: int = 50,
                  lang: str = "zh") -> tuple[list[dict], int]:
    """(requests of the page, total matching), newest first. ``ids`` overrides the
    other filters (GeoReport: "service_request_id ... all other parameters are ignored");
    ``statuses``: a subset of ``open``, ``closed`` (empty or both: all)."""
    if ids:
        where = {"case_id": [str(i) for i in ids]}
        df = _with_awaiting(store, _read(store, "cases", where=where), where=where)
    else:
        end = pd.Timestamp.now(tz="UTC") if end is None else pd.Timestamp(end)
        start = end - pd.Timedelta(days=DEFAULT_DAYS) if start is None else pd.Timestamp(start)
        where = None
        if service_codes:  # only major classes asked for: the store filters by category
            majors = [c for c in service_codes if ctx.parent.get(c) is None]
            if majors and len(majors) == len(service_codes):
                where = {"category": majors}
        df = _with_awaiting(store, _read(store, "cases", start=start, end=end, where=where),
                            start=start, end=end, where=where)
        if service_codes:
            codes = set(service_codes)
            df = df[df["category"].isin(codes) | df["subcategory"].isin(codes)]
        if statuses and set(statuses) != {"open", "closed"}:
            closed = df["status"].isin(CLOSED_STATES) | df["closed_at"].notna()
            df = df[closed if "closed" in statuses else ~closed]
    df = df.sort_values(["reported_at", "case_id"], ascending=[False, False], kind="stable")
    total = len(df)
    part = df.iloc[(page - 1) * page_size: page * page_size]
    return [request_of_case(r, ctx, lang) for r in part.to_dict("records")], total
