"""Links that lead nowhere (callbacks/not_found.py), in a real Chromium: what the page
shows, its HTTP status, and a console with nothing in it but the browser's own note
of that 404."""
from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from callbacks import ids
from callbacks.i18n import LABELS, MODULE_IDS
from tests.browser.conftest import session_headers
from tests.browser.test_wall import open_wall

pytestmark = pytest.mark.browser


def http_status(url: str, duo=None) -> int:
    """The status of ``url``, asked with the browser's session cookie when ``duo`` is given
    (every page needs a signed-in session: access/gate.py)."""
    req = urllib.request.Request(url, headers=session_headers(duo) if duo is not None else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def logs_but_the_404(duo, path: str) -> list:
    """The console, less Chrome's "Failed to load resource … 404" line of the page itself."""
    return [e for e in duo.get_logs()
            if not (path in e.get("message", "") and "404" in e.get("message", ""))]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_unknown_path_is_a_404_page_with_the_way_back(served, lang):
    query = "?lang=en" if lang == "en" else ""
    url = f"{served.server_url}/nope{query}"
    assert http_status(url, served) == 404
    served.wait_for_page(url)
    served.wait_for_element(f"#{ids.NOT_FOUND}")
    page = served.find_element(f"#{ids.NOT_FOUND}")
    assert LABELS[lang]["page.not_found"] in page.text and "/nope" in page.text
    links = {a.text: a.get_attribute("href") for a in page.find_elements("css selector", "a")}
    assert links == {LABELS[lang]["console.to_wall"]: f"{served.server_url}/wall{query}",
                     LABELS[lang]["not_found.to_console"]: f"{served.server_url}/console{query}",
                     # the title bar's sign-out link, for the person signed in (callbacks/export_panel.py)
                     LABELS[lang]["chrome.sign_out"]: f"{served.server_url}/logout{query}"}
    assert logs_but_the_404(served, "/nope") == []
    # the way back works
    served.find_element(f"#{ids.NOT_FOUND} a[href*='/console']").click()
    served.wait_for_element(f"#{ids.CONSOLE}")
    assert logs_but_the_404(served, "/nope") == []


def test_pages_assets_health_and_api_keep_their_status(served):
    base = served.server_url
    for path in ("/", "/wall", "/wall?module=ecology&lang=en", "/console", "/health", "/assets/wall.css",
                 "/_dash-layout", "/_dash-dependencies", "/open311/v2/services.json"):
        assert http_status(base + path, served) == 200, path
    assert http_status(base + "/assets/no-such.css", served) == 404


def test_an_unknown_module_says_so_lists_the_modules_and_is_a_404(served):
    url = f"{served.server_url}/wall?module=foo&lang=en"
    assert http_status(url, served) == 404
    open_wall(served, "?module=foo&lang=en")
    notice = served.find_element(f"#{ids.UNKNOWN_MODULE}")
    assert notice.is_displayed()
    assert 'no module "foo"' in notice.text and "overview" in notice.text
    links = notice.find_elements("css selector", "a")
    assert [a.get_attribute("data-module") for a in links] == list(MODULE_IDS)
    for a, m in zip(links, MODULE_IDS):
        assert a.text == f"{LABELS['en'][f'module.{m}']} {m}"
    # the overview is still on screen, and picking a module clears the notice
    served.find_element(f"#{ids.module_tab('ecology')}").click()
    served.wait_for_text_to_equal(f"#{ids.PAGE_NAME}", "Ecology")
    served._wait_for(lambda d: not d.find_element("id", ids.UNKNOWN_MODULE).is_displayed(), timeout=5,
                     msg="the unknown-module notice stayed after a module was picked")
    assert logs_but_the_404(served, "module=foo") == []


def test_a_known_module_shows_no_notice(served):
    open_wall(served, "?module=transport")
    assert served.driver.find_elements("id", ids.UNKNOWN_MODULE) == []
    assert served.get_logs() == []
