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

import csv
import io
import re
from typing import NamedTuple

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
    # two-digit years first: %Y would read '5/4/14' as the year 14 ('14' → 2014, '69' → 1969, as
    # Python does); %y cannot take '2014', so four-digit years still fall through to %Y
    "%m/%d/%y %I:%M:%S %p", "%m/%d/%y %I:%M %p", "%m/%d/%y %H:%M", "%m/%d/%y",
    "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d",
    "%Y.%m.%d %H:%M:%S", "%Y.%m.%d %H:%M", "%Y.%m.%d",
    "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日 %H时%M分", "%Y年%m月%d日",
    "%Y%m%d%H%M%S", "%Y%m%d",
)
#: Text columns are worked on as Arrow strings: pyarrow's kernels (RE2) run a
#: million values in milliseconds where Python's re takes a second.
TEXT = pd.StringDtype("pyarrow")
# Written without \d and \s so that pyarrow's RE2 runs them over a whole column:
# pandas falls back to Python's re, value by value, for classes RE2 reads differently.
_ISO_START = re.compile(r"^[0-9]{4}-[0-9]{1,2}(-[0-9]{1,2})?([T ]|$)")
_AWARE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.][0-9]+)?)?"
                    r" *(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)$")
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


#: layer → {column header people write: field}, beside each field's Chinese name
#: in the data dictionary (``schema.Field.doc_zh``), which maps by itself too.
FIELD_ALIASES: dict[str, dict[str, str]] = {
    "cases": {"事件编号": "case_id", "工单编号": "case_id", "案卷编号": "case_id", "问题大类": "category",
              "事件大类": "category", "案件大类": "category", "问题小类": "subcategory", "事件小类": "subcategory",
              "案件小类": "subcategory", "案件来源": "source", "事件来源": "source", "发现时间": "reported_at",
              "受理时间": "registered_at", "办结时间": "closed_at", "案件状态": "status", "事件状态": "status",
              "处置时限": "deadline", "结案层级": "resolved_level"},
    "enterprises": {"企业名称": "name", "单位名称": "name", "统一社会信用代码": "enterprise_id",
                    "企业编号": "enterprise_id", "所属行业": "industry", "从业人数": "employees",
                    "员工人数": "employees", "信用等级": "credit", "信用颜色": "credit"},
    "staff": {"工号": "staff_id", "人员编号": "staff_id", "岗位": "role", "职务": "role",
              "所属网格": "grid_id", "网格编码": "grid_id", "所属专业网格": "pro_grid_id"},
    "grids": {"网格编号": "grid_id", "网格名称": "name", "所属片区": "district_id"},
    "districts": {"片区编号": "district_id"},
    "buildings": {"楼栋编号": "building_id", "建筑编号": "building_id", "楼层数": "floors", "层数": "floors",
                  "居住人数": "residents"},
}


def field_aliases(layer: str) -> dict[str, str]:
    """{header: field} that map a file's columns to ``layer``'s fields without --map.

    >>> field_aliases("cases")["上报时间"], field_aliases("cases")["问题大类"]
    ('reported_at', 'category')
    """
    from geodata.schema import layer as layer_decl
    out = {f.doc_zh: f.name for f in layer_decl(layer).fields if f.doc_zh}
    out.update(FIELD_ALIASES.get(layer, {}))
    return out


# ---- a town's own value maps: from the command line and from a file ---------------

def coded_fields(layer: str) -> dict[str, tuple[str, ...]]:
    """The closed code lists of ``layer``, by field.

    >>> coded_fields("cases")
    {'source': ('inspector', 'citizen', 'hotline', 'iot', 'department'), 'status': ('reported', 'registered', 'dispatched', 'handled', 'feedback', 'closed', 'rework', 'evaluated', 'rejected'), 'resolved_level': ('grid', 'village', 'town', 'district')}
    """
    from geodata.schema import layer as layer_decl
    return {f.name: f.codes for f in layer_decl(layer).fields if f.codes}


def parse_values_spec(spec: str) -> dict[str, dict[str, str]]:
    """``FIELD:SPELLING=CODE,…`` → {field: {spelling: code}}.

    Items are separated by commas with CSV quoting, so an item whose spelling
    holds a comma is written in double quotes; the code is after the last ``=``.

    >>> parse_values_spec('source:Constituent Call=hotline, "source:Self Service, web=citizen"')
    {'source': {'Constituent Call': 'hotline', 'Self Service, web': 'citizen'}}
    """
    out: dict[str, dict[str, str]] = {}
    for item in next(csv.reader([spec], skipinitialspace=True), []):
        item = item.strip()
        if not item:
            continue
        field, sep, rest = item.partition(":")
        spelling, eq, code = rest.rpartition("=")
        if not sep or not eq or not field.strip() or not spelling.strip() or not code.strip():
            raise ValueError(f"--values takes FIELD:SPELLING=CODE items separated by commas; {item!r} is not one "
                             "(e.g. --values 'source:Constituent Call=hotline')")
        out.setdefault(field.strip(), {})[spelling.strip()] = code.strip()
    return out


def read_values_file(path, layer: str) -> dict[str, dict[str, str]]:
    """A town's value maps from YAML (``field: {spelling: code}``, optionally under
    the layer's name) or CSV (columns ``field,value,code``, optionally ``layer``).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "v.yaml").write_text("cases:\\n  source: {'Constituent Call': hotline}\\nstaff:\\n  role: {队长: officer}\\n")
    >>> read_values_file(d / "v.yaml", "cases")
    {'source': {'Constituent Call': 'hotline'}}
    >>> _ = (d / "v.csv").write_text("field,value,code\\nsource,Self Service,citizen\\n")
    >>> read_values_file(d / "v.csv", "cases")
    {'source': {'Self Service': 'citizen'}}
    """
    from pathlib import Path
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"--values-file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".csv", ".tsv", ".txt"):
        raise ValueError(f"--values-file {path.name}: use a .yaml or a .csv file")
    from geodata.read_tables import decode
    text, _enc = decode(path.read_bytes(), path.name)     # a GBK file from an office reads too
    if suffix in (".yaml", ".yml"):
        import yaml
        try:
            obj = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            raise ValueError(f"--values-file {path.name} is not valid YAML{where}: "
                             f"{getattr(exc, 'problem', None) or str(exc).splitlines()[0]}") from None
        if not isinstance(obj, dict) or not all(isinstance(v, dict) for v in obj.values()):
            raise ValueError(f"--values-file {path.name}: expected 'field: {{spelling: code}}' mappings")
        if all(isinstance(v, dict) and all(isinstance(w, dict) for w in v.values()) for v in obj.values()):
            obj = obj.get(layer, {})   # keyed by layer: this load's part
        return {str(f): {str(k): str(v) for k, v in m.items()} for f, m in obj.items()}
    reader = csv.DictReader(io.StringIO(text), delimiter="\t" if suffix == ".tsv" else ",")
    cols = {c.strip().lower(): c for c in (reader.fieldnames or [])}
    if not {"field", "value", "code"} <= set(cols):
        raise ValueError(f"--values-file {path.name} needs the columns field,value,code "
                         f"(it has {', '.join(reader.fieldnames or []) or 'none'})")
    out: dict[str, dict[str, str]] = {}
    for r in reader:
        if "layer" in cols and (r.get(cols["layer"]) or "").strip() not in ("", layer):
            continue
        f, v, c = ((r.get(cols[k]) or "").strip() for k in ("field", "value", "code"))
        if f and v and c:
            out.setdefault(f, {})[v] = c
    return out


def check_value_maps(layer: str, maps: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """``maps`` with each code written as the code list writes it; ValueError names
    the first field or code that does not exist.

    >>> check_value_maps("cases", {"source": {"Constituent Call": "Hotline"}})
    {'source': {'Constituent Call': 'hotline'}}
    >>> check_value_maps("cases", {"source": {"x": "phone"}})
    Traceback (most recent call last):
    ...
    ValueError: value map source:x=phone: 'phone' is not a code of cases.source (inspector, citizen, hotline, iot, department)
    """
    coded = coded_fields(layer)
    out: dict[str, dict[str, str]] = {}
    for field, table in maps.items():
        if field not in coded:
            raise ValueError(f"value map for {field!r}: layer {layer} has no field {field!r} with a code list; "
                             f"its coded fields are {', '.join(coded) or 'none'}")
        by_norm = {normalise_code(c): c for c in coded[field]}
        for spelling, code in table.items():
            exact = by_norm.get(normalise_code(code))
            if exact is None:
                raise ValueError(f"value map {field}:{spelling}={code}: {code!r} is not a code of "
                                 f"{layer}.{field} ({', '.join(coded[field])})")
            out.setdefault(field, {})[spelling] = exact
    return out


def values_option(field: str, spelling: str) -> str:
    """The ``--values`` item that maps ``spelling`` of ``field``, quoted for a POSIX shell.

    >>> values_option("source", "Constituent Call")
    "--values 'source:Constituent Call=CODE'"
    >>> values_option("source", "Mail, Fax")
    '--values \\'"source:Mail, Fax=CODE"\\''
    """
    import shlex
    item = f"{field}:{spelling}=CODE"
    if "," in item or '"' in item:
        item = '"' + item.replace('"', '""') + '"'
    return "--values " + shlex.quote(item)


# ---- values other than codes: missing, booleans, times ----------------------------

def blank_mask(s: pd.Series) -> np.ndarray:
    """Per value: missing, or text that means missing (NA_TOKENS)."""
    txt = s.astype(object)
    return (pd.isna(txt) | txt.map(lambda v: isinstance(v, str) and v.strip() in NA_TOKENS)).to_numpy(bool)


#: Earliest time a record may carry: no grid-management or 311 system predates it,
#: so an earlier date is a typo or a placeholder (1900-01-01, 0001-01-01, Excel's 1899-12-30).
EARLIEST = pd.Timestamp("1990-01-01")
#: How far ahead a time may lie: an event (reported, closed…) at most a day (clocks
#: drift), a plan (a deadline, a planned completion; ``Field.future``) ten years.
AHEAD_EVENT = pd.Timedelta(days=1)
AHEAD_PLAN = pd.Timedelta(days=3653)


def _strptime_arrow(arr, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """Naive times of ``fmt`` in an Arrow string array: (microseconds, parsed) per value.

    Arrow's strptime is twenty times faster than pandas' for a format that is not
    ISO 8601, but it rolls an impossible date over (02/30 → 03/02, 04/31 → 05/01).
    A rolled-over date lands on day 1, 2 or 3, so pandas (exact, slower) reads
    again the values Arrow put there, and those it gave a year below 1000 (Arrow's
    ``%Y`` takes two digits, pandas' four). What Arrow cannot read at all, pandas cannot
    either (tests/geodata/test_loaders.py asks hypothesis for a counter-example), so a format that fits
    none of a column costs one Arrow pass, not a pandas one (that took 1 s a million).
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    parsed = pc.strptime(arr, format=fmt, unit="us", error_is_null=True)
    if isinstance(parsed, pa.ChunkedArray):
        parsed = parsed.combine_chunks()
    ok = parsed.is_valid().to_numpy(zero_copy_only=False)
    us = parsed.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False).copy()
    if not ok.any():
        return us, ok
    suspect = pc.fill_null(pc.or_(pc.less_equal(pc.day(parsed), 3),
                                  pc.less(pc.year(parsed), 1000)), False).to_numpy(zero_copy_only=False)
    where = np.empty(0, np.intp)
    if suspect.any():
        where = np.flatnonzero(suspect)
        # A suspect that Arrow writes back exactly as the text it read was read
        # right (a rolled-over date writes back as another day): only the others
        # go to pandas — in a zero-padded column, none.
        seconds = pc.cast(parsed.take(pa.array(where)), pa.timestamp("s"), safe=False)  # %S: no fraction
        back = pc.strftime(seconds, format=fmt)
        same = pc.fill_null(pc.equal(back, arr.take(pa.array(where))), False).to_numpy(zero_copy_only=False)
        where = where[~same]
    if len(where):
        again = pd.to_datetime(pd.Series(arr.take(pa.array(where)).to_pylist(), dtype=object),
                               format=fmt, errors="coerce").astype("datetime64[us]")
        ok[where] = again.notna().to_numpy()
        us[where] = again.to_numpy().view("i8")
    return us, ok


def _strptime(txt: pd.Series, fmt: str) -> pd.Series:
    """Naive times of ``fmt``, NaT where a value is not one (see :func:`_strptime_arrow`).

    >>> _strptime(pd.Series(["02/05/2023 04:50:57 PM", "2/5/2023 4:50:57 PM", "02/30/2023 01:00:00 AM",
    ...                      "03/02/2023 01:00:00 AM"], dtype=TEXT), "%m/%d/%Y %I:%M:%S %p").tolist()
    [Timestamp('2023-02-05 16:50:57'), Timestamp('2023-02-05 16:50:57'), NaT, Timestamp('2023-03-02 01:00:00')]
    """
    us, ok = _strptime_arrow(_arrow_text(txt), fmt)
    return pd.Series(np.where(ok, us, np.iinfo(np.int64).min).view("datetime64[us]"), index=txt.index)


def _arrow_text(txt: pd.Series):
    """``txt`` as one Arrow string array (no copy for an Arrow-backed column)."""
    import pyarrow as pa
    arr = getattr(txt.array, "_pa_array", None)
    if arr is None or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return pa.array(txt.to_numpy(object), type=pa.string(), from_pandas=True)
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    return arr.cast(pa.string()) if pa.types.is_large_string(arr.type) else arr


#: A date whose third part is a one- or two-digit year (``5/4/14``, ``05/04/9 10:00``): the
#: only text the two-digit-year forms of :data:`DATE_FORMATS` can read.
_SHORT_YEAR = r"^[^/]*/[^/]*/\s*\d{1,2}(?:\D|$)"


def _naive_times(txt: pd.Series, rest: np.ndarray, iso_like: np.ndarray) -> np.ndarray:
    """Naive times (datetime64[us], NaT where none) of the values of ``txt`` under ``rest``.

    Each value takes the first of :data:`DATE_FORMATS` that reads it. The values a
    format read leave the pool, so a column in one form costs about one pass,
    whatever that form's place in the list.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    nat = np.iinfo(np.int64).min
    out = np.full(len(txt), nat, dtype=np.int64)
    idx = np.flatnonzero(rest)
    pool = _arrow_text(txt).take(pa.array(idx))
    for fmt in DATE_FORMATS:
        if not len(idx):
            break
        if fmt == "ISO8601":
            # pandas' ISO 8601 parser takes some garbage ('\\1' → year 0): only text
            # that starts like a date goes to it.
            sel = np.flatnonzero(iso_like[idx])
            if not len(sel):
                continue
            got = pd.to_datetime(pd.Series(pool.take(pa.array(sel)).to_pylist(), dtype=object),
                                 format="ISO8601", errors="coerce").astype("datetime64[us]").to_numpy().view("i8")
            ok = np.zeros(len(idx), bool)
            ok[sel] = got != nat
            vals = np.full(len(idx), nat, dtype=np.int64)
            vals[sel] = got
        elif fmt.startswith("%m/%d/%y"):
            # only text whose third part is a one- or two-digit year can be read by a
            # two-digit-year form (Arrow's %y takes one or two digits and the whole
            # text must match): a column of four-digit years skips the four of them
            sel = np.flatnonzero(pc.match_substring_regex(pool, _SHORT_YEAR).to_numpy(zero_copy_only=False))
            if not len(sel):
                continue
            some, got = _strptime_arrow(pool.take(pa.array(sel)), fmt)
            ok = np.zeros(len(idx), bool)
            ok[sel] = got
            vals = np.zeros(len(idx), dtype=np.int64)
            vals[sel] = some
        else:
            vals, ok = _strptime_arrow(pool, fmt)
        if ok.any():
            out[idx[ok]] = vals[ok]
            keep = ~ok
            idx = idx[keep]
            pool = pool.filter(pa.array(keep))
    return out.view("datetime64[us]")


class ParsedTimes(NamedTuple):
    """What :func:`parse_datetimes` returns (unpacks as a 3-tuple)."""

    times: pd.Series            #: tz-aware, NaT where blank, unparseable or out of range
    unparseable: np.ndarray     #: bool per value: text that is no time in any known form
    out_of_range: np.ndarray    #: bool per value: a real time before EARLIEST or after ``latest``


def parse_datetimes(values: pd.Series, tz: str | None = None, *,
                    latest: pd.Timestamp | None = None) -> ParsedTimes:
    """Parse times in the common forms; return (times, unparseable, out of range).

    Times with a zone keep it; naive ones are taken to be in ``tz`` (default
    ``geodata.config.timezone()``). Blank values are NaT and neither
    unparseable nor out of range. A time before :data:`EARLIEST` or after
    ``latest`` (default: a day from now) is out of range and NaT — checked
    before any zone arithmetic, which fails on year 1. The result is in the
    configured display zone.

    >>> t, bad, far = parse_datetimes(pd.Series(["04/30/2014 02:51:52 PM", "2014-04-30T06:51:52Z",
    ...                                          "2018年3月5日 14:30", "", "soon", "0001-01-01"]), "Asia/Shanghai")
    >>> [str(x) for x in t]
    ['2014-04-30 14:51:52+08:00', '2014-04-30 14:51:52+08:00', '2018-03-05 14:30:00+08:00', 'NaT', 'NaT', 'NaT']
    >>> bad.tolist(), far.tolist()
    ([False, False, False, False, True, False], [False, False, False, False, False, True])
    """
    tz = tz or config.timezone()
    latest = pd.Timestamp.now(tz="UTC") + AHEAD_EVENT if latest is None else latest
    latest_utc = (latest.tz_convert("UTC") if latest.tzinfo else latest.tz_localize("UTC")).tz_localize(None)
    s = pd.Series(values).reset_index(drop=True)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us, UTC]")
    pending = np.zeros(len(s), bool)
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        out = s.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
        naive = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    elif pd.api.types.is_datetime64_any_dtype(s):
        naive = s.astype("datetime64[us]")
    else:
        if pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
            txt = s.astype(TEXT).str.strip()   # Arrow kernels: a million rows in milliseconds
        else:
            txt = s.astype(object).map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                                       else str(v).strip()).astype(TEXT)
        blank = (txt.isna() | txt.isin(NA_TOKENS)).to_numpy(bool)
        pending = ~blank
        aware = pending & txt.str.match(_AWARE.pattern).fillna(False).to_numpy(bool)
        if aware.any():
            out[aware] = pd.to_datetime(txt[aware], format="ISO8601", utc=True, errors="coerce")
        iso_like = txt.str.match(_ISO_START.pattern).fillna(False).to_numpy(bool)
        naive = pd.Series(_naive_times(txt, pending & ~aware, iso_like), index=s.index)
    # The window is checked on naive wall times (a zone moves them by hours, not
    # years) before tz_localize, which cannot handle year 1.
    far = np.zeros(len(s), bool)
    for ts in (naive, out.dt.tz_convert("UTC").dt.tz_localize(None)):
        have = ts.notna().to_numpy()
        far |= have & ((ts < EARLIEST) | (ts > latest_utc)).to_numpy(bool)
    naive[far] = pd.NaT
    out[far] = pd.NaT
    have = naive.notna().to_numpy()
    if have.any():
        # ambiguous wall times (the hour repeated when DST ends) take the first,
        # daylight occurrence; skipped ones move forward — never NaT.
        loc = naive[have].dt.tz_localize(tz, ambiguous=np.ones(int(have.sum()), bool),
                                         nonexistent="shift_forward")
        out[have] = loc.dt.tz_convert("UTC")
    bad = pending & out.isna().to_numpy() & ~far
    return ParsedTimes(out.dt.tz_convert(config.timezone()), bad, far)
