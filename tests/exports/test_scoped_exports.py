"""What a person scoped to one district takes out, read back from the files themselves:
the print map's PDF text, the atlas's pages, the offline map's inlined data. Inside
district D1 lie grids G1 and G2 (G2 carries the hostile name); D2 holds G3 and G4. A
D1 planner's files name and show only D1's grids and records; a town planner's the
whole set (issue 16 Deliver 3: every export respects the scope; issue 17 Deliver 5)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import shapely
from pypdf import PdfReader

from exports.atlas import _prepare, export_atlas
from exports.data_export import export_layer
from access.scope import scope_of
from exports.html_map import export_html
from exports.print_map import MapRequest, export_map
from layers import modules as M

#: A D1 planner's scope as the gate makes it from the grant "D1" (access/scope.py: the
#: district's grids come with it); the whole town said out loud, as the CLI does.
D1 = scope_of("D1", {"district_id": {"D1", "D2"}, "grid_id": {"G1", "G2", "G3", "G4"},
                     "grid_district": {"G1": "D1", "G2": "D1", "G3": "D2", "G4": "D2"}})
TOWN = scope_of("town", {})
IN_D1 = {"G1": "东一网格"}                       # G2's name is the hostile one (tests/exports/conftest.py)
IN_D2 = {"G3": "西一网格", "G4": "西二网格"}
#: Rounding of coordinates in the offline map (exports.html_map.DIGITS) and then some.
EPS = 1e-5


def pdf_text(path: Path) -> list[str]:
    return [p.extract_text() for p in PdfReader(path).pages]


def html_data(path: Path) -> dict:
    page = path.read_text(encoding="utf-8")
    m = re.search(r'<script type="application/json" id="tb-data">(.*?)</script>', page, re.S)
    assert m, "the offline map has no inlined data"
    return json.loads(m.group(1))


def strings(v):
    """Every string in a JSON value."""
    if isinstance(v, dict):
        for x in v.values():
            yield from strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from strings(x)
    elif isinstance(v, str):
        yield v


def layer_points(lay: dict) -> np.ndarray:
    """lon/lat of every vertex a layer of the offline map carries (n × 2)."""
    if lay["kind"] == "heat":
        return np.array([[p[1], p[0]] for p in lay["points"]]).reshape(-1, 2)      # Leaflet.heat: lat, lon
    if lay["kind"] == "points":
        cols = lay["columns"]
        return np.array([[r[cols.index("_x")], r[cols.index("_y")]] for r in lay["rows"]]).reshape(-1, 2)
    geoms = [shapely.geometry.shape(f["geometry"]) for f in lay["geojson"]["features"]]
    return shapely.get_coordinates(np.array(geoms, dtype=object)) if geoms else np.empty((0, 2))


@pytest.fixture(scope="module")
def district_area(export_town):
    from geodata.store import open_store
    st = open_store(export_town)
    try:
        d = st.read("districts")
    finally:
        st.close()
    return {k: g for k, g in zip(d["district_id"], d.geometry)}


# ---- the print map -----------------------------------------------------------------------------

@pytest.mark.parametrize("module", ["public", "admin"])
def test_a_district_planners_print_map_names_only_its_grids(export_store, tmp_path, module):
    r = export_map(export_store, tmp_path / "d1.pdf", MapRequest(module=module, lang="zh", paper="A4"),
                   scope=D1, made_by="planner_d1")
    (text,) = pdf_text(r.path)
    for name in IN_D1.values():
        assert name in text, name
    for name in IN_D2.values():
        assert name not in text, name
    assert "范围: 所辖范围" in text and "全镇" not in text.split("图例")[0], text[:400]   # in the map's language


def test_a_town_planners_print_map_names_every_grid(export_store, tmp_path):
    r = export_map(export_store, tmp_path / "town.pdf", MapRequest(module="public", lang="zh", paper="A4"),
                   scope=TOWN)
    (text,) = pdf_text(r.path)
    for name in (*IN_D1.values(), *IN_D2.values()):
        assert name in text, name
    assert "scope" not in text


# ---- the atlas -------------------------------------------------------------------------------

def test_a_district_planners_atlas_has_pages_only_for_its_grids(export_store, tmp_path):
    r = export_atlas(export_store, tmp_path / "d1.pdf", "grid", lang="zh", scope=D1)
    pages = pdf_text(r.path)
    assert len(pages) == 2 + 2 == r.pages                    # cover, contents, G1, G2
    assert "网格 G1" in pages[2] and "网格 G2" in pages[3]
    whole = "\n".join(pages)
    for gid, name in IN_D2.items():
        assert gid not in whole and name not in whole, gid
    # the case ids it lists are D1's open cases, none of D2's
    cases = export_store.read("cases", columns=["case_id", "district_id"], geometry=False)
    listed = set(re.findall(r"\bC\d{3}\b", whole))
    assert listed and listed <= set(cases.loc[cases["district_id"] == "D1", "case_id"])


def test_a_district_planners_atlas_draws_no_case_of_another_district(export_store):
    """The open cases each page's map draws (around the unit, neighbours included) are the scope's."""
    shown = _prepare(export_store, "grid", D1)["open"]
    assert len(shown) and set(shown["grid_id"]) <= {"G1", "G2"}
    everyone = _prepare(export_store, "grid", TOWN)["open"]
    assert {"G3", "G4"} & set(everyone["grid_id"])          # … where the town's atlas draws them all


def test_a_district_planners_atlas_compares_with_its_scope_not_the_town(export_store, tmp_path):
    """A unit's KPIs are set beside what the reader may see: the scope's totals, not the town's."""
    d1 = pdf_text(export_atlas(export_store, tmp_path / "d1.pdf", "grid", lang="en", scope=D1).path)
    town = pdf_text(export_atlas(export_store, tmp_path / "t.pdf", "grid", lang="en", scope=TOWN).path)
    assert "Town" in town[2] and "Town" not in d1[2] and "Scope" in d1[2]


def test_a_town_planners_atlas_has_every_grid(export_store, tmp_path):
    r = export_atlas(export_store, tmp_path / "town.pdf", "grid", lang="zh", scope=TOWN)
    pages = pdf_text(r.path)
    assert len(pages) == 2 + 4
    assert [re.search(r"网格 (G\d)", p).group(1) for p in pages[2:]] == ["G1", "G2", "G3", "G4"]


# ---- the offline HTML map ------------------------------------------------------------------------

@pytest.mark.parametrize("module", [m.id for m in M.MODULES])
def test_a_district_planners_offline_map_holds_nothing_outside_its_district(export_store, tmp_path, module,
                                                                             district_area):
    r = export_html(export_store, tmp_path / f"{module}.html", module, scope=D1)
    data = html_data(r.path)
    area = district_area["D1"].buffer(EPS)
    cases = export_store.read("cases", columns=["case_id"], geometry=False)["case_id"]
    for lay in data["layers"]:
        if lay["kind"] == "polygons" and lay["tip"]:         # the comprehensive grids
            assert {f["properties"]["grid_id"] for f in lay["geojson"]["features"]} <= {"G1", "G2"}
        # records lie inside (a patrol belongs by its inspector, not where it went: the test below)
        if lay["kind"] in ("heat", "points") or lay["name"] == "专业网格":
            xy = layer_points(lay)
            outside = ~shapely.contains_xy(area, xy[:, 0], xy[:, 1]) if len(xy) else np.zeros(0, bool)
            assert not outside.any(), (lay["name"], xy[outside][:3])
    words = set(strings(data))
    assert not words & set(IN_D2.values()) and not words & set(IN_D2)
    assert not words & set(cases) - set(export_store.read("cases", where={"district_id": "D1"},
                                                           columns=["case_id"], geometry=False)["case_id"])
    # nothing to fetch: no address of any host in the data or in the page's markup
    assert not [w for w in words if re.search(r"(?i)\b(https?|ftp|wss?):|//[a-z0-9.-]+\.[a-z]{2,}", w)]
    markup = re.sub(r"<script[^>]*>.*?</script>", "", r.path.read_text(encoding="utf-8"), flags=re.S)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", markup)
    assert not re.search(r"url\((?!data:)", markup)


def test_the_district_planners_offline_map_keeps_its_own_patrols(export_store, tmp_path):
    """Patrol tracks are placed through their inspector: S0 patrols G1 (D1), S3 patrols G3 (D2)."""
    d1 = html_data(export_html(export_store, tmp_path / "d1.html", "public", scope=D1).path)
    town = html_data(export_html(export_store, tmp_path / "t.html", "public", scope=TOWN).path)

    def tracks(data):
        return sum(len(lay["geojson"]["features"]) for lay in data["layers"] if lay["name"] == "巡查轨迹")
    assert tracks(town) == 2 and tracks(d1) == 1


def test_a_town_planners_offline_map_holds_the_whole_set(export_store, tmp_path):
    import pandas as pd
    from callbacks.module_data import ModuleData
    r = export_html(export_store, tmp_path / "town.html", "public", scope=TOWN)
    data = html_data(r.path)
    grids = next(lay for lay in data["layers"] if lay["kind"] == "polygons" and lay["tip"])
    assert {f["properties"]["grid_id"] for f in grids["geojson"]["features"]} == {"G1", "G2", "G3", "G4"}
    snap = ModuleData(export_store, "Asia/Shanghai").snapshot()
    year = export_store.read("cases", start=snap.year_start, end=snap.now + pd.Timedelta(seconds=1),
                             time_field="registered_at", columns=["category", "subcategory", "source",
                                                                  "enforcement", "district_id"])
    theme = year[M.case_mask(year, M.get("public").theme).to_numpy(bool)]
    heat = next(lay for lay in data["layers"] if lay["kind"] == "heat")
    assert len(heat["points"]) == len(theme) and set(theme["district_id"]) == {"D1", "D2"}
    cams = next(lay for lay in data["layers"] if lay["name"] == "视频监控")
    assert len(cams["rows"]) == export_store.count("cameras")


# ---- no scope, or an empty one: nothing leaves (fail closed) -----------------------------------

@pytest.mark.parametrize("make", [
    lambda st, out, scope: export_layer(st, "cases", out / "c.csv", scope=scope),
    lambda st, out, scope: export_map(st, out / "m.pdf", MapRequest(module="public", paper="A4"), scope=scope),
    lambda st, out, scope: export_html(st, out / "m.html", "public", scope=scope),
    lambda st, out, scope: export_atlas(st, out / "a.pdf", "grid", scope=scope),
], ids=["data", "map", "html", "atlas"])
def test_an_exporter_given_no_scope_refuses_and_writes_nothing(export_store, tmp_path, make):
    """``None`` is not the whole town: the exporter refuses before it reads or writes."""
    from exports.common import ExportError
    with pytest.raises(ExportError, match="no scope given"):
        make(export_store, tmp_path, None)
    assert not list(tmp_path.iterdir())


def test_an_exporter_given_no_scope_by_default_refuses(export_store, tmp_path):
    from exports.common import ExportError
    with pytest.raises(ExportError, match="no scope given"):
        export_layer(export_store, "cases", tmp_path / "c.csv")
    assert not (tmp_path / "c.csv").exists()


def test_an_empty_grant_exports_no_record(export_store, tmp_path):
    """NOTHING (a person with no grant) writes files that hold no record of the town, read back."""
    import pandas as pd
    import pyogrio
    from access.scope import NOTHING
    for layer in ("cases", "enterprises", "staff", "buildings", "residents", "districts"):
        r = export_layer(export_store, layer, tmp_path / f"{layer}.gpkg", scope=NOTHING)
        assert r.records == 0 and len(pyogrio.read_dataframe(r.path)) == 0, layer
    csv = export_layer(export_store, "cases", tmp_path / "cases.csv", scope=NOTHING)
    assert len(pd.read_csv(csv.path, encoding="utf-8-sig")) == 0
    # the offline map: the base map alone, no grid, no case, no point of the town's records
    data = html_data(export_html(export_store, tmp_path / "n.html", "public", scope=NOTHING).path)
    kinds = {lay["kind"] for lay in data["layers"]}
    assert "heat" not in kinds and "points" not in kinds
    assert not [lay for lay in data["layers"] if lay["kind"] == "polygons" and lay["tip"]]
    words = set(strings(data))
    assert not words & {*IN_D1.values(), *IN_D2.values(), "G1", "G3", "G4"}
    cases = set(export_store.read("cases", columns=["case_id"], geometry=False)["case_id"])
    assert not words & cases
    # the print map names no grid, the atlas has no unit page
    (text,) = pdf_text(export_map(export_store, tmp_path / "n.pdf", MapRequest(module="public", paper="A4"),
                                  scope=NOTHING).path)
    assert not [n for n in (*IN_D1.values(), *IN_D2.values()) if n in text]
    assert export_atlas(export_store, tmp_path / "n-atlas.pdf", "grid", scope=NOTHING).pages == 2


def test_an_exporter_refuses_the_notebooks_grant_holder(export_store, tmp_path):
    """Only access/scope.py's Scope decides; the notebook passes ``town.gate``."""
    from exports.common import Scope as Grants
    with pytest.raises(TypeError, match="access.scope.Scope"):
        export_html(export_store, tmp_path / "x.html", "public", scope=Grants())


# ---- the colour classes of a scoped map: the scope's, not the town's ------------------------------

def test_a_scoped_maps_colour_classes_are_computed_on_the_scopes_grids(export_store, tmp_path):
    """The grid choropleth's breaks come from the grids the reader may see: a D1 planner's
    legend describes G1 and G2 (the public module's open cases: 4 and 5), not the town's
    spread (1 to 8), which would both mislead the reader and leak the other district's
    figures. Print map, offline map and the classes themselves agree."""
    from callbacks.module_data import ModuleData
    from exports.print_map import grid_classes, scope_values
    module = M.get("public")
    values = ModuleData(export_store, "Asia/Shanghai").snapshot().grid_values(module.choropleth, module)
    town_breaks = grid_classes(values)[0]
    d1_breaks = grid_classes(scope_values(values, ["G1", "G2"]))[0]
    assert d1_breaks != town_breaks
    assert min(d1_breaks) >= min(values[g] for g in ("G1", "G2")) and max(d1_breaks) <= max(values[g] for g in ("G1", "G2"))

    d1 = export_map(export_store, tmp_path / "d1.pdf", MapRequest(module="public", paper="A4"), scope=D1)
    town = export_map(export_store, tmp_path / "t.pdf", MapRequest(module="public", paper="A4"), scope=TOWN)
    assert d1.details["classes"] == d1_breaks and town.details["classes"] == town_breaks

    def labels(breaks):
        return {f"{breaks[i]:,.0f} – {breaks[i + 1]:,.0f}" for i in range(len(breaks) - 1)}
    (d1_text,), (town_text,) = pdf_text(d1.path), pdf_text(town.path)
    assert labels(d1_breaks) and all(x in d1_text for x in labels(d1_breaks))
    assert all(x in town_text for x in labels(town_breaks))
    assert not [x for x in labels(town_breaks) - labels(d1_breaks) if x in d1_text]

    def legend(path):
        data = html_data(path)
        return [c[1] for c in data["legend"]["classes"]]
    assert set(legend(export_html(export_store, tmp_path / "d1.html", "public", scope=D1).path)) == labels(d1_breaks)
    assert set(legend(export_html(export_store, tmp_path / "t.html", "public", scope=TOWN).path)) == labels(town_breaks)


def test_a_scoped_console_views_classes_count_only_the_scopes_grids(export_store, tmp_path):
    """A console view's grids are coloured by its cases per grid, classed on the scope's grids."""
    from callbacks.console_export import console_view
    from callbacks.data import ScreenData
    from exports.print_map import grid_classes, view_grid_counts
    screen = ScreenData(export_store, "Asia/Shanghai")
    d1_view, _ = console_view(screen, "", D1)
    town_view, _ = console_view(screen, "", TOWN)
    d1 = export_map(export_store, tmp_path / "d1.pdf", MapRequest(paper="A4"), scope=D1, view=d1_view)
    town = export_map(export_store, tmp_path / "t.pdf", MapRequest(paper="A4"), scope=TOWN, view=town_view)
    assert d1.details["classes"] == grid_classes(view_grid_counts(d1_view, ["G1", "G2"]))[0]
    assert town.details["classes"] == grid_classes(view_grid_counts(town_view, ["G1", "G2", "G3", "G4"]))[0]
    assert d1.details["classes"] != town.details["classes"]
