"""``<html lang>`` follows the page's language (callbacks/routes.py): zh-CN by default,
en with ?lang=en, on the first load and after a switch inside the page."""
from __future__ import annotations

import pytest

from callbacks import ids
from callbacks.i18n import LABELS
from tests.browser.conftest import MAP_READY_JS
from tests.browser.test_wall import open_wall

pytestmark = pytest.mark.browser

HTML_LANG_JS = "return document.documentElement.lang"


def switch_in_page(duo, query: str) -> None:
    """Change the URL the way a dcc.Link does: no reload, dcc.Location told by event."""
    duo.driver.execute_script(
        "window.history.pushState({}, '', arguments[0]);"
        "window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'));", query)


def wait_lang(duo, want: str) -> None:
    duo._wait_for(lambda d: d.execute_script(HTML_LANG_JS) == want, timeout=10,
                  msg=f"<html lang> never became {want!r}")


@pytest.mark.parametrize("query, lang, tab", [("", "zh-CN", "zh"), ("?lang=en", "en", "en")])
def test_html_lang_of_the_first_load(served, query, lang, tab):
    open_wall(served, query)
    assert served.driver.execute_script(HTML_LANG_JS) == lang
    assert served.find_element(f"#{ids.module_tab('transport')}").text == LABELS[tab]["module.transport"]
    assert served.get_logs() == []


def test_html_lang_follows_a_switch_in_the_page(served):
    open_wall(served)
    assert served.driver.execute_script(HTML_LANG_JS) == "zh-CN"
    marker = served.driver.execute_script("window.__same_page = 1; return window.__same_page")
    switch_in_page(served, "/wall?lang=en")
    served.wait_for_text_to_equal(f"#{ids.module_tab('transport')}", "Transport")
    wait_lang(served, "en")
    served._wait_for(lambda d: d.execute_script(MAP_READY_JS), timeout=20, msg="the map was never redrawn")
    switch_in_page(served, "/wall")
    served.wait_for_text_to_equal(f"#{ids.module_tab('transport')}", LABELS["zh"]["module.transport"])
    wait_lang(served, "zh-CN")
    assert served.driver.execute_script("return window.__same_page") == marker  # no reload happened
    logs = served.get_logs()
    assert logs == [], [e["message"] for e in logs]
