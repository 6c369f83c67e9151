"""The small charts of the wall's right panel, as plotly figure dicts (pure).

Each chart is a function ``(ChartContext, label, lang) -> figure``; ``label(key)``
gives the screen text (the screen passes ``callbacks.i18n.t``), so every title,
axis and month name follows the language. Fonts are large and the colours calm:
they are read from across a room.

Examples
--------
>>> import pandas as pd
>>> ctx = ChartContext(now=pd.Timestamp("2026-03-15", tz="Asia/Shanghai"),
...                    theme_cases=pd.DataFrame({"registered_at": pd.to_datetime(
...                        ["2026-03-01", "2026-02-01", "2026-02-02"]).tz_localize("Asia/Shanghai"),
...                        "subcategory": ["a/x", "a/y", "a/y"]}))
>>> fig = CHARTS["theme_monthly"](ctx, lambda k: k, "en")
>>> fig["data"][0]["x"][-2:], fig["data"][0]["y"][-2:]
(['Feb', 'Mar'], [2, 1])
>>> CHARTS["theme_monthly"](ctx, lambda k: k, "zh")["data"][0]["x"][-1]
'3月'
>>> CHARTS["theme_top_subcategories"](ctx, lambda k: k, "en")["data"][0]["y"]
['a/y', 'a/x']
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ACCENT = "#38bdf8"
GOOD = "#5eead4"
TEXT = "#cfe0f1"
MUTED = "#8aa4bf"
GRIDLINE = "rgba(94, 160, 220, 0.14)"


@dataclass
class ChartContext:
    now: pd.Timestamp
    theme_cases: pd.DataFrame = field(default_factory=pd.DataFrame)  # the theme's cases, last 12 months
    year_start: pd.Timestamp | None = None
    subcategory_names: dict = field(default_factory=dict)             # code → name in the language
    age_bands: dict = field(default_factory=dict)                     # band → residents
    credit_counts: dict = field(default_factory=dict)                 # credit → enterprises
    resolved_level: dict = field(default_factory=dict)                # level → disposed cases
    grid_scores: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))  # grid name → score
    layer_stats: dict = field(default_factory=dict)   # the modules' own layers (TownSnapshot.layer_stats)


def month_label(ts: pd.Timestamp, lang: str) -> str:
    """``3月`` in Chinese, ``Mar`` in English (plotly's own dates would be English)."""
    return f"{ts.month}月" if lang == "zh" else MONTHS_EN[ts.month - 1]


def chart_layout(title: str, font_family: str = "", horizontal: bool = False, height: int = 262) -> dict:
    return {
        "title": {"text": title, "x": 0.0, "xanchor": "left", "font": {"size": 19, "color": TEXT}},
        "height": height, "margin": {"l": 10, "r": 16, "t": 44, "b": 8},
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": font_family, "size": 15, "color": MUTED},
        "xaxis": {"gridcolor": GRIDLINE if horizontal else "rgba(0,0,0,0)", "zeroline": False,
                  "automargin": True, "fixedrange": True},
        "yaxis": {"gridcolor": "rgba(0,0,0,0)" if horizontal else GRIDLINE, "zeroline": False,
                  "automargin": True, "fixedrange": True, **({"autorange": "reversed"} if horizontal else {})},
        "showlegend": False, "bargap": 0.28,
    }


def _hbar(title: str, names: list, values: list, colour=ACCENT, text=None) -> dict:
    top = max([v for v in values if v is not None] or [0])
    fig = {"data": [{"type": "bar", "orientation": "h", "x": values, "y": names,
                     "marker": {"color": colour}, "text": text or values, "textposition": "outside",
                     "cliponaxis": False, "textfont": {"color": TEXT, "size": 15},
                     "hovertemplate": "%{y}: %{x}<extra></extra>"}],
           "layout": chart_layout(title, horizontal=True)}
    # room on the right for the value printed after the longest bar
    fig["layout"]["xaxis"].update(range=[0, top * 1.22 if top else 1], showticklabels=False,
                                  gridcolor="rgba(0,0,0,0)")
    return fig


def theme_monthly(ctx: ChartContext, label, lang: str) -> dict:
    """The theme's accepted cases per month, the last 12 months (this month so far)."""
    months = pd.period_range(end=ctx.now.tz_localize(None).to_period("M"), periods=12, freq="M")
    counts = pd.Series(0, index=months)
    if len(ctx.theme_cases) and "registered_at" in ctx.theme_cases:
        reg = ctx.theme_cases["registered_at"].dropna()
        if len(reg):
            per = reg.dt.tz_convert(ctx.now.tz).dt.tz_localize(None).dt.to_period("M").value_counts()
            counts = counts.add(per.reindex(months, fill_value=0), fill_value=0).astype(int)
    x = [month_label(p.to_timestamp(), lang) for p in months]
    return {"data": [{"type": "bar", "x": x, "y": counts.tolist(), "marker": {"color": ACCENT},
                      "hovertemplate": "%{x}: %{y}<extra></extra>"}],
            "layout": chart_layout(label("chart.theme_monthly"))}


def theme_top_subcategories(ctx: ChartContext, label, lang: str, top: int = 6) -> dict:
    """The theme's most frequent subcategories this year."""
    df = ctx.theme_cases
    if len(df) and ctx.year_start is not None and "registered_at" in df:
        df = df[df["registered_at"] >= ctx.year_start]
    counts = df["subcategory"].value_counts().head(top) if len(df) and "subcategory" in df else pd.Series(dtype=int)
    counts = counts.sort_values(ascending=False, kind="stable")
    names = [ctx.subcategory_names.get(c, c) for c in counts.index]
    return _hbar(label("chart.theme_top_subcategories"), names, counts.astype(int).tolist())


def theme_sources(ctx: ChartContext, label, lang: str) -> dict:
    """The theme's cases this year by source (hotline, citizens' photos …)."""
    df = ctx.theme_cases
    if len(df) and ctx.year_start is not None and "registered_at" in df:
        df = df[df["registered_at"] >= ctx.year_start]
    counts = df["source"].value_counts() if len(df) and "source" in df else pd.Series(dtype=int)
    return _hbar(label("chart.theme_sources"), [label(f"source.{s}") for s in counts.index],
                 counts.astype(int).tolist())


AGE_ORDER = ("0-6", "7-17", "18-34", "35-59", "60-79", "80+")


def age_bands(ctx: ChartContext, label, lang: str) -> dict:
    """Residents by age band; the 60+ bands in the warm colour."""
    bands = [b for b in AGE_ORDER if b in ctx.age_bands] + [b for b in ctx.age_bands if b not in AGE_ORDER]
    values = [int(ctx.age_bands[b]) for b in bands]
    colours = ["#fbbf24" if b in ("60-79", "80+") else ACCENT for b in bands]
    return {"data": [{"type": "bar", "x": [label(f"age.{b}") for b in bands], "y": values,
                      "marker": {"color": colours}, "hovertemplate": "%{x}: %{y}<extra></extra>"}],
            "layout": chart_layout(label("chart.age_bands"))}


def credit_mix(ctx: ChartContext, label, lang: str) -> dict:
    """Enterprises by credit colour."""
    from layers.enterprises import CREDIT_COLOURS, ORDER
    keys = [k for k in ORDER if k in ctx.credit_counts]
    return _hbar(label("chart.credit_mix"), [label(f"credit.{k}") for k in keys],
                 [int(ctx.credit_counts[k]) for k in keys], colour=[CREDIT_COLOURS[k] for k in keys])


def resolved_level(ctx: ChartContext, label, lang: str) -> dict:
    """Where this year's disposed cases were resolved: grid, village, town, district
    (brief.md: 小事不出格、大事不出村、难事不出镇)."""
    keys = ("grid", "village", "town", "district")
    values = [int(ctx.resolved_level.get(k, 0) or 0) for k in keys]
    return _hbar(label("chart.resolved_level"), [label(f"level.{k}") for k in keys], values, colour=GOOD)


def grid_ranking(ctx: ChartContext, label, lang: str, top: int = 6) -> dict:
    """The best grids by composite score this year."""
    s = ctx.grid_scores.dropna().sort_values(ascending=False).head(top)
    return _hbar(label("chart.grid_ranking"), [str(i) for i in s.index], [round(float(v), 1) for v in s],
                 colour=GOOD)


# ---- charts of the modules' own layers (numbers from ChartContext.layer_stats) -------------------
WARN = "#fbbf24"
BAD = "#f87171"


def _stacked(title: str, names: list, parts: list[tuple[str, list, str]]) -> dict:
    """Horizontal bars of several parts stacked (``(legend name, values, colour)``), the
    total printed after each bar."""
    totals = [sum(v) for v in zip(*[p[1] for p in parts])] if parts else []
    fig = _hbar(title, names, totals)
    text_style = {k: fig["data"][0][k] for k in ("textposition", "cliponaxis", "textfont")}
    fig["data"] = [{"type": "bar", "orientation": "h", "x": values, "y": names, "name": legend,
                    "marker": {"color": colour}, "hovertemplate": "%{y} · " + legend + ": %{x}<extra></extra>"}
                   for legend, values, colour in parts]
    if fig["data"]:
        fig["data"][-1].update(text=totals, **text_style)
    fig["layout"]["barmode"] = "stack"
    return fig


def key_project_status(ctx: ChartContext, label, lang: str) -> dict:
    """Key projects by schedule: on schedule, lagging, completed, suspended, not begun."""
    from layers.key_projects import COLOURS
    counts = ctx.layer_stats.get("projects_by_state", {})
    keys = [k for k in ("on_schedule", "lagging", "completed", "suspended", "planned") if counts.get(k)]
    return _hbar(label("chart.key_project_status"), [label(f"project.{k}") for k in keys],
                 [int(counts[k]) for k in keys], colour=[COLOURS[k] for k in keys])


def _parts_chart(ctx: ChartContext, label, stats_key: str, chart: str, prefix: str,
                 parts: tuple[tuple[str, str, str], ...]) -> dict:
    """Stacked bars of ``layer_stats[stats_key]`` ({bar: {part: n}}), biggest bar first;
    ``parts``: (part key, label key, colour)."""
    by = ctx.layer_stats.get(stats_key, {})
    keys = sorted(by, key=lambda k: -sum(by[k].values()))
    return _stacked(label(f"chart.{chart}"), [label(f"{prefix}.{k}") for k in keys],
                    [(label(lab), [int(by[k].get(part, 0)) for k in keys], colour) for part, lab, colour in parts]
                    if keys else [])


def camera_kinds(ctx: ChartContext, label, lang: str) -> dict:
    """Cameras by kind, online and offline."""
    return _parts_chart(ctx, label, "cameras_by_kind", "camera_kinds", "camera_kind",
                        (("online", "camera.online", ACCENT), ("offline", "camera.offline", BAD)))


def approval_channels(ctx: ChartContext, label, lang: str) -> dict:
    """Applications this year by channel: service window, online, self-service kiosk."""
    by = ctx.layer_stats.get("approvals_by_channel", {})
    keys = [k for k in ("online", "window", "self_service") if k in by]
    return _hbar(label("chart.approval_channels"), [label(f"channel.{k}") for k in keys],
                 [int(by[k]) for k in keys], colour=GOOD)


def opinion_platforms(ctx: ChartContext, label, lang: str) -> dict:
    """Public-opinion items this year by platform, the negative part in red."""
    return _parts_chart(ctx, label, "opinion_by_platform", "opinion_platforms", "platform",
                        (("negative", "sentiment.negative", BAD), ("other", "sentiment.other", ACCENT)))


def school_places(ctx: ChartContext, label, lang: str) -> dict:
    """Places of the coming intake against applications, per level; a level with more
    applications than places is drawn in amber (brief.md: the school-place early warning)."""
    by = ctx.layer_stats.get("schools_by_level", {})
    keys = [k for k in ("kindergarten", "primary", "junior_middle") if k in by]
    names = [label(f"school.{k}") for k in keys]
    places = [int(by[k].get("intake_places", 0)) for k in keys]
    apps = [int(by[k].get("applications", 0)) for k in keys]
    fig = {"data": [{"type": "bar", "x": names, "y": places, "name": label("school.intake_places"),
                     "marker": {"color": ACCENT}, "hovertemplate": "%{x}: %{y}<extra></extra>"},
                    {"type": "bar", "x": names, "y": apps, "name": label("school.applications"),
                     "marker": {"color": [WARN if a > p else GOOD for a, p in zip(apps, places)]},
                     "hovertemplate": "%{x}: %{y}<extra></extra>"}],
           "layout": chart_layout(label("chart.school_places"))}
    fig["layout"].update(barmode="group", showlegend=True,
                         legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.12, "font": {"size": 13}})
    return fig


def parking_kinds(ctx: ChartContext, label, lang: str) -> dict:
    """Occupancy now by kind of car park (green has room, amber filling, red full)."""
    from layers.parking import occupancy_colour
    by = ctx.layer_stats.get("parking_by_kind", {})
    keys = sorted(by, key=lambda k: -by[k])
    return _hbar(label("chart.parking_kinds"), [label(f"parking.{k}") for k in keys],
                 [round(100 * by[k]) for k in keys], colour=[occupancy_colour(by[k]) for k in keys],
                 text=[f"{100 * by[k]:.0f}%" for k in keys])


CHARTS = {f.__name__: f for f in (theme_monthly, theme_top_subcategories, theme_sources, age_bands,
                                   credit_mix, resolved_level, grid_ranking, key_project_status, camera_kinds,
                                   approval_channels, opinion_platforms, school_places, parking_kinds)}
