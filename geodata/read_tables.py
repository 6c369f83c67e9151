"""Tables without a geometry column of their own: CSV in any common encoding, Excel.

Chinese offices send most data as Excel sheets and as CSV saved by Excel in
GBK/GB18030; US cities' exports are UTF-8, sometimes Windows-1252. Every cell is
read as text (Excel dates as ISO 8601, whole numbers without ``.0``) so that the
same validation sees the same values whatever the container; coordinates are
found in columns by :mod:`geodata.readers`.

Encodings (:func:`decode`): a byte-order mark decides (UTF-8, UTF-16); else
strict UTF-8; else GB18030 (a superset of GBK and GB2312) when the text it
gives is mostly Chinese; else the best guess of ``charset_normalizer``. The
caller's ``encoding`` overrides all of that.
"""
from __future__ import annotations

import codecs
import csv
import io
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from geodata.raw_rows import LoadError, RawRows, first_line, raw_of_frame
from geodata.value_maps import NA_TOKENS

__all__ = ["decode", "read_csv", "read_excel", "cells_to_text", "EXCEL_SUFFIXES", "CSV_SUFFIXES"]

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_NAMES = {"utf-8-sig": "UTF-8 with BOM", "utf-8": "UTF-8", "gb18030": "GB18030/GBK", "utf-16": "UTF-16"}


def _cjk_share(text: str) -> float:
    """Share of CJK ideographs and CJK punctuation among the non-ASCII characters."""
    non_ascii = [c for c in text if ord(c) > 127]
    if not non_ascii:
        return 1.0
    cjk = sum(1 for c in non_ascii if "\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef"
              or unicodedata.name(c, "").startswith("CJK"))
    return cjk / len(non_ascii)


def decode(data: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """(text, encoding in words) of a text file's bytes.

    >>> decode("名称,经度\\n".encode("gbk"), "x.csv")
    ('名称,经度\\n', 'GB18030/GBK')
    >>> decode(codecs.BOM_UTF8 + "a,b\\n".encode(), "x.csv")[1]
    'UTF-8 with BOM'
    >>> decode("café,1\\n".encode("cp1252"), "x.csv", "cp1252")
    ('café,1\\n', 'cp1252')
    """
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise LoadError(f"--encoding {encoding!r} is not an encoding Python knows "
                            "(e.g. utf-8, utf-8-sig, gbk, gb18030, cp1252)") from None
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            raise LoadError(f"{name} is not {encoding}: byte 0x{data[exc.start]:02x} at offset {exc.start} "
                            "cannot be decoded; leave out --encoding to detect it") from None
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc), _NAMES[enc]
            except UnicodeDecodeError:
                break
    try:
        return data.decode("utf-8"), _NAMES["utf-8"]
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
        if _cjk_share(text[:200_000]) >= 0.6:
            return text, _NAMES["gb18030"]
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes
    best = from_bytes(data[:1_000_000]).best()
    if best is not None:
        try:
            return data.decode(best.encoding), best.encoding
        except UnicodeDecodeError:
            pass
    raise LoadError(f"{name}: cannot tell its text encoding (not UTF-8, GBK/GB18030 or another common one); "
                    "say it with --encoding")


def cells_to_text(df: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text or None: times as ISO 8601, whole numbers without '.0', NA tokens as None.

    >>> cells_to_text(pd.DataFrame({"a": [1.0, 2.5, None], "b": [pd.Timestamp("2018-01-02 08:00"), "NA", "x"]}))
         a                    b
    0    1  2018-01-02T08:00:00
    1  2.5                 None
    2  None                   x
    """
    def one(v):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
            return None
        if isinstance(v, (pd.Timestamp, np.datetime64)) or hasattr(v, "isoformat"):
            return pd.Timestamp(v).isoformat() if not isinstance(v, str) else v
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        if isinstance(v, (bool, np.bool_)):
            return "true" if v else "false"
        t = str(v)
        return None if t.strip() in NA_TOKENS else t
    out = pd.DataFrame({c: pd.Series([one(v) for v in df[c].to_numpy(object)], index=df.index, dtype=object)
                        for c in df.columns}, index=df.index)
    return out


def _sniff(first: str) -> str:
    try:
        return csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _read_delimited(utf8: bytes, delim: str) -> pd.DataFrame:
    """Every cell as text; a ragged file raises pandas' ParserError."""
    import pyarrow as pa
    try:
        df = pd.read_csv(io.BytesIO(utf8), sep=delim, dtype=str, keep_default_na=False, engine="pyarrow")
    except (pa.ArrowInvalid, ValueError):
        # what pyarrow refuses (ragged lines, a quote left open) the C reader reads or says why
        df = pd.read_csv(io.BytesIO(utf8), sep=delim, dtype=str, keep_default_na=False, encoding="utf-8")
    if len(df.columns) and not any(str(c).strip() for c in df.columns):
        raise pd.errors.EmptyDataError("no header")
    return df


def read_csv(path: Path, encoding: str | None = None) -> RawRows:
    """A delimited text file, every cell as text; ragged lines are kept as errors by number."""
    data = path.read_bytes()
    text, enc = decode(data, path.name, encoding)
    if not text.strip():
        raise LoadError(f"{path.name} is empty")
    delim = _sniff(text[:65536].split("\n", 1)[0])
    # pyarrow's reader (two threads, Arrow strings) takes a million rows in a third of a
    # second, the C reader in two; it wants UTF-8 bytes.
    utf8 = data[len(codecs.BOM_UTF8):] if enc == _NAMES["utf-8-sig"] else (
        data if enc == _NAMES["utf-8"] else text.encode("utf-8"))
    try:
        df = _read_delimited(utf8, delim)
        errors: list[str | None] = [None] * len(df)
    except pd.errors.ParserError:
        # Ragged lines: read record by record so each bad line is quarantined by
        # number instead of failing (or silently skipping) the whole file.
        rows = list(csv.reader(io.StringIO(text), delimiter=delim))
        header, body = rows[0], [r for r in rows[1:] if r]
        errors, fixed = [], []
        for r in body:
            if len(r) != len(header):
                errors.append(f"malformed row: {len(r)} fields, the header has {len(header)}")
                r = (r + [""] * len(header))[:len(header)]
            else:
                errors.append(None)
            fixed.append(r)
        cols = [h if h else f"Unnamed: {i}" for i, h in enumerate(header)]
        df = pd.DataFrame(fixed, columns=cols, dtype=str)
    except pd.errors.EmptyDataError:
        raise LoadError(f"{path.name} has no header line") from None
    df.index = pd.RangeIndex(len(df))
    raw_of = raw_of_frame(df)
    df = df.apply(lambda s: s.mask(s.str.strip().isin(NA_TOKENS))) if len(df) else df
    # the spreadsheet row: the header is row 1 (blank lines, which readers skip, shift it)
    return RawRows(df, None, errors, raw_of, "CSV", notes={"encoding": enc}, lines=np.arange(2, len(df) + 2))


def _header_row(grid: pd.DataFrame) -> int:
    """The first row that looks like a header: as many filled cells as the table's
    widest row, give or take one. Office sheets often put a title above the table."""
    filled = grid.notna().sum(axis=1).to_numpy()
    if not len(filled):
        return 0
    widest = filled[:50].max()
    return int(np.flatnonzero(filled >= max(1, widest - 1))[0])


def read_excel(path: Path, sheet: str | None = None, layer_hint: str | None = None) -> RawRows:
    """One sheet of a workbook (.xlsx, .xls, .ods; read by calamine), every cell as text.

    The sheet is ``sheet`` (a name or a 1-based number), else the only sheet with
    data, else the one named like the target layer; rows above the header (a
    title, a date) are skipped.
    """
    try:
        book = pd.ExcelFile(path, engine="calamine")
    except Exception as exc:  # noqa: BLE001 - openpyxl/xlrd say why in their own words
        raise LoadError(f"cannot read {path.name} as an Excel workbook: {first_line(exc)}") from None
    with book:
        names = [str(n) for n in book.sheet_names]
        if sheet is not None:
            if sheet in names:
                chosen = sheet
            elif sheet.isdigit() and 1 <= int(sheet) <= len(names):
                chosen = names[int(sheet) - 1]
            else:
                raise LoadError(f"{path.name} has no sheet {sheet!r}; its sheets are {', '.join(names)}")
            grid = pd.read_excel(book, sheet_name=chosen, header=None, dtype=object)
        else:
            grids = {n: pd.read_excel(book, sheet_name=n, header=None, dtype=object) for n in names}
            with_data = [n for n, g in grids.items() if g.notna().to_numpy().any()]
            if len(with_data) == 1:
                chosen = with_data[0]
            elif layer_hint in with_data:
                chosen = layer_hint
            elif not with_data:
                raise LoadError(f"{path.name} has no data in any sheet")
            else:
                raise LoadError(f"{path.name} has data in several sheets ({', '.join(with_data)}); "
                                "pick one with --sheet")
            grid = grids[chosen]
    grid = grid.dropna(how="all").dropna(axis=1, how="all")   # index: the sheet's row, from 0
    if grid.empty:
        raise LoadError(f"sheet {chosen!r} of {path.name} is empty")
    h = _header_row(grid)
    header_row = int(grid.index[h]) + 1
    lines = grid.index.to_numpy()[h + 1:] + 1          # the rows Excel shows, blank ones skipped
    grid = grid.reset_index(drop=True)
    header = cells_to_text(grid.iloc[[h]]).iloc[0].tolist()
    cols, seen = [], set()
    for i, c in enumerate(header):
        name = c.strip() if isinstance(c, str) and c.strip() else f"Unnamed: {i}"
        while name in seen:
            name += "_"
        seen.add(name)
        cols.append(name)
    body = grid.iloc[h + 1:].reset_index(drop=True)
    body.columns = cols
    df = cells_to_text(body)
    df.index = pd.RangeIndex(len(df))
    fmt = "Excel (.xls)" if path.suffix.lower() == ".xls" else "Excel"
    return RawRows(df, None, [None] * len(df), raw_of_frame(df), fmt,
                   notes={"sheet": chosen, "header_row": header_row}, lines=lines)
