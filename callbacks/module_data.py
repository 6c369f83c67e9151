"""What the wall's modules, map layers and grid card read from the store.

One :class:`TownSnapshot` is made at most every ``ttl_s`` seconds and shared by
every screen: a few filtered reads (this year's cases without geometry, open cases,
a week of case points for the heat map, the last day of patrol tracks, residents'
H3 cells and bands without geometry) — about 0.5 s on the demo town. Residents
are aggregated here and never leave the server as records (brief.md, "Security").
Buildings (33k polygons) are read only when their layer is switched on.

What a reader sees is the snapshot :meth:`ModuleData.snapshot_for` their scope
(access/scope.py, issue 16 Deliver 3): every frame of cases, patrols, staff and
entities passed through the one gate, residents re-counted from the groups kept
for it. A town grant gets the shared snapshot itself; a district duty officer its
district's cases, counts and map; no grant nothing. Rivers, roads and bus routes are
the town's geography, not records of it, and stay whole.
"""
from __future__ import annotations

import dataclasses
import logging
import threading
import time
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from access.scope import GEOGRAPHY, town_work
from callbacks.i18n_names import english_name
from callbacks.as_of import ScreenPeriod, screen_period
from indicators import compute_all, compute_kpis
from layers.layer_stats import layer_stats
from layers.modules import POLLUTING_INDUSTRIES, Module, case_mask
from layers.population import MIN_RESIDENTS
from layers.theme_layers import THEME_LAYERS
from townbrain.memory import release_free_memory

log = logging.getLogger(__name__)

#: Metric CRS for lengths near 120°E (conventions.md: CGCS2000 / Gauss-Krüger).
METRIC_CRS = 4549
HEAT_DAYS = 3
PATROL_HOURS = 24
#: Opinion items on the map: the last days only (the tiles count the whole year).
OPINION_MAP_DAYS = 30
#: The modules' own layers: (columns read, time field read from ``since`` or None, with geometry).
#: Approvals are read from 40 days earlier: one completed this year may be submitted last year.
THEME_READS = {
    "key_projects": (THEME_LAYERS["key_projects"].columns, None, True),
    "tasks": (("task_id", "project_id", "issued_at", "deadline", "completed_at", "status"), "issued_at", False),
    "cameras": (THEME_LAYERS["cameras"].columns, None, True),
    "approvals": (("approval_id", "channel", "visits", "submitted_at", "deadline", "completed_at", "status"),
                  "submitted_at", False),
    "opinion_items": (THEME_LAYERS["opinion_items"].columns + ("handled_at",), "published_at", True),
    "parking": (THEME_LAYERS["parking"].columns, None, True),
    "bus_routes": (THEME_LAYERS["bus_routes"].columns, None, True),
    "schools": (THEME_LAYERS["schools"].columns, None, True),
    "medical_insurance": (("record_id", "grid_id", "year", "eligible", "insured_employee", "insured_resident"),
                          None, False),
}
#: The place columns the gate decides by (access/scope.py ``COLUMNS``), read with every
#: record layer that has them.
PLACES = ["district_id", "grid_id", "pro_grid_id"]
#: What residents are counted by: a group per place, cell, age band and household type
#: (never a row per person), from which any scope's counts are summed.
RESIDENT_KEYS = (*PLACES, "h3", "age_band", "household")
CASE_COLUMNS = ["case_id", "category", "subcategory", "source", "reported_by", "reported_at",
                "registered_at", "deadline", "closed_at", "status", "resolved_level", "enforcement",
                "rework_count", "extended", "district_id", "grid_id", "pro_grid_id"]


def open_at(cases: pd.DataFrame, at: pd.Timestamp) -> np.ndarray:
    """Cases open at ``at``: registered before it and not closed before it (contract,
    ``open_overdue``: "still open at as_of").

    >>> t = lambda s: pd.Timestamp(s, tz="Asia/Shanghai")
    >>> c = pd.DataFrame({"registered_at": [t("2018-12-30"), t("2018-12-30"), pd.NaT, t("2019-01-02")],
    ...                   "closed_at": [t("2018-12-31"), t("2019-01-03"), pd.NaT, pd.NaT]})
    >>> open_at(c, t("2019-01-01")).tolist()
    [False, True, False, False]
    """
    registered = cases["registered_at"]
    closed = cases["closed_at"] if "closed_at" in cases else pd.Series(pd.NaT, index=cases.index)
    return (registered.notna() & (registered < at) & ~(closed < at).fillna(False)).to_numpy(dtype=bool)


@dataclass
class TownSnapshot:
    now: pd.Timestamp          # the instant the figures are taken at (now, or the end of the as_of day)
    year_start: pd.Timestamp
    year_end: pd.Timestamp
    as_of: str | None = None   # the as_of day shown (ISO), None when live
    grids: gpd.GeoDataFrame | None = None
    pro_grids: gpd.GeoDataFrame | None = None
    districts: gpd.GeoDataFrame | None = None
    cases: pd.DataFrame = field(default_factory=pd.DataFrame)        # registered since the start of last year
    open_cases: pd.DataFrame = field(default_factory=pd.DataFrame)   # accepted, not closed, any year
    heat: gpd.GeoDataFrame | None = None                              # case points, last HEAT_DAYS days
    patrols_recent: gpd.GeoDataFrame | None = None                    # tracks of the last PATROL_HOURS
    patrols: pd.DataFrame | None = None                               # patrols since last year, no geometry
    reports: pd.DataFrame | None = None                               # reports (any status) since last year: 3-5-10
    enterprises: gpd.GeoDataFrame | None = None
    staff: pd.DataFrame | None = None
    residents_groups: pd.DataFrame | None = None                      # residents counted by RESIDENT_KEYS ("n")
    residents_h3: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))
    residents_by_grid: dict = field(default_factory=dict)
    age_bands: dict = field(default_factory=dict)
    residents_total: int | None = None
    residents_floating: int | None = None
    river_km: float | None = None
    road_km: float | None = None
    subcategory_names: dict = field(default_factory=dict)            # lang → {code: name}
    theme_frames: dict = field(default_factory=dict)                 # the modules' own layers (THEME_READS)
    #: the modules' layers whose records with no place at all (access/scope.py ``UNPLACED``)
    #: a limited reader is not shown: the module's note names them
    withheld: tuple = ()
    _memo: dict = field(default_factory=dict)

    # ---- residents, from their groups ---------------------------------------------------
    def count_residents(self, groups: pd.DataFrame | None) -> None:
        """Residents' figures (per H3 cell with :data:`~layers.population.MIN_RESIDENTS`
        or more, per grid, per age band, floating, in all) from ``groups``."""
        self.residents_groups = groups
        if groups is None:
            return
        n = groups["n"]
        self.residents_total = int(n.sum())

        def by(col):
            return groups.groupby(col)["n"].sum() if col in groups else pd.Series(dtype="int64")
        cells = by("h3")
        cells.index = cells.index.astype(str)
        self.residents_h3 = cells[cells >= MIN_RESIDENTS].sort_index()
        if "grid_id" in groups:
            self.residents_by_grid = by("grid_id").to_dict()
        if "age_band" in groups:
            self.age_bands = by("age_band").to_dict()
        if "household" in groups:
            self.residents_floating = int(n[(groups["household"] == "floating").to_numpy(bool)].sum())

    # ---- what a reader may see ---------------------------------------------------------------
    def within(self, scope) -> "TownSnapshot":
        """This snapshot as ``scope`` (access/scope.py) may see it: every frame of cases,
        patrols, staff, entities and units through the gate (``scope_mask``; patrols
        through their inspector, ``scope_mask_by``), residents re-counted from their
        groups, the modules' own layers placed as access/scope.py places them (a task
        through its key project) and those with no place left out (fail closed, and
        named in :attr:`withheld`), the geography whole. A town scope is this snapshot;
        the others are built once per snapshot and scope."""
        if scope is not None and scope.town:
            return self
        return self.memo(("within", scope), lambda: self._within(scope))

    def _within(self, scope) -> "TownSnapshot":
        from access.scope import PLACED_THROUGH, UNPLACED, has_no_place, scope_mask, scope_mask_by

        def keep(frame):
            return None if frame is None else frame[scope_mask(frame, scope)]

        def placed(layer, frame):
            """Through what the record names (a patrol its inspector, a task its key project)."""
            if frame is None or layer not in PLACED_THROUGH:
                return keep(frame)
            key, other = PLACED_THROUGH[layer]
            places = self.staff if other == "staff" else self.theme_frames.get(other)
            return frame[scope_mask_by(frame, scope, places, key)]
        withheld = tuple(k for k, f in self.theme_frames.items()
                         if k in UNPLACED and f is not None and has_no_place(f, k).any())
        out = dataclasses.replace(
            self, grids=keep(self.grids), pro_grids=keep(self.pro_grids), districts=keep(self.districts),
            cases=keep(self.cases), open_cases=keep(self.open_cases), heat=keep(self.heat),
            patrols_recent=placed("patrols", self.patrols_recent), patrols=placed("patrols", self.patrols),
            reports=keep(self.reports), enterprises=keep(self.enterprises), staff=keep(self.staff),
            theme_frames={k: f if k in GEOGRAPHY else placed(k, f) for k, f in self.theme_frames.items()},
            withheld=withheld, residents_h3=pd.Series(dtype="int64"), residents_by_grid={}, age_bands={},
            residents_total=None, residents_floating=None, _memo={})
        if self.residents_groups is not None:
            out.count_residents(keep(self.residents_groups))
        return out

    # ---- derived, memoised per snapshot ---------------------------------------------
    def memo(self, key, build):
        """``build()``, once per snapshot and ``key``: what the screen derives from this
        snapshot (a module's panels) goes when a newer snapshot replaces it."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]

    def year_cases(self) -> pd.DataFrame:
        c = self.cases
        if len(c) == 0:
            return c
        return c[(c["registered_at"] >= self.year_start) & (c["registered_at"] < self.year_end)]

    def theme_cases(self, module: Module) -> pd.DataFrame:
        key = ("theme", module.id)
        if key not in self._memo:
            c = self.cases
            self._memo[key] = c[case_mask(c, module.theme)] if len(c) and not module.theme.is_all else c
        return self._memo[key]

    def _kpis(self, cases: pd.DataFrame, by: str | None = None, with_patrols: bool = False):
        period = {"start": self.year_start, "end": self.year_end, "as_of": self.now, "now": self.now}
        patrols = self.patrols if with_patrols else None
        if by is None:
            # the 3-5-10 rule counts every report of the day, also those fixed on the
            # spot and never registered (indicators/rule_3510.py), hence ``reports``
            reports = self.reports if with_patrols and self.reports is not None else None
            return compute_kpis(cases, patrols, reports=reports, **period) if len(cases) else {}
        groups = self.grids["grid_id"].astype(str).tolist() if self.grids is not None else None
        if len(cases) == 0 or "grid_id" not in cases:
            return pd.DataFrame(index=pd.Index(groups or [], name="grid_id"))
        reports = {"reports": self.reports} if with_patrols and self.reports is not None else {}
        return compute_all(cases, patrols, by=by, groups=groups, **reports, **period)

    def theme_kpis(self, module: Module) -> dict:
        key = ("kpis", module.id)
        if key not in self._memo:
            self._memo[key] = self._kpis(self.year_cases_of(module))
        return self._memo[key]

    def town_kpis(self) -> dict:
        if "town_kpis" not in self._memo:
            self._memo["town_kpis"] = self._kpis(self.year_cases(), with_patrols=True)
        return self._memo["town_kpis"]

    def year_cases_of(self, module: Module) -> pd.DataFrame:
        c = self.theme_cases(module)
        if len(c) == 0:
            return c
        return c[(c["registered_at"] >= self.year_start) & (c["registered_at"] < self.year_end)]

    def grid_table(self, module: Module | None = None) -> pd.DataFrame:
        """Per grid: this year's indicators of the module's cases (all cases without a
        module). Without a module the patrols and every report count too, so that a
        grid's composite score includes its 3-5-10 compliance exactly as the console's
        ranking of the same period does (``indicators.composite_score.composite_ranking``
        with the patrols): one definition, the same top grid on both screens (issue 15)."""
        key = ("grid_table", module.id if module else None)
        if key not in self._memo:
            cases = self.year_cases_of(module) if module else self.year_cases()
            self._memo[key] = self._kpis(cases, by="grid", with_patrols=module is None)
        return self._memo[key]

    # ---- month-on-month and year-on-year (the arrows of the headline figures) ---------
    def window_kpis(self, module: Module | None, start: pd.Timestamp, end: pd.Timestamp) -> dict:
        """The KPIs (``indicators.compute_kpis``, the registry's functions) of the
        module's cases (the town's, with patrols and reports, without a module)
        registered in ``[start, end)``, as of ``end``: a period to date, seen on its
        last day — what the screen showed then."""
        key = ("window", module.id if module else None, start, end)
        if key not in self._memo:
            c = self.theme_cases(module) if module else self.cases
            if len(c):
                c = c[(c["registered_at"] >= start) & (c["registered_at"] < end)]
            period = {"start": start, "end": end, "as_of": end, "now": end}
            if len(c) == 0:
                self._memo[key] = {}
            elif module is None:
                reports = self.reports if self.reports is not None else None
                self._memo[key] = compute_kpis(c, self.patrols, reports=reports, **period)
            else:
                self._memo[key] = compute_kpis(c, None, **period)
        return self._memo[key]

    def comparisons(self, module: Module | None) -> dict:
        """{"mom": (this month to date, last month to the same day),
        "yoy": (this year to date, last year to the same day)}, each a pair of KPI
        dicts of :meth:`window_kpis`. The year to date is what the tiles show."""
        now = self.now
        month_start = now.normalize().replace(day=1)
        prev_now = now - pd.DateOffset(months=1)
        year_ago = now - pd.DateOffset(years=1)
        return {
            "mom": (self.window_kpis(module, month_start, now),
                    self.window_kpis(module, month_start - pd.DateOffset(months=1), prev_now)),
            "yoy": (self.window_kpis(module, self.year_start, now),
                    self.window_kpis(module, self.year_start - pd.DateOffset(years=1), year_ago)),
        }

    def open_by_grid(self) -> tuple[dict, dict]:
        """({grid_id: open cases now}, {grid_id: open and past deadline})."""
        if "open_by_grid" not in self._memo:
            o = self.open_cases
            if len(o) and "grid_id" in o:
                overdue = o["deadline"].notna() & (o["deadline"] < self.now)
                self._memo["open_by_grid"] = (o["grid_id"].value_counts().to_dict(),
                                              o.loc[overdue, "grid_id"].value_counts().to_dict())
            else:
                self._memo["open_by_grid"] = ({}, {})
        return self._memo["open_by_grid"]

    def grid_values(self, kpi: str, module: Module) -> dict:
        """grid_id → value of a choropleth KPI (``layers.modules.GRID_KPIS``)."""
        if kpi == "open_now":
            counts = self.open_by_grid()[0]
            ids = self.grids["grid_id"].astype(str) if self.grids is not None else []
            return {g: int(counts.get(g, 0)) for g in ids}
        table = self.grid_table(module) if kpi == "theme_accepted" else self.grid_table(None)
        column = "accepted" if kpi == "theme_accepted" else kpi
        if column not in table:
            return {}
        return {str(g): (None if pd.isna(v) else float(v)) for g, v in table[column].items()}

    def polluting(self) -> gpd.GeoDataFrame | None:
        e = self.enterprises
        if e is None or "industry" not in e:
            return None
        return e[e["industry"].isin(POLLUTING_INDUSTRIES)]

    def credit_counts(self) -> dict:
        e = self.enterprises
        if e is None or "credit" not in e:
            return {}
        return {k: int(v) for k, v in e["credit"].value_counts().items()}

    def layer_stats(self) -> dict:
        """Tiles and chart breakdowns of the modules' own layers, this year
        (:func:`layers.layer_stats.layer_stats`)."""
        if "layer_stats" not in self._memo:
            self._memo["layer_stats"] = layer_stats(self.theme_frames, self.year_start, self.year_end, self.now)
        return self._memo["layer_stats"]

    def layer_frame(self, layer: str, lang: str = "zh"):
        """What the map draws of one of the modules' layers: opinion items of the last
        :data:`OPINION_MAP_DAYS` days with their topic named in ``lang``; the others whole."""
        frame = self.theme_frames.get(layer)
        if frame is None or layer != "opinion_items" or len(frame) == 0:
            return frame
        recent = frame[frame["published_at"] >= self.now - pd.Timedelta(days=OPINION_MAP_DAYS)]
        names = self.subcategory_names.get(lang, {})
        return recent.assign(topic=recent["topic"].map(lambda c: names.get(c, c)))

    def inspectors(self) -> int | None:
        s = self.staff
        return None if s is None or "role" not in s else int((s["role"] == "inspector").sum())


class ModuleData:
    """The modules' window on a store; one snapshot shared by every request."""

    #: Snapshots of past days (``?as_of=``) kept besides the live one: a wall or two on a
    #: past year, and a console looking at another day.
    PAST_KEPT = 3

    def __init__(self, store, tz: str, ttl_s: float = 60.0):
        self.store = store
        self.tz = tz
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._snap: TownSnapshot | None = None
        self._snap_at = 0.0
        self._past: dict[str, tuple[float, TownSnapshot]] = {}   # as_of day → (read at, snapshot)
        self._buildings = None
        self._building_places = None

    def snapshot_for(self, scope, period: ScreenPeriod | None = None) -> TownSnapshot:
        """The snapshot of ``period`` as ``scope`` (access/scope.py) may see it
        (:meth:`TownSnapshot.within`): what every screen a person or a wall reads goes
        through. :meth:`snapshot` is the whole town, for the server's own work."""
        return self.snapshot(period).within(scope)

    def snapshot(self, period: ScreenPeriod | None = None) -> TownSnapshot:
        """The live snapshot, or with a past ``period`` (``?as_of=``) the town as of its
        end: each re-read at most every ``ttl_s`` seconds."""
        with self._lock:
            if period is not None and not period.live:
                hit = self._past.get(period.key)
                if hit is not None and time.monotonic() - hit[0] < self.ttl_s:
                    return hit[1]
                snap = self._read(period)
                self._past.pop(period.key, None)
                if len(self._past) >= self.PAST_KEPT:
                    self._past.pop(next(iter(self._past)))  # the oldest read
                self._past[period.key] = (time.monotonic(), snap)
                release_free_memory()
                return snap
            if self._snap is not None and time.monotonic() - self._snap_at < self.ttl_s:
                return self._snap
            snap = self._read()
            self._snap, self._snap_at = snap, time.monotonic()
            release_free_memory()  # the previous snapshot's frames go back to the system
            return snap

    # ---- reading ------------------------------------------------------------------------
    def _has(self, layer: str) -> bool:
        return self.store.has_layer(layer)

    def _cols(self, layer: str, wanted) -> list[str]:
        present = set(self.store.columns(layer))
        return [c for c in wanted if c in present]

    def _read(self, period: ScreenPeriod | None = None) -> TownSnapshot:
        """Everything the modules show, read as of ``period.at`` (default: now, live):
        what was reported, registered or started after it is not read, and a case
        closed after it counts as open (:func:`open_at`). The whole town, whoever's
        request fills it: :meth:`TownSnapshot.within` gates it per reader."""
        with town_work():
            return self._read_town(period)

    def _read_town(self, period: ScreenPeriod | None) -> TownSnapshot:
        t0 = time.perf_counter()
        if period is None:
            period = screen_period(None, pd.Timestamp.now(tz=self.tz).floor("s"))
        now, year_start, year_end = period.at, period.start, period.end
        # from the start of last year: the year-on-year arrows compare the year to date
        # with last year's to the same day (TownSnapshot.comparisons)
        since = min(year_start - pd.DateOffset(years=1),
                    (now - pd.DateOffset(months=11)).normalize().replace(day=1))
        s = TownSnapshot(now=now, year_start=year_start, year_end=year_end, as_of=period.key)
        # live, ``now`` is floored to the second: a case of this second is in; a past
        # day ends at midnight sharp (the period is [start, end), contract "KPI definitions")
        until = now + pd.Timedelta(seconds=1) if period.live else now
        st = self.store
        for layer, cols in (("grids", ["grid_id", "name", "district_id"]), ("pro_grids", ["pro_grid_id", "name"]),
                            ("districts", ["district_id", "name"])):
            if self._has(layer):
                setattr(s, layer, st.read(layer, columns=self._cols(layer, cols)))
        if self._has("cases"):
            cols = self._cols("cases", CASE_COLUMNS)
            s.cases = st.read("cases", start=since, end=until, time_field="registered_at",
                              columns=cols, geometry=False)
            open_cols = self._cols("cases", ["case_id", "registered_at", "deadline", "category", *PLACES])
            if period.live:
                s.open_cases = st.read("cases", where={"closed_at": None}, columns=open_cols, geometry=False)
                s.open_cases = s.open_cases[s.open_cases["registered_at"].notna()]
            else:  # open then: registered before the end of the day, not closed before it
                past = st.read("cases", end=now, time_field="registered_at", geometry=False,
                               columns=open_cols + self._cols("cases", ["closed_at"]))
                s.open_cases = past[open_at(past, now)].drop(columns=["closed_at"], errors="ignore")
            if "reported_by" in cols:
                s.reports = st.read("cases", start=since, end=year_end, time_field="reported_at",
                                    columns=self._cols("cases", ["reported_by", "reported_at", *PLACES]),
                                    geometry=False)
            s.heat = st.read_points("cases", start=now - pd.Timedelta(days=HEAT_DAYS), end=until,
                                    time_field="reported_at", columns=self._cols("cases", ["case_id", *PLACES]))
            if "grid_id" not in cols and s.grids is not None:
                self._assign_grids(s)
        if self._has("patrols"):
            s.patrols_recent = st.read("patrols", start=now - pd.Timedelta(hours=PATROL_HOURS), end=now,
                                       time_field="started_at",
                                       columns=self._cols("patrols", ["patrol_id", "staff_id", *PLACES]))
            # grid_id: the grids' composite scores count their inspectors' 3-5-10 days
            s.patrols = st.read("patrols", start=since, end=year_end, time_field="started_at",
                                columns=self._cols("patrols", ["patrol_id", "staff_id", "started_at", "ended_at",
                                                               *PLACES]),
                                geometry=False)
        if self._has("enterprises"):
            s.enterprises = st.read_points("enterprises", columns=self._cols(
                "enterprises", ["enterprise_id", "name", "industry", "credit", *PLACES]))
        if self._has("staff"):
            s.staff = st.read("staff", columns=self._cols("staff", ["staff_id", "role", *PLACES]))
        if self._has("residents"):
            r = st.read("residents", columns=self._cols("residents", RESIDENT_KEYS), geometry=False)
            keys = [c for c in RESIDENT_KEYS if c in r]
            groups = (r.groupby(keys, dropna=False, observed=True, sort=False).size().rename("n").reset_index()
                      if keys else pd.DataFrame({"n": [len(r)]}))
            del r
            s.count_residents(groups)
        for layer, attr in (("rivers", "river_km"), ("roads", "road_km")):
            if self._has(layer):
                g = st.read(layer, columns=[])
                lines = g.geometry[g.geometry.geom_type.str.contains("Line")]
                setattr(s, attr, float(lines.to_crs(METRIC_CRS).length.sum() / 1000) if len(lines) else 0.0)
        if self._has("categories"):
            cat = st.read("categories", columns=self._cols("categories", ["code", "name", "name_en"]))
            s.subcategory_names = {"zh": dict(zip(cat["code"], cat.get("name", cat["code"]))),
                                   "en": {c: english_name(n) if isinstance(n, str) and n else c
                                          for c, n in zip(cat["code"], cat.get("name_en", cat["code"]))}}
        for layer, (cols, time_field, geometry) in THEME_READS.items():
            if self._has(layer):
                start = since - pd.Timedelta(days=40 if layer == "approvals" else 0) if time_field else None
                s.theme_frames[layer] = st.read(layer, columns=self._cols(layer, dict.fromkeys([*cols, *PLACES])),
                                                geometry=geometry,
                                                **({"start": start, "end": until,
                                                    "time_field": time_field} if time_field else {}))
        log.info("wall snapshot read in %.2f s (%d cases)", time.perf_counter() - t0, len(s.cases))
        return s

    def _assign_grids(self, s: TownSnapshot) -> None:
        """Cases of a store never run through ``townbrain assign``: find their grid here."""
        pts = self.store.read_points("cases", columns=["case_id"])
        joined = gpd.sjoin(pts, s.grids[["grid_id", "geometry"]], how="left", predicate="within")
        by_case = joined.drop_duplicates("case_id").set_index("case_id")["grid_id"]
        for name in ("cases", "open_cases"):
            frame = getattr(s, name)
            if len(frame):
                setattr(s, name, frame.assign(grid_id=frame["case_id"].map(by_case).to_numpy()))

    def buildings(self) -> gpd.GeoDataFrame | None:
        """The footprints, read once (they change rarely) and only when asked for."""
        with self._lock:
            if self._buildings is None and self._has("buildings"):
                with town_work():  # every reader's, gated by buildings_for
                    self._buildings = self.store.read("buildings",
                                                      columns=self._cols("buildings", ["building_id", *PLACES]))
            return self._buildings

    def buildings_for(self, scope) -> gpd.GeoDataFrame | None:
        """The footprints ``scope`` may see: by their own place columns when the store
        has them, else by the grid and professional grid each lies in
        (``access.scope.placed_in_units``, once)."""
        from access.scope import placed_in_units, scope_mask
        b = self.buildings()
        if b is None or (scope is not None and scope.town):
            return b
        if any(c in b for c in PLACES):
            return b[scope_mask(b, scope)]
        with self._lock:
            places = self._building_places
        if places is None or len(places) != len(b):
            snap = self.snapshot()
            places = placed_in_units(b, snap.grids, snap.pro_grids)
            with self._lock:
                self._building_places = places
        return b[scope_mask(places, scope)]


def grid_card_numbers(snap: TownSnapshot, grid_id: str) -> dict:
    """The numbers of one grid's card (what ``tests/browser/test_map.py`` recomputes
    with plain pandas): inspectors, enterprises, residents, open and overdue cases now,
    and this year's accepted, disposal rate, on-time closure rate and composite score."""
    staff = snap.staff
    inspectors = None if staff is None or "grid_id" not in staff else \
        int(((staff["role"] == "inspector") & (staff["grid_id"] == grid_id)).sum())
    ent = snap.enterprises
    enterprises = None if ent is None or "grid_id" not in ent else int((ent["grid_id"] == grid_id).sum())
    residents = int(snap.residents_by_grid.get(grid_id, 0)) if snap.residents_total is not None else None
    open_now, overdue = snap.open_by_grid()
    table = snap.grid_table(None)
    row = table.loc[grid_id] if grid_id in table.index else None

    def cell(name):
        if row is None or name not in row or pd.isna(row[name]):
            return None
        return row[name]
    return {"inspectors": inspectors, "enterprises": enterprises, "residents": residents,
            "open": int(open_now.get(grid_id, 0)), "overdue": int(overdue.get(grid_id, 0)),
            "accepted": None if cell("accepted") is None else int(cell("accepted")),
            "disposal_rate": cell("disposal_rate"), "ontime": cell("ontime_closure_rate"),
            "score": cell("composite_score")}


def grid_monthly_cases(snap: TownSnapshot, grid_id: str) -> pd.DataFrame:
    c = snap.cases
    if len(c) == 0 or "grid_id" not in c:
        return c
    return c[c["grid_id"] == grid_id]


def as_float(x):
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)
