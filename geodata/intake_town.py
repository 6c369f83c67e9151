"""What the live intake checks a report against, and how it turns one into a case.

The town's outline (``town`` layer, else the union of its districts or grids), the
category tree (``categories``) and the grid systems (:class:`grids.systems.TownGrids`)
are read once and refreshed every :data:`REFRESH_S` seconds, so a request is checked
and assigned to its district, grid, professional grid and H3 cell in memory
(``assign_one``, tens of microseconds) on arrival.

A new report enters the lifecycle as ``reported`` with no ``registered_at``
(geodata.workflow: ``register`` is the dispatcher's 立案 that accepts it).
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time

import pandas as pd
import shapely

from grids.systems import TownGrids
from geodata import config
from geodata.workflow import DEFAULT_TIME_LIMIT_H, time_limit_for

log = logging.getLogger("townbrain.intake")

REFRESH_S = 60.0
#: Workflow states GeoReport calls "closed" (the rest are "open").
CLOSED_STATES = ("closed", "evaluated", "rejected")


class TownContext:
    """Outline, categories and grids of the store's town, for checking and assigning."""

    def __init__(self, store, refresh_s: float = REFRESH_S):
        self.store = store
        self.refresh_s = refresh_s
        self._loaded_at = -1.0  # monotonic time of the last (re)load; < 0: never loaded
        self._lock = threading.Lock()
        self._grids_signature: str | None = None
        self.name = "the town"
        #: jurisdiction_id values that mean this town (setting, town_id, name); see :meth:`serves`.
        self.jurisdictions: tuple[str, ...] = ()
        self.outline = None
        self.categories = pd.DataFrame(columns=["code", "parent", "name", "name_en", "time_limit_h"])
        self.grids = TownGrids()
        self.limits: dict[str, float] = {}
        self.parent: dict[str, str | None] = {}
        self.names: dict[str, dict[str, str]] = {"zh": {}, "en": {}}

    def fresh(self) -> "TownContext":
        """The context, loaded on first use (StoreError when the store is away).

        Later refreshes, every ``refresh_s`` seconds, run in a background thread
        and swap the new state in when it is complete: a request never waits for
        a reload, and the grids' raster index (seconds to build for a real town)
        is rebuilt, before the swap, only when the grid polygons changed.
        """
        if self._loaded_at < 0:
            with self._lock:
                if self._loaded_at < 0:
                    self._apply(self._load())
                    self._loaded_at = time.monotonic()
        elif time.monotonic() - self._loaded_at > self.refresh_s and self._lock.acquire(blocking=False):
            self._loaded_at = time.monotonic()  # one refresh at a time, even if it fails
            threading.Thread(target=self._refresh, name="intake-town-refresh", daemon=True).start()
        return self

    def _refresh(self) -> None:
        try:
            self._apply(self._load())
        except Exception:  # noqa: BLE001 - keep serving the last good state; the next refresh retries
            log.warning("intake: refreshing the town context failed; keeping the last one", exc_info=True)
        finally:
            self._lock.release()

    def _apply(self, state: dict) -> None:
        for name, value in state.items():
            setattr(self, name, value)

    def _load(self) -> dict:
        """The store's outline, categories and grids, as attributes to swap in."""
        st = self.store
        st.ping()  # a store that is away raises here: a missing GeoPackage is not an empty town
        state: dict = {}
        outline = None
        ours = [config.open311_jurisdiction()]
        if st.has_layer("town"):
            town = st.read("town")
            if len(town):
                if town["name"].notna().any():
                    state["name"] = str(town["name"].dropna().iloc[0])
                ours += [*town["town_id"].dropna().astype(str), *town["name"].dropna().astype(str)]
                outline = shapely.union_all(town.geometry.values)
        for layer in ("districts", "grids"):
            if outline is None and st.has_layer(layer):
                polys = st.read(layer, columns=[])
                if len(polys):
                    outline = shapely.union_all(polys.geometry.values)
        state["jurisdictions"] = tuple(dict.fromkeys(j for j in ours if j))
        if outline is not None:
            shapely.prepare(outline)
        state["outline"] = outline
        cats = self.categories
        if st.has_layer("categories"):
            cats = st.read("categories")
            for col in ("parent", "name", "name_en", "time_limit_h"):
                if col not in cats:
                    cats[col] = None
        state["categories"] = cats
        limits = dict(zip(cats["code"].astype(str), pd.to_numeric(cats["time_limit_h"], errors="coerce")))
        state["limits"] = {k: float(v) for k, v in limits.items() if pd.notna(v)}
        state["parent"] = {str(c): (None if pd.isna(p) else str(p))
                           for c, p in zip(cats["code"], cats["parent"])}
        records = cats.to_dict("records")
        state["names"] = {lang: {str(r["code"]): _name(r, lang) for r in records} for lang in ("zh", "en")}
        grids = TownGrids.from_store(st)
        signature = _grids_signature(grids)
        if signature != self._grids_signature:
            state["grids"] = grids.warm()
            state["_grids_signature"] = signature
        return state

    # ---- checks ---------------------------------------------------------------
    def outside_message(self, lon: float, lat: float) -> str | None:
        """Why (lon, lat) cannot be a report of this town, or None when it is inside."""
        if self.outline is None or shapely.contains_xy(self.outline, lon, lat) \
                or self.outline.boundary.distance(shapely.Point(lon, lat)) == 0:
            return None
        minx, miny, maxx, maxy = self.outline.bounds
        return (f"lat/long {lat:g},{lon:g} is outside {self.name} "
                f"(bbox lon {minx:.4f}..{maxx:.4f}, lat {miny:.4f}..{maxy:.4f}); "
                "send WGS84 degrees of a place in the town")

    def category_of(self, service_code: str, subcategory: str | None) -> tuple[str, str | None]:
        """(category, subcategory) of a service code; ValueError saying what is known."""
        code = str(service_code)
        if code not in self.parent:
            majors = sorted(c for c, p in self.parent.items() if p is None)
            raise ValueError(f"unknown service_code {code!r}; GET services.json lists the codes "
                             f"(e.g. {', '.join(majors[:5])})")
        major = self.parent[code] or code
        minor = code if self.parent[code] else None
        if subcategory is not None:
            if self.parent.get(str(subcategory)) != major:
                raise ValueError(f"subcategory {subcategory!r} is not a minor class of {major!r}")
            if minor is not None and subcategory != minor:
                raise ValueError(f"service_code {code!r} is already the minor class; "
                                 f"subcategory {subcategory!r} contradicts it")
            minor = str(subcategory)
        return major, minor

    # ---- a report as a case -----------------------------------------------------
    def report_record(self, *, case_id: str, category: str, subcategory: str | None, source: str,
                      reported_by: str | None, reported_at: pd.Timestamp, description: str | None,
                      address: str | None, key_id: str, received_at: pd.Timestamp,
                      extra: dict | None = None) -> dict:
        """The fields of a new report before it has a place; ``extra``: more columns
        (every report of one kind must carry the same ones: they are committed together)."""
        case = {"category": category, "subcategory": subcategory}
        return {
            "case_id": case_id, "category": category, "subcategory": subcategory, "source": source,
            "reported_by": reported_by, "reported_at": reported_at, "registered_at": pd.NaT,
            "deadline": pd.NaT, "closed_at": pd.NaT, "status": "reported", "resolved_level": None,
            "enforcement": False,
            "time_limit_h": time_limit_for(case, self.limits, DEFAULT_TIME_LIMIT_H),
            "description": description, "address": address, "received_at": received_at,
            "api_client": key_id, **(extra or {}),
        }

    def case_record(self, report: dict, lon: float, lat: float) -> dict:
        """The ``cases`` row of a report at (lon, lat), assigned to its grids on arrival."""
        return {**report, "status": "reported", **self.grids.assign_one(lon, lat),
                "geometry": shapely.Point(lon, lat)}

    def serves(self, jurisdiction_id: str | None) -> bool:
        """Whether a GeoReport ``jurisdiction_id`` is this town's: absent, one of
        :attr:`jurisdictions`, or anything when the town has no id to compare with."""
        return not jurisdiction_id or not self.jurisdictions or jurisdiction_id in self.jurisdictions

    def services(self, lang: str = "zh") -> list[dict]:
        """The category tree as a GeoReport service list (minor classes grouped by major)."""
        cats = self.categories
        names = {str(c): _name(r, lang) for c, r in zip(cats["code"], cats.to_dict("records"))}
        out = []
        for r in cats.sort_values("code").to_dict("records"):
            code, parent = str(r["code"]), (None if pd.isna(r["parent"]) else str(r["parent"]))
            limit = r.get("time_limit_h")
            out.append({
                "service_code": code, "service_name": names[code],
                "description": (f"{names[code]}" + (f" — time limit {float(limit):g} h" if pd.notna(limit) else "")),
                "metadata": False, "type": "realtime",
                "keywords": ", ".join(k for k in (code, names[code]) if k),
                "group": names.get(parent, parent) if parent else names[code],
            })
        return out

    def service_name(self, code, lang: str = "zh") -> str | None:
        if code is None or pd.isna(code):
            return None
        return self.names.get(lang, self.names["zh"]).get(str(code), str(code))


def _name(row: dict, lang: str) -> str:
    en, zh = row.get("name_en"), row.get("name")
    if lang == "en" and en is not None and not pd.isna(en) and str(en):
        return str(en)
    return str(zh) if zh is not None and not pd.isna(zh) else str(row.get("code"))


def _grids_signature(grids: TownGrids) -> str:
    """sha1 of every system's ids and polygons: equal when the grids did not change."""
    h = hashlib.sha1()
    for system in grids.systems:
        h.update(system.name.encode())
        h.update("\x1f".join(map(str, system.ids)).encode())
        for wkb in shapely.to_wkb(system.geometries):
            h.update(wkb)
    return h.hexdigest()
