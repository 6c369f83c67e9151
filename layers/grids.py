"""Comprehensive grids (综合网格): thin outlines over the districts.

Every grid looks the same here; the wall's choropleth by a KPI feeds ``z``.

Examples
--------
>>> import geopandas as gpd, shapely
>>> g = gpd.GeoDataFrame({"grid_id": ["G1"], "name": ["一网格"], "district_id": ["D1"]},
...                      geometry=[shapely.box(0, 0, 1, 1)], crs=4326)
>>> t = grids_to_traces(g)[0]
>>> t["type"], t["locations"], t["marker"]["line"]["width"]
('choroplethmap', ['G1'], 1.0)
"""
from __future__ import annotations

from layers.geometry import polygons_to_geojson

SOURCE = "grids"
COLUMNS = ("grid_id", "name", "district_id")

OUTLINE = "rgba(94, 234, 212, 0.55)"
#: Nearly transparent, not fully: a fill of opacity 0 is not drawn, and then a
#: pointer over a grid's inside would not find it (hover, and the click that opens a grid card).
FILL = "rgba(94, 234, 212, 0.03)"


def grids_to_traces(gdf, name: str = "grids") -> list[dict]:
    """One ``choroplethmap`` trace with all grids as outlines; hover shows the grid name."""
    if gdf is None or len(gdf) == 0:
        return []
    ids = gdf["grid_id"].astype(str).tolist()
    names = gdf["name"].fillna(gdf["grid_id"]).astype(str).tolist() if "name" in gdf else ids
    return [{
        "type": "choroplethmap",
        "name": name,
        "geojson": polygons_to_geojson(gdf.geometry, ids),
        "locations": ids,
        "z": [0] * len(ids),
        "colorscale": [[0, FILL], [1, FILL]],
        "showscale": False,
        "showlegend": True,
        "marker": {"line": {"width": 1.0, "color": OUTLINE}},
        "customdata": [[i, n] for i, n in zip(ids, names)],
        "hovertemplate": "%{customdata[1]}<extra></extra>",
    }]


#: Sequential scale for a grid KPI, dark (low) to bright (high); reversed for a KPI
#: where high is good, so "needs attention" is always the bright end.
KPI_COLOURS = [[0.0, "rgba(15, 50, 80, 0.55)"], [0.5, "rgba(14, 165, 233, 0.55)"],
               [0.8, "rgba(250, 204, 21, 0.62)"], [1.0, "rgba(248, 113, 113, 0.72)"]]


def grids_to_choropleth(gdf, values: dict, name: str = "grids", kpi_label: str = "",
                        higher_is_better: bool = False, value_text: dict | None = None,
                        colorbar: dict | None = None) -> list[dict]:
    """The grids coloured by a KPI: ``values`` maps grid_id → number (``None``: no
    data, drawn as an outline only); a colour bar titled ``kpi_label`` is the legend;
    hover shows the grid's name and ``value_text[grid_id]`` (the formatted value).

    >>> import geopandas as gpd, shapely
    >>> g = gpd.GeoDataFrame({"grid_id": ["G1", "G2"], "name": ["一", "二"], "district_id": ["D1", "D1"]},
    ...                      geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs=4326)
    >>> t = grids_to_choropleth(g, {"G1": 3, "G2": None}, kpi_label="open")
    >>> [x["type"] for x in t], t[0]["z"], t[0]["locations"], t[1]["locations"]
    (['choroplethmap', 'choroplethmap'], [3.0], ['G1'], ['G2'])
    """
    if gdf is None or len(gdf) == 0:
        return []
    ids = gdf["grid_id"].astype(str).tolist()
    names = gdf["name"].fillna(gdf["grid_id"]).astype(str).tolist() if "name" in gdf else ids
    value_text = value_text or {}
    has = [values.get(i) is not None and values.get(i) == values.get(i) for i in ids]
    traces = []
    with_value = [k for k, h in enumerate(has) if h]
    if with_value:
        sel = gdf.iloc[with_value]
        z = [float(values[ids[k]]) for k in with_value]
        scale = KPI_COLOURS if not higher_is_better else \
            [[1 - s, c] for s, c in reversed(KPI_COLOURS)]
        trace = {
            "type": "choroplethmap", "name": name, "legendgroup": "grids",
            "geojson": polygons_to_geojson(sel.geometry, [ids[k] for k in with_value]),
            "locations": [ids[k] for k in with_value], "z": z,
            "zmin": min(z), "zmax": max(max(z), min(z) + 1e-9),
            "colorscale": scale, "showscale": True, "showlegend": True,
            "marker": {"line": {"width": 1.2, "color": OUTLINE}},
            "customdata": [[ids[k], names[k], value_text.get(ids[k], f"{values[ids[k]]}")] for k in with_value],
            "hovertemplate": "%{customdata[1]}<br>" + kpi_label + " %{customdata[2]}<extra></extra>",
        }
        if colorbar is not None:
            trace["colorbar"] = {**colorbar, "title": {**colorbar.get("title", {}), "text": kpi_label}}
        traces.append(trace)
    without = [k for k, h in enumerate(has) if not h]
    if without:
        sel = gdf.iloc[without]
        traces.append({
            "type": "choroplethmap", "name": name, "legendgroup": "grids",
            "geojson": polygons_to_geojson(sel.geometry, [ids[k] for k in without]),
            "locations": [ids[k] for k in without], "z": [0] * len(without),
            "colorscale": [[0, FILL], [1, FILL]], "showscale": False, "showlegend": not traces,
            "marker": {"line": {"width": 1.0, "color": OUTLINE}},
            "customdata": [[ids[k], names[k], "—"] for k in without],
            "hovertemplate": "%{customdata[1]}<extra></extra>",
        })
    return traces
