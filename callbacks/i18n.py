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
#: ``<html lang>`` of each language (BCP 47): zh-CN picks the Simplified Chinese glyph
#: forms of CJK fonts; screen readers and hyphenation follow it too.
HTML_LANGS = {"zh": "zh-CN", "en": "en"}
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
        "kpi.open_year": "其中在办",
        "base.cases": "全部上报案件",
        "trend.mom": "环比", "trend.yoy": "同比",
        "trend.mom.help": "本月至今与上月同期相比（同一指标函数）",
        "trend.yoy.help": "今年至今与去年同期相比（同一指标函数）",
        "trend.target": "目标{sign}{value}",
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
        "not_found.path": "地址 {path} 不存在，请从大屏或值班台进入。",
        "not_found.to_console": "前往值班台",
        "module.unknown": "没有模块“{module}”，正在显示总览。可用的模块：",
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
        "kpi.open_year": "Of which open",
        "base.cases": "Cases, all reported",
        "trend.mom": "MoM", "trend.yoy": "YoY",
        "trend.mom.help": "this month to date against last month to the same day (the same indicator)",
        "trend.yoy.help": "this year to date against last year to the same day (the same indicator)",
        "trend.target": "target {sign}{value}",
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
        "not_found.path": "{path} does not exist; start from the wall or the console.",
        "not_found.to_console": "Go to the console",
        "module.unknown": "There is no module \"{module}\"; showing the overview. The modules are:",
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


# ---- live feed, playback, rotation, resilience (callbacks/live.py) -------------------
LABELS["zh"].update({
    "live.title": "实时案件",
    "live.count": "本次开屏以来 {n} 条变动",
    "live.empty": "等待新案件…",
    "live.change.reported": "上报",
    "live.change.registered": "立案",
    "live.change.closed": "结案",
    "live.change.updated": "更新",
    "live.stale": "数据中断 · 显示的是 {since} 的数据，正在自动重连",
    "live.overflow": "批量更新 {n} 条，已刷新总数",
    "focus.urgent": "紧急案件",
    "focus.overdue": "新超期案件",
    "playback.title": "上报热力回放",
    "playback.play": "▶ 播放",
    "playback.pause": "❚❚ 暂停",
    "playback.stop": "■ 实时",
    "playback.day": "{day} · 上报 {n} 件",
    "playback.live": "实时",
})
LABELS["en"].update({
    "live.title": "Live cases",
    "live.count": "{n} changes since the screen opened",
    "live.empty": "Waiting for new cases…",
    "live.change.reported": "Reported",
    "live.change.registered": "Accepted",
    "live.change.closed": "Closed",
    "live.change.updated": "Updated",
    "live.stale": "Data feed interrupted · showing data as of {since}, reconnecting",
    "live.overflow": "Bulk update of {n} cases, totals refreshed",
    "focus.urgent": "Urgent case",
    "focus.overdue": "Newly overdue",
    "playback.title": "Reported-case heat",
    "playback.play": "▶ Play",
    "playback.pause": "❚❚ Pause",
    "playback.stop": "■ Live",
    "playback.day": "{day} · {n} reported",
    "playback.live": "Live",
})


# ---- the town as of a day (?as_of=YYYY-MM-DD, callbacks/as_of.py) -------------------------
LABELS["zh"].update({
    "as_of.badge": "截至 {day}",
    "as_of.counted": "统计于",
    "as_of.panel_year": "{year}年 案件 · 截至{month}月{day}日",
    "as_of.bad.title": "链接中的日期无效",
    "as_of.bad.body": "as_of={text}：{reason}。请使用 1990-01-01 至今天之间的日期，写成 年-月-日（如 2018-12-31）。",
    "as_of.bad.format": "这不是一个日期",
    "as_of.bad.date": "日历上没有这一天",
    "as_of.bad.early": "早于 1990-01-01",
    "as_of.bad.future": "晚于今天",
    "as_of.to_live": "查看实时态势",
    "as_of.old_data": "库中最新的案件上报于 {day}，近 {days} 天没有案件，实时数字为零。",
    "as_of.old_data_link": "查看截至 {day} 的全镇态势",
    "playback.as_of": "截至日",
})
LABELS["en"].update({
    "as_of.badge": "as of {day}",
    "as_of.counted": "Counted at",
    "as_of.panel_year": "Cases in {year} · to {day} {month_name}",
    "as_of.bad.title": "The date in the link is not valid",
    "as_of.bad.body": "as_of={text}: {reason}. Use a day between 1990-01-01 and today, written YYYY-MM-DD "
                      "(e.g. 2018-12-31).",
    "as_of.bad.format": "it is not a date",
    "as_of.bad.date": "there is no such day in the calendar",
    "as_of.bad.early": "it is before 1990-01-01",
    "as_of.bad.future": "it is after today",
    "as_of.to_live": "Show the town now",
    "as_of.old_data": "The newest case in the store was reported on {day}; none in the last {days} days, "
                      "so the live figures are zero.",
    "as_of.old_data_link": "Show the town as of {day}",
    "playback.as_of": "As-of day",
})


# the wall's warnings (callbacks/wall_warnings.py)
LABELS["zh"].update({
    "warnings.title": "预警", "warnings.none": "暂无预警", "warnings.ack": "确认", "warnings.acked": "已确认",
    "warnings.surge": "{grid} · {category} 突增 {n} 件（{ratio}）",
    "warnings.hotspot": "{place} · 近{days}日案件热点 {n} 件",
})
LABELS["en"].update({
    "warnings.title": "Warnings", "warnings.none": "No warnings", "warnings.ack": "OK", "warnings.acked": "Seen",
    "warnings.surge": "{grid} · {category} surge: {n} ({ratio})",
    "warnings.hotspot": "{place} · hot spot, {n} cases in {days} days",
})


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


def wall_href(module: str | None, lang: str, rotate: int | None = None, as_of: str | None = None) -> str:
    """The wall URL for a module, keeping the language (and rotation, and the day the
    town is shown as of) of the page.

    >>> wall_href("ecology", "en")
    '/wall?module=ecology&lang=en'
    >>> wall_href("ecology", "zh")
    '/wall?module=ecology'
    >>> wall_href(None, "zh", as_of="2018-12-31")
    '/wall?as_of=2018-12-31'
    """
    params = {}
    if module:
        params["module"] = module
    if lang != DEFAULT_LANG:
        params["lang"] = lang
    if rotate:
        params["rotate"] = rotate
    if as_of:
        params["as_of"] = as_of
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


# ---- the duty console (callbacks/console*.py) ---------------------------------------------
LABELS["zh"].update({
    "c.period": "上报时间", "c.period.all": "全部时间", "c.period.today": "今天", "c.period.7d": "近7天",
    "c.period.30d": "近30天", "c.period.90d": "近90天", "c.period.year": "今年", "c.period.y": "{year}年",
    "c.period.custom": "自定义", "c.from": "起", "c.to": "止", "c.date_ph": "年-月-日",
    "c.category": "类别", "c.status": "状态", "c.source": "来源", "c.district": "片区", "c.grid": "网格",
    "c.overdue_only": "只看超期未结", "c.search": "搜索", "c.search_ph": "案件编号、类别、网格、村或地址",
    "c.any": "全部", "c.clear": "清除筛选", "c.lang_switch": "English",
    "c.total": "共 {n} 件", "c.page": "第 {page} / {pages} 页", "c.first": "首页", "c.prev": "上一页",
    "c.next": "下一页", "c.last": "末页", "c.ms": "查询 {ms} 毫秒", "c.empty": "没有符合条件的案件",
    "c.detail": "案件详情", "c.detail_none": "点击案件编号，查看案件信息和流转过程。",
    "c.not_found": "没有找到案件 {id}", "c.close": "关闭",
    "c.time_unknown": "时间未记录", "c.overdue": "超期", "c.overdue_by": "已超期 {d}", "c.due_in": "剩余 {d}",
    "c.on_time": "按期结案", "c.late": "超期结案",
    "c.timeline": "流转过程", "c.timeline.case": "根据案件各环节时间还原", "c.timeline.history": "来自流转记录",
    "c.by": "经办 {who}", "c.level": "层级：{level}",
    "c.overdue_list": "超期未结", "c.at_risk": "临期预警 · 24小时内到期",
    "c.grid_rank": "网格综合评分", "c.inspector_rank": "网格员“三五十”达标率",
    "c.map": "案件分布 · 按网格", "c.map_hint": "点击网格即按网格筛选",
    "c.inspector": "网格员", "c.score": "评分", "c.rank": "名次", "c.compliance": "达标率", "c.days": "巡查天",
    "c.none": "暂无", "c.bad_params": "已忽略链接中无效的参数：{params}",
    "c.dur.dh": "{d}天{h}小时", "c.dur.hm": "{h}小时{m}分", "c.dur.m": "{m}分钟",
    "c.n_cases": "{n}件",
    "col.case_id": "案件编号", "col.category": "类别", "col.subcategory": "小类", "col.status": "状态",
    "col.source": "来源", "col.grid_id": "网格", "col.district_id": "片区", "col.reported_at": "上报时间",
    "col.deadline": "处置时限", "col.closed_at": "结案时间", "col.reported_by": "上报人",
    "col.resolved_level": "解决层级", "col.registered_at": "立案时间",
    "status.reported": "待受理", "status.registered": "已立案", "status.dispatched": "已派遣",
    "status.handled": "已处置", "status.feedback": "已反馈", "status.closed": "已结案", "status.rework": "返工",
    "status.evaluated": "已评价", "status.rejected": "不予立案",
    "source.inspector": "网格员巡查", "source.citizen": "群众上报", "source.hotline": "热线",
    "source.iot": "物联感知", "source.department": "部门移交",
    "level.grid": "网格", "level.village": "村（社区）", "level.town": "镇", "level.district": "区",
    "step.reported": "上报", "step.registered": "立案", "step.dispatched": "派遣", "step.handled": "处置",
    "step.feedback": "反馈", "step.closed": "核查结案", "step.rework": "返工", "step.evaluated": "评价",
    "step.rejected": "不予立案",
})
LABELS["en"].update({
    "c.period": "Reported", "c.period.all": "All time", "c.period.today": "Today", "c.period.7d": "Last 7 days",
    "c.period.30d": "Last 30 days", "c.period.90d": "Last 90 days", "c.period.year": "This year",
    "c.period.y": "{year}", "c.period.custom": "Custom", "c.from": "From", "c.to": "To", "c.date_ph": "YYYY-MM-DD",
    "c.category": "Category", "c.status": "Status", "c.source": "Source", "c.district": "District",
    "c.grid": "Grid", "c.overdue_only": "Overdue only", "c.search": "Search", "c.search_ph": "Case id, category, grid, village or address",
    "c.any": "All", "c.clear": "Clear filters", "c.lang_switch": "中文",
    "c.total": "{n} cases", "c.page": "Page {page} of {pages}", "c.first": "First", "c.prev": "Previous",
    "c.next": "Next", "c.last": "Last", "c.ms": "query {ms} ms", "c.empty": "No cases match these filters",
    "c.detail": "Case detail", "c.detail_none": "Click a case id to see the case and its workflow.",
    "c.not_found": "No case {id}", "c.close": "Close",
    "c.time_unknown": "time not recorded", "c.overdue": "Overdue", "c.overdue_by": "{d} overdue",
    "c.due_in": "{d} left", "c.on_time": "Closed on time", "c.late": "Closed late",
    "c.timeline": "Workflow", "c.timeline.case": "rebuilt from the case's timestamps",
    "c.timeline.history": "from the case history", "c.by": "by {who}", "c.level": "level: {level}",
    "c.overdue_list": "Overdue now", "c.at_risk": "Due within 24 h",
    "c.grid_rank": "Grids by composite score", "c.inspector_rank": "Inspectors: 3-5-10 compliance",
    "c.map": "Cases by grid", "c.map_hint": "Click a grid to filter by it",
    "c.inspector": "Inspector", "c.score": "Score", "c.rank": "Rank", "c.compliance": "Compliance", "c.days": "Patrol days",
    "c.none": "None", "c.bad_params": "Ignored invalid link parameters: {params}",
    "c.dur.dh": "{d} d {h} h", "c.dur.hm": "{h} h {m} min", "c.dur.m": "{m} min",
    "c.n_cases": "{n}",
    "col.case_id": "Case", "col.category": "Category", "col.subcategory": "Subcategory", "col.status": "Status",
    "col.source": "Source", "col.grid_id": "Grid", "col.district_id": "District", "col.reported_at": "Reported",
    "col.deadline": "Deadline", "col.closed_at": "Closed", "col.reported_by": "Reported by",
    "col.resolved_level": "Resolved at", "col.registered_at": "Registered",
    "status.reported": "Reported", "status.registered": "Registered", "status.dispatched": "Dispatched",
    "status.handled": "Handled", "status.feedback": "Feedback", "status.closed": "Closed",
    "status.rework": "Rework", "status.evaluated": "Evaluated", "status.rejected": "Rejected",
    "source.inspector": "Inspector", "source.citizen": "Citizen", "source.hotline": "Hotline",
    "source.iot": "IoT sensor", "source.department": "Department",
    "level.grid": "Grid", "level.village": "Village", "level.town": "Town", "level.district": "District",
    "step.reported": "Reported", "step.registered": "Registered", "step.dispatched": "Dispatched",
    "step.handled": "Handled", "step.feedback": "Feedback", "step.closed": "Verified and closed",
    "step.rework": "Rework", "step.evaluated": "Evaluated", "step.rejected": "Rejected",
})


# the console's timeline steps, next step and the scope every figure names (issue 15)
LABELS["zh"].update({
    "step.escalated": "升级派遣", "step.extended": "延期", "c.next_step": "待{step}", "c.due_by": "时限 {at}",
    "c.no_deadline": "立案后起算时限", "c.new_deadline": "新时限 {at}",
    "c.overdue_scope": "现在未结、已过时限 · 最近到期在前 · 不限上报时间",
    "c.at_risk_scope": "现在未结 · 最先到期在前 · 不限上报时间", "c.scope_place": " · 按所选条件",
    "c.scope": "上报时间：{period} · 状态与超期{at}", "c.at_now": "按现在判断", "c.at_day_end": "按 {day} 日终判断",
    "c.map_title": "上报件数 · {period}",
})
LABELS["en"].update({
    "step.escalated": "Escalated", "step.extended": "Extended", "c.next_step": "Next: {step}", "c.due_by": "due {at}",
    "c.no_deadline": "deadline set at registration", "c.new_deadline": "new deadline {at}",
    "c.overdue_scope": "open now, past the deadline · most recently due first · any report date",
    "c.at_risk_scope": "open now · soonest first · any report date", "c.scope_place": " · for the filters chosen",
    "c.scope": "reported: {period} · status and overdue {at}", "c.at_now": "as of now",
    "c.at_day_end": "as of the end of {day}", "c.map_title": "cases reported · {period}",
})

_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_datetime(ts, lang: str = DEFAULT_LANG, tz: str | None = None, seconds: bool = False,
                    short_year: int | None = None) -> str:
    """A date and time as the language writes it, in ``tz`` (default: the zone it carries);
    with ``short_year``, a time in that year leaves the year out (tables).

    >>> ts = pd.Timestamp("2024-05-06 08:03", tz="Asia/Shanghai")
    >>> format_datetime(ts, "zh"), format_datetime(ts, "en"), format_datetime(ts, "zh", short_year=2024)
    ('2024年5月6日 08:03', '6 May 2024 08:03', '5月6日 08:03')
    """
    if ts is None or pd.isna(ts):
        return "—"
    ts = pd.Timestamp(ts)
    if tz is not None and ts.tzinfo is not None:
        ts = ts.tz_convert(tz)
    clock = ts.strftime("%H:%M:%S" if seconds else "%H:%M")
    same = short_year is not None and ts.year == short_year
    if lang == "en":
        return f"{ts.day} {_EN_MONTHS[ts.month - 1]}{'' if same else f' {ts.year}'} {clock}"
    return f"{'' if same else f'{ts.year}年'}{ts.month}月{ts.day}日 {clock}"


def format_duration(td, lang: str = DEFAULT_LANG) -> str:
    """A length of time, coarse: days and hours, or hours and minutes.

    >>> format_duration(pd.Timedelta(hours=50), "zh"), format_duration(pd.Timedelta(minutes=95), "en")
    ('2天2小时', '1 h 35 min')
    """
    minutes = int(abs(pd.Timedelta(td)).total_seconds() // 60)
    d, h, m = minutes // 1440, (minutes % 1440) // 60, minutes % 60
    if d:
        return t("c.dur.dh", lang, d=d, h=h)
    if h:
        return t("c.dur.hm", lang, h=h, m=m)
    return t("c.dur.m", lang, m=m)


# ---- wall modules, map layers, grid card (callbacks/modules.py) ------------------------------
_WALL_MODULE_LABELS = {
    "zh": {
        "panel.module": "{module} · 核心指标",
        "metric.theme_accepted": "今年受理", "metric.theme_disposal_rate": "今年处置率",
        "metric.theme_ontime_closure_rate": "今年按期结案率", "metric.theme_open_overdue": "超期未结（今年受理）",
        "metric.composite_score": "今年综合评分", "metric.inspector_share": "今年网格员上报占比",
        "metric.rule_3510_compliance": "今年“三五十”达标率", "metric.residents": "实有人口",
        "metric.elderly_share": "60岁以上占比", "metric.floating_share": "新市民占比",
        "metric.enterprises": "企业", "metric.red_cards": "红牌企业", "metric.yellow_cards": "黄牌企业",
        "metric.polluting_sites": "重点污染源", "metric.inspectors": "网格员", "metric.pro_grids": "专业网格",
        "metric.river_km": "河道长度", "metric.road_km": "道路里程",
        "unit.km": "公里", "unit.people": "人", "unit.points": "分", "unit.count": "个", "unit.enterprises": "家",
        "layer.population": "人口密度", "layer.case_heat": "案件热力", "layer.polluting": "污染源企业",
        "map.layers": "图层", "map.grid_kpi": "网格着色",
        "grid_kpi.theme_accepted": "今年案件", "grid_kpi.open_now": "在办案件",
        "grid_kpi.disposal_rate": "处置率", "grid_kpi.composite_score": "综合评分",
        "credit.green": "绿牌", "credit.yellow": "黄牌", "credit.red": "红牌",
        "chart.theme_monthly": "近12个月受理", "chart.theme_top_subcategories": "今年高发问题",
        "chart.theme_sources": "今年诉求来源", "chart.age_bands": "年龄结构",
        "chart.credit_mix": "企业信用", "chart.resolved_level": "今年案件解决层级",
        "chart.grid_ranking": "今年网格综合评分前六",
        "age.0-6": "0-6岁", "age.7-17": "7-17岁", "age.18-34": "18-34岁", "age.35-59": "35-59岁",
        "age.60-79": "60-79岁", "age.80+": "80岁+",
        "needs.title": "待接入数据",
        "needs.body": "以下图层尚未接入数据库，本模块暂不显示相关内容：",
        "needs.key_projects": "重点项目", "needs.tasks": "督办任务", "needs.cameras": "视频监控点位",
        "needs.approvals": "审批事项", "needs.opinion_items": "网络舆情", "needs.parking": "停车泊位",
        "needs.bus_routes": "公交线路", "needs.schools": "学校学位", "needs.medical_insurance": "医保参保",
        "withheld.title": "仅全镇授权可见",
        "withheld.body": "以下记录没有所属片区或网格，只对全镇授权显示，本模块的相关指标不含它们：",
        "withheld.approvals": "审批事项（镇政务服务中心办件）",
        "withheld.tasks": "与重点项目无关的督办任务（涉及本辖区重点项目的任务照常显示）",
        "card.close": "关闭", "card.district": "所属片区", "card.inspectors": "网格员",
        "card.enterprises": "企业", "card.residents": "人口", "card.open": "在办案件",
        "card.overdue": "超期未结（现在）", "card.accepted": "今年受理", "card.disposal_rate": "处置率",
        "card.ontime": "按期结案率", "card.score": "综合评分", "card.trend": "近12个月受理",
    },
    "en": {
        "panel.module": "{module}: key figures",
        "metric.theme_accepted": "Accepted this year", "metric.theme_disposal_rate": "Disposal rate, this year",
        "metric.theme_ontime_closure_rate": "On-time closure, this year",
        "metric.theme_open_overdue": "Overdue, open (accepted this year)",
        "metric.composite_score": "Composite score, this year", "metric.inspector_share": "By inspectors, this year",
        "metric.rule_3510_compliance": "3-5-10 compliance, this year", "metric.residents": "Residents",
        "metric.elderly_share": "Aged 60+", "metric.floating_share": "New citizens",
        "metric.enterprises": "Enterprises", "metric.red_cards": "Red cards", "metric.yellow_cards": "Yellow cards",
        "metric.polluting_sites": "Polluting sites", "metric.inspectors": "Inspectors",
        "metric.pro_grids": "Professional grids", "metric.river_km": "Rivers", "metric.road_km": "Roads",
        "unit.km": "km", "unit.people": "", "unit.points": "", "unit.count": "", "unit.enterprises": "",
        "layer.population": "Population density", "layer.case_heat": "Case heat", "layer.polluting": "Polluting sites",
        "map.layers": "Layers", "map.grid_kpi": "Grids by",
        "grid_kpi.theme_accepted": "Cases this year", "grid_kpi.open_now": "Open cases",
        "grid_kpi.disposal_rate": "Disposal rate", "grid_kpi.composite_score": "Composite score",
        "credit.green": "Green", "credit.yellow": "Yellow card", "credit.red": "Red card",
        "chart.theme_monthly": "Accepted, last 12 months", "chart.theme_top_subcategories": "Top problems this year",
        "chart.theme_sources": "Sources this year", "chart.age_bands": "Age structure",
        "chart.credit_mix": "Enterprise credit", "chart.resolved_level": "Resolved at, this year",
        "chart.grid_ranking": "Top grids by score, this year",
        "age.0-6": "0-6", "age.7-17": "7-17", "age.18-34": "18-34", "age.35-59": "35-59",
        "age.60-79": "60-79", "age.80+": "80+",
        "needs.title": "Data not loaded yet",
        "needs.body": "These layers are not in the store yet, so this module cannot show them:",
        "needs.key_projects": "Key projects", "needs.tasks": "Supervised tasks", "needs.cameras": "Video cameras",
        "needs.approvals": "Approval items", "needs.opinion_items": "Public-opinion items",
        "needs.parking": "Parking spaces", "needs.bus_routes": "Bus routes", "needs.schools": "School places",
        "needs.medical_insurance": "Medical insurance",
        "withheld.title": "Town-wide grants only",
        "withheld.body": "These records have no district or grid, so only a town-wide grant shows them; "
                         "this module's figures leave them out:",
        "withheld.approvals": "Approval items (the town's service centre)",
        "withheld.tasks": "Supervised tasks about no key project (those about a key project in your area are shown)",
        "card.close": "Close", "card.district": "District", "card.inspectors": "Inspectors",
        "card.enterprises": "Enterprises", "card.residents": "Residents", "card.open": "Open cases",
        "card.overdue": "Overdue now", "card.accepted": "Accepted this year", "card.disposal_rate": "Disposal rate",
        "card.ontime": "On-time closure", "card.score": "Composite score", "card.trend": "Accepted, last 12 months",
    },
}
for _lang, _labels in _WALL_MODULE_LABELS.items():
    for _key, _text in _labels.items():
        LABELS[_lang].setdefault(_key, _text)

# the modules' own layers (layers/theme_layers.py, layers/layer_stats.py)
from callbacks.i18n_layers import LAYER_LABELS  # noqa: E402 - a plain dict of texts, no cycle

for _lang, _labels in LAYER_LABELS.items():
    for _key, _text in _labels.items():
        LABELS[_lang].setdefault(_key, _text)


def format_compact(n, lang: str = DEFAULT_LANG) -> str:
    """A count short enough for a wall tile: exact below 100,000 (a year's cases of a
    town, 36,715 in the reference town, are read to the case); above, 万/亿 in Chinese
    and k/M in English, one decimal.

    >>> format_compact(36715, "zh"), format_compact(350401, "zh"), format_compact(350401, "en")
    ('36,715', '35.0万', '350.4k')
    >>> format_compact(123456789, "zh"), format_compact(1234567, "en"), format_compact(None)
    ('1.2亿', '1.2M', '—')
    """
    if n is None or pd.isna(n):
        return "—"
    n = int(n)
    if abs(n) < 100_000:
        return f"{n:,}"
    if lang == "zh":
        return f"{n / 1e8:.1f}亿" if abs(n) >= 100_000_000 else f"{n / 1e4:.1f}万"
    return f"{n / 1e6:.1f}M" if abs(n) >= 1_000_000 else f"{n / 1e3:.1f}k"
