"""Names of open codes for the screen: what a code such as ``chemical_fibre`` is
called in Chinese and English.

The data dictionary (``geodata.schema``) keeps open code lists — a loaded file may
bring codes of its own — so a code without a name here is shown as it is, never
dropped. Case categories carry their names in the ``categories`` layer; the
enterprise ``industry`` codes of the demo town are named here, after the sections
and divisions of GB/T 4754-2017 (国民经济行业分类) where one fits, and after the
town's own trades (家庭织造, 散乱污 recycling yards) where none does.

Examples
--------
>>> industry_labels("en")["chemical_fibre"], industry_labels("zh")["chemical_fibre"]
('Chemical fibres', '化学纤维制造')
>>> code_label("enterprises", "industry", "textile", "zh"), code_label("enterprises", "industry", "纺织", "en")
('纺织业', '纺织')
"""
from __future__ import annotations

#: industry code → (中文名, English name)
INDUSTRY_NAMES: dict[str, tuple[str, str]] = {
    # manufacturing (GB/T 4754 section C)
    "textile": ("纺织业", "Textiles"),
    "home_weaving": ("家庭织造", "Home weaving"),
    "chemical_fibre": ("化学纤维制造", "Chemical fibres"),
    "dyeing": ("印染", "Dyeing and finishing"),
    "machinery": ("通用设备制造", "Machinery"),
    "electronics": ("电子设备制造", "Electronics"),
    "new_materials": ("新材料", "New materials"),
    "food": ("食品制造", "Food"),
    "packaging": ("包装印刷", "Packaging and printing"),
    "hazardous_chemicals": ("危险化学品", "Hazardous chemicals"),
    "furniture": ("家具制造", "Furniture"),
    "plastics": ("塑料制品", "Plastics"),
    "building_materials": ("建材", "Building materials"),
    "recycling": ("再生资源回收", "Recycling"),
    # agriculture, transport, services (sections A, G–S)
    "aquaculture": ("水产养殖", "Aquaculture"),
    "logistics": ("物流仓储", "Logistics and warehousing"),
    "retail": ("零售", "Retail"),
    "catering": ("餐饮", "Catering"),
    "hotel": ("住宿", "Hotels"),
    "services": ("居民服务", "Personal services"),
    "education": ("教育培训", "Education and training"),
    "finance": ("金融", "Finance"),
    "healthcare": ("卫生医疗", "Healthcare"),
    "entertainment": ("文化娱乐", "Culture and entertainment"),
}

#: (layer, field) → names of its codes
CODE_NAMES: dict[tuple[str, str], dict[str, tuple[str, str]]] = {
    ("enterprises", "industry"): INDUSTRY_NAMES,
}


def industry_labels(lang: str) -> dict[str, str]:
    """{industry code: its name in ``lang``} (``zh``, or English for anything else)."""
    i = 0 if lang == "zh" else 1
    return {code: names[i] for code, names in INDUSTRY_NAMES.items()}


def code_label(layer: str, field: str, code, lang: str) -> str:
    """The name of one code in ``lang``; the code itself when it has none."""
    names = CODE_NAMES.get((layer, field), {}).get(str(code))
    return str(code) if names is None else names[0 if lang == "zh" else 1]
