"""Screen text in Chinese (the default) and English, and number and time formats.

Labels are a plain dict per language; a key missing in English falls back to
Chinese, then to the key itself, so a forgotten label shows up as its key
rather than breaking the page.

This is text for the screen only; it lives with the Dash wiring because nothing
else shows text to users yet.

Examples
--------
>>> t("kpi.accepted", "zh"), t("kpi.accepted", "en"), t("unit.cases", "en")
('受理', 'Accepted', '')
>>> parse_query("?module=transport&lang=en")
{'lang': 'en', 'module': 'transport', 'rotate': None}
>>> parse_query("?module=nope&lang=fr&rotate=x")
{'lang': 'zh', 'module': None, 'rotate': None}
>>> format_count(36715, "zh"), format_rate(0.98611, "en"), format_rate(None, "zh")
('36,715', '98.6%', '—')
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlencode

import pandas as pd

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

#: The 8 first-level modules, in the contract's order ("The screen and the API").
MODULE_IDS = ("ecology", "livelihood", "online", "leadership", "public", "admin",
              "enforcement", "transport")

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "app.name": "TownBrain",
        "app.subtitle": "智慧大脑 · 综合指挥",
        "page.console": "值班台",
        "page.not_found": "页面不存在",
        "clock.as_of": "数据截至",
        "clock.unavailable": "数据暂不可用",
        "panel.year": "{year}年 案件",
        "panel.all": "累计 案件",
        "panel.base": "基础数据",
        "kpi.accepted": "受理",
        "kpi.disposed": "处置",
        "kpi.disposal_rate": "处置率",
        "kpi.open": "在办",
        "unit.cases": "件",
        "layer.districts": "片区",
        "layer.grids": "综合网格",
        "layer.pro_grids": "专业网格",
        "layer.buildings": "建筑",
        "layer.residents": "人口",
        "layer.enterprises": "企业",
        "layer.rivers": "河道",
        "layer.roads": "道路",
        "layer.patrols": "巡查轨迹",
        "layer.cases": "案件",
        "base.total": "入库记录",
        "unit.records": "条",
        "map.empty": "数据库中还没有地图图层",
        "notice.store": "无法读取数据库：{error}",
        "console.coming": "值班台正在建设中",
        "console.body": "筛选、案件列表、案件流程、超期预警和网格排名即将上线。"
                        "目前请使用大屏查看全镇态势。",
        "console.to_wall": "前往大屏",
        "not_found.body": "没有这个页面。",
        "module.ecology": "生态文明建设",
        "module.livelihood": "民生保障服务",
        "module.online": "网络环境治理",
        "module.leadership": "政府领导",
        "module.public": "社会公共管理",
        "module.admin": "社会行政管理",
        "module.enforcement": "政府综合执法",
        "module.transport": "交通运输",
    },
    "en": {
        "app.subtitle": "Smart brain · Command centre",
        "page.console": "Duty console",
        "page.not_found": "Page not found",
        "clock.as_of": "Data as of",
        "clock.unavailable": "Data unavailable",
        "panel.year": "Cases in {year}",
        "panel.all": "Cases, all time",
        "panel.base": "Base data",
        "kpi.accepted": "Accepted",
        "kpi.disposed": "Disposed",
        "kpi.disposal_rate": "Disposal rate",
        "kpi.open": "Open",
        "unit.cases": "",
        "layer.districts": "Districts",
        "layer.grids": "Grids",
        "layer.pro_grids": "Professional grids",
        "layer.buildings": "Buildings",
        "layer.residents": "Residents",
        "layer.enterprises": "Enterprises",
        "layer.rivers": "Rivers",
        "layer.roads": "Roads",
        "layer.patrols": "Patrol tracks",
        "layer.cases": "Cases",
        "base.total": "Records in store",
        "unit.records": "",
        "map.empty": "No map layers in the store yet",
        "notice.store": "Cannot read the store: {error}",
        "console.coming": "The duty console is being built",
        "console.body": "Filters, the case table, case workflows, overdue warnings and grid "
                        "rankings are coming. For the town at a glance, use the wall.",
        "console.to_wall": "Go to the wall",
        "not_found.body": "There is no such page.",
        "module.ecology": "Ecology",
        "module.livelihood": "Livelihood",
        "module.online": "Online",
        "module.leadership": "Leadership",
        "module.public": "Public management",
        "module.admin": "Administration",
        "module.enforcement": "Enforcement",
        "module.transport": "Transport",
    },
}


def t(key: str, lang: str = DEFAULT_LANG, **fmt) -> str:
    """The label ``key`` in ``lang`` (falling back to Chinese, then the key)."""
    # An empty string is a real translation (English has no measure words like 件).
    text = LABELS.get(lang, {}).get(key, LABELS[DEFAULT_LANG].get(key, key))
    return text.format(**fmt) if fmt else text


def parse_query(search: str | None) -> dict:
    """``lang``, ``module`` and ``rotate`` from a URL query string; unknown or bad
    values fall back to the defaults rather than erroring on a wall nobody touches."""
    q = parse_qs((search or "").lstrip("?"))
    lang = (q.get("lang") or [DEFAULT_LANG])[0]
    module = (q.get("module") or [None])[0]
    rotate = (q.get("rotate") or [None])[0]
    try:
        rotate = int(rotate) if rotate is not None and int(rotate) > 0 else None
    except ValueError:
        rotate = None
    return {"lang": lang if lang in LANGS else DEFAULT_LANG,
            "module": module if module in MODULE_IDS else None,
            "rotate": rotate}


def wall_href(module: str | None, lang: str, rotate: int | None = None) -> str:
    """The wall URL for a module, keeping the language (and rotation) of the page.

    >>> wall_href("ecology", "en")
    '/wall?module=ecology&lang=en'
    >>> wall_href("ecology", "zh")
    '/wall?module=ecology'
    """
    params = {}
    if module:
        params["module"] = module
    if lang != DEFAULT_LANG:
        params["lang"] = lang
    if rotate:
        params["rotate"] = rotate
    return "/wall" + ("?" + urlencode(params) if params else "")


def format_count(n, lang: str = DEFAULT_LANG) -> str:
    """A count with thousands separators (both languages use ``,``), or ``—``."""
    if n is None or pd.isna(n):
        return "—"
    return f"{int(n):,}"


def format_rate(r, lang: str = DEFAULT_LANG) -> str:
    """A rate as a percentage with one decimal; ``None`` (zero denominator) is ``—``."""
    if r is None or pd.isna(r):
        return "—"
    return f"{100 * float(r):.1f}%"


def format_time(ts, lang: str = DEFAULT_LANG) -> str:
    """A timestamp for the title bar, in the zone it carries."""
    if ts is None:
        return "—"
    return pd.Timestamp(ts).strftime("%Y-%m-%d %H:%M:%S")
