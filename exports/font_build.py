"""Build ``assets/fonts/NotoSansSC-TownBrain.ttf``: the CJK font every export embeds.

Run once by a maintainer (``python -m exports.font_build``) on a machine with
Debian's ``fonts-noto-cjk``; the result is committed, so installing TownBrain
needs no system font and an exported PDF renders on a machine without one.

Why not embed the system font as it is: Noto Sans CJK ships CFF outlines in a
TrueType collection, and matplotlib's ``pdf.fonttype 42`` writes whatever it
gets into ``/FontFile2``, which PDF reserves for TrueType (``glyf``) outlines —
pdfium forgives that, Acrobat and pdf.js need not. So the Simplified-Chinese face
is taken out of the collection, cut down to GB 2312 (the 6,763 hanzi and the
symbols of the national standard every Chinese office text fits in) plus Latin,
and its cubic outlines are converted to quadratic ones (fontTools.cu2qu, as in
fontTools' own ``otf2ttf`` snippet). The licence is the SIL Open Font License
1.1 (``assets/fonts/OFL.txt``), which allows a modified copy to be bundled; its
reserved font name is "Source", which this file does not use.
"""
from __future__ import annotations

from pathlib import Path

SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
TARGET = Path(__file__).resolve().parent.parent / "assets" / "fonts" / "NotoSansSC-TownBrain.ttf"
FAMILY = "Noto Sans SC TownBrain"


def gb2312_chars() -> set[str]:
    """Every character GB 2312 encodes (rows 1-9 symbols, 16-87 hanzi)."""
    chars = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


def wanted_codepoints() -> set[int]:
    cps = {ord(c) for c in gb2312_chars()}
    cps |= set(range(0x20, 0x7F)) | set(range(0xA0, 0x180))         # Latin-1, Latin Extended-A
    cps |= set(range(0x2000, 0x2070)) | set(range(0x2100, 0x2200))  # punctuation, letterlike, arrows
    cps |= set(range(0x2200, 0x2300)) | set(range(0x2460, 0x24FF))  # maths (≤ ≥), circled numbers
    cps |= set(range(0x25A0, 0x2600)) | set(range(0x3000, 0x3040))  # shapes (▲ ●), CJK punctuation
    cps |= set(range(0xFF00, 0xFFF0))                               # full-width forms
    return cps


def build(source: Path = SOURCE, target: Path = TARGET) -> Path:
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.subset import Options, Subsetter
    from fontTools.ttLib import TTCollection, newTable

    face = next(f for f in TTCollection(str(source)).fonts
                if f["name"].getDebugName(4) == "Noto Sans CJK SC")
    opts = Options()
    opts.layout_features = ["*"]
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    opts.hinting = False
    opts.desubroutinize = True
    sub = Subsetter(opts)
    sub.populate(unicodes=sorted(wanted_codepoints()))
    sub.subset(face)

    # CFF (cubic) → glyf (quadratic): the otf2ttf recipe of fontTools' snippets.
    order = face.getGlyphOrder()
    glyphset = face.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyphset)
        glyphset[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    face["loca"] = newTable("loca")
    face["glyf"] = glyf
    del face["CFF "]
    if "VORG" in face:
        del face["VORG"]
    face["maxp"] = maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    face["head"].glyphDataFormat = 0
    face["post"].formatType = 3.0  # no glyph names: smaller, as TrueType CJK fonts ship
    face.sfntVersion = "\x00\x01\x00\x00"
    # A family name of its own, so it never shadows an installed Noto Sans CJK.
    for rec in face["name"].names:
        if rec.nameID in (1, 16):
            rec.string = FAMILY
        elif rec.nameID == 4:
            rec.string = f"{FAMILY} Regular"
        elif rec.nameID == 6:
            rec.string = "NotoSansSC-TownBrain-Regular"
    target.parent.mkdir(parents=True, exist_ok=True)
    face.save(str(target))
    return target


if __name__ == "__main__":
    p = build()
    print(f"{p}: {p.stat().st_size / 1e6:.1f} MB")
