"""A case outside the reader's scope opened in the console is a 403 and audited; when
the audit trail cannot be written (the database itself refusing it: tests/access/faults.py)
the answer is a 503 with ``Retry-After`` and nothing of the case is shown — neither the
refusal nor a view happens unaudited (issue 16, Deliver 3 and 5: "If the audit cannot
be written the action fails"). On the GeoPackage and on PostGIS."""
from __future__ import annotations

import logging

import pandas as pd
import pytest

from tests.access.faults import refuse_audit_inserts
from tests.access.test_grid_isolation import call

PW = "Unaudited-2026"


@pytest.fixture
def app(store):
    """The app on the fixture town in ``store`` (each backend), cases assigned to districts."""
    from app import create_app
    from geodata.demo import write_town
    from grids.assign import assign_store
    from tests.browser.conftest import build_fixture_town
    write_town(store, build_fixture_town(pd.Timestamp.now(tz="Asia/Shanghai")))
    assign_store(store, layers=["cases"])
    return create_app(store.url)


def open_case(app, client, case_id: str):
    """The console's detail callback for ``case_id``, as the page asks it: (status, body, headers)."""
    from callbacks import ids as I
    key = next(k for k, m in app.callback_map.items() if m.get("callback") is not None
               and m["callback"].__module__ == "callbacks.console" and m["callback"].__name__ == "detail")
    spec = app.callback_map[key]
    body = {"output": key, "outputs": {"id": key.rsplit(".", 1)[0], "property": key.rsplit(".", 1)[1]},
            "inputs": [{**spec["inputs"][0], "value": case_id}],
            "state": [{**spec["state"][0], "value": f"?case={case_id}"}],
            "changedPropIds": [f"{I.CONSOLE_CASE_KEY}.data"]}
    r = client.post("/_dash-update-component", json=body)
    return r.status_code, r.get_data(as_text=True), r.headers


def test_a_case_outside_the_scope_is_a_403_audited_and_a_503_when_the_audit_cannot_be_written(app, store, caplog):
    from geodata import case_queries as cq
    acc = app.server.extensions["townbrain_access"]
    acc.accounts.create("d1", "duty_officer", "D1", by="os:test", password=PW, must_change=False)
    client = app.server.test_client()
    assert client.post("/login", data={"name": "d1", "password": PW}).status_code == 303
    cases = cq.read_cases(store)
    outside = cases[cases["district_id"] == "D2"].iloc[0]
    inside = cases[cases["district_id"] == "D1"].iloc[0]
    # the audit trail written: 403 for the case outside, 200 for the one inside; both recorded
    status, body, _ = open_case(app, client, outside["case_id"])
    assert status == 403 and outside["case_id"] not in body
    status, body, _ = open_case(app, client, inside["case_id"])
    assert status == 200 and inside["case_id"] in body
    views = acc.audit.list(user="d1")
    views = views[views["action"] == "case_view"]
    assert list(zip(views["object"], views["outcome"])) == [(f"case {outside['case_id']}", "refused"),
                                                           (f"case {inside['case_id']}", "ok")]
    before = len(acc.audit.list())
    # the database refuses the audit trail from now on
    refuse_audit_inserts(store)
    caplog.set_level(logging.INFO)
    for case in (outside, inside):
        status, body, headers = open_case(app, client, case["case_id"])
        assert status == 503, (case["case_id"], status, body[:300])
        assert int(headers["Retry-After"]) > 0 and headers.get("Cache-Control") == "no-store"
        # nothing of the case: neither its id, nor its words, nor where it is
        assert case["case_id"] not in body and "response" not in body
        for col in ("description", "address"):
            if col in case and isinstance(case[col], str) and case[col]:
                assert case[col] not in body
        assert "audit" in body
    assert len(acc.audit.list()) == before
    # one line each in the log, no traceback, and not mistaken for bad input
    lines = [r for r in caplog.records if "audit" in r.getMessage().lower()]
    assert lines and all(r.exc_info is None for r in caplog.records)
    assert not [r for r in caplog.records if "its inputs raised" in r.getMessage()]
