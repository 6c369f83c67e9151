"""The wall's map: a trace for every layer from the start, switched by visibility.

Why: a module switch used to send a new figure (75–230 kB) and plotly replaced every
MapLibre source and layer of it, dropping what else was on the map (docs/map-rendering.md,
section 5). Now the figure has a trace for every layer any module shows, tagged with
its layer (``uid`` ``tb-<layer>-<k>``) and pinned in drawing order under its own
invisible anchor layer of the MapLibre style (plotly's ``below``), so a layer shown
later goes back where it belongs instead of on top. The module's own layers come with
their data; the others are empty and hidden until first shown, when ``load_layers``
patches their data in (so the first render is no bigger than before). A module switch,
a layer toggle or a new grid KPI is then a clientside ``Patch`` of ``visible`` flags and
of the grid colours (``assets/wall.js``): no figure resent, and whatever else lives in
the figure (the live feed's traces, callbacks/live.py) stays.

The grid colours of every (module, KPI) pair travel in ``ids.WALL_MAP_VIEW`` —
70 numbers and labels each. When the modules' snapshot is re-read (once a minute at
most), the next KPI refresh patches the changed layers' data and colours in place
(``refresh_map_data``).
"""
from __future__ import annotations

import copy
import logging
import threading

from dash import ClientsideFunction, Input, Output, Patch, State, dcc
from dash.exceptions import PreventUpdate

from callbacks import ids
from callbacks.chrome import FONT_STACK
from callbacks.i18n import parse_query, t
from callbacks.modules import (HIGHER_IS_BETTER, MAP_LAYER_ORDER, MAP_PX, RATE_KPIS, empty_map_note,
                               format_grid_value, layer_traces, tile_url)
from layers import modules as M
from layers.basemap import map_layout, map_style, view_for_frames
from layers.geometry import polygons_to_geojson
from layers.grids import KPI_COLOURS, OUTLINE
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
    ids_ = grids["grid_id"].astype(str).tolist()
    views = {}
    for kpi in M.GRID_KPIS:
        for module_id in (VIEW_MODULES if kpi == "theme_accepted" else (None,)):
            values = snap.grid_values(kpi, M.get(module_id))
            z = [_number(values.get(g)) for g in ids_]
            present = [v for v in z if v is not None]
            label = t(f"grid_kpi.{kpi}", lang)
            views[grid_view_key(kpi, module_id)] = {
                "z": z, "text": [format_grid_value(kpi, v, lang) for v in z],
                "zmin": min(present, default=0.0), "zmax": max(max(present, default=1.0), min(present, default=0.0) + 1e-9),
                "colorscale": KPI_COLOURS if kpi not in HIGHER_IS_BETTER else [[1 - s, c] for s, c in reversed(KPI_COLOURS)],
                "title": label, "tickformat": ".0%" if kpi in RATE_KPIS else "",
                "hovertemplate": "%{customdata[1]}<br>" + label + " %{customdata[2]}<extra></extra>",
            }
    return views


def _number(v):
    return None if v is None or v != v else float(v)


def grid_kpi_trace(grids, view: dict | None, lang: str) -> list[dict]:
    """One choropleth of every grid, coloured by ``view`` (see :func:`grid_colour_views`)."""
    if grids is None or len(grids) == 0 or not view:
        return []
    ids_ = grids["grid_id"].astype(str).tolist()
    names = grids["name"].fillna(grids["grid_id"]).astype(str).tolist() if "name" in grids else ids_
    bar = colorbar(view["title"])
    bar["tickformat"] = view["tickformat"]
    return [{
        "type": "choroplethmap", "name": t("layer.grids", lang), "legendgroup": "grids",
        "geojson": polygons_to_geojson(grids.geometry, ids_), "locations": ids_,
        "z": view["z"], "zmin": view["zmin"], "zmax": view["zmax"], "colorscale": view["colorscale"],
        "showscale": True, "showlegend": False, "colorbar": bar,
        "marker": {"line": {"width": 1.2, "color": OUTLINE}},
        "customdata": [[g, n, s] for g, n, s in zip(ids_, names, view["text"])],
        "hovertemplate": view["hovertemplate"],
    }]


# ---- the figure -----------------------------------------------------------------------------------------
def wall_map(base: dict, snap, module: M.Module, lang: str, buildings=None) -> tuple[dict, dict]:
    """(figure, view store) of the wall map showing ``module``: a trace for every slot,
    the module's with their data and visible, the others empty until first shown
    (``load_layers``); the store maps each slot to its trace indices, lists the slots
    whose data is in the figure, and holds the grid colours of every module and KPI."""
    traces, slots, views, style = _all_layers(base, snap, lang, buildings)
    key = grid_view_key(module.choropleth, module.id)
    data, loaded = [], []
    for slot, indices in slots.items():
        visible = slot_visible(slot, module.layers, module.choropleth)
        if visible and indices and (slot != "buildings" or buildings is not None):
            loaded.append(slot)
        for i in indices:
            if slot not in loaded:
                data.append(_empty(traces[i]))
                continue
            tr = {**traces[i], "visible": visible}
            if slot == "grid_kpi" and key in views:
                tr.update(_grid_colours(tr, views[key], f"{key}@0"))
            data.append(tr)
    layout = map_layout(view_for_frames(base, *MAP_PX), FONT_STACK, style=style)
    if not any(idx for slot, idx in slots.items() if slot != "buildings"):  # only the empty buildings slot
        layout["annotations"] = [empty_map_note(lang)]
    store = {"slots": slots, "loaded": loaded, "grids": views, "rev": 0, "snap": snapshot_stamp(snap)}
    return {"data": data, "layout": layout}, store


#: What a trace of each type needs to be valid and draw nothing.
_NO_DATA = {"choroplethmap": {"geojson": {"type": "FeatureCollection", "features": []}, "locations": [], "z": []},
            "densitymap": {"lon": [], "lat": [], "z": []},
            "scattermap": {"lon": [], "lat": []}}


def _empty(trace: dict) -> dict:
    """A hidden stand-in for ``trace``: its type, name and place (uid, anchor), no data."""
    keep = ("type", "uid", "below", "name", "legendgroup", "showlegend", "mode")
    return {**{k: trace[k] for k in keep if k in trace}, **copy.deepcopy(_NO_DATA.get(trace["type"], {})),
            "showscale": False, "visible": False}


def _grid_colours(trace: dict, view: dict, stamp: str) -> dict:
    """The keys of the grid-KPI trace that colour it by ``view`` (as ``assets/wall.js:
    gridColours`` patches them)."""
    bar = {**trace["colorbar"], "title": {**trace["colorbar"]["title"], "text": view["title"]},
           "tickformat": view["tickformat"]}
    return {"z": view["z"], "zmin": view["zmin"], "zmax": view["zmax"], "colorscale": view["colorscale"],
            "hovertemplate": view["hovertemplate"], "colorbar": bar, "meta": stamp,
            "customdata": [[row[0], row[1], text] for row, text in zip(trace["customdata"], view["text"])]}


_BUILT: dict = {}
_BUILT_LOCK = threading.Lock()


def _all_layers(base: dict, snap, lang: str, buildings) -> tuple[list, dict, dict, dict]:
    """(traces, {slot: indices}, grid colours, style) of every slot, built once per
    base-layer read, snapshot and language (the snapshot is re-read every minute and
    the traces take a second to build on the demo town; a page only picks what shows)."""
    key = (id(base), id(snap), lang, id(buildings))
    with _BUILT_LOCK:
        hit = _BUILT.get(key)
        if hit is not None and hit[0] is base and hit[1] is snap:
            return hit[2]
    grids = base.get("grids")
    views = grid_colour_views(grids, snap, lang)
    traces, slots = [], {}
    for slot in SLOTS:
        if slot == "grid_kpi":
            got = grid_kpi_trace(grids, next(iter(views.values()), None), lang)
        else:
            got = layer_traces(slot, base, snap, M.OVERVIEW, lang, buildings=buildings)
        if slot == "buildings" and not got:
            # an empty slot, filled by ``load_buildings`` when the layer is switched on
            got = [{"type": "choroplethmap", "name": t("layer.buildings", lang), "legendgroup": "buildings",
                    "geojson": {"type": "FeatureCollection", "features": []}, "locations": [], "z": [],
                    "showscale": False, "hoverinfo": "skip"}]
        slots[slot] = []
        for k, tr in enumerate(got):
            tr["uid"] = f"tb-{slot}-{k}"
            tr["below"] = anchor_id(tr["uid"])
            slots[slot].append(len(traces))
            traces.append(tr)
    style = copy.deepcopy(map_style(tile_url()))
    # One invisible layer per trace, in drawing order: each trace is drawn just under
    # its own anchor, whenever it is shown (plotly.js map: ``below``).
    style["layers"] += [{"id": anchor_id(tr["uid"]), "type": "background", "layout": {"visibility": "none"}}
                        for tr in traces]
    built = (traces, slots, views, style)
    with _BUILT_LOCK:
        if len(_BUILT) >= 4:  # two languages × the current and the previous snapshot
            _BUILT.pop(next(iter(_BUILT)))
        _BUILT[key] = (base, snap, built)
    return built


def snapshot_stamp(snap) -> str | None:
    """Which module snapshot a map was drawn from (its reading time)."""
    return None if snap is None else snap.now.isoformat()


def anchor_id(uid: str) -> str:
    return f"tb-anchor-{uid}"


def map_stores(view: dict) -> list:
    """The stores the map's callbacks share, for the wall layout."""
    return [dcc.Store(id=ids.WALL_MAP_VIEW, data=view), dcc.Store(id=ids.LAYERS_WANTED)]


# ---- callbacks -----------------------------------------------------------------------------------------------
def register_wall_map(app, data, modules_data) -> None:
    """The clientside view switch, layers sent when first shown, and the data re-read."""
    app.clientside_callback(
        ClientsideFunction(namespace="townbrain_wall", function_name="mapView"),
        Output(ids.WALL_MAP, "figure", allow_duplicate=True), Output(ids.LAYERS_WANTED, "data"),
        Input(ids.LAYER_TOGGLES, "value"), Input(ids.GRID_KPI, "value"), Input(ids.WALL_URL, "search"),
        Input(ids.WALL_MAP_VIEW, "data"), State(ids.WALL_MAP, "figure"), prevent_initial_call=True)

    @app.callback(Output(ids.WALL_MAP, "figure", allow_duplicate=True),
                  Output(ids.WALL_MAP_VIEW, "data", allow_duplicate=True),
                  Input(ids.LAYERS_WANTED, "data"), State(ids.WALL_MAP_VIEW, "data"), State(ids.WALL_URL, "search"),
                  prevent_initial_call=True)
    def load_layers(wanted, view, search):
        """The data of layers shown for the first time (another module's, one switched
        on, the building footprints), filled into their empty traces and shown; from
        then on ``mapView`` shows and hides them in the browser."""
        missing = [s for s in (wanted or []) if view and s not in view["loaded"] and view["slots"].get(s)]
        if not missing:
            raise PreventUpdate
        lang = parse_query(search)["lang"]
        try:
            base, snap = data.base_layers(), modules_data.snapshot()
            traces, slots, _views, _style = _all_layers(base, snap, lang, None)
            footprints = modules_data.buildings() if "buildings" in missing else None
        except Exception as exc:  # noqa: BLE001 - the layer stays empty; the stale stamp says why
            log.warning("wall map: cannot read the layers %s: %s", missing, exc)
            raise PreventUpdate
        fig, store = Patch(), Patch()
        done = []
        for slot in missing:
            got = (layer_traces("buildings", {}, None, M.OVERVIEW, lang, buildings=footprints) if slot == "buildings"
                   else [traces[j] for j in slots.get(slot, [])])
            if len(got) != len(view["slots"][slot]):  # the snapshot changed its shape: the next page load
                continue
            for i, tr in zip(view["slots"][slot], got):
                fig["data"][i].update({**{k: v for k, v in tr.items() if k not in ("uid", "below")}, "visible": True})
            done.append(slot)
        if not done:
            raise PreventUpdate
        store["loaded"] = [*view["loaded"], *done]
        return fig, store

    @app.callback(Output(ids.WALL_MAP, "figure", allow_duplicate=True),
                  Output(ids.WALL_MAP_VIEW, "data", allow_duplicate=True),
                  Input(ids.WALL_REFRESH, "n_intervals"), State(ids.WALL_MAP_VIEW, "data"),
                  State(ids.WALL_URL, "search"), prevent_initial_call=True)
    def refresh_map_data(_n, view, search):
        """A newer module snapshot (read at most once a minute) since the map was drawn:
        its layers' data and the grid colours, patched in place (their ``visible`` flags
        untouched); nothing is sent when the snapshot is the same."""
        try:
            base, snap = data.base_layers(), modules_data.snapshot()
        except Exception as exc:  # noqa: BLE001 - the wall keeps its map; the stale stamp says why
            log.warning("wall map: cannot re-read the map data: %s", exc)
            raise PreventUpdate
        if not view or snap is None or view.get("snap") == snapshot_stamp(snap):
            raise PreventUpdate
        traces, slots, views, _style = _all_layers(base, snap, parse_query(search)["lang"], None)
        fig, store = Patch(), Patch()
        for slot in (s for s in REFRESHED if s in view["loaded"]):  # the others load fresh when shown
            old, new = view["slots"].get(slot, []), slots.get(slot, [])
            if len(old) != len(new):  # a layer that gained or lost a trace waits for the next page load
                continue
            for i, j in zip(old, new):
                fig["data"][i].update({k: v for k, v in traces[j].items() if k != "visible"})
        store["grids"] = views
        store["snap"] = snapshot_stamp(snap)
        store["rev"] = int(view.get("rev", 0)) + 1
        return fig, store
