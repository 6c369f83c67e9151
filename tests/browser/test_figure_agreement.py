"""One meaning per word (issue 15, Deliver 1): every figure that appears on the wall and
on the console, read from the two pages as a person reads them, agrees — equal labels
show equal values, and two figures with different values do not share a label.

The town is the browser fixture town with inspectors and patrols in two of its four
grids, so a grid's composite score includes its 3-5-10 compliance: the wall once scored
grids without the patrols and the console with them, and the top grid differed.
"""
from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from callbacks import ids
from callbacks.i18n import LABELS
from geodata.demo import write_town
from tests.browser.conftest import TZ, build_fixture_town, serve_town

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def patrolled_town(tmp_path_factory) -> str:
    """The fixture town, cases assigned to their grids, an inspector in each grid,
    this year's patrols for the inspectors of G1 and G3 (those of G3 reporting ten
    cases a day on some days: compliant days), none for G2 and G4."""
    from geodata.store import open_store
    now = pd.Timestamp.now(tz=TZ)
    town = build_fixture_town(now, seed=5)
    more = build_fixture_town(now, seed=9)["cases"]
    more["case_id"] = [f"C1{i:02d}" for i in range(len(more))]
    cases = gpd.GeoDataFrame(pd.concat([town["cases"], more], ignore_index=True), crs=4326)
    joined = gpd.sjoin(cases, town["grids"][["grid_id", "district_id", "geometry"]], how="left",
                       predicate="within").drop(columns="index_right")
    cases = joined[~joined.index.duplicated()].copy()
    inspector = {"G1": "I1", "G2": "I2", "G3": "I3", "G4": "I4"}
    cases["reported_by"] = cases["grid_id"].map(inspector).where(cases["source"] == "inspector")
    staff = pd.DataFrame({"staff_id": list(inspector.values()), "role": "inspector",
                          "grid_id": list(inspector), "district_id": ["D1", "D1", "D2", "D2"],
                          "pro_grid_id": None})
    days = pd.date_range(now.normalize() - pd.Timedelta(days=20), periods=12, freq="D")
    rows, reports = [], []
    for staff_id, grid in (("I1", "G1"), ("I3", "G3")):
        for day in days:
            for k in range(3):
                start = day + pd.Timedelta(hours=8 + 3 * k)
                rows.append({"patrol_id": f"P{staff_id}{day:%m%d}{k}", "staff_id": staff_id, "grid_id": grid,
                             "started_at": start, "ended_at": start + pd.Timedelta(hours=2)})
        if staff_id == "I3":  # ten reports a day, fixed on the spot and never registered
            for day in days[:6]:
                for k in range(10):
                    reports.append(day + pd.Timedelta(hours=9, minutes=k))
    g3 = town["grids"].set_index("grid_id").loc["G3", "geometry"].centroid
    extra = gpd.GeoDataFrame({
        "case_id": [f"R{i:03d}" for i in range(len(reports))], "category": "市容环境", "subcategory": "暴露垃圾",
        "source": "inspector", "reported_by": "I3", "reported_at": reports, "registered_at": pd.NaT,
        "deadline": pd.NaT, "closed_at": pd.NaT, "status": "reported", "resolved_level": None,
        "enforcement": False, "grid_id": "G3", "district_id": "D2"},
        geometry=[g3] * len(reports), crs=4326)
    town["cases"] = gpd.GeoDataFrame(pd.concat([cases, extra], ignore_index=True), crs=4326)
    town["staff"] = staff
    x0, y0 = 120.61, 30.95
    town["patrols"] = gpd.GeoDataFrame(rows, geometry=[shapely.LineString([(x0, y0), (x0 + 0.01, y0 + 0.01)])] * len(rows),
                                       crs=4326)
    url = str(tmp_path_factory.mktemp("agree") / "town.gpkg")
    store = open_store(url)
    write_town(store, town)
    store.close()
    return url


@pytest.fixture
def both(dash_duo, patrolled_town):
    yield serve_town(dash_duo, patrolled_town)
    dash_duo.driver.get("about:blank")


#: Every figure of the wall as {label: value}: a tile's label is its section's title
#: and its own label (the section names the period: "2026年 案件 · 受理").
WALL_FIGURES_JS = """
const out = {};
const text = el => (el ? el.textContent : '').replace(/\\s+/g, ' ').trim();
document.querySelectorAll('.panel-left .panel-section').forEach(sec => {
  if (sec.offsetParent === null) return;
  const title = text(sec.querySelector('.panel-title'));
  sec.querySelectorAll('.kpi').forEach(k => {
    const label = text(k.querySelector('.kpi-label'));
    const value = text(k.querySelector('.kpi-value'));
    if (label && value) out[(k.classList.contains('module-kpi') ? '' : title + ' · ') + label] = value;
  });
});
document.querySelectorAll('.panel-right figure.bar-chart').forEach(fig => {
  const title = text(fig.querySelector('.bar-chart-title'));
  fig.querySelectorAll('.bar-row').forEach(r => {
    out[title + ' · ' + text(r.querySelector('.bar-cat'))] = text(r.querySelector('.bar-value'));
  });
});
return out;
"""

#: The console's figures: the two lists' counts, and the grid ranking's scores by grid.
CONSOLE_FIGURES_JS = """
const out = {};
const text = el => (el ? el.textContent : '').replace(/\\s+/g, ' ').trim();
for (const id of arguments[0]) {
  const head = document.querySelector('#' + id + ' .panel-title');
  if (!head) continue;
  const badge = head.querySelector('.count-badge');
  const title = text(head.firstChild);
  if (badge) out[title] = text(badge);
}
const rank = document.querySelector('#%s');
const period = text(rank.querySelector('.panel-title .muted'));
rank.querySelectorAll('tr').forEach(tr => {
  const td = tr.querySelectorAll('td');
  if (td.length >= 3) out[arguments[1] + ' · ' + period + ' · ' + text(td[1])] = text(td[2]);
});
return out;
""" % ids.CONSOLE_GRID_RANKING


def wall_figures(duo, query: str) -> dict:
    duo.wait_for_page(f"{duo.server_url}/wall{query}")
    duo._wait_for(lambda d: d.find_element("id", ids.DATA_AS_OF).text not in ("", "—"), timeout=30,
                  msg="the wall's figures never arrived")
    duo.wait_for_element(".panel-right figure.bar-chart .bar-row", timeout=30)
    return duo.driver.execute_script(WALL_FIGURES_JS)


def console_figures(duo, query: str, lang: str) -> dict:
    duo.wait_for_page(f"{duo.server_url}/console{query}")
    duo.wait_for_element(f"#{ids.CONSOLE_GRID_RANKING} .panel-title", timeout=30)
    duo.wait_for_element(f"#{ids.CONSOLE_OVERDUE_LIST} .panel-title", timeout=30)
    return duo.driver.execute_script(CONSOLE_FIGURES_JS, [ids.CONSOLE_OVERDUE_LIST, ids.CONSOLE_AT_RISK_LIST],
                                     LABELS[lang]["c.grid_rank"])


def number(text: str) -> float:
    return float(re.sub(r"[^\d.\-]", "", text))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_figure_on_wall_and_console_agrees_label_for_label(both, lang):
    q = "" if lang == "zh" else "&lang=en"
    wall = wall_figures(both, f"?module=public{q}")
    console = console_figures(both, f"?period=year{q}", lang)
    assert wall and console

    # the top grids by score: the wall's chart names "this year", the console's ranking
    # of the period "this year" — the same grids with the same scores, the same first
    L = LABELS[lang]
    chart = L["chart.grid_ranking"]
    this_year = L["c.period.year"].lower()
    assert this_year in chart.lower(), chart
    wall_rank = {k.split(" · ", 1)[1]: number(v) for k, v in wall.items() if k.startswith(chart + " · ")}
    # the console's period reads "今年 (2026年1月1日 – 2026年12月31日)": the preset, then its dates
    console_rank = {k.split(" · ")[2]: number(v) for k, v in console.items()
                    if k.startswith(f"{L['c.grid_rank']} · {L['c.period.year']}")}
    assert wall_rank and console_rank, (wall, console)
    if lang == "zh":  # the wall's English chart abbreviates names (short_place); scores are compared in zh
        assert wall_rank == {g: console_rank[g] for g in wall_rank}, (wall_rank, console_rank)
        assert max(wall_rank, key=wall_rank.get) == max(console_rank, key=console_rank.get)
    else:
        assert sorted(wall_rank.values(), reverse=True) == sorted(console_rank.values(), reverse=True)[:len(wall_rank)]

    # every label on both screens shows the same value on both; figures that differ
    # in value differ in wording (e.g. "overdue, open" of this year's cases vs overdue now)
    shared = set(wall) & set(console)
    for label in shared:
        assert number(wall[label]) == number(console[label]), (label, wall[label], console[label])
    overdue_wall = next(k for k in wall if k == L["metric.theme_open_overdue"])
    overdue_console = L["c.overdue_list"]
    assert overdue_console in console
    if number(wall[overdue_wall]) != number(console[overdue_console]):
        assert overdue_wall != overdue_console
    assert both.get_logs() == []
