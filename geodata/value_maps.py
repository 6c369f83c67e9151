"""How external exports write values: closed codes, "missing", booleans, times.

A closed code list (``schema.Field.codes``) rejects anything outside it. Before
rejecting, the loader normalises obvious variants — case, surrounding and
repeated whitespace, ``-``/``_``/space between words (``'Grid Head'`` →
``grid_head``) — and then looks the normalised value up here, per layer and
field. Keys are written as people see them in exports and are normalised the
same way when the table is used, so ``'Voice In'`` matches ``'voice in'`` and
``'VOICE-IN'``.

Sources of the spellings:

* **San Francisco 311** (DataSF "311 Cases"; ``../shared/data/real/sf311/``):
  ``Source`` is ``Voice In`` (a phone call to 311 → ``hotline``), ``Open311`` /
  ``Web Self Service`` / ``Twitter`` / ``e-mail In`` / ``Mail In`` and, in later
  exports, ``Phone`` / ``Mobile/Open311`` / ``Web`` (residents → ``citizen`` or
  ``hotline``), ``Integrated Agency`` / ``Other Department`` (a city agency's own
  system → ``department``), ``City Worker App`` (field staff → ``inspector``).
  ``Status`` is ``Open`` or ``Closed``. An open SF case has been taken in by 311
  and queued for an agency; whether it was dispatched is unknown, so it maps to
  the least-assuming accepted state, ``registered`` (立案). ``Closed`` →
  ``closed``.
* **NYC 311 / Chicago 311** channel names (``PHONE``, ``ONLINE``, ``MOBILE``,
  ``Phone Call``, ``Internet``, ``Mobile Device``).
* **Chinese 网格化 / 12345 platforms**: the usual Chinese labels for sources
  (网格员上报, 12345热线, 群众举报, 物联网感知, 部门移交), workflow states
  (上报, 立案, 派遣, 处置, 反馈, 结案, 返工, 评价, 不予立案), levels, roles,
  credit colours and household types.

Besides codes, this module says how exports write *missing* (``NA_TOKENS``),
booleans (``TRUE_TOKENS``/``FALSE_TOKENS``) and times (``DATE_FORMATS``, read
by :func:`parse_datetimes`).

Add an export by adding lines here; :func:`geodata.validate.validate` also takes
a caller's own ``value_maps`` that override these.

Examples
--------
>>> normalise_code("  Voice   In ")
'voice_in'
>>> VALUE_MAPS["cases"]["source"]["Voice In"]
'hotline'
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from geodata import config

_SEP = re.compile(r"[\s\-_]+")
#: Text that means "no value" in exports (R writes NA, Excel #N/A, databases NULL).
NA_TOKENS = frozenset({"", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "None", "#N/A"})
#: Date forms tried, in order, on times without a zone (ISO 8601 first). Month
#: before day, as in US exports (SF 311); day-first dates are not guessed.
DATE_FORMATS = (
    "ISO8601",
    "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d",
    "%Y.%m.%d %H:%M:%S", "%Y.%m.%d %H:%M", "%Y.%m.%d",
    "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日 %H时%M分", "%Y年%m月%d日",
    "%Y%m%d%H%M%S", "%Y%m%d",
)
_AWARE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$")
TRUE_TOKENS = {"true", "t", "yes", "y", "1", "1.0", "是", "对", "√"}
FALSE_TOKENS = {"false", "f", "no", "n", "0", "0.0", "否", "错", "×"}





def normalise_code(value) -> str:
    """Lower-case, trimmed, words joined by ``_`` — how codes and variants are compared."""
    return _SEP.sub("_", str(value).strip().lower()).strip("_")


#: layer → field → {external spelling: contract code}
VALUE_MAPS: dict[str, dict[str, dict[str, str]]] = {
    "cases": {
        "source": {
            # San Francisco 311 (sf311/*.csv, column Source)
            "Voice In": "hotline", "Phone": "hotline",
            "Open311": "citizen", "Mobile/Open311": "citizen", "Web Self Service": "citizen",
            "Web": "citizen", "Twitter": "citizen", "e-mail In": "citizen", "Mail In": "citizen",
            "Integrated Agency": "department", "Other Department": "department",
            "City Worker App": "inspector",
            # NYC / Chicago 311 channel names
            "Phone Call": "hotline", "Online": "citizen", "Internet": "citizen",
            "Mobile": "citizen", "Mobile Device": "citizen", "Email": "citizen", "E-mail": "citizen",
            # Chinese platforms
            "网格员": "inspector", "网格员上报": "inspector", "巡查": "inspector", "巡查上报": "inspector",
            "巡查员": "inspector", "自行发现": "inspector",
            "市民": "citizen", "群众": "citizen", "群众举报": "citizen", "市民举报": "citizen",
            "公众": "citizen", "随手拍": "citizen", "微信": "citizen", "APP": "citizen",
            "12345": "hotline", "12345热线": "hotline", "热线": "hotline", "市长热线": "hotline",
            "电话": "hotline",
            "物联网": "iot", "物联网感知": "iot", "感知": "iot", "传感器": "iot", "视频监控": "iot",
            "智能感知": "iot",
            "部门": "department", "部门移交": "department", "上级交办": "department",
            "部门转办": "department",
        },
        "status": {
            # San Francisco 311: see the module docstring for why Open → registered.
            "Open": "registered", "Closed": "closed",
            # other English workflow words
            "New": "reported", "Submitted": "reported", "Received": "reported",
            "Accepted": "registered", "Assigned": "dispatched", "In Progress": "dispatched",
            "Pending": "dispatched", "Resolved": "closed", "Completed": "closed",
            "Cancelled": "rejected", "Canceled": "rejected", "Invalid": "rejected",
            # Chinese workflow states (网格化管理 流程: 上报→立案→派遣→处置→反馈→结案)
            "上报": "reported", "待受理": "reported", "待立案": "reported",
            "立案": "registered", "已立案": "registered", "已受理": "registered",
            "派遣": "dispatched", "已派遣": "dispatched", "处置中": "dispatched", "办理中": "dispatched",
            "处置": "handled", "已处置": "handled", "处置完成": "handled",
            "反馈": "feedback", "已反馈": "feedback",
            "结案": "closed", "已结案": "closed", "办结": "closed", "已办结": "closed",
            "返工": "rework", "评价": "evaluated", "已评价": "evaluated",
            "不予立案": "rejected", "作废": "rejected", "退回": "rejected",
        },
        "resolved_level": {
            "网格": "grid", "村": "village", "社区": "village", "村社区": "village",
            "镇": "town", "街道": "town", "区": "district", "县": "district",
        },
    },
    "enterprises": {
        "credit": {"绿": "green", "绿色": "green", "黄": "yellow", "黄色": "yellow",
                   "红": "red", "红色": "red"},
    },
    "residents": {
        "household": {"户籍": "registered", "户籍人口": "registered", "常住": "registered",
                      "流动": "floating", "流动人口": "floating"},
    },
    "staff": {
        "role": {"网格员": "inspector", "巡查员": "inspector", "处置人员": "handler",
                 "调度员": "dispatcher", "派遣员": "dispatcher", "执法人员": "officer",
                 "执法队员": "officer", "协管员": "auxiliary", "辅助人员": "auxiliary",
                 "网格长": "grid_head"},
    },
}


def code_lookup(layer: str, field: str, codes: tuple[str, ...],
                extra: dict[str, str] | None = None) -> dict[str, str]:
    """{normalised spelling: contract code} for one closed field.

    The codes themselves come first, then this module's table, then ``extra``
    (a caller's own map, which wins).

    >>> code_lookup("cases", "source", ("inspector", "citizen", "hotline", "iot", "department"))["web_self_service"]
    'citizen'
    """
    lookup = {normalise_code(c): c for c in codes}
    for table in (VALUE_MAPS.get(layer, {}).get(field, {}), extra or {}):
        for spelling, code in table.items():
            if code in codes:
                lookup[normalise_code(spelling)] = code
    return lookup


# ---- values other than codes: missing, booleans, times ----------------------------

def blank_mask(s: pd.Series) -> np.ndarray:
    """Per value: missing, or text that means missing (NA_TOKENS)."""
    txt = s.astype(object)
    return (pd.isna(txt) | txt.map(lambda v: isinstance(v, str) and v.strip() in NA_TOKENS)).to_numpy(bool)


def parse_datetimes(values: pd.Series, tz: str | None = None) -> tuple[pd.Series, np.ndarray]:
    """Parse times in the common forms; return (tz-aware times, unparseable mask).

    Times with a zone keep it; naive ones are taken to be in ``tz`` (default
    ``geodata.config.timezone()``). Blank values are NaT and not unparseable.
    The result is in the configured display zone.

    >>> t, bad = parse_datetimes(pd.Series(["04/30/2014 02:51:52 PM", "2014-04-30T06:51:52Z",
    ...                                     "2018年3月5日 14:30", "", "soon"]), "Asia/Shanghai")
    >>> [str(x) for x in t]
    ['2014-04-30 14:51:52+08:00', '2014-04-30 14:51:52+08:00', '2018-03-05 14:30:00+08:00', 'NaT', 'NaT']
    >>> bad.tolist()
    [False, False, False, False, True]
    """
    tz = tz or config.timezone()
    s = pd.Series(values).reset_index(drop=True)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us, UTC]")
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        out = s.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
        return out.dt.tz_convert(config.timezone()), np.zeros(len(s), bool)
    if pd.api.types.is_datetime64_any_dtype(s):
        naive = s.astype("datetime64[us]")
        pending = np.zeros(len(s), bool)
    else:
        blank = blank_mask(s)
        txt = s.astype(object).map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                                   else str(v).strip())
        pending = ~blank
        aware = pending & txt.map(lambda v: isinstance(v, str) and bool(_AWARE.match(v))).to_numpy(bool)
        if aware.any():
            out[aware] = pd.to_datetime(txt[aware], format="ISO8601", utc=True, errors="coerce")
        naive = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
        rest = pending & ~aware
        for fmt in DATE_FORMATS:
            todo = rest & naive.isna().to_numpy()
            if not todo.any():
                break
            naive[todo] = pd.to_datetime(txt[todo], format=fmt, errors="coerce")
    have = naive.notna().to_numpy()
    if have.any():
        # ambiguous wall times (the hour repeated when DST ends) take the first,
        # daylight occurrence; skipped ones move forward — never NaT.
        loc = naive[have].dt.tz_localize(tz, ambiguous=np.ones(int(have.sum()), bool),
                                         nonexistent="shift_forward")
        out[have] = loc.dt.tz_convert("UTC")
    bad = pending & out.isna().to_numpy()
    return out.dt.tz_convert(config.timezone()), bad
