"""``townbrain export atlas``: one PDF, a cover, a contents page, then one page per
comprehensive grid (or district, or professional grid), in id order.

Each page: the unit on its neighbourhood (our basemap, its open cases — overdue in
red), its KPI table against the town, its 12-month trend of accepted cases, its
open and overdue cases, and its inspectors with their 3-5-10 record.

The figures are the wall's: the same snapshot read (``callbacks.module_data``), the
KPIs of the registry through ``indicators.compute_all`` / ``compute_kpis`` (one call
for all units), and the 3-5-10 record through ``indicators.rule_3510.inspector_days``
and ``compliance_by`` — nothing re-implemented here. Everything that is per unit is
computed once for all units before the first page is drawn, so a page costs only
its drawing (the 70 grids of the demo town in well under the 60 s target).
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from access.scope import Scope, scope_mask, scope_mask_by
from exports import cartography as C
from exports.common import ExportError, ExportResult, Places, default_user, finish, gate_scope, new_export_id, scoped
from geodata import config

__all__ = ["export_atlas", "ATLAS_KPIS", "UNITS"]

#: by → (store layer, id column, word key)
UNITS = {"grid": ("grids", "grid_id", "by_grid"), "district": ("districts", "district_id", "by_district"),
         "pro_grid": ("pro_grids", "pro_grid_id", "by_pro_grid")}
#: KPIs of a page, registry names, in order.
ATLAS_KPIS = ("accepted", "disposed", "disposal_rate", "inspector_share", "closure_rate", "ontime_closure_rate",
              "open_overdue", "composite_score")
CASE_ROWS = 12
STAFF_ROWS = 10


def _fmt_value(v, unit: str | None) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return "—"
    if unit == "ratio":
        return f"{float(v) * 100:.1f}%"
    if isinstance(v, (float, np.floating)) and not float(v).is_integer():
        return f"{float(v):,.1f}"
    return f"{int(v):,}"


def _prepare(store, by: str, scope: Scope | None):
    """Everything per unit, computed once: geometry, KPIs, months, open cases, 3-5-10."""
    from callbacks.module_data import ModuleData
    from indicators import compute_all, compute_kpis
    from indicators.registry import load_all
    from indicators.rule_3510 import compliance_by, inspector_days
    from exports.print_map import read_map_data
    from layers import modules as M
    layer, col, _ = UNITS[by]
    if not store.has_layer(layer):
        raise ExportError(f"the store has no {layer} layer to make an atlas by {by}")
    snap = ModuleData(store, config.timezone()).snapshot()
    data = read_map_data(store, M.get("public"), snapshot=snap)
    units = store.read(layer, columns=[c for c in (col, "name", "district_id") if c in store.columns(layer)])
    units[col] = units[col].astype(str)
    limited = not scope.town
    places = Places.of(store) if limited else None
    if limited:
        units = scoped(units, scope, places, layer)
    units = units.sort_values(col).reset_index(drop=True)
    period = {"start": snap.year_start, "end": snap.year_end, "as_of": snap.now, "now": snap.now}
    year = snap.year_cases()
    ids = units[col].tolist()
    table = compute_all(year, None, by=by, groups=ids, **period) if len(year) and col in year else \
        pd.DataFrame(index=pd.Index(ids, name=col))
    # what a unit is set beside: the town, or for a limited scope the scope's own totals
    # (its reader sees its own cases and counts, not the town's: issue 16 Deliver 3)
    year_c, patrols_c, reports_c = year, snap.patrols, snap.reports
    if limited:
        year_c = year[scope_mask(year, scope)]
        patrols_c = scoped(patrols_c, scope, places, "patrols")
        if reports_c is not None and "reported_by" in reports_c:   # an inspector's report: through its inspector
            reporters = reports_c[["reported_by"]].rename(columns={"reported_by": "staff_id"})
            reports_c = reports_c[scope_mask_by(reporters, scope, places.staff, "staff_id")]
    town = compute_kpis(year_c, patrols_c, reports=reports_c, **period) if len(year_c) else {}
    reg = load_all()
    # 12 months of accepted cases per unit (snapshot: registered in the last 12 months)
    months = pd.period_range((snap.now - pd.DateOffset(months=11)).strftime("%Y-%m"), snap.now.strftime("%Y-%m"),
                             freq="M")
    c = snap.cases
    monthly = pd.DataFrame(0, index=ids, columns=months)
    if len(c) and col in c:
        reg_at = c["registered_at"].dt.tz_convert(config.timezone()).dt.tz_localize(None).dt.to_period("M")
        counts = pd.crosstab(c[col].astype("string"), reg_at)
        monthly = counts.reindex(index=ids, columns=months, fill_value=0).fillna(0).astype(int)
    # open cases now, with their place and deadline
    open_cases = pd.DataFrame()
    if store.has_layer("cases"):
        cols = [x for x in ("case_id", "category", "reported_at", "registered_at", "deadline", "grid_id",
                            "district_id", "pro_grid_id") if x in store.columns("cases")]
        open_cases = store.read_points("cases", where={"closed_at": None}, columns=cols)
        open_cases = open_cases[open_cases["registered_at"].notna() & (open_cases["registered_at"] <= snap.now)]
        if limited:  # the pages' maps show the scope's open cases only, not the neighbours'
            open_cases = open_cases[scope_mask(open_cases, scope)]
        open_cases["overdue"] = (open_cases["deadline"].notna() & (open_cases["deadline"] < snap.now)).to_numpy()
        open_cases = C.to_metric(open_cases) if len(open_cases) else open_cases
    # inspectors (officers for professional grids) and their 3-5-10 record this year
    staff = snap.staff if snap.staff is not None else pd.DataFrame(columns=["staff_id", "role"])
    record = pd.DataFrame(columns=["inspector_days", "complying", "compliance"])
    if snap.patrols is not None and len(snap.patrols):
        days = inspector_days(snap.patrols, snap.reports, start=snap.year_start, end=snap.year_end,
                              tz=config.timezone())
        if len(days):
            record = compliance_by(days, "staff_id")
    role = "officer" if by == "pro_grid" else "inspector"
    staff = staff[staff["role"] == role] if "role" in staff else staff
    if by == "district" and "grid_id" in staff and data["base"].get("grids") is not None:
        g2d = dict(zip(data["base"]["grids"]["grid_id"].astype(str), data["base"]["grids"]["district_id"]))
        staff = staff.assign(district_id=staff["grid_id"].astype("string").map(g2d))
    units_m = C.to_metric(units)
    base_m = {k: C.to_metric(v) for k, v in data["base"].items()}
    return {"snap": snap, "units": units, "units_m": units_m, "base_m": base_m, "table": table, "town": town,
            "versus": "scope_value" if limited else "town_value", "reg": reg, "monthly": monthly, "open": open_cases, "staff": staff, "record": record, "col": col}


def export_atlas(store, out, by: str = "grid", *, lang: str = "zh", scope: Scope | None = None,
                 made_by: str | None = None, export_id: str | None = None, progress=None) -> ExportResult:
    """Write the atlas of every unit of ``by`` (grid, district or pro_grid) to ``out``
    (PDF): the units ``scope`` admits — an :class:`access.scope.Scope`,
    :data:`~access.scope.TOWN` for the whole town; ``None`` raises
    :class:`ExportError` (fail closed); ``NOTHING`` gives a cover and an empty contents."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages
    t0 = time.perf_counter()
    scope = gate_scope(scope)
    if by not in UNITS:
        raise ExportError(f"--by must be grid, district or pro_grid, not {by!r}")
    if lang not in ("zh", "en"):
        raise ExportError(f"--lang must be zh or en, not {lang!r}")
    export_id = export_id or new_export_id()
    made_by = made_by or default_user()
    P = _prepare(store, by, scope)
    from exports.print_map import store_town_name
    town = C.display_name(store_town_name(store) or ("青澜镇" if lang == "zh" else "Qinglan"), lang)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    n = len(P["units"])
    pages = n + 2
    foot = C.w("export", lang, id=export_id, user=made_by,
               at=pd.Timestamp.now(tz=config.timezone()).strftime("%Y-%m-%d %H:%M"))
    as_of = f"{C.w('as_of', lang)} {P['snap'].now:%Y-%m-%d %H:%M}"
    title = C.w("atlas_title", lang, town=town)
    with C.print_style(), PdfPages(out, metadata={"Title": title, "Author": made_by, "Subject": f"{by} atlas",
                                 "Keywords": f"{export_id}; TownBrain", "Creator": "TownBrain"}) as pdf:
        fig = _cover(P, by, lang, title, as_of, foot, town)
        pdf.savefig(fig)
        plt.close(fig)
        fig = _contents(P, by, lang, foot)
        pdf.savefig(fig)
        plt.close(fig)
        for i in range(n):
            fig = _unit_page(P, i, by, lang, as_of, foot, page=i + 3)
            pdf.savefig(fig)
            plt.close(fig)
            if progress:
                progress(i + 1, n)
    return finish(out, export_id=export_id, made_by=made_by, kind=f"atlas/{by}", t0=t0, pages=pages,
                  details={"by": by, "lang": lang, "units": P["units"][P["col"]].tolist()})


# ---- pages ------------------------------------------------------------------------------

A4 = C.paper_inches("A4", "portrait")


def _footer(fig, lang, foot, page):
    fig.text(0.06, 0.025, foot, fontsize=6.5, color=C.STYLE["muted"])
    fig.text(0.94, 0.025, C.w("page", lang, n=page), fontsize=7, ha="right", color=C.STYLE["muted"])


def _unit_label(P, i, lang) -> str:
    u = P["units"].iloc[i]
    name = C.display_name(u.get("name"), lang) if "name" in u else ""
    return f"{u[P['col']]}  {name}".strip()


def _cover(P, by, lang, title, as_of, foot, town):
    import matplotlib.pyplot as plt
    fig = plt.figure(figsize=A4)
    fig.text(0.08, 0.88, title, fontsize=26, color=C.STYLE["text"])
    fig.text(0.08, 0.845, f"{C.w(UNITS[by][2], lang)} · {len(P['units'])}", fontsize=13, color=C.STYLE["muted"])
    snap = P["snap"]
    fig.text(0.08, 0.82, f"{C.w('period', lang)} {snap.year_start:%Y-%m-%d} – {snap.now:%Y-%m-%d} · {as_of}",
             fontsize=10, color=C.STYLE["muted"])
    ax = fig.add_axes([0.08, 0.18, 0.84, 0.6])
    um = P["units_m"]
    d = P["base_m"].get("districts")
    bounds = d.total_bounds if d is not None and len(d) else um.total_bounds
    C.set_extent(ax, C.frame_extent(bounds, 0.84 * A4[0] / (0.6 * A4[1]), pad=0.03))
    C.draw_basemap(ax, P["base_m"], river_width=0.7)
    C.draw_polygons(ax, um.geometry, edgecolor="#d62728", linewidth=0.6, zorder=4)
    for uid, geom in zip(um[P["col"]], um.geometry):
        p = geom.representative_point()
        ax.text(p.x, p.y, uid, fontsize=4.5, ha="center", va="center", zorder=6)
    C.draw_scale_bar(ax, lang, fontsize=7)
    for s in ax.spines.values():
        s.set_edgecolor(C.STYLE["frame"])
    fig.text(0.08, 0.12, C.w("source", lang, town=town), fontsize=7.5, color=C.STYLE["muted"], wrap=True)
    fig.text(0.08, 0.10, C.w("crs", lang), fontsize=7.5, color=C.STYLE["muted"])
    _footer(fig, lang, foot, 1)
    return fig


def _contents(P, by, lang, foot):
    import matplotlib.pyplot as plt
    fig = plt.figure(figsize=A4)
    fig.text(0.08, 0.92, C.w("contents", lang), fontsize=20, color=C.STYLE["text"])
    n = len(P["units"])
    per_col = 48
    cols = max(1, -(-n // per_col))
    width = 0.84 / cols
    for i in range(n):
        c, r = divmod(i, per_col)
        y = 0.87 - r * 0.0165
        x = 0.08 + c * width
        fig.text(x, y, _unit_label(P, i, lang), fontsize=7.5 if cols > 1 else 9)
        fig.text(x + width - 0.02, y, str(i + 3), fontsize=7.5 if cols > 1 else 9, ha="right")
    _footer(fig, lang, foot, 2)
    return fig


def _text_table(ax, header, rows, fontsize=7.5, col_x=None, title=None):
    ax.axis("off")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    col_x = col_x or [i / len(header) for i in range(len(header))]
    y = 1.0
    if title:
        ax.text(0, y, title, fontsize=fontsize * 1.3, va="top", color=C.STYLE["text"])
        y -= 0.13
    for x, h in zip(col_x, header):
        ax.text(x, y, h, fontsize=fontsize, va="top", color=C.STYLE["muted"])
    y -= 0.02
    ax.plot([0, 1], [y - 0.055, y - 0.055], color="#cbd2d9", linewidth=0.6)
    step = min(0.075, (y - 0.05) / max(len(rows), 1))
    y -= 0.08
    for row in rows:
        for x, v in zip(col_x, row):
            color = "#b2182b" if isinstance(v, str) and v.startswith("!") else C.STYLE["text"]
            ax.text(x, y, v.lstrip("!") if isinstance(v, str) else v, fontsize=fontsize, va="top", color=color)
        y -= step


def _unit_page(P, i, by, lang, as_of, foot, page):
    import matplotlib.pyplot as plt
    col = P["col"]
    u = P["units"].iloc[i]
    uid = u[col]
    geom = P["units_m"].geometry.iloc[i]
    fig = plt.figure(figsize=A4)
    word = {"grid": "网格" if lang == "zh" else "Grid", "district": C.w("district", lang),
            "pro_grid": "专业网格" if lang == "zh" else "Professional grid"}[by]
    fig.text(0.06, 0.955, f"{word} {_unit_label(P, i, lang)}", fontsize=17, color=C.STYLE["text"])
    if "district_id" in u and isinstance(u["district_id"], str) and by != "district":
        fig.text(0.06, 0.937, f"{C.w('district', lang)} {u['district_id']} · {as_of}", fontsize=8,
                 color=C.STYLE["muted"])
    else:
        fig.text(0.06, 0.937, as_of, fontsize=8, color=C.STYLE["muted"])

    # the unit on its neighbourhood
    ax = fig.add_axes([0.06, 0.545, 0.88, 0.38])
    b = geom.bounds
    extent = C.frame_extent(b, 0.88 * A4[0] / (0.38 * A4[1]), pad=0.18)
    C.set_extent(ax, extent)
    ax.set_facecolor("#eef3f7")
    view = shapely.box(*extent)
    base = {k: (v[v.intersects(view)] if v is not None and len(v) else v) for k, v in P["base_m"].items()}
    C.draw_basemap(ax, base, buildings=base.get("buildings"), river_width=1.0)
    um = P["units_m"]
    near = um[um.intersects(view)]
    C.draw_polygons(ax, near.geometry, edgecolor=C.STYLE["grid_edge"], linewidth=0.8, zorder=3)
    for nid, name, g in zip(near[col], near.get("name", near[col]), near.geometry):
        if nid == uid:
            continue
        p = g.representative_point()
        if view.contains(p):
            ax.text(p.x, p.y, C.display_name(name, lang), fontsize=6, ha="center", color=C.STYLE["muted"], zorder=6)
    C.draw_polygons(ax, [geom], facecolors=["#fde0dd"], edgecolor="none", zorder=1.05, alpha=0.5)
    C.draw_polygons(ax, [geom], edgecolor="#d62728", linewidth=2.0, zorder=7)
    oc = P["open"]
    mine = oc[oc[col].astype("string") == uid] if len(oc) and col in oc else oc.iloc[0:0] if len(oc) else oc
    if len(oc):
        here = oc[oc.intersects(view)] if len(oc) else oc
        late = here["overdue"].to_numpy(dtype=bool)
        ax.scatter(here.geometry.x[~late], here.geometry.y[~late], s=10, c="#f59e0b", edgecolors="white",
                   linewidths=0.3, zorder=8, label=C.w("open_cases", lang))
        ax.scatter(here.geometry.x[late], here.geometry.y[late], s=14, c="#b2182b", edgecolors="white",
                   linewidths=0.3, zorder=9, label=C.w("overdue", lang))
        ax.legend(loc="upper left", fontsize=7, frameon=True, framealpha=0.85)
    C.draw_scale_bar(ax, lang, fontsize=6.5)
    C.draw_north_arrow(ax, lang, 0.0 if not len(um) else _convergence(geom), size=0.08)
    for s in ax.spines.values():
        s.set_edgecolor(C.STYLE["frame"])

    # KPI table against the town
    reg, table, town = P["reg"], P["table"], P["town"]
    rows = []
    for k in ATLAS_KPIS:
        ind = reg.get(k)
        if ind is None:
            continue
        label = ind.zh if lang == "zh" else ind.en
        mine_v = table.loc[uid, k] if uid in table.index and k in table else None
        rows.append([label, _fmt_value(None if mine_v is None or pd.isna(mine_v) else mine_v, ind.unit),
                     _fmt_value(town.get(k), ind.unit)])
    rec = P["record"]
    staff = P["staff"]
    key = {"grid": "grid_id", "district": "district_id", "pro_grid": "pro_grid_id"}[by]
    my_staff = staff[staff[key].astype("string") == uid] if key in staff else staff.iloc[0:0]
    mine_rec = rec.loc[rec.index.intersection(my_staff["staff_id"].astype(str))] if len(rec) else rec
    unit_3510 = (mine_rec["complying"].sum() / mine_rec["inspector_days"].sum()) if len(mine_rec) and \
        mine_rec["inspector_days"].sum() else None
    rows.append(["3-5-10", _fmt_value(unit_3510, "ratio"), _fmt_value(town.get("rule_3510_compliance"), "ratio")])
    kax = fig.add_axes([0.06, 0.30, 0.42, 0.22])
    _text_table(kax, [C.w("kpi", lang), C.w("unit_value", lang), C.w(P["versus"], lang)], rows,
                col_x=[0, 0.62, 0.83], title=f"{C.w('kpi', lang)} · {P['snap'].year_start:%Y}")

    # 12-month trend
    tax = fig.add_axes([0.56, 0.33, 0.38, 0.16])
    m = P["monthly"].loc[uid] if uid in P["monthly"].index else pd.Series(0, index=P["monthly"].columns)
    xs = np.arange(len(m))
    tax.bar(xs, m.to_numpy(), color="#4c78a8", width=0.7)
    tax.set_xticks(xs, [p.strftime("%m") for p in m.index], fontsize=6.5)
    tax.tick_params(axis="y", labelsize=6.5)
    for s in ("top", "right"):
        tax.spines[s].set_visible(False)
    tax.set_title(C.w("trend", lang), fontsize=9, loc="left")

    # open and overdue cases
    cax = fig.add_axes([0.06, 0.06, 0.42, 0.21])
    mine = mine.sort_values(["overdue", "deadline"], ascending=[False, True]) if len(mine) else mine
    rows = []
    names = P["snap"].subcategory_names.get(lang, {})
    for _, r in mine.head(CASE_ROWS).iterrows():
        late = "!" if r["overdue"] else ""
        cat = str(names.get(r.get("category"), r.get("category")) or "")
        rows.append([late + str(r["case_id"]), cat if len(cat) <= 16 else cat[:15] + "…",
                     late + (f"{r['deadline'].tz_convert(config.timezone()):%Y-%m-%d %H:%M}"
                             if pd.notna(r.get("deadline")) else "—")])
    n_open, n_late = len(mine), int(mine["overdue"].sum()) if len(mine) else 0
    head = f"{C.w('open_cases', lang)} {n_open} · {C.w('overdue', lang)} {n_late}"
    if n_open > CASE_ROWS:
        rows.append(["", C.w("more", lang, n=n_open - CASE_ROWS), ""])
    _text_table(cax, [C.w("case_id", lang), C.w("category", lang), C.w("deadline", lang)], rows or
                [[C.w("none", lang), "", ""]], fontsize=6.5, col_x=[0, 0.36, 0.8], title=head)

    # inspectors and their 3-5-10 record
    sax = fig.add_axes([0.54, 0.06, 0.40, 0.21])
    rows = []
    for sid in my_staff["staff_id"].astype(str).head(STAFF_ROWS):
        r = rec.loc[sid] if sid in rec.index else None
        rows.append([sid, "—" if r is None else f"{int(r['inspector_days'])}",
                     "—" if r is None else f"{int(r['complying'])}",
                     "—" if r is None else _fmt_value(r["compliance"], "ratio")])
    _text_table(sax, [C.w("inspector", lang), C.w("days", lang), C.w("comply", lang), C.w("rate", lang)],
                rows or [[C.w("none", lang), "", "", ""]], fontsize=6.5, col_x=[0, 0.34, 0.56, 0.8],
                title=C.w("inspectors", lang))
    _footer(fig, lang, foot, page)
    return fig


def _convergence(geom) -> float:
    import geopandas as gpd
    c = gpd.GeoSeries([geom.centroid], crs=C.METRIC_CRS).to_crs(4326).iloc[0]
    return C.grid_convergence_deg(c.x, c.y)
