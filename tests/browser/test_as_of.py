"""The town as of a day (``?as_of=YYYY-MM-DD``) in a real Chromium, on the demo town as a
town that loaded a past export: generated for 1 April 2019 (seed 42), so its cases run
from 2018-01-01 to 31 March 2019 and 2018 holds the published figures (contract, "The
demo town": 36,715 accepted, 36,205 disposed). Residents and building footprints are
left out: the wall draws without them, and they are most of the write time.

What is checked is what the screen shows (the DOM's text), against plain pandas over
the same GeoPackage and against the published figures.
"""
from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
from selenium.webdriver.common.by import By

from callbacks import ids
from callbacks.i18n import LABELS
from tests.browser.conftest import MAP_READY_JS, TZ, serve_town

pytestmark = pytest.mark.browser

PAST_TODAY = dt.date(2019, 4, 1)
AS_OF = "2018-12-31"
END = pd.Timestamp("2019-01-01", tz=TZ)   # the end of the as_of day


@pytest.fixture(scope="module")
def past_town(tmp_path_factory) -> str:
    from geodata.demo import build_town, write_town
    from geodata.store import open_store
    from grids.assign import assign_store
    town = {k: v for k, v in build_town(seed=42, today=PAST_TODAY).items() if k not in ("residents", "buildings")}
    url = str(tmp_path_factory.mktemp("past") / "town.gpkg")
    store = open_store(url)
    write_town(store, town)
    assign_store(store, layers=["cases"])
    store.close()
    return url


@pytest.fixture(scope="module")
def cases(past_town) -> pd.DataFrame:
    from geodata.store import open_store
    return open_store(past_town).read("cases", geometry=False, columns=[
        "case_id", "reported_at", "registered_at", "closed_at", "deadline", "enforcement"])


@pytest.fixture
def duo(dash_duo, past_town):
    yield serve_town(dash_duo, past_town)
    dash_duo.driver.get("about:blank")


def kpis_at(cases: pd.DataFrame, start, end) -> dict[str, int]:
    """The oracle, plain pandas: accepted = registered in [start, end); disposed = of
    those, closed before end; open = the others (contract, "KPI definitions")."""
    reg = cases["registered_at"]
    accepted = reg.notna() & (reg < end) & ((reg >= start) if start is not None else True)
    disposed = accepted & (cases["closed_at"] < end).fillna(False)
    return {"accepted": int(accepted.sum()), "disposed": int(disposed.sum()),
            "open": int((accepted & ~disposed).sum())}


def screen_kpis(duo, period: str) -> dict[str, str]:
    return {name: duo.find_element(f"#{ids.kpi_value(period, name)}").text for name in ("accepted", "disposed", "open")}


def wait_kpis(duo, period: str, want: dict[str, int]) -> None:
    for name, n in want.items():
        duo.wait_for_text_to_equal(f"#{ids.kpi_value(period, name)}", f"{n:,}", timeout=20)


def open_page(duo, path_query: str) -> None:
    duo.wait_for_page(f"{duo.server_url}{path_query}")


def wait_map(duo) -> None:
    duo.wait_for_element(f"#{ids.WALL_MAP}.leaflet-container canvas", timeout=30)
    duo._wait_for(lambda d: d.execute_script(MAP_READY_JS), timeout=30, msg="the map was never drawn")


def query(duo) -> dict:
    return {k: v[-1] for k, v in parse_qs(urlsplit(duo.driver.current_url).query).items()}


def test_the_wall_as_of_2018_shows_2018s_figures_and_says_so(duo, cases):
    oracle = kpis_at(cases, pd.Timestamp("2018-01-01", tz=TZ), END)
    assert oracle == {"accepted": 36_715, "disposed": 36_205, "open": 510}  # the published figures
    open_page(duo, f"/wall?as_of={AS_OF}")
    duo.wait_for_text_to_equal(f"#{ids.AS_OF_BADGE}", f"截至 {AS_OF}")
    wait_map(duo)
    wait_kpis(duo, "year", oracle)
    duo.wait_for_text_to_equal(f"#{ids.kpi_value('year', 'disposal_rate')}", "98.6%")
    # all time, as of then: the same year (the town starts in 2018), not the 2019 cases
    wait_kpis(duo, "all", kpis_at(cases, None, END))
    wall = duo.find_element(f"#{ids.WALL}").text
    assert "2018年 案件" in wall
    # the title bar: the day in its own badge, the live clock apart, one "截至" only
    title = duo.find_element(f"#{ids.TITLE_BAR}").text
    duo.wait_for_contains_text(f"#{ids.CLOCK_TIME}", ":")
    assert title.count("截至") == 1 and LABELS["zh"]["as_of.counted"] in title
    # no live feed on a past day: no ticker, the playback ends on the day
    assert duo.driver.find_elements(By.ID, ids.LIVE_TICKER) == []
    duo.wait_for_text_to_equal(f"#{ids.PLAYBACK_DAY}", LABELS["zh"]["playback.as_of"])
    assert duo.driver.find_elements(By.ID, ids.OLD_DATA_NOTE) == []
    # a module switch keeps the day in the URL and on screen, and its own figures are of
    # 2018: the enforcement module's cases, 261 in 2018 (published)
    enforcement = kpis_at(cases[cases["enforcement"].fillna(False).astype(bool)],
                          pd.Timestamp("2018-01-01", tz=TZ), END)["accepted"]
    assert enforcement == 261
    duo.find_element(f"#{ids.module_tab('enforcement')}").click()
    duo.wait_for_class_to_equal(f"#{ids.module_tab('enforcement')}", "module-tab is-active")
    assert query(duo) == {"module": "enforcement", "as_of": AS_OF}
    assert duo.find_element(f"#{ids.AS_OF_BADGE}").text == f"截至 {AS_OF}"
    duo.wait_for_text_to_equal(f"#{ids.module_kpi('theme_accepted')}", str(enforcement), timeout=20)
    assert screen_kpis(duo, "year") == {k: f"{v:,}" for k, v in oracle.items()}
    assert duo.get_logs() == []


def test_the_day_survives_rotation_and_english_says_as_of(duo, cases):
    open_page(duo, f"/wall?lang=en&rotate=1&as_of={AS_OF}")
    duo.wait_for_text_to_equal(f"#{ids.AS_OF_BADGE}", f"as of {AS_OF}")
    wait_map(duo)
    seen = set()
    duo._wait_for(lambda d: seen.add(query(duo).get("module")) or len(seen - {None}) >= 2, timeout=20,
                  msg="the wall did not rotate")
    q = query(duo)
    assert q["as_of"] == AS_OF and q["lang"] == "en" and q["rotate"] == "1"
    assert duo.find_element(f"#{ids.AS_OF_BADGE}").text == f"as of {AS_OF}"
    wait_kpis(duo, "year", kpis_at(cases, pd.Timestamp("2018-01-01", tz=TZ), END))
    assert "Cases in 2018" in duo.find_element(f"#{ids.WALL}").text
    assert duo.get_logs() == []


def test_a_live_wall_on_old_data_links_to_its_newest_day(duo, cases):
    newest = cases["reported_at"].max().tz_convert(TZ).strftime("%Y-%m-%d")
    assert newest == "2019-03-31"
    open_page(duo, "/wall?module=public")
    wait_map(duo)
    duo.wait_for_contains_text(f"#{ids.OLD_DATA_NOTE}", newest, timeout=20)
    wait_kpis(duo, "year", {"accepted": 0})  # this year has no case: the note says why
    link = duo.find_element(f"#{ids.OLD_DATA_LINK}")
    assert link.text == LABELS["zh"]["as_of.old_data_link"].format(day=newest)
    link.click()
    duo.wait_for_text_to_equal(f"#{ids.AS_OF_BADGE}", f"截至 {newest}", timeout=20)
    assert query(duo) == {"module": "public", "as_of": newest}
    wait_map(duo)
    # part of a year: [1 January 2019, 1 April 2019)
    wait_kpis(duo, "year", kpis_at(cases, pd.Timestamp("2019-01-01", tz=TZ), pd.Timestamp("2019-04-01", tz=TZ)))
    assert "2019年 案件 · 截至3月31日" in duo.find_element(f"#{ids.WALL}").text
    assert duo.driver.find_elements(By.ID, ids.OLD_DATA_NOTE) == []
    assert duo.get_logs() == []


@pytest.mark.parametrize("bad, reason", [("foo", "format"), ("0001-01-01", "early"), ("1989-12-31", "early"),
                                         ("2018-02-30", "date"), ("2999-01-01", "future")])
def test_a_bad_as_of_gets_a_clear_message_and_no_error(duo, caplog, bad, reason):
    caplog.set_level(logging.WARNING)
    open_page(duo, f"/wall?lang=en&as_of={bad}")
    duo.wait_for_contains_text(f"#{ids.AS_OF_ERROR}", f"as_of={bad}: {LABELS['en'][f'as_of.bad.{reason}']}")
    assert duo.driver.find_elements(By.ID, ids.WALL) == []       # no figures under a wrong date
    duo.wait_for_contains_text(f"#{ids.CLOCK_TIME}", ":")          # the page itself is alive
    assert duo.get_logs() == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []


def test_the_console_as_of_2018_counts_up_to_that_day(duo, cases):
    open_page(duo, f"/console?lang=en&period=year&as_of={AS_OF}")
    duo.wait_for_text_to_equal(f"#{ids.AS_OF_BADGE}", f"as of {AS_OF}")
    rep = cases["reported_at"]
    reported_2018 = int(((rep >= pd.Timestamp("2018-01-01", tz=TZ)) & (rep < END)).sum())
    duo.wait_for_text_to_equal(f"#{ids.CONSOLE_TOTAL}", LABELS["en"]["c.total"].format(n=f"{reported_2018:,}"),
                               timeout=30)
    # overdue at the end of the day: registered, not closed before it, deadline before it
    reg, closed, deadline = cases["registered_at"], cases["closed_at"], cases["deadline"]
    overdue = (reg < END).fillna(False) & ~(closed < END).fillna(False) & (deadline < END).fillna(False)
    duo.wait_for_text_to_equal(f"#{ids.CONSOLE_OVERDUE_LIST} .count-badge", f"{int(overdue.sum()):,}")
    # the URL state keeps the day: the language link, and the way to the wall
    assert duo.find_element(f"#{ids.CONSOLE_LANG}").get_attribute("href").endswith(
        f"/console?period=year&as_of={AS_OF}")
    duo.find_element(f"#{ids.CONSOLE_LANG}").click()
    duo.wait_for_text_to_equal(f"#{ids.AS_OF_BADGE}", f"截至 {AS_OF}")
    assert query(duo) == {"period": "year", "as_of": AS_OF}
    duo.wait_for_text_to_equal(f"#{ids.CONSOLE_TOTAL}", LABELS["zh"]["c.total"].format(n=f"{reported_2018:,}"))
    # a bad day is named in the console's note, and the console shows the town now
    open_page(duo, "/console?lang=en&as_of=foo")
    duo.wait_for_contains_text(f"#{ids.CONSOLE_NOTE}", "as_of=foo: it is not a date", timeout=30)
    assert duo.driver.find_elements(By.ID, ids.AS_OF_BADGE) == []
    duo.wait_for_text_to_equal(f"#{ids.CONSOLE_TOTAL}", LABELS["en"]["c.total"].format(n=f"{len(cases):,}"))
    assert duo.get_logs() == []
