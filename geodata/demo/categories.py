"""The demo's case category tree: 4 classes, 17 major classes, 70 minor classes.

brief.md ("How a case flows"): Nanhai listed inspection items "in 4 classes —
people, objects, enterprises, events"; Chancheng classifies events into "17 major
classes, 133 minor classes"; "Each category has a time limit". The tree below
follows that shape (17 majors, as Chancheng) with a smaller set of minors, and the
majors of GB/T 30428 digital city management (市容环境, 街面秩序, 施工管理, 突发事件 …).

Each minor class carries what the case generator needs: a relative frequency, the
time limit in hours, where such cases happen (``place``), whether an inspector
usually fixes it on the spot (``quick``), the chance it becomes formal law
enforcement (``enforce``), how hard it is (``hard``: 0 stays in the grid, 2 goes up
to town or district), and whether IoT sensors raise it (``iot``).
"""
from __future__ import annotations

import pandas as pd

# major code, class, 中文名, English name
MAJORS = [
    ("city_appearance", "objects", "市容环境", "City appearance"),
    ("street_order", "objects", "街面秩序", "Street order"),
    ("public_facilities", "objects", "公共设施", "Public facilities"),
    ("greenery", "objects", "园林绿化", "Greenery"),
    ("water_environment", "objects", "河道水环境", "Rivers and water"),
    ("construction", "objects", "违法建设与施工", "Construction and illegal building"),
    ("work_safety", "enterprises", "安全生产", "Work safety"),
    ("fire_safety", "enterprises", "消防安全", "Fire safety"),
    ("eco_environment", "enterprises", "生态环境", "Pollution"),
    ("labour", "enterprises", "劳动保障", "Labour"),
    ("market_supervision", "enterprises", "市场监管", "Market supervision"),
    ("floating_population", "people", "流动人口与出租房", "Floating population and rentals"),
    ("livelihood", "people", "民生服务", "Livelihood services"),
    ("public_security", "people", "社会治安与矛盾纠纷", "Public security and disputes"),
    ("epidemic", "people", "疫情与卫生防控", "Epidemic and hygiene"),
    ("emergencies", "events", "突发事件", "Emergencies"),
    ("transport", "events", "交通运输", "Transport"),
]

# major, minor, 中文名, English, time limit h, weight, place, quick, enforce, hard, iot
MINORS = [
    ("city_appearance", "litter", "暴露垃圾", "Exposed litter", 24, 60, "road", 1, 0, 0, 0),
    ("city_appearance", "bins_overflow", "垃圾箱满溢", "Overflowing bins", 12, 30, "market", 1, 0, 0, 1),
    ("city_appearance", "flyposting", "乱张贴小广告", "Fly-posting", 48, 30, "centre", 1, 0, 0, 0),
    ("city_appearance", "piled_material", "乱堆物堆料", "Piled materials", 48, 35, "village", 1, 0.002, 0, 0),
    ("city_appearance", "laundry_lines", "沿街晾挂", "Laundry on street", 24, 10, "centre", 1, 0, 0, 0),
    ("street_order", "street_vendor", "流动摊贩", "Street vendors", 2, 40, "market", 1, 0, 0, 0),
    ("street_order", "outside_shop", "店外经营", "Trading outside shops", 4, 35, "market", 1, 0.002, 0, 0),
    ("street_order", "illegal_parking", "乱停车", "Illegal parking", 2, 45, "road", 1, 0, 0, 0),
    ("street_order", "shared_bikes", "共享单车乱停放", "Shared bikes", 4, 15, "centre", 1, 0, 0, 0),
    ("public_facilities", "manhole", "井盖破损缺失", "Broken manhole cover", 4, 12, "road", 0, 0, 0, 1),
    ("public_facilities", "streetlight", "路灯损坏", "Street light out", 48, 18, "road", 0, 0, 0, 1),
    ("public_facilities", "road_damage", "道路破损", "Damaged road", 72, 16, "road", 0, 0, 1, 0),
    ("public_facilities", "bus_shelter", "公交站亭损坏", "Bus shelter damaged", 72, 5, "road", 0, 0, 1, 0),
    ("public_facilities", "guardrail", "护栏损坏", "Guardrail damaged", 48, 8, "road", 0, 0, 0, 0),
    ("greenery", "damaged_green", "绿地毁损", "Damaged greenery", 72, 10, "centre", 0, 0, 0, 0),
    ("greenery", "fallen_tree", "树木倒伏", "Fallen tree", 6, 6, "road", 0, 0, 0, 0),
    ("greenery", "green_encroach", "侵占绿地种菜", "Vegetables on green land", 72, 12, "village", 1, 0, 0, 0),
    ("water_environment", "floating_debris", "河面漂浮物", "Floating debris", 24, 35, "river", 1, 0, 0, 0),
    ("water_environment", "outfall", "违法排污口", "Illegal outfall", 72, 8, "river", 0, 0.06, 1, 1),
    ("water_environment", "bank_dumping", "河岸垃圾倾倒", "Dumping on riverbank", 24, 18, "river", 1, 0.005, 0, 0),
    ("water_environment", "illegal_fishing", "违规捕捞垂钓", "Illegal fishing", 4, 8, "river", 1, 0.01, 0, 0),
    ("water_environment", "black_water", "黑臭水体", "Black and odorous water", 120, 4, "river", 0, 0.02, 2, 1),
    ("construction", "illegal_building", "违法搭建", "Illegal building", 120, 18, "village", 0, 0.06, 2, 0),
    ("construction", "dust", "工地扬尘", "Construction dust", 24, 10, "site", 0, 0.01, 1, 1),
    ("construction", "night_work", "夜间违规施工", "Night construction", 4, 6, "site", 0, 0.01, 1, 0),
    ("construction", "muck_truck", "渣土车抛洒", "Spilling muck trucks", 12, 6, "road", 0, 0.02, 1, 0),
    ("construction", "yard_occupation", "违规占用河道堆场", "Yard on river land", 120, 4, "river", 0, 0.04, 2, 0),
    ("work_safety", "hazardous_storage", "危化品违规存放", "Hazardous chemicals storage", 24, 8, "park", 0, 0.05, 1, 0),
    ("work_safety", "machine_guard", "设备安全防护缺失", "Missing machine guards", 72, 10, "park", 0, 0.01, 0, 0),
    ("work_safety", "confined_space", "有限空间作业隐患", "Confined-space work", 24, 4, "park", 0, 0.03, 1, 0),
    ("work_safety", "electrical", "电气线路隐患", "Electrical hazard", 48, 12, "enterprise", 0, 0.005, 0, 0),
    ("fire_safety", "blocked_exit", "消防通道堵塞", "Blocked fire exit", 24, 18, "enterprise", 1, 0.003, 0, 0),
    ("fire_safety", "ebike_charging", "电动车违规充电", "E-bike charging indoors", 24, 22, "home", 1, 0.001, 0, 0),
    ("fire_safety", "three_in_one", "三合一场所", "Living in workshops (三合一)", 72, 10, "village", 0, 0.03, 1, 0),
    ("fire_safety", "extinguisher", "灭火器缺失过期", "Missing extinguisher", 48, 14, "enterprise", 1, 0, 0, 0),
    ("fire_safety", "smoke_alarm", "烟感报警", "Smoke alarm", 1, 5, "enterprise", 0, 0, 0, 1),
    ("eco_environment", "scattered_polluting", "散乱污企业", "Scattered-disorderly-polluting", 120, 10,
     "village_ent", 0, 0.08, 2, 0),
    ("eco_environment", "waste_gas", "废气排放", "Waste gas", 48, 6, "park", 0, 0.04, 1, 1),
    ("eco_environment", "noise", "噪声扰民", "Noise", 24, 12, "enterprise", 0, 0.005, 0, 0),
    ("eco_environment", "open_burning", "露天焚烧", "Open burning", 4, 10, "village", 1, 0.01, 0, 0),
    ("eco_environment", "solid_waste", "固废违规处置", "Solid waste disposal", 72, 5, "village_ent", 0, 0.05, 1, 0),
    ("labour", "wage_arrears", "拖欠工资", "Wage arrears", 120, 5, "enterprise", 0, 0.02, 2, 0),
    ("labour", "no_contract", "未签劳动合同", "No labour contract", 168, 4, "enterprise", 0, 0.01, 1, 0),
    ("labour", "child_labour", "使用童工", "Child labour", 48, 1, "village_ent", 0, 0.1, 2, 0),
    ("market_supervision", "food_safety", "食品安全", "Food safety", 48, 8, "market", 0, 0.02, 1, 0),
    ("market_supervision", "unlicensed", "无证无照经营", "Unlicensed business", 72, 10, "village_ent", 0, 0.03, 1, 0),
    ("market_supervision", "price", "价格欺诈", "Price fraud", 72, 3, "market", 0, 0.01, 1, 0),
    ("floating_population", "unregistered_tenant", "出租房未登记", "Unregistered tenants", 72, 25, "home", 1, 0, 0, 0),
    ("floating_population", "group_rental", "群租房", "Overcrowded rentals", 120, 8, "home", 0, 0.01, 1, 0),
    ("floating_population", "info_update", "流动人口信息变更", "Floating population update", 168, 20, "home", 1, 0, 0, 0),
    ("livelihood", "elderly_alone", "独居老人关爱", "Elderly living alone", 48, 14, "home", 0, 0, 0, 0),
    ("livelihood", "assistance", "困难群众救助", "Hardship assistance", 168, 6, "home", 0, 0, 1, 0),
    ("livelihood", "school_place", "入学咨询", "School places", 168, 3, "centre", 0, 0, 1, 0),
    ("livelihood", "medical_insurance", "医保社保咨询", "Medical insurance", 72, 5, "home", 0, 0, 0, 0),
    ("public_security", "dispute", "邻里纠纷", "Neighbour dispute", 48, 16, "home", 0, 0, 1, 0),
    ("public_security", "petition", "信访诉求", "Petition", 168, 5, "centre", 0, 0, 2, 0),
    ("public_security", "suspicious", "可疑人员物品", "Suspicious people or items", 2, 4, "centre", 0, 0.01, 0, 0),
    ("public_security", "gambling", "聚众赌博", "Gambling", 4, 2, "village", 0, 0.05, 1, 0),
    ("epidemic", "mosquito_breeding", "积水蚊媒孳生", "Mosquito breeding water", 24, 10, "home", 1, 0, 0, 0),
    ("epidemic", "health_check", "重点人员健康排查", "Health screening", 24, 6, "home", 0, 0, 0, 0),
    ("epidemic", "rodents", "病媒生物", "Rodents and pests", 72, 4, "market", 0, 0, 0, 0),
    ("emergencies", "flooding", "道路积水内涝", "Flooded road", 2, 6, "road", 0, 0, 1, 1),
    ("emergencies", "fire", "火情", "Fire", 1, 2, "enterprise", 0, 0.02, 1, 1),
    ("emergencies", "traffic_accident", "交通事故", "Traffic accident", 2, 5, "road", 0, 0, 1, 0),
    ("emergencies", "gas_leak", "燃气泄漏", "Gas leak", 1, 1, "home", 0, 0, 1, 1),
    ("transport", "illegal_taxi", "非法营运", "Illegal taxis", 48, 5, "centre", 0, 0.05, 1, 0),
    ("transport", "overloading", "货车超限超载", "Overloaded trucks", 4, 5, "road", 0, 0.05, 1, 0),
    ("transport", "bus_service", "村村通公交问题", "Village bus service", 72, 3, "village", 0, 0, 1, 0),
    ("transport", "parking_space", "停车泊位不足", "Parking shortage", 168, 4, "centre", 0, 0, 1, 0),
    ("transport", "traffic_signal", "交通信号故障", "Traffic signal fault", 6, 3, "road", 0, 0, 0, 1),
]

_MINOR_COLUMNS = ["major", "minor", "name", "name_en", "time_limit_h", "weight", "place", "quick",
                  "enforce", "hard", "iot"]


def minor_table() -> pd.DataFrame:
    """One row per minor class with its generator parameters; ``code`` is 'major/minor'."""
    df = pd.DataFrame(MINORS, columns=_MINOR_COLUMNS)
    df["code"] = df["major"] + "/" + df["minor"]
    df["p"] = df["weight"] / df["weight"].sum()
    return df


def categories_layer() -> pd.DataFrame:
    """The ``categories`` layer: majors (no parent, the shortest minor limit) and minors."""
    minors = minor_table()
    majors = pd.DataFrame(MAJORS, columns=["code", "family", "name", "name_en"])
    majors["parent"] = None
    majors["time_limit_h"] = majors["code"].map(minors.groupby("major")["time_limit_h"].min()).astype(float)
    mins = pd.DataFrame({"code": minors["code"], "parent": minors["major"], "name": minors["name"],
                         "name_en": minors["name_en"], "time_limit_h": minors["time_limit_h"].astype(float),
                         "family": minors["major"].map(majors.set_index("code")["family"])})
    out = pd.concat([majors, mins], ignore_index=True)
    out["added_from"] = None
    return out[["code", "parent", "name", "time_limit_h", "added_from", "name_en", "family"]]
