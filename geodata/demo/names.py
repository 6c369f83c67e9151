"""Chinese names for the fictional water town 青澜镇 (Qinglan): places, roads,
rivers, communities and enterprises. All invented; none names a real place except
the Grand Canal (京杭大运河), which runs through every town of this kind."""
from __future__ import annotations

import numpy as np

TOWN = "青澜镇"

VILLAGES = (
    "沈家村", "梅堰村", "溪港村", "庙头村", "北联村", "前进村", "新湖村", "胜墩村",
    "渔业村", "唐家湖村", "联丰村", "金桥村", "后溪村", "双浜村", "南窑村", "东港村",
    "杨家荡村", "龙泾村", "秀水村", "长浜村", "大德村", "荷花村", "西塘头村", "富民村",
    "凌家村", "安湖村", "通济村", "桑园村", "下扇村", "平安村", "潘家港村", "茅塔村",
)
COMMUNITIES = (
    "澜溪社区", "运河社区", "新华社区", "幸福社区", "莺湖社区", "文昌社区", "通运社区",
    "锦绣社区", "桥北社区", "南湖社区", "长安社区", "兴业社区",
)
DISTRICT_NAMES = {
    "centre": "镇区片区", "park": "开发区片区", "north": "北部片区", "west": "西部片区",
    "south": "南部片区", "east": "东部片区",
}
CANAL = "京杭大运河"
RIVERS = ("澜溪", "梅堰河", "北新河")
BRANCH_SUFFIX = "港"
BRANCH_STEMS = ("沈家", "唐家", "潘家", "凌家", "杨家", "张家", "陆家", "顾家", "钱家", "吴家",
                "徐家", "范家", "蒋家", "戴家", "费家", "邱家",
                "周家", "朱家", "金家", "俞家", "叶家", "倪家", "姚家", "秦家")
LAKES = ("青澜湖", "莺脰荡")

EXPRESSWAY = "沪澜高速"
MAIN_ROADS = ("运河路", "澜溪大道", "园区大道", "梅堰公路", "青澜公路", "北联公路", "南湖路", "环镇路")
CENTRE_STREETS = ("中山路", "人民路", "文昌街", "通运街", "莺湖路", "新华街", "解放路", "和平街",
                  "建设路", "长安街", "桥北路", "太平街", "育才路", "健康路", "同心路", "东风路")
PARK_STREETS = ("创业路", "科技路", "兴业路", "创新大道", "实业路", "发展路", "振兴路", "开拓路",
                "工业一路", "工业二路", "工业三路", "工业四路")

_SYLLABLES = tuple("华恒盛鑫丰达源泰通力宏锦瑞祥隆兴美新嘉永和昌茂德利富康明润佳远诚信")
_INDUSTRY_WORDS = {
    "textile": "纺织", "chemical_fibre": "化纤", "dyeing": "印染", "machinery": "机械",
    "electronics": "电子科技", "new_materials": "新材料", "logistics": "物流", "food": "食品",
    "packaging": "包装印刷", "hazardous_chemicals": "化工", "furniture": "家具",
    "recycling": "再生资源", "building_materials": "建材", "plastics": "塑料制品",
    "aquaculture": "水产养殖", "retail": "商行", "catering": "餐饮", "hotel": "宾馆",
    "services": "服务", "education": "培训", "finance": "金融服务", "healthcare": "诊所",
    "entertainment": "文化娱乐", "home_weaving": "丝绸织造",
}
_FORMS = ("有限公司", "有限公司", "有限公司", "股份有限公司", "厂", "经营部", "店")


def enterprise_names(rng: np.random.Generator, industries: np.ndarray) -> list[str]:
    """Fictional names such as 青澜恒盛纺织有限公司; unique within the town."""
    seen: set[str] = set()
    out = []
    a = rng.integers(0, len(_SYLLABLES), size=(len(industries), 2))
    prefix = rng.random(len(industries)) < 0.4
    form = rng.integers(0, len(_FORMS), size=len(industries))
    for i, ind in enumerate(industries):
        core = _SYLLABLES[a[i, 0]] + _SYLLABLES[a[i, 1]]
        small = ind in ("retail", "catering", "services", "healthcare", "entertainment")
        end = ("店" if form[i] % 2 else "经营部") if small else _FORMS[form[i] % 4]
        name = ("青澜" if prefix[i] else "") + core + _INDUSTRY_WORDS.get(str(ind), "") + end
        k = 2
        base = name
        while name in seen:  # disambiguate like a registry would: a branch number
            name = base.replace(end, f"第{k}{end}" if small else f"（{k}）{end}")
            k += 1
        seen.add(name)
        out.append(name)
    return out
