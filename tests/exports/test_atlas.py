"""The atlas read back with pypdf: a cover, a contents page, one page per unit in id
order, the unit's KPIs beside the town's (the registry's own numbers), fonts embedded."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from access.scope import TOWN
from exports.atlas import export_atlas
from exports.common import ExportError
from tests.exports.test_print_map import embedded_fonts, page_mm


def test_grid_atlas_has_cover_contents_and_a_page_per_grid_in_order(export_store, tmp_path):
    grids = sorted(export_store.read("grids", columns=["grid_id"])["grid_id"])
    r = export_atlas(export_store, tmp_path / "atlas.pdf", "grid", scope=TOWN, made_by="planner_li",
                     export_id="EXP-AT-1")
    reader = PdfReader(r.path)
    assert len(reader.pages) == len(grids) + 2 == r.pages
    assert page_mm(reader) == (210, 297)
    cover = reader.pages[0].extract_text()
    assert "平望镇网格图册" in cover and "EXP-AT-1" in cover and "planner_li" in cover
    contents = reader.pages[1].extract_text()
    assert "目 录" in contents and all(g in contents for g in grids)
    for i, gid in enumerate(grids):
        text = reader.pages[i + 2].extract_text()
        assert f"网格 {gid}" in text, (i, gid)
        for needle in ("受理数", "处置率", "按期结案率", "3-5-10", "本单元", "全镇", "近12个月受理案件",
                       "在办案件", "网格员及3-5-10执行情况", f"第 {i + 3} 页"):
            assert needle in text, (gid, needle)
    assert any("NotoSansSC-TownBrain" in f for f in embedded_fonts(reader))


def test_atlas_kpis_are_the_registry_numbers(export_store, tmp_path):
    """The accepted count printed for a grid is compute_all's for that grid this year."""
    from callbacks.module_data import ModuleData
    from indicators import compute_all
    snap = ModuleData(export_store, "Asia/Shanghai").snapshot()
    table = compute_all(snap.year_cases(), None, by="grid", groups=["G1", "G2", "G3", "G4"],
                        start=snap.year_start, end=snap.year_end, as_of=snap.now, now=snap.now)
    r = export_atlas(export_store, tmp_path / "a.pdf", "grid", lang="en", scope=TOWN)
    text = PdfReader(r.path).pages[2].extract_text()
    line = next(ln for ln in text.splitlines() if ln.startswith("Accepted "))
    assert line.split()[1] == f"{int(table.loc['G1', 'accepted']):,}"


@pytest.mark.parametrize("by,layer,col", [("district", "districts", "district_id"),
                                          ("pro_grid", "pro_grids", "pro_grid_id")])
def test_atlas_by_district_and_professional_grid(export_store, tmp_path, by, layer, col):
    ids = sorted(export_store.read(layer, columns=[col])[col])
    r = export_atlas(export_store, tmp_path / f"{by}.pdf", by, lang="en", scope=TOWN)
    reader = PdfReader(r.path)
    assert len(reader.pages) == len(ids) + 2
    assert ids[0] in reader.pages[2].extract_text()


def test_bad_by_is_one_sentence(export_store, tmp_path):
    with pytest.raises(ExportError, match="--by must be"):
        export_atlas(export_store, tmp_path / "x.pdf", "village", scope=TOWN)


def test_cli_export_atlas(export_town, tmp_path):
    exe = Path(sys.executable).parent / "townbrain"
    p = subprocess.run([exe, "export", "atlas", "--db", export_town, "--by", "district", "--lang", "en",
                        "--out", str(tmp_path / "a.pdf")], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "4 pages" in p.stdout and "sha256" in p.stdout
