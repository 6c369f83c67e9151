"""Validation at the door, driven by the data dictionary (:mod:`geodata.schema`).

:func:`validate` splits raw rows (as :func:`geodata.readers.read_source` makes
them) into rows fit for a layer and quarantine records, one per rejected row,
so that ``len(good) + len(quarantined) == len(rows)`` always. What is checked,
in this order (a row's quarantine reason lists every problem found, the
first one names it in the counts):

1. the reader's own verdict (``_error``: ragged line, unreadable geometry…);
2. geometry, for a layer that has one: present and non-empty; every vertex a
   finite lon/lat in ``schema.LON_RANGE``/``LAT_RANGE``; a point not at (0, 0)
   (the usual placeholder for "unknown"); the layer's type. Invalid polygons
   are repaired with ``shapely.make_valid`` keeping only the polygonal part
   (quarantined when nothing polygonal is left, or when a single-polygon layer
   would get several); multi-part lines are merged when they join into one;
3. every dictionary field present: its kind (text, int, float, bool,
   datetime), ``min``/``max``, times between 1990 and a day from now (ten
   years for ``Field.future`` plans), no control characters in ids and codes,
   required fields (the id, a case's reported_at). Closed code lists are
   matched after normalising variants (:mod:`geodata.value_maps`); a spelling
   no map knows quarantines the record only in a required field — in an
   optional one the field is left empty, the spelling kept in
   ``<field>_original`` and reported in ``unknown_values``, so a spelling
   never costs a record; nor does an optional number or boolean that is not
   one or is out of its range (``约50人`` employees). Open category trees
   (``Field.open_codes``) accept any value; values not yet known are returned
   as new categories;
4. duplicate ids among the rows that passed: the first wins.

A file without the layer's id column gets stable generated ids:
``sha1("<file name>#<row>")``, first 16 hex digits — reloading the same file
upserts the same rows.
"""
from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from typing import Iterable, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata import config
from geodata.crs import lonlat_problems
from geodata.raw_rows import raw_of_frame, raw_of_list
from geodata.schema import STORAGE_CRS, Field, Layer, layer as layer_decl
from geodata.value_maps import (AHEAD_EVENT, AHEAD_PLAN, EARLIEST, FALSE_TOKENS, NA_TOKENS, TEXT, TRUE_TOKENS,
                                 blank_mask, code_lookup, normalise_code, parse_datetimes)

__all__ = ["Validation", "validate", "parse_datetimes", "generated_id", "category_code",
           "QUARANTINE_COLUMNS", "UNKNOWN_COLUMNS", "ORIGINAL_SUFFIX"]

QUARANTINE_COLUMNS = ["layer", "source_row", "reason", "raw", "source_file", "quarantined_at"]
UNKNOWN_COLUMNS = ["field", "value", "rows", "codes", "problem"]
#: Column beside an optional field that keeps a value it could not take (a spelling no
#: value map knows, text where a number belongs).
ORIGINAL_SUFFIX = "_original"
_INTERNAL = ("_row", "_line", "_raw", "_error")
#: C0/C1 control characters (whitespace among them is folded to spaces first).
_CONTROL = "[\x00-\x1f\x7f-\x9f]"

class Validation(NamedTuple):
    """What :func:`validate` returns (unpacks as a 4-tuple)."""

    good: pd.DataFrame            #: GeoDataFrame (EPSG:4326) or DataFrame for a layer without geometry
    quarantined: pd.DataFrame     #: QUARANTINE_COLUMNS, one row per rejected row
    new_categories: pd.DataFrame  #: rows for the ``categories`` layer (code, parent, name, field, added_from)
    unknown_values: pd.DataFrame  #: UNKNOWN_COLUMNS: each spelling of an optional code nobody maps, with its rows


def generated_id(source_file: str, row: int) -> str:
    """The stable id of row ``row`` of a file that has no ids of its own.

    >>> generated_id("cases.csv", 1)
    '685fcd6b040c89b5'
    """
    return hashlib.sha1(f"{source_file}#{row}".encode()).hexdigest()[:16]


def category_code(layer: str, field: str, value: str, parent: str | None = None) -> str:
    """The ``categories`` code of an open-tree value.

    Case categories are the tree itself: ``'市容环境'`` and ``'市容环境/占道经营'``.
    Other layers' open fields are namespaced by field: ``'industry:纺织'``.
    """
    if layer == "cases":
        return value if field == "category" or not parent else f"{parent}/{value}"
    return f"{field}:{value}"


# ---- values -------------------------------------------------------------------

#: What ``str.split()`` takes for whitespace, as literal characters so that both
#: Python's re and pyarrow's RE2 read the class the same way; a run of two or more,
#: or one that is not a plain space, becomes one space (matching every single space
#: would double the work on a column of ordinary text).
_WS = "".join(map(chr, [9, 10, 11, 12, 13, 28, 29, 30, 31, 32, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
                        0x2028, 0x2029, 0x202F, 0x205F, 0x3000]))
_SPACES = f"[{_WS}]{{2,}}|[{_WS.replace(' ', '')}]"


def _as_text(s: pd.Series) -> pd.Series:
    """Arrow text with integral numbers unformatted (320509.0 → '320509'), runs of
    whitespace as one space, blanks → NA.

    >>> _as_text(pd.Series(["  a \\t b ", "NA", None])).tolist(), _as_text(pd.Series([320509.0, 1.5, True])).tolist()
    (['a b', <NA>, <NA>], ['320509', '1.5', 'true'])
    """
    if pd.api.types.infer_dtype(s, skipna=True) not in ("string", "empty"):
        def one(v):
            if v is None or (isinstance(v, float) and np.isnan(v)):
                return None
            if isinstance(v, (float, np.floating)) and float(v).is_integer():
                return str(int(v))
            if isinstance(v, (bool, np.bool_)):
                return "true" if v else "false"
            return str(v)
        s = s.astype(object).map(one)
    t = s.astype(TEXT)
    if t.str.contains(_SPACES, regex=True).any():   # a scan is cheaper than rewriting every value
        t = t.str.replace(_SPACES, " ", regex=True)
    t = t.str.strip()
    return t.mask(t.isin(NA_TOKENS))


def _text_array(s: pd.Series):
    """Text values as the frame's text column will hold them (Arrow-backed ``str``,
    NaN for what is missing): no object array between the file and the store.

    >>> _text_array(pd.Series(["a", None, pd.NA], dtype=object)).tolist()
    ['a', nan, nan]
    """
    return s.astype("str").array


def _set_aside(out: dict, name: str, texts: pd.Series, mask: np.ndarray, problem, codes=None) -> list[dict]:
    """An optional field's values it cannot take: kept as text in ``<name>_original``
    (the field itself is emptied by the caller); returns their UNKNOWN_COLUMNS rows,
    one per (problem, value) with its count. ``problem`` is one text or one per row."""
    out[f"{name}{ORIGINAL_SUFFIX}"] = _text_array(texts.where(mask))
    why = pd.Series(problem if not isinstance(problem, str) else [problem] * len(texts), index=texts.index)
    counts = pd.DataFrame({"problem": why[mask], "value": texts[mask]}).value_counts()
    return [{"field": name, "value": v, "rows": int(c), "codes": codes, "problem": p}
            for (p, v), c in counts.items()]


def _numbers(s: pd.Series, f: Field):
    """(values, problems) for an int/float field."""
    blank = blank_mask(s)
    txt = s.astype(object).where(~blank, None)
    num = pd.to_numeric(txt.map(lambda v: v.strip().replace(",", "") if isinstance(v, str) else v),
                        errors="coerce").astype("float64")
    problems = np.full(len(s), None, dtype=object)
    for i in np.flatnonzero(~blank & num.isna().to_numpy()):
        problems[i] = (f"{f.name} not a number", repr(txt.iloc[i]))
    vals = num.to_numpy()
    with np.errstate(invalid="ignore"):
        if f.kind == "int":
            frac = ~np.isnan(vals) & (vals != np.round(vals))
            for i in np.flatnonzero(frac):
                problems[i] = (f"{f.name} not an integer", repr(txt.iloc[i]))
        low = ~np.isnan(vals) & (vals < f.min) if f.min is not None else np.zeros(len(s), bool)
        high = ~np.isnan(vals) & (vals > f.max) if f.max is not None else np.zeros(len(s), bool)
    rng = f"[{'' if f.min is None else f'{f.min:g}'}, {'' if f.max is None else f'{f.max:g}'}]"
    for i in np.flatnonzero(low | high):
        problems[i] = problems[i] or (f"{f.name} out of range", f"{vals[i]:g} not in {rng}")
    out = pd.Series(vals, index=s.index)
    if f.kind == "int":
        out = out.where(~np.isnan(vals) & (vals == np.round(vals))).astype("Int64")
    return out, problems


def _bools(s: pd.Series, f: Field):
    vals, problems = [], np.full(len(s), None, dtype=object)
    for i, v in enumerate(s.astype(object)):
        if isinstance(v, (bool, np.bool_)):
            vals.append(bool(v))
            continue
        t = None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip().lower()
        if t is None or t in NA_TOKENS:
            vals.append(None)
        elif t in TRUE_TOKENS:
            vals.append(True)
        elif t in FALSE_TOKENS:
            vals.append(False)
        else:
            vals.append(None)
            problems[i] = (f"{f.name} not a boolean", repr(v))
    return pd.Series(vals, index=s.index, dtype="boolean"), problems


# ---- geometry -----------------------------------------------------------------

def _polygonal(g):
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    polys = [q for p in parts for q in shapely.get_parts(p)]
    polys = [p for p in polys if not p.is_empty and p.area > 0]
    if not polys:
        return None
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def _fix_polygon(g, single: bool):
    """(geometry, problem, repaired) for a polygon layer."""
    if g.geom_type not in ("Polygon", "MultiPolygon"):
        return None, ("wrong geometry type", f"{g.geom_type}, the layer takes polygons"), False
    repaired = False
    if not g.is_valid:
        why = shapely.is_valid_reason(g)
        g = _polygonal(shapely.make_valid(g))
        if g is None:
            return None, ("invalid geometry", f"{why}; no area left after repair"), False
        repaired = True
    if single and g.geom_type == "MultiPolygon":
        if len(g.geoms) == 1:
            return g.geoms[0], None, repaired
        return None, ("invalid geometry" if repaired else "wrong geometry type",
                      f"{len(g.geoms)} polygons where the layer takes one"), False
    return g, None, repaired


def _fix_line(g):
    if g.geom_type == "MultiLineString":
        merged = shapely.line_merge(g)
        if merged.geom_type != "LineString":
            return None, ("wrong geometry type", f"{len(g.geoms)} separate lines where the layer takes one"), False
        return merged, None, True
    if g.geom_type != "LineString":
        return None, ("wrong geometry type", f"{g.geom_type}, the layer takes lines"), False
    if not g.is_valid or g.length == 0:
        return None, ("invalid geometry", shapely.is_valid_reason(g) if not g.is_valid else "zero length"), False
    return g, None, False


def _check_geometry(decl: Layer, geoms: np.ndarray, add, read_error: np.ndarray) -> tuple[np.ndarray, int]:
    """Repair or reject each geometry for ``decl``; returns (geometries, repaired count).

    A row the reader already rejected (``read_error``) is not told again that
    its geometry is missing.
    """
    out = geoms.copy()
    present = pd.notna(geoms)
    empty = np.zeros(len(geoms), bool)
    empty[present] = shapely.is_empty(geoms[present])
    add((~present | empty) & ~read_error, "missing geometry", lambda i: "empty" if empty[i] else "none given")
    probs = lonlat_problems(geoms)
    bad_ll = pd.notna(probs) & present & ~empty
    add(bad_ll, "coordinates out of range", lambda i: probs[i])
    repaired = 0
    kind = decl.geometry
    todo = present & ~empty & ~bad_ll
    if kind == "Point" and todo.any():
        # column-wise for the common case (a million cases): only odd ones go one by one
        idx = np.flatnonzero(todo)
        types = shapely.get_type_id(geoms[idx])
        pts = idx[types == 0]
        at_zero = (shapely.get_x(geoms[pts]) == 0) & (shapely.get_y(geoms[pts]) == 0)
        add(np.isin(np.arange(len(geoms)), pts[at_zero]), "coordinates at 0,0",
            lambda _i: "the usual placeholder for an unknown place")
        todo = np.zeros(len(geoms), bool)
        todo[idx[types != 0]] = True
    for i in np.flatnonzero(todo):
        g = geoms[i]
        problem, fixed = None, False
        if kind == "Point":
            if g.geom_type == "MultiPoint" and len(g.geoms) == 1:
                g = g.geoms[0]
            if g.geom_type != "Point":
                problem = ("wrong geometry type", f"{g.geom_type}, the layer takes points")
            elif g.x == 0 and g.y == 0:
                problem = ("coordinates at 0,0", "the usual placeholder for an unknown place")
        elif kind in ("Polygon", "MultiPolygon"):
            g, problem, fixed = _fix_polygon(g, single=(kind == "Polygon"))
        elif kind == "LineString":
            g, problem, fixed = _fix_line(g)
        else:  # 'Geometry': lines or polygons (rivers)
            if g.geom_type in ("Polygon", "MultiPolygon"):
                g, problem, fixed = _fix_polygon(g, single=False)
            elif g.geom_type in ("LineString", "MultiLineString"):
                if not g.is_valid:
                    problem = ("invalid geometry", shapely.is_valid_reason(g))
            else:
                problem = ("wrong geometry type", f"{g.geom_type}, the layer takes lines or polygons")
        if problem:
            add(np.arange(len(geoms)) == i, problem[0], lambda _i, d=problem[1]: d)
        else:
            out[i] = g
            repaired += int(fixed)
    return out, repaired


# ---- the entry point ----------------------------------------------------------

def _with_internals(rows: pd.DataFrame, raw_of):
    """(rows, raw_of) for any frame: rows numbered 1… unless they are, and the
    original text of a row — the caller's, a ``_raw`` column, else the row itself
    (its geometry as WKT) as JSON — made only for the rows that are refused."""
    rows = rows.copy(deep=False)
    if "_row" not in rows:
        rows["_row"] = np.arange(1, len(rows) + 1)
    if "_line" not in rows:
        rows["_line"] = rows["_row"]
    if "_error" not in rows:
        rows["_error"] = None
    if raw_of is None and "_raw" in rows:
        raws = rows["_raw"].to_numpy(object)
        raw_of = raw_of_list(raws)
    elif raw_of is None:
        plain = pd.DataFrame(rows.drop(columns=[c for c in ("geometry", *_INTERNAL) if c in rows]))
        raw_of = raw_of_frame(plain, np.asarray(rows["geometry"], dtype=object) if "geometry" in rows else None)
    return rows, raw_of


def validate(layer: str, rows: pd.DataFrame, *, source_file: str | None = None,
             source_tz: str | None = None, known_categories: Iterable[str] | None = None,
             value_maps: dict[str, dict[str, str]] | None = None, raw_of=None) -> Validation:
    """Split ``rows`` into records fit for ``layer`` and quarantine records.

    Parameters
    ----------
    layer : str
        A layer of the data dictionary.
    rows : GeoDataFrame or DataFrame
        Raw rows, normally from :func:`geodata.readers.read_source` (geometry
        already WGS84). A plain frame works too: it is numbered 1… and its
        records serialised as the raw text.
    source_file : str, optional
        File name recorded in quarantine, seed of generated ids and
        ``added_from`` of new categories.
    source_tz : str, optional
        Zone of naive times in the file (default the configured one).
    known_categories : iterable of str, optional
        Codes already in the ``categories`` layer; values of open fields not
        among them are returned as new.
    value_maps : {field: {spelling: code}}, optional
        Extra spellings for closed code lists, over :data:`geodata.value_maps.VALUE_MAPS`.
    raw_of : callable, optional
        Positions → original records' text (``SourceInfo.raw_of`` of
        :func:`geodata.readers.read_source`), asked for the quarantined rows only.
        Without it a ``_raw`` column is used, else the row itself as JSON.

    Returns
    -------
    Validation
        ``(good, quarantined, new_categories, unknown_values)``.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> rows = gpd.GeoDataFrame({"case_id": ["1", "1", "2"], "reported_at": ["2018-01-02 08:00"] * 3,
    ...                          "source": ["Voice In", "hotline", "carrier pigeon"]},
    ...                         geometry=[shapely.Point(120.6, 31.2)] * 3, crs=4326)
    >>> good, bad, new, unknown = validate("cases", rows)
    >>> good["case_id"].tolist(), good["source"].tolist(), good["source_original"].tolist()
    (['1', '2'], ['hotline', nan], [nan, 'carrier pigeon'])
    >>> bad["reason"].tolist()
    ["duplicate case_id: '1' (first at row 1)"]
    >>> unknown[["field", "value", "rows"]].to_dict("records")
    [{'field': 'source', 'value': 'carrier pigeon', 'rows': 1}]
    """
    decl = layer_decl(layer)
    rows, raw_of = _with_internals(rows, raw_of)
    n = len(rows)
    problems: defaultdict[int, list[tuple[str, str]]] = defaultdict(list)   # only rows with a problem

    def add(mask, code: str, detail):
        for i in np.flatnonzero(mask):
            problems[i].append((code, detail(i)))

    errors = rows["_error"].to_numpy(object)
    has_err = pd.notna(errors)
    add(has_err, "", lambda i: errors[i])  # reader's reason: 'code: detail' already

    out: dict[str, np.ndarray] = {}   # column → values; one DataFrame is built at the end
    fields = {f.name: f for f in decl.fields}

    # -- id ---------------------------------------------------------------------
    idf = decl.id_field
    if idf and idf not in rows:
        seed = source_file or "rows"
        out[idf] = np.array([generated_id(seed, int(r)) for r in rows["_row"]], dtype=object)
    # -- dictionary fields -------------------------------------------------------------
    new_cats: dict[str, dict] = {}
    unknown_rows: list[dict] = []
    known = set(known_categories or ())
    tz = source_tz or config.timezone()
    now = pd.Timestamp.now(tz=config.timezone()).floor("s")
    for name, f in fields.items():
        if name not in rows:
            continue
        s = rows[name].reset_index(drop=True)
        flagged = np.zeros(n, bool)  # a value that is there but wrong is not also "missing"
        if f.kind == "datetime":
            latest = now + (AHEAD_PLAN if f.future else AHEAD_EVENT)
            vals, unparseable, far = parse_datetimes(s, tz, latest=latest)
            add(unparseable, f"unparseable {name}", lambda i, s=s: repr(s.iloc[i]))
            window = f"not between {EARLIEST:%Y-%m-%d} and {latest.tz_convert(tz):%Y-%m-%d}"
            add(far, f"{name} out of range", lambda i, s=s, w=window: f"{s.iloc[i]!r} {w}")
            flagged = unparseable | far
            out[name] = vals.array
        elif f.kind in ("int", "float", "bool"):
            vals, probs = (_bools if f.kind == "bool" else _numbers)(s, f)
            flagged = pd.notna(probs)
            if f.required or name == idf:
                for i in np.flatnonzero(flagged):
                    problems[i].append(probs[i])
            elif flagged.any():
                # like an unknown code: an optional value that is no number costs the field only
                texts = pd.Series(np.full(n, None, dtype=object), index=rows.index)
                texts[flagged] = [str(v) for v in s.to_numpy(object)[flagged]]
                why = [p[0].removeprefix(f"{name} ") if p else None for p in probs]
                unknown_rows.extend(_set_aside(out, name, texts, flagged, why))
                vals = vals.mask(flagged)
                flagged = np.zeros(n, bool)
            out[name] = vals.array
        else:
            vals = _as_text(s)
            if f.codes or f.open_codes or name == idf:
                # a code or an id is a key: a control character in it is garbage
                ctl = vals.str.contains(_CONTROL, regex=True).fillna(False).to_numpy(bool)
                add(ctl, f"control character in {name}", lambda i, v=vals: repr(v.iloc[i]))
                flagged = ctl
                vals = vals.mask(ctl)
            if f.codes:
                lookup = code_lookup(layer, name, f.codes, (value_maps or {}).get(name))
                # a handful of spellings for a million rows: each looked up once
                where, spellings = pd.factorize(vals)
                codes = np.array([lookup.get(normalise_code(v)) for v in spellings] + [None], dtype=object)
                mapped = pd.Series(codes[where], index=vals.index)   # -1 (missing) takes the None at the end
                unknown = (vals.notna() & mapped.isna()).to_numpy()
                allowed = ", ".join(f.codes)
                if f.required or name == idf:
                    add(unknown, f"{name} not in code list", lambda i, v=vals: f"{v.iloc[i]!r} (allowed: {allowed})")
                    flagged = flagged | unknown
                elif unknown.any():
                    # An optional code nobody mapped costs the field, never the record:
                    # the field stays empty and the spelling is kept beside it.
                    unknown_rows.extend(_set_aside(out, name, vals, unknown, "not in code list", f.codes))
                vals = mapped
            out[name] = _text_array(vals)
        if f.required or name == idf:
            add(np.asarray(pd.isna(out[name]), bool) & ~flagged, f"missing {name}", lambda i: "empty")
    for name, f in fields.items():
        if (f.required or name == idf) and name not in out:
            add(np.ones(n, bool), f"missing {name}", lambda i: "no such column in the file")

    # -- geometry ------------------------------------------------------------------
    repaired = 0
    geoms = None
    if decl.geometry is not None:
        raw_geoms = np.asarray(rows.geometry.values if "geometry" in rows else np.full(n, None), dtype=object)
        geoms, repaired = _check_geometry(decl, raw_geoms, add, has_err)

    # -- duplicates among the rows that passed ---------------------------------------------
    ok = np.ones(n, bool)
    ok[list(problems)] = False
    if idf and idf in out:
        ids = pd.Series(out[idf])
        row_nums = rows["_line"].to_numpy()
        ok_idx = np.flatnonzero(ok)
        dup = np.zeros(n, bool)
        dup[ok_idx[ids.iloc[ok_idx].duplicated(keep="first").to_numpy()]] = True
        if dup.any():
            first_ok = ids.iloc[ok_idx][~dup[ok_idx]]
            first_row = dict(zip(first_ok.to_numpy(), row_nums[ok_idx][~dup[ok_idx]]))
            add(dup, f"duplicate {idf}", lambda i: f"{ids.iloc[i]!r} (first at row {first_row[ids.iloc[i]]})")
        ok &= ~dup

    # -- extras: the file's other columns, kept under their sanitised names -------------------
    for col in rows.columns:
        if col in out or col in _INTERNAL or col == "geometry" or col in fields:
            continue
        out[col] = rows[col].to_numpy(object) if pd.api.types.is_string_dtype(rows[col].dtype) \
            else rows[col].to_numpy()

    # -- new categories, from good rows only ----------------------------------------------
    for name, f in fields.items():
        if not f.open_codes or name not in out:
            continue
        tree = layer == "cases" and name == "subcategory" and "category" in out
        pairs = pd.DataFrame({"v": out[name][ok], "p": out["category"][ok] if tree else None})
        pairs = pairs[pairs["v"].notna()].drop_duplicates()
        for v, parent in pairs.itertuples(index=False):
            parent = None if parent is None or pd.isna(parent) else parent
            code = category_code(layer, name, v, parent)
            if code not in known and code not in new_cats:
                new_cats[code] = {"code": code, "parent": parent, "name": v, "field": name,
                                  "added_from": source_file}

    # -- assemble --------------------------------------------------------------------
    good = pd.DataFrame({c: v[ok] for c, v in out.items()})
    if decl.geometry is not None:
        good = gpd.GeoDataFrame(good, geometry=gpd.GeoSeries(geoms[ok], index=good.index), crs=STORAGE_CRS)
    good = good.reset_index(drop=True)
    good.attrs["repaired"] = repaired

    bad_idx = np.flatnonzero(~ok)
    q = pd.DataFrame({
        "layer": layer,
        "source_row": [str(int(r)) for r in rows["_line"].to_numpy()[bad_idx]],
        "reason": ["; ".join(f"{c}: {d}" if c else d for c, d in problems[i]) for i in bad_idx],
        "raw": raw_of(bad_idx) if len(bad_idx) else [],
        "source_file": source_file,
        "quarantined_at": now,
    }, columns=QUARANTINE_COLUMNS)
    cats = pd.DataFrame(list(new_cats.values()), columns=["code", "parent", "name", "field", "added_from"])
    unknown_values = pd.DataFrame(unknown_rows, columns=UNKNOWN_COLUMNS)
    return Validation(good, q, cats, unknown_values)
