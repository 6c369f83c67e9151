"""The password-change step says what a new password lacks in the page's language."""
from __future__ import annotations

import pytest

from tests.access.test_gate import app  # noqa: F401 - the fixture: the app on a fixture town

ONE_TIME = "One-Time-2026x"


@pytest.mark.parametrize("lang, needs, lacks, foreign", [
    ("zh", "新口令需要:", ["至少 8 位", "至少三类"], "at least"),
    ("en", "The new password needs:", ["at least 8 characters", "at least three of"], "至少"),
])
def test_the_policy_refusal_is_in_the_page_language(app, lang, needs, lacks, foreign):  # noqa: F811
    acc = app.server.extensions["townbrain_access"]
    acc.accounts.create("newbie", "duty_officer", "town", by="os:test", password=ONE_TIME, must_change=True)
    c = app.server.test_client()
    suffix = "" if lang == "zh" else "?lang=en"
    r = c.post("/login" + suffix, data={"name": "newbie", "password": ONE_TIME})
    assert r.status_code == 303 and r.headers["Location"].startswith("/login/password")
    page = c.post(r.headers["Location"], data={"current": ONE_TIME, "new": "short", "again": "short"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    said = text[text.index(needs):].split("<")[0]   # the refusal, as the page prints it
    assert all(words in said for words in lacks) and foreign not in said, said
    # the reuse rule too
    page = c.post(r.headers["Location"], data={"current": ONE_TIME, "new": ONE_TIME, "again": ONE_TIME})
    assert ("不与最近 5 次口令相同" if lang == "zh" else "not one of the last 5 passwords") in page.get_data(as_text=True)
