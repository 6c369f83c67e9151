"""A PNG overview map of the demo town, for the README (its opening picture).

Run ``python -m geodata.demo.overview [--out docs/img/demo-town.png] [--seed 42]
[--today 2026-11-01]``, or call :func:`render_overview` on a town dict (from
:func:`geodata.demo.build_town`). Chinese labels use the Noto CJK font installed with
the system packages (fonts-noto-cjk); nothing is fetched from the network.
"""
from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from geodata.schema import METRIC_CRS  # noqa: E402

_CJK_FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
              "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
_ROAD_STYLE = {"expressway": ("#d9822b", 2.6), "main": ("#f2c14e", 1.6), "secondary": ("#bbbbbb", 0.8),
               "village": ("#a89f91", 0.6), "path": ("#cfc8bc", 0.4)}
_DISTRICT_COLOURS = ("#e8f1e4", "#f6eadf", "#e6eef6", "#f3eef7", "#f7f3dc")


def _font() -> dict:
    for path in _CJK_FONTS:
        if Path(path).exists():
            font_manager.fontManager.addfont(path)
            return {"fontproperties": font_manager.FontProperties(fname=path)}
    return {}


def render_overview(town: dict, out: str | Path = "docs/img/demo-town.png", dpi: int = 110) -> Path:
    """Draw districts, grids, water, roads, buildings, enterprises and recent cases."""
    f = _font()
    m = {k: v.to_crs(METRIC_CRS) for k, v in town.items() if hasattr(v, "crs") and v.crs is not None}
    fig, ax = plt.subplots(figsize=(13, 11), dpi=dpi)
    fig.patch.set_facecolor("white")
    d = m["districts"].reset_index(drop=True)
    d.plot(ax=ax, color=[_DISTRICT_COLOURS[i % 5] for i in range(len(d))], edgecolor="none")
    m["buildings"].plot(ax=ax, color="#9a8f85", linewidth=0)
    water = m["rivers"]
    lakes = water[water.geom_type.isin(["Polygon", "MultiPolygon"])]
    lines = water[~water.index.isin(lakes.index)]
    lakes.plot(ax=ax, color="#8fbde0", edgecolor="#5b9bd5", linewidth=0.5)
    for kind, lw in (("branch", 0.8), ("river", 2.0), ("canal", 4.5)):
        lines[lines["kind"] == kind].plot(ax=ax, color="#5b9bd5", linewidth=lw)
    for cls in ("path", "village", "secondary", "main", "expressway"):
        r = m["roads"][m["roads"].road_class == cls]
        r.plot(ax=ax, color=_ROAD_STYLE[cls][0], linewidth=_ROAD_STYLE[cls][1])
    m["grids"].boundary.plot(ax=ax, color="#555555", linewidth=0.5, linestyle=(0, (3, 2)))
    m["pro_grids"].boundary.plot(ax=ax, color="#c0392b", linewidth=0.9, alpha=0.6)
    d.boundary.plot(ax=ax, color="#222222", linewidth=1.8)
    ent = m["enterprises"]
    colours = ent["credit"].map({"green": "#2e9e44", "yellow": "#e0b000", "red": "#d62728"})
    ax.scatter(ent.geometry.x, ent.geometry.y, s=4, c=colours, zorder=5, linewidths=0)
    if "patrols" in m and len(m["patrols"]):
        p = m["patrols"]
        last = p[p.started_at.dt.date == p.started_at.max().date()]
        last.plot(ax=ax, color="#7d3c98", linewidth=0.35, alpha=0.4, zorder=4)
    for _, row in d.iterrows():
        c = row.geometry.representative_point()
        ax.annotate(f"{row['name']}\n{row['district_id']}", (c.x, c.y), ha="center", va="center", fontsize=13,
                    color="#222", weight="bold", zorder=7,
                    bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": "none", "alpha": 0.7}, **f)
    for _, row in m["grids"].iterrows():
        c = row.geometry.representative_point()
        ax.annotate(row["grid_id"], (c.x, c.y), ha="center", va="center", fontsize=6, color="#444", zorder=6)
    for _, row in lines[lines["kind"].isin(["canal", "river"])].iterrows():
        c = row.geometry.interpolate(0.12, normalized=True)
        ax.annotate(row["name"], (c.x, c.y), fontsize=10, color="#1f5f99", zorder=7, **f)
    name = town["town"]["name"].iloc[0] if "town" in town else "demo town"
    n_cases = len(town.get("cases", []))
    ax.set_title(f"{name} — 5 片区 · {len(town['grids'])} 综合网格 · {len(town['pro_grids'])} 专业网格 · "
                 f"{len(town['enterprises']):,} 企业 · {len(town['buildings']):,} 建筑 · "
                 f"{len(town['residents']):,} 人口 · {n_cases:,} 案件", fontsize=13, **f)
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], color="#222", lw=1.8, label="片区 district"),
               Line2D([], [], color="#555", lw=0.6, ls=(0, (3, 2)), label="综合网格 grid"),
               Line2D([], [], color="#c0392b", lw=0.9, label="专业网格 professional grid"),
               Line2D([], [], color="#5b9bd5", lw=3, label="河道 water"),
               Line2D([], [], color="#d9822b", lw=2.4, label="高速 expressway"),
               Line2D([], [], color="#f2c14e", lw=1.6, label="主干道 main road"),
               Line2D([], [], color="#7d3c98", lw=0.8, label="巡查轨迹 patrols (last day)"),
               Line2D([], [], marker="o", ls="", color="#2e9e44", label="企业 enterprise (green/yellow/red)")]
    leg = ax.legend(handles=handles, loc="lower left", fontsize=9, framealpha=0.9)
    if f:
        for t in leg.get_texts():
            t.set_fontproperties(f["fontproperties"])
    ax.set_axis_off()
    ax.set_aspect("equal")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, bbox_inches="tight")
    plt.close(fig)
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="Render the demo town overview PNG")
    ap.add_argument("--out", default="docs/img/demo-town.png")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--today", default="2026-11-01", help="YYYY-MM-DD")
    a = ap.parse_args(argv)
    from geodata.demo import build_town
    town = build_town(seed=a.seed, today=dt.date.fromisoformat(a.today))
    print(render_overview(town, a.out))


if __name__ == "__main__":
    main()
