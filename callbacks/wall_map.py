"""The wall's map: every layer in one spec from the start, switched by visibility.

The map is drawn by Leaflet on a Canvas 2D renderer (``assets/map.js``) from a spec
in ``ids.WALL_MAP_SPEC``: one layer per trace of the layer files, converted by
``layers/leaflet.py``, tagged with its slot (``uid`` ``tb-<layer>-<k>``) and kept in
drawing order. Why Leaflet and not plotly's MapLibre traces: without a GPU every
MapLibre frame is rendered by SwiftShader and read back for the compositor, 0.3-0.5 s
a frame; a Canvas 2D redraw of the same layers takes tens of milliseconds
(``bench/ui.py``, docs/map-rendering.md).

The module's own layers come with their data; the others are empty and hidden until
first shown, when ``load_layers`` patches their data in (so the first render stays
small). A module switch, a layer toggle or a new grid KPI is a clientside ``Patch``
of ``visible`` flags and of the grid colours (``assets/wall.js``): nothing is resent,
and the live feed's own overlays (``assets/live.js``) stay on the map.

The grid colours of every (module, KPI) pair travel in ``ids.WALL_MAP_VIEW`` —
70 colours and labels each. When the modules' snapshot is re-read (once a minute at
most), the next KPI refresh patches the changed layers' data and colours in place
(``refresh_map_data``); a layer whose ``rev`` changed is redrawn, the others stay.
"""
from __future__ import annotations

import copy
import logging
import threading
import weakref

from dash import ClientsideFunction, Input, Output, Patch, State, dcc
from dash.exceptions import PreventUpdate

from access.scope import request_scope  # what the wall's reader may see (issue 16, Deliver 3)
from callbacks import ids
from callbacks.i18n import parse_query, t
from callbacks.modules import (HIGHER_IS_BETTER, MAP_LAYER_ORDER, RATE_KPIS, empty_map_note, format_grid_value,
                               layer_traces, tile_url)
from layers import modules as M
from layers.basemap import BACKGROUND, DEFAULT_VIEW
from layers.geometry import polygons_to_geojson
from layers.grids import KPI_COLOURS, OUTLINE
from callbacks.i18n_names import romanise
from layers.leaflet import fill_colours, to_map_layer, tooltips
from layers.population import colorbar

log = logging.getLogger(__name__)

#: Drawing order of the wall map, bottom first: the layers of the layer control, and
#: the grids' KPI colours just over their outlines.
SLOTS = tuple(s for layer in MAP_LAYER_ORDER for s in ((layer, "grid_kpi") if layer == "grids" else (layer,)))
#: The slots whose data a newer snapshot changes (the base layers and buildings stay).
REFRESHED = tuple(s for s in SLOTS if s not in ("districts", "buildings", "grids", "grid_kpi", "rivers", "roads"))
#: Module ids of the grid colours ("theme_accepted" differs per module), the overview too.
VIEW_MODULES = (M.OVERVIEW.id, *(m.id for m in M.MODULES))


# ---- what is visible ----------------------------------------------------------------------------
def slot_visible(slot: str, layers_on, kpi: str | None) -> bool:
    """The rule ``assets/wall.js: slotVisible`` repeats: a layer shows when switched on;
    the grid colours when the grids are on, a KPI is picked and the population hexagons
    (which they would hide) are off."""
    on = set(layers_on or ())
    if slot == "grid_kpi":
        return "grids" in on and bool(kpi) and "population" not in on
    return slot in on


def grid_view_key(kpi: str, module_id: str) -> str:
    """Key of a grid colouring in the view store (``assets/wall.js: viewKey``)."""
    return f"{kpi}:{module_id}" if kpi == "theme_accepted" else kpi


# ---- the grid colours ---------------------------------------------------------------------------------
def grid_colour_views(grids, snap, lang: str) -> dict:
    """{view key: z, labels, range, scale, title, hover template} of every KPI and module,
    aligned with the rows of ``grids``; a grid without a value has ``z`` null (not drawn
    by the KPI trace, its outline stays)."""
    if grids is None or len(grids) == 0 or snap is None:
        return {}
    ids_, names = _ids_and_names(grids, lang)
    views = {}
    for kpi in M.GRID_KPIS:
        for module_id in (VIEW_MODULES if kpi == "theme_accepted" else (None,)):
            values = snap.grid_values(kpi, M.get(module_id))
            z = [_number(values.get(g)) for g in ids_]
            present = [v for v in z if v is not None]
            label = t(f"grid_kpi.{kpi}", lang)
            zmin = min(present, default=0.0)
            zmax = max(max(present, default=1.0), zmin + 1e-9)
            scale = KPI_COLOURS if kpi not in HIGHER_IS_BETTER else [[1 - s, c] for s, c in reversed(KPI_COLOURS)]
            text = [format_grid_value(kpi, v, lang) for v in z]
            hover = "%{customdata[1]}<br>" + label + " %{customdata[2]}<extra></extra>"
            views[grid_view_key(kpi, module_id)] = {
                "z": z, "text": text, "zmin": zmin, "zmax": zmax, "colorscale": scale,
                "title": label, "tickformat": ".0%" if kpi in RATE_KPIS else "", "hovertemplate": hover,
                # what the Leaflet map draws (layers/leaflet.py): a colour and a tooltip per grid
                "fill": fill_colours(z, zmin, zmax, scale),
                "tips": tooltips({"locations": ids_, "customdata": _customdata(ids_, names, text),
                                  "hovertemplate": hover}),
                "scale": {"title": label, "stops": scale, "min": zmin, "max": zmax,
                          "tickformat": ".0%" if kpi in RATE_KPIS else ""},
            }
    return views


def _number(v):
    return None if v is None or v != v else float(v)


def _ids_and_names(grids, lang: str = "zh") -> tuple[list, list]:
    """The grids' ids and names in ``lang`` (the id where a grid has no name), in row order."""
    ids_ = grids["grid_id"].astype(str).tolist()
    names = grids["name"].fillna(grids["grid_id"]).astype(str).tolist() if "name" in grids else ids_
    return ids_, (names if lang == "zh" else [romanise(n) for n in names])


def map_labels(base: dict, lang: str) -> dict:
    """{"districts": [[lon, lat, name]], "grids": [...]}: where ``assets/map.js`` writes
    each district's and grid's name (a point inside it; names in ``lang``). The map
    shows a grid's name only where it fits without touching another label."""
    out = {}
    for layer, key in (("districts", "district_id"), ("grids", "grid_id")):
        gdf = base.get(layer)
        if gdf is None or len(gdf) == 0:
            continue
        names = gdf["name"].fillna(gdf[key]).astype(str) if "name" in gdf else gdf[key].astype(str)
        pts = gdf.geometry.representative_point()
        out[layer] = [[round(float(p.x), 5), round(float(p.y), 5), n if lang == "zh" else romanise(n)]
                      for p, n in zip(pts, names) if p is not None and not p.is_empty]
    return out


def _customdata(ids_, names, text) -> list:
    """What a grid's tooltip shows: [id, name, KPI value as text]."""
    return [[g, n, s] for g, n, s in zip(ids_, names, text)]


def grid_kpi_trace(grids, view: dict | None, lang: str) -> list[dict]:
    """One choropleth of every grid, coloured by ``view`` (see :func:`grid_colour_views`)."""
    if grids is None or len(grids) == 0 or not view:
        return []
    ids_, names = _ids_and_names(grids, lang)
    bar = colorbar(view["title"])
    bar["tickformat"] = view["tickformat"]
    return [{
        "type": "choroplethmap", "name": t("layer.grids", lang), "legendgroup": "grids",
        "geojson": polygons_to_geojson(grids.geometry, ids_), "locations": ids_,
        "z": view["z"], "zmin": view["zmin"], "zmax": view["zmax"], "colorscale": view["colorscale"],
        "showscale": True, "showlegend": False, "colorbar": bar,
        "marker": {"line": {"width": 1.2, "color": OUTLINE}},
        "customdata": _customdata(ids_, names, view["text"]),
        "hovertemplate": view["hovertemplate"],
    }]


# ---- the map spec ----------------------------------------------------------------------------------
def wall_map(base: dict, snap, module: M.Module, lang: str, buildings=None) -> tuple[dict, dict]:
    """(map spec, view store) of the wall map showing ``module``: a layer for every
    slot's trace, the module's with their data and visible, the others empty until
    first shown (``load_layers``); the store maps each slot to its layer indices, lists
    the slots whose data is in the spec, and holds the grid colours of every module and
    KPI. ``assets/map.js`` draws the spec with Leaflet (``layers/leaflet.py``)."""
    layers, slots, views = _all_layers(base, snap, lang, buildings)
    key = grid_view_key(module.choropleth, module.id)
    out, loaded = [], []
    for slot, indices in slots.items():
        visible = slot_visible(slot, module.layers, module.choropleth)
        if visible and indices and (slot != "buildings" or buildings is not None):
            loaded.append(slot)
        for i in indices:
            if slot not in loaded:
                out.append(_empty(layers[i]))
                continue
            layer = {**layers[i], "visible": visible}
            if slot == "grid_kpi" and key in views:
                layer.update(_grid_colours(views[key], f"{key}@0"))
            out.append(layer)
    spec = {"layers": out, "bounds": map_bounds(base), "tiles": tile_url(), "background": BACKGROUND,
            "lang": lang, "click": ids.WALL_MAP_CLICK, "labels": map_labels(base, lang),
            "scale": {"metric": True, "imperial": False},
            "note": empty_map_note(lang)["text"] if not any(
                idx for slot, idx in slots.items() if slot != "buildings") else None}
    store = {"slots": slots, "loaded": loaded, "grids": views, "rev": 0, "snap": snapshot_stamp(snap)}
    return spec, store


def map_bounds(frames: dict, keys=("districts", "grids", "rivers", "roads")) -> list[list[float]]:
    """[[south, west], [north, east]] of the first of ``keys`` with geometry (the town's
    outline first), else the region of :data:`layers.basemap.DEFAULT_VIEW`."""
    for k in keys:
        gdf = frames.get(k)
        if gdf is not None and len(gdf) and not gdf.geometry.is_empty.all():
            minx, miny, maxx, maxy = (round(float(v), 6) for v in gdf.total_bounds)
            return [[miny, minx], [maxy, maxx]]
    c = DEFAULT_VIEW["center"]
    return [[c["lat"] - 0.5, c["lon"] - 0.6], [c["lat"] + 0.5, c["lon"] + 0.6]]


#: What a layer of each kind needs to be valid and draw nothing.
_NO_DATA = {"polygons": {"geojson": {"type": "FeatureCollection", "features": []}, "ids": [], "fill": [],
                         "tips": None},
            "heat": {"lon": [], "lat": [], "z": None},
            "lines": {"lon": [], "lat": []},
            "points": {"lon": [], "lat": [], "tips": None}}


def _empty(layer: dict) -> dict:
    """A hidden stand-in for ``layer``: its kind, name and uid, no data."""
    keep = ("kind", "uid", "slot", "name", "legendgroup", "showlegend", "line", "color", "width", "size", "opacity",
            "fillOpacity", "radius", "gradient")
    return {**{k: layer[k] for k in keep if k in layer}, **copy.deepcopy(_NO_DATA.get(layer["kind"], {})),
            "scale": None, "visible": False, "rev": "empty"}


def _grid_colours(view: dict, stamp: str) -> dict:
    """The keys of the grid-KPI layer that colour it by ``view`` (as ``assets/wall.js:
    gridColours`` patches them)."""
    return {"fill": view["fill"], "tips": view["tips"], "scale": view["scale"], "meta": stamp}


_BUILT: dict = {}
_BUILT_LOCK = threading.Lock()
#: Built layer sets kept: two languages × the live snapshot and a past day's.
_BUILT_KEPT = 4


def _all_layers(base: dict, snap, lang: str, buildings) -> tuple[list, dict, dict]:
    """(map layers, {slot: indices}, grid colours) of every slot, built once per
    base-layer read, snapshot and language (the snapshot is re-read every minute and
    the layers take a second to build on the demo town; a page only picks what shows).

    The cache holds a snapshot only weakly: when ModuleData lets a snapshot go, its
    layers go at the next call. Holding it strongly kept up to four old snapshots (~100 MB
    each on the demo town) alive per server: bench/soak's memory growth."""
    key = (id(base), id(snap), lang, id(buildings))
    with _BUILT_LOCK:
        for gone in [k for k, v in _BUILT.items() if v[1]() is None]:
            del _BUILT[gone]  # built from a snapshot that is gone
        hit = _BUILT.get(key)
        if hit is not None and hit[0] is base and hit[1]() is snap:
            return hit[2]
    grids = base.get("grids")
    views = grid_colour_views(grids, snap, lang)
    layers, slots = [], {}
    for slot in SLOTS:
        if slot == "grid_kpi":
            got = grid_kpi_trace(grids, next(iter(views.values()), None), lang)
        else:
            got = layer_traces(slot, base, snap, M.OVERVIEW, lang, buildings=buildings)
        if slot == "buildings" and not got:
            # an empty slot, filled by ``load_layers`` when the layer is switched on
            got = [{"type": "choroplethmap", "name": t("layer.buildings", lang), "legendgroup": "buildings",
                    "geojson": {"type": "FeatureCollection", "features": []}, "locations": [], "z": [],
                    "showscale": False, "hoverinfo": "skip"}]
        slots[slot] = []
        for k, tr in enumerate(got):
            layer = to_map_layer(tr)
            layer["uid"] = f"tb-{slot}-{k}"
            layer["slot"] = slot
            layer["rev"] = snapshot_stamp(snap) or "base"  # the map redraws a layer whose rev changed
            slots[slot].append(len(layers))
            layers.append(layer)
    built = (layers, slots, views)
    with _BUILT_LOCK:
        _BUILT.pop(key, None)
        if len(_BUILT) >= _BUILT_KEPT:
            _BUILT.pop(next(iter(_BUILT)))  # the oldest built
        if snap is not None:  # no snapshot (an empty store): nothing worth keeping
            _BUILT[key] = (base, weakref.ref(snap), built)
    return built


def snapshot_stamp(snap) -> str | None:
    """Which module snapshot a map was drawn from (its reading time)."""
    return None if snap is None else snap.now.isoformat()


def map_stores(view: dict) -> list:
    """The stores the map's callbacks share, for the wall layout."""
    return [dcc.Store(id=ids.WALL_MAP_VIEW, data=view), dcc.Store(id=ids.LAYERS_WANTED),
            dcc.Store(id=ids.WALL_MAP_DRAWN), dcc.Store(id=ids.WALL_MAP_CLICK)]


# ---- callbacks -----------------------------------------------------------------------------------------------
def register_wall_map(app, data, modules_data) -> None:
    """The map drawn from its spec, the clientside view switch, layers sent when first
    shown, and the data re-read."""
    app.clientside_callback(
        ClientsideFunction(namespace="townbrain_map", function_name="draw"),
        Output(ids.WALL_MAP_DRAWN, "data"), Input(ids.WALL_MAP_SPEC, "data"), State(ids.WALL_MAP, "id"))
    app.clientside_callback(
        ClientsideFunction(namespace="townbrain_wall", function_name="prefetch"),
        Output(ids.LAYERS_WANTED, "data", allow_duplicate=True), Input(ids.WALL_MAP_DRAWN, "data"),
        State(ids.WALL_MAP_VIEW, "data"), prevent_initial_call=True)
    app.clientside_callback(
        ClientsideFunction(namespace="townbrain_wall", function_name="mapView"),
        Output(ids.WALL_MAP_SPEC, "data", allow_duplicate=True), Output(ids.LAYERS_WANTED, "data"),
        Input(ids.LAYER_TOGGLES, "value"), Input(ids.GRID_KPI, "value"), Input(ids.WALL_URL, "search"),
        Input(ids.WALL_MAP_VIEW, "data"), State(ids.WALL_MAP_SPEC, "data"), prevent_initial_call=True)

    @app.callback(Output(ids.WALL_MAP_SPEC, "data", allow_duplicate=True),
                  Output(ids.WALL_MAP_VIEW, "data", allow_duplicate=True),
                  Input(ids.LAYERS_WANTED, "data"), State(ids.WALL_MAP_VIEW, "data"), State(ids.WALL_URL, "search"),
                  State(ids.LAYER_TOGGLES, "value"), State(ids.GRID_KPI, "value"), prevent_initial_call=True)
    def load_layers(wanted, view, search, layers_on, kpi):
        """The data of layers not yet in the page — one shown for the first time (the
        building footprints, one switched on), or the other modules' layers fetched
        once the first map is drawn (``assets/wall.js: prefetch``) — filled into their
        empty layers, shown when the layer control says so; from then on ``mapView``
        shows and hides them in the browser."""
        missing = [s for s in (wanted or []) if view and s not in view["loaded"] and view["slots"].get(s)]
        if not missing:
            raise PreventUpdate
        lang = parse_query(search)["lang"]
        try:
            scope = request_scope()
            base, snap = data.base_layers_for(scope), modules_data.snapshot_for(scope, data.period_of(search))
            layers, slots, _views = _all_layers(base, snap, lang, None)
            footprints = modules_data.buildings_for(scope) if "buildings" in missing else None
        except Exception as exc:  # noqa: BLE001 - the layer stays empty; the stale stamp says why
            log.warning("wall map: cannot read the layers %s: %s", missing, exc)
            raise PreventUpdate
        fig, store = Patch(), Patch()
        done = []
        for slot in missing:
            got = ([to_map_layer(tr) for tr in layer_traces("buildings", {}, None, M.OVERVIEW, lang,
                                                             buildings=footprints)] if slot == "buildings"
                   else [layers[j] for j in slots.get(slot, [])])
            if len(got) != len(view["slots"][slot]):  # the snapshot changed its shape: the next page load
                continue
            for i, layer in zip(view["slots"][slot], got):
                fig["layers"][i].update({**{k: v for k, v in layer.items() if k not in ("uid", "slot")},
                                         "visible": slot_visible(slot, layers_on, kpi),
                                         "rev": f"loaded:{snapshot_stamp(snap)}"})
            done.append(slot)
        if not done:
            raise PreventUpdate
        store["loaded"].extend(done)  # appended to what the page has now: two loads may overlap
        return fig, store

    @app.callback(Output(ids.WALL_MAP_SPEC, "data", allow_duplicate=True),
                  Output(ids.WALL_MAP_VIEW, "data", allow_duplicate=True),
                  Input(ids.WALL_REFRESH, "n_intervals"), State(ids.WALL_MAP_VIEW, "data"),
                  State(ids.WALL_URL, "search"), prevent_initial_call=True)
    def refresh_map_data(_n, view, search):
        """A newer module snapshot (read at most once a minute) since the map was drawn:
        its layers' data and the grid colours, patched in place (their ``visible`` flags
        untouched); nothing is sent when the snapshot is the same."""
        try:
            scope = request_scope()
            base, snap = data.base_layers_for(scope), modules_data.snapshot_for(scope, data.period_of(search))
        except Exception as exc:  # noqa: BLE001 - the wall keeps its map; the stale stamp says why (a bad as_of: the page)
            log.warning("wall map: cannot re-read the map data: %s", exc)
            raise PreventUpdate
        if not view or snap is None or view.get("snap") == snapshot_stamp(snap):
            raise PreventUpdate
        layers, slots, views = _all_layers(base, snap, parse_query(search)["lang"], None)
        fig, store = Patch(), Patch()
        for slot in (s for s in REFRESHED if s in view["loaded"]):  # the others load fresh when shown
            old, new = view["slots"].get(slot, []), slots.get(slot, [])
            if len(old) != len(new):  # a layer that gained or lost a trace waits for the next page load
                continue
            for i, j in zip(old, new):
                fig["layers"][i].update({k: v for k, v in layers[j].items() if k != "visible"})
        store["grids"] = views
        store["snap"] = snapshot_stamp(snap)
        store["rev"] = int(view.get("rev", 0)) + 1
        return fig, store
