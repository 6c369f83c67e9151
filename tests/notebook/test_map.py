"""town.map(): the offline page in a sandboxed srcdoc iframe, under the size cap,
aggregated to H3 above the point limit, naming no outside host."""
from __future__ import annotations

import html
import re

import pytest

from tests.notebook.urls import foreign_urls
from townbrain.nb_map import OUTPUT_CAP_BYTES, TownMap, limit_heat


def srcdoc_of(output: str) -> str:
    """The page inside a map output (the iframe's srcdoc, unescaped as a browser does)."""
    m = re.search(r"srcdoc='([^']*)'", output, re.S)
    assert m, output[:200]
    return html.unescape(m.group(1))


def test_the_inline_map_is_the_file_map_in_a_sandboxed_iframe(town, tmp_path):
    m = town.map("public", lang="en")
    out = m._repr_html_()
    assert out.startswith('<iframe sandbox="allow-scripts"') and "allow-same-origin" not in out
    assert srcdoc_of(out) == m.to_html(tmp_path / "m.html").read_text(encoding="utf-8")
    assert "default-src 'none'" in m.page
    assert len(out.encode()) < OUTPUT_CAP_BYTES
    assert foreign_urls(out) == []


def test_a_kpi_colours_the_grids_with_a_legend(town):
    m = town.map("public", lang="zh", kpi="accepted", start="2018-01-01")
    assert m.legend["title"].startswith("受理数") or "accepted" in m.legend["title"].lower()
    grids = next(lay for lay in m.data["layers"] if lay["kind"] == "polygons" and lay.get("tip"))
    assert ["_kpi", m.legend["title"].split(" (")[0]] in grids["tip"]
    assert any(f["properties"]["_fill"] for f in grids["geojson"]["features"])
    with pytest.raises(ValueError, match="unknown KPI"):
        town.map(kpi="no_such_kpi")


def test_above_the_limit_the_heat_is_h3_cells_and_the_subtitle_says_so(town):
    m = town.map("public", lang="en")
    heat = next(lay for lay in m.data["layers"] if lay["kind"] == "heat")
    n = len(heat["points"])
    assert n > 1
    data = limit_heat(m.data, "en", limit=1)
    heat = next(lay for lay in data["layers"] if lay["kind"] == "heat")
    assert all(len(p) == 3 for p in heat["points"]) and sum(p[2] for p in heat["points"]) == n
    assert "H3" in data["subtitle"] and data["aggregated"]["points"] == n
    assert "H3" in TownMap(data).page


def test_residents_stay_aggregates_on_the_map(town):
    page = town.map("livelihood").page
    ids = town.store.read("residents", columns=["resident_id"], geometry=False)["resident_id"]
    assert not any(str(i) in page for i in ids[:50])
