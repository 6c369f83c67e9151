"""Bad input is a 4xx with one log line, never a 500 with a traceback; a store that
cannot be read is a 503 with Retry-After (callbacks/refusals.py, issue 16 Deliver 6).

The fuzzer walks ``app.callback_map``: every registered server callback, called by a
role allowed to call it, with malformed bodies and with values its components would
never send in each input and state in turn."""
from __future__ import annotations

import json
import logging
import os

import pandas as pd
import pytest

from access.pages import callback_modules
from tests.access.test_gate import app, signed_in  # noqa: F401 - the app fixture on the fixture town

CALLBACK = "/_dash-update-component"
#: Values no component of ours sends: out-of-range and impossible dates, a string where
#: a list goes, a list where a string goes, an object, numbers out of any range.
BAD_VALUES = ["0001-01-01", "9999-12-31", "2024-02-30", "x", ["a", 1], {"a": {"b": []}}, -1, 10 ** 30, True,
              "?from=0001-01-01&to=9999-12-31", "?from=2024-02-30&as_of=0001-01-01&page=99999999"]


def _item(d: dict, value) -> dict:
    return {"id": d["id"], "property": d["property"], "value": value}


def _outputs(key: str):
    def one(s):
        id_, prop = s.rsplit(".", 1)
        return {"id": id_, "property": prop.split("@")[0]}
    return [one(s) for s in key[2:-2].split("...")] if key.startswith("..") else one(key)


def body_of(key: str, cb: dict, values: dict | None = None) -> dict:
    values = values or {}
    ins = [_item(d, values.get(i)) for i, d in enumerate(cb["inputs"])]
    st = [_item(d, values.get(len(ins) + i)) for i, d in enumerate(cb.get("state") or [])]
    changed = [f"{d['id']}.{d['property']}" for d in cb["inputs"][:1]]
    return {"output": key, "outputs": _outputs(key), "inputs": ins, "state": st, "changedPropIds": changed}


def malformed(key: str, cb: dict) -> list:
    good = body_of(key, cb)
    no_inputs = {k: v for k, v in good.items() if k != "inputs"}
    bodies = [no_inputs, {**good, "inputs": "x"}, {**good, "inputs": [*good["inputs"], good["inputs"][0]]},
              {**good, "inputs": ["x"] * len(good["inputs"])}, {**good, "changedPropIds": "x"},
              {**good, "outputs": "x"}, {**good, "outputs": [good["outputs"], good["outputs"]]},
              {**good, "state": [{"id": "nope", "property": "value", "value": 1}]}, [good], "x", 7]
    if cb.get("state"):
        bodies.append({k: v for k, v in good.items() if k != "state"})
    return bodies


def _no_traceback(caplog, what):
    for rec in caplog.records:
        assert rec.exc_info is None, (what, rec.getMessage())
    assert "Traceback" not in caplog.text, what


def test_every_callback_refuses_malformed_bodies_and_bad_values_with_4xx_and_one_log_line(app, caplog):
    c = signed_in(app, "duty", "duty_officer")
    caplog.set_level(logging.INFO)
    calls = refused = 0
    server_callbacks = callback_modules(app)  # clientside ones never reach the server
    assert len(server_callbacks) >= 10
    for key in server_callbacks:
        cb = app.callback_map[key]
        caplog.clear()
        base = c.post(CALLBACK, json=body_of(key, cb))
        assert base.status_code in (200, 204, 400), (key, base.status_code)  # reached the callback, not the gate
        _no_traceback(caplog, key)
        for body in malformed(key, cb):
            caplog.clear()
            r = c.post(CALLBACK, data=json.dumps(body), content_type="application/json")
            assert r.status_code == 400, (key, body, r.status_code)
            assert r.get_json()["status"] == 400 and r.get_json()["error"]
            _no_traceback(caplog, (key, body))
            assert len([x for x in caplog.records if x.levelno >= logging.WARNING]) == 1, (key, caplog.text)
            refused += 1
        n = len(cb["inputs"]) + len(cb.get("state") or [])
        for pos in range(n):
            for value in BAD_VALUES:
                caplog.clear()
                r = c.post(CALLBACK, json=body_of(key, cb, {pos: value}))
                calls += 1
                assert r.status_code < 500, (key, pos, value, r.status_code, r.data[:300])
                _no_traceback(caplog, (key, pos, value))
                if r.status_code >= 400:
                    assert r.status_code == 400 and r.get_json()["error"], (key, pos, value)
                    assert len([x for x in caplog.records if x.levelno >= logging.WARNING]) == 1, caplog.text
                    refused += 1
    assert calls > 200 and refused > 100
    # every refusal is in the audit trail, once; those the gate saw under the account's name
    log = app.server.extensions["townbrain_access"].audit.list()
    bad = log[(log["action"] == "refused") & log["detail"].astype(str).str.startswith("400:")]
    assert len(bad) == refused
    assert (bad["username"] == "duty").sum() > 0 and set(bad["username"].dropna()) == {"duty"}
    # not JSON at all
    r = c.post(CALLBACK, data="{not json", content_type="application/json")
    assert r.status_code == 400


def test_out_of_range_console_dates_are_ignored_with_a_note(app, caplog):
    c = signed_in(app, "duty", "duty_officer")
    key = next(k for k in app.callback_map if k.startswith("..console-note.children"))
    cb = app.callback_map[key]
    search = next(i for i, d in enumerate(cb["inputs"]) if d["property"] == "search")
    caplog.set_level(logging.INFO)
    for q in ("?from=0001-01-01", "?to=9999-12-31", "?from=2024-02-30", "?from=0001-01-01&to=9999-12-31"):
        r = c.post(CALLBACK, json=body_of(key, cb, {search: q}))
        assert r.status_code == 200, (q, r.status_code)
        out = r.get_json()["response"]
        note = json.dumps(out["console-note"], ensure_ascii=False)
        for bad in q[1:].split("&"):
            assert bad in note, (q, note)
        assert out["console-note"]["hidden"] is False
        assert c.get("/console" + q).status_code == 200
    _no_traceback(caplog, "console dates")


# ---- a store that cannot be read ---------------------------------------------------------------
def _spoil(path: str, how: str) -> None:
    for ext in ("-wal", "-shm"):
        if os.path.exists(path + ext):
            os.remove(path + ext)
    if how == "missing":
        os.remove(path)
    else:
        with open(path, "r+b") as fh:
            fh.write(b"not a GeoPackage at all; " * 200)


@pytest.mark.parametrize("how", ["corrupt", "missing"])
def test_a_store_that_cannot_be_read_is_503_with_retry_after_and_health_says_so_plainly(app, how, caplog):
    duty = signed_in(app, "duty", "duty_officer")
    path = str(app.server.extensions["townbrain_access"].store.path)
    key = next(k for k in app.callback_map if k.startswith("..console-note.children"))
    _spoil(path, how)
    caplog.set_level(logging.INFO)
    for p in ("/wall", "/console", "/open311/v2/requests.json", "/open311/v2/services.json",
              "/open311/v2/requests/C1.json"):
        r = duty.get(p)
        assert r.status_code == 503, (p, r.status_code, r.data[:200])
        assert int(r.headers["Retry-After"]) > 0, p
        text = r.get_data(as_text=True)
        assert path not in text and "database" not in text.lower() and "GeoPackage" not in text, (p, text)
    r = duty.post(CALLBACK, json=body_of(key, app.callback_map[key], {0: "?"}))
    assert r.status_code == 503 and int(r.headers["Retry-After"]) > 0
    anon = app.server.test_client()
    assert anon.get("/wall").status_code == 503  # the refusal cannot be audited: no redirect to sign in
    health = anon.get("/health")
    assert health.status_code == 200 and health.get_json() == {"status": "degraded"}
    _no_traceback(caplog, how)
    # nothing made an empty GeoPackage where the missing one was
    assert os.path.exists(path) == (how == "corrupt")


def test_the_server_store_is_not_created_by_a_request(tmp_path):
    from geodata.frames import StoreUnavailable
    from geodata.store import open_store
    path = tmp_path / "none.gpkg"
    st = open_store(str(path), create=False)
    with pytest.raises(StoreUnavailable):
        st.append("audit_log", pd.DataFrame({"seq": [1]}))
    assert not path.exists()
