"""A print map and an offline map of a console view (issue 17 Deliver 1: "any wall module's
map or a console view (its filters and period)"), read back from the files: the PDF's
text names the filters, the period, the count, the export id and its maker; the HTML's
inlined data holds exactly the cases the filters select, within the reader's scope, and
no personal column; the words of a scoped view name no unit beyond the grants."""
from __future__ import annotations

import pandas as pd
import pytest
from pypdf import PdfReader

from access.scope import NOTHING, scope_of
from exports.html_map import export_html
from exports.print_map import NO_DATA, MapRequest, export_map
from tests.exports.test_scoped_exports import D1, IN_D2, html_data, strings

TOWN = scope_of("town", {})
SEARCH = "?grid=G1,G3&status=closed,dispatched&from=2020-01-01"
PERSONAL = ("reported_by", "phone", "email", "description", "address")


@pytest.fixture
def screen(export_store):
    from callbacks.data import ScreenData
    return ScreenData(export_store, "Asia/Shanghai")


def view_of(screen, search, scope):
    from callbacks.console_export import console_view
    return console_view(screen, search, scope)[0]


def oracle(store, grids, statuses, district=None) -> set[str]:
    c = store.read("cases", geometry=False)
    keep = c["grid_id"].isin(grids) & c["status"].isin(statuses)
    keep &= c["reported_at"] >= pd.Timestamp("2020-01-01", tz="Asia/Shanghai")
    if district:
        keep &= c["district_id"] == district
    return set(c.loc[keep, "case_id"])


def view_points(data) -> list[str]:
    lay = next(lay for lay in data["layers"] if lay["kind"] == "points")
    return [r[lay["columns"].index("case_id")] for r in lay["rows"]]


def test_a_console_views_print_map_names_its_filters_period_and_count(screen, export_store, tmp_path):
    view = view_of(screen, SEARCH, TOWN)
    want = oracle(export_store, ["G1", "G3"], ["closed", "dispatched"])
    assert set(view.cases["case_id"]) == want and 3 < len(want)
    r = export_map(export_store, tmp_path / "v.pdf", MapRequest(paper="A4", lang="zh"), scope=TOWN, view=view,
                   made_by="planner-wang", export_id="EXP-TEST-1")
    reader = PdfReader(r.path)
    (page,) = reader.pages
    text = page.extract_text()
    assert round(float(page.mediabox.width)) == 842 and round(float(page.mediabox.height)) == 595  # A4 landscape
    assert reader.metadata.title == "平望镇 · 值班台案件" and "值班台案件" in text
    for words in ("状态: 已结案, 已派遣", "网格: G1 东一网格, G3 西一网格", "上报时间: 自定义 (2020年1月1日 – …)",
                  f"共 {len(want)} 件", "所选案件数（按网格）", "所选案件 · ", "数据截至", "EXP-TEST-1", "planner-wang",
                  "比例尺 1:", "北"):
        assert words in text, words
    assert r.details["cases"] == len(want) and r.details["view"] == "from=2020-01-01&status=closed%2Cdispatched&grid=G1%2CG3"
    # the grids are coloured by the view's cases, classed on the grids it picks; the others are outside it
    from exports.print_map import grid_classes
    per_grid = view.cases["grid_id"].value_counts()
    assert r.details["classes"] == grid_classes({g: int(per_grid.get(g, 0)) for g in ("G1", "G3")})[0]
    assert "不在筛选范围" in text


def test_a_console_views_print_map_in_english_says_overdue_only_and_the_as_of_day(screen, export_store, tmp_path):
    view = view_of(screen, "?overdue=1&district=D2&lang=en&period=90d", TOWN)
    r = export_map(export_store, tmp_path / "v.pdf", MapRequest(paper="A3", orientation="portrait", lang="en"),
                   scope=TOWN, view=view)
    text = PdfReader(r.path).pages[0].extract_text()
    for words in ("Console cases", "Filters:", "District: D2", "Overdue only", "Reported: Last 90 days",
                  f"{len(view.cases)} cases", "Data as of", "Extent: the grids and districts filtered"):
        assert words in " ".join(text.split()), words
    assert "whole town" not in text   # the map is framed on D2, and says so
    assert set(view.cases["district_id"]) <= {"D2"}


def test_a_console_views_offline_map_holds_exactly_its_cases_and_no_personal_data(screen, export_store, tmp_path):
    view = view_of(screen, SEARCH, TOWN)
    r = export_html(export_store, tmp_path / "v.html", lang="zh", scope=TOWN, view=view, made_by="planner-wang")
    data = html_data(r.path)
    assert sorted(view_points(data)) == sorted(oracle(export_store, ["G1", "G3"], ["closed", "dispatched"]))
    heat = next(lay for lay in data["layers"] if lay["kind"] == "heat")
    assert len(heat["points"]) == len(view.cases)
    assert data["title"].endswith("值班台案件") and "网格: G1 东一网格, G3 西一网格" in data["subtitle"]
    assert "状态: 已结案, 已派遣" in data["subtitle"] and "planner-wang" in data["footer"]
    assert [lg["title"] for lg in data["legends"]] == ["所选案件数（按网格）", "所选案件"]
    points = next(lay for lay in data["layers"] if lay["kind"] == "points")
    assert not set(points["columns"]) & set(PERSONAL)
    reporters = set(export_store.read("cases", columns=["reported_by"], geometry=False)["reported_by"].dropna())
    assert not reporters & set(strings(data))


def test_a_district_planners_console_view_holds_and_names_only_its_district(screen, export_store, tmp_path):
    """A D1 planner asking the console for G1 and G3 gets G1's cases, and G3 is not even named."""
    view = view_of(screen, SEARCH, D1)
    assert set(view.cases["case_id"]) == oracle(export_store, ["G1"], ["closed", "dispatched"]) != set()
    assert view.grids == ("G1",) and "G3" not in view.describe() and IN_D2["G3"] not in view.describe()
    data = html_data(export_html(export_store, tmp_path / "d1.html", scope=D1, view=view).path)
    assert set(view_points(data)) == set(view.cases["case_id"])
    grids = next(lay for lay in data["layers"] if lay["kind"] == "polygons" and lay["tip"])
    assert {f["properties"]["grid_id"] for f in grids["geojson"]["features"]} == {"G1", "G2"}
    assert not set(strings(data)) & {*IN_D2.values(), "G3", "G4"}
    # G2, in the district but not picked, is drawn grey and the legend says what grey means
    fills = {f["properties"]["grid_id"]: f["properties"]["_fill"] for f in grids["geojson"]["features"]}
    assert fills["G2"] == NO_DATA != fills["G1"]
    assert [NO_DATA, "不在筛选范围"] in data["legends"][0]["classes"]
    text = PdfReader(export_map(export_store, tmp_path / "d1.pdf", MapRequest(paper="A4"), scope=D1,
                                view=view).path).pages[0].extract_text()
    assert "G1 东一网格" in text and not [n for n in IN_D2.values() if n in text] and "G3" not in text
    assert "不在筛选范围" in text
    # a view handed to the exporter unscoped is cut to the scope there too (defence in depth)
    whole = view_of(screen, SEARCH, TOWN)
    data = html_data(export_html(export_store, tmp_path / "d1b.html", scope=D1, view=whole).path)
    assert set(view_points(data)) == set(view.cases["case_id"])
    # no grant: the base map alone
    data = html_data(export_html(export_store, tmp_path / "n.html", scope=NOTHING, view=whole).path)
    assert not [lay for lay in data["layers"] if lay["kind"] in ("points", "heat")]


def test_a_console_view_with_no_scope_is_refused(screen, export_store, tmp_path):
    from exports.common import ExportError
    view = view_of(screen, SEARCH, TOWN)
    with pytest.raises(ExportError, match="no scope given"):
        export_map(export_store, tmp_path / "v.pdf", MapRequest(paper="A4"), scope=None, view=view)
    with pytest.raises(ExportError, match="no scope given"):
        export_html(export_store, tmp_path / "v.html", scope=None, view=view)
    assert not list(tmp_path.iterdir())


def test_cli_exports_a_console_view_as_a_print_map_and_an_offline_map(export_town, tmp_path):
    import subprocess
    import sys
    from pathlib import Path
    exe = Path(sys.executable).parent / "townbrain"
    p = subprocess.run([exe, "export", "map", "--db", export_town, "--console", SEARCH + "&lang=en", "--paper", "A4",
                        "--out", str(tmp_path / "c.pdf")], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    text = PdfReader(tmp_path / "c.pdf").pages[0].extract_text()
    assert "Console cases" in text and "Status: Closed, Dispatched" in text and "Grid: G1" in text
    p = subprocess.run([exe, "export", "html", "--db", export_town, "--console", "grid=G3&oops=1",
                        "--out", str(tmp_path / "c.html")], capture_output=True, text=True)
    assert p.returncode == 0 and "ignored in --console: oops=1" in p.stderr, p.stderr
    data = html_data(tmp_path / "c.html")
    assert "网格: G3 西一网格" in data["subtitle"] and data["module"] == "console"
    both = subprocess.run([exe, "export", "map", "--db", export_town, "--module", "public", "--console", "",
                           "--out", str(tmp_path / "x.pdf")], capture_output=True, text=True)
    assert both.returncode == 1 and "one of them" in both.stderr and not (tmp_path / "x.pdf").exists()
