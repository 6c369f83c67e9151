"""Print layouts read back with pypdf: page size, title, legend, scale bar and
export id are text in the file, and the CJK font is embedded (TrueType subset),
so the page renders where no Chinese font is installed."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from access.scope import TOWN
from exports.common import ExportError
from exports.print_map import MapRequest, export_map

MM_PER_PT = 25.4 / 72


def page_mm(reader: PdfReader, i: int = 0) -> tuple[float, float]:
    box = reader.pages[i].mediabox
    return round(float(box.width) * MM_PER_PT), round(float(box.height) * MM_PER_PT)


def embedded_fonts(reader: PdfReader) -> dict[str, bytes]:
    """BaseFont → the embedded font program of every font on every page."""
    out = {}
    for page in reader.pages:
        fonts = page["/Resources"].get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            desc = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            fd = desc.get("/FontDescriptor")
            if fd is None:
                continue
            fd = fd.get_object()
            prog = next((fd[k] for k in ("/FontFile2", "/FontFile3", "/FontFile") if k in fd), None)
            out[str(font["/BaseFont"])] = prog.get_object().get_data() if prog is not None else b""
    return out


def test_a3_landscape_pdf_in_chinese_has_every_element_as_text(export_store, tmp_path):
    r = export_map(export_store, tmp_path / "public.pdf", MapRequest(module="public", lang="zh"),
                   made_by="planner_li", export_id="EXP-TEST-1", scope=TOWN)
    reader = PdfReader(r.path)
    assert len(reader.pages) == 1
    assert page_mm(reader) == (420, 297)
    text = reader.pages[0].extract_text()
    for needle in ("平望镇", "社会公共管理", "在办案件", "图例", "综合网格", "河道", "道路", "片区", "视频监控",
                   "比例尺 1:", "数据截至", "数据来源", "EXP-TEST-1", "planner_li", "北", "EPSG:4549"):
        assert needle in text, needle
    assert r.details["scale"].split()[1] in ("m", "km") and r.details["scale"].split()[0] in text
    fonts = embedded_fonts(reader)
    cjk = [name for name in fonts if "NotoSansSC-TownBrain" in name]
    assert cjk, fonts.keys()
    # a TrueType program (glyf outlines) as /FontFile2 requires, subset to the glyphs used
    assert fonts[cjk[0]][:4] == b"\x00\x01\x00\x00"
    assert len(fonts[cjk[0]]) < 200_000
    # the subset carries the outlines of the Chinese it prints: a viewer needs no font of its own
    import io
    from fontTools.ttLib import TTFont
    drawn = sum(TTFont(io.BytesIO(fonts[name]))["glyf"][g].numberOfContours > 0
                for name in cjk for g in TTFont(io.BytesIO(fonts[name])).getGlyphOrder())
    assert drawn >= len({ch for ch in text if "\u4e00" <= ch <= "\u9fff"})
    assert reader.metadata["/Author"] == "planner_li" and "EXP-TEST-1" in reader.metadata["/Keywords"]


def test_english_portrait_a4_zoomed_to_a_grid_has_an_inset(export_store, tmp_path):
    r = export_map(export_store, tmp_path / "g1.pdf",
                   MapRequest(module="public", lang="en", paper="A4", orientation="portrait", grid="G1"), scope=TOWN)
    reader = PdfReader(r.path)
    assert page_mm(reader) == (210, 297)
    text = reader.pages[0].extract_text()
    for needle in ("Public management", "Open cases", "Legend", "Location in the town", "Scale 1:", "Data as of",
                   "grid G1"):
        assert needle in text, needle


def test_png_at_150_dpi_has_the_paper_in_pixels(export_store, tmp_path):
    from PIL import Image
    r = export_map(export_store, tmp_path / "m.png", MapRequest(module="ecology", fmt="png", paper="A4", dpi=150),
                   scope=TOWN)
    with Image.open(r.path) as im:
        assert abs(im.size[0] - 297 / 25.4 * 150) <= 1 and abs(im.size[1] - 210 / 25.4 * 150) <= 1


def test_bad_requests_are_one_sentence(export_store, tmp_path):
    with pytest.raises(ExportError, match="unknown module"):
        export_map(export_store, tmp_path / "x.pdf", MapRequest(module="nope"), scope=TOWN)
    with pytest.raises(ExportError, match="no grid"):
        export_map(export_store, tmp_path / "x.pdf", MapRequest(grid="G99"), scope=TOWN)


def test_cli_export_map(export_town, tmp_path):
    exe = Path(sys.executable).parent / "townbrain"
    p = subprocess.run([exe, "export", "map", "--db", export_town, "--module", "transport", "--paper", "A4",
                        "--lang", "en", "--out", str(tmp_path / "t.pdf")], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "sha256" in p.stdout and PdfReader(tmp_path / "t.pdf").pages
    bad = subprocess.run([exe, "export", "map", "--db", export_town, "--module", "public", "--paper", "B5",
                          "--out", str(tmp_path / "t.pdf")], capture_output=True, text=True)
    assert bad.returncode == 1 and "--paper must be" in bad.stderr


def test_a_scope_frames_its_own_grids(export_store, tmp_path):
    from access.scope import Scope
    r = export_map(export_store, tmp_path / "s.pdf", MapRequest(module="public", lang="en"),
                   scope=Scope(grids=frozenset({"G1"})))
    text = PdfReader(r.path).pages[0].extract_text()
    assert "Extent: within your grants" in " ".join(text.split()) and "Location in the town" in text  # zoomed to the scope, with the inset
