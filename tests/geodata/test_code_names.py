"""Names of open codes for the screen (geodata/code_names.py)."""
from __future__ import annotations

import geopandas as gpd

from geodata.code_names import INDUSTRY_NAMES, code_label, industry_labels
from geodata.demo.entities import _INDUSTRY


def test_every_demo_industry_has_a_chinese_and_an_english_name():
    codes = {code for zone in _INDUSTRY.values() for code in zone}
    assert codes <= set(INDUSTRY_NAMES), codes - set(INDUSTRY_NAMES)
    for code, (zh, en) in INDUSTRY_NAMES.items():
        assert zh and en and zh != code and en != code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), zh  # Chinese really is Chinese
        assert en.isascii(), en


def test_names_are_unique_per_language():
    for lang in ("zh", "en"):
        names = list(industry_labels(lang).values())
        assert len(names) == len(set(names)), lang


def test_a_code_without_a_name_is_shown_as_it_is():
    assert code_label("enterprises", "industry", "纺织", "en") == "纺织"
    assert code_label("enterprises", "industry", "dyeing", "en") == "Dyeing and finishing"
    assert code_label("roads", "road_class", "main", "zh") == "main"


def test_enterprise_tooltips_show_industry_names_not_codes():
    from callbacks.modules import INDUSTRIES
    from layers.enterprises import enterprises_to_traces
    g = gpd.GeoDataFrame({"enterprise_id": ["E1", "E2", "E3"], "name": ["甲厂", "乙厂", "丙厂"],
                          "industry": ["chemical_fibre", "hazardous_chemicals", "own_code"],
                          "credit": ["red", "red", "red"]},
                         geometry=gpd.points_from_xy([120.6, 120.7, 120.8], [31.0, 31.1, 31.2]), crs=4326)
    for lang, want in (("zh", ["化学纤维制造", "危险化学品", "own_code"]),
                       ("en", ["Chemical fibres", "Hazardous chemicals", "own_code"])):
        (trace,) = enterprises_to_traces(g, industry_labels=INDUSTRIES[lang])
        assert [row[1] for row in trace["customdata"]] == want
