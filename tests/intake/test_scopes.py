"""API keys with scopes: each POST needs its scope (403 in GeoReport form, audited,
nothing stored), a read shows personal fields only of the cases the key created
(``requests:read-own``) or of all (``requests:read-all``), a patrol is its starting
key's, and a key issued before keys had scopes holds the default ones. Both stores.
"""
from __future__ import annotations

import re

import pandas as pd
import pytest
from flask import Flask

from access.audit import AuditLog
from geodata.apikeys import DEFAULT_SCOPES, SCOPES, ApiKeys
from tests.intake.conftest import ALL_SCOPES, INSIDE, report

V2 = "/open311/v2"
PERSONAL = ("description", "address", "media_url", "attributes")
#: Layers a request can write to (the audit trail and the keys aside).
WRITTEN = ("cases", "awaiting_location", "case_history", "patrol_sessions", "patrol_points", "patrols",
           "quarantine", "idempotency_keys")


def _counts(app, store) -> dict:
    app.extensions["townbrain_intake"].writer.flush()  # quarantine is written after the answer
    return {n: store.count(n) for n in WRITTEN if store.has_layer(n)}


def _refusals(store, key: str) -> list[dict]:
    kid = key.split("_")[1]
    log = AuditLog(store).list(user=f"apikey:{kid}")
    return log[log.action == "refused"].to_dict("records")


def _keys(app):
    return app.extensions["townbrain_intake"].keys


def _post(client, key, path, body=None, **kw):
    return client.post(f"{V2}/{path}", json=body if body is not None else {}, headers={"X-Api-Key": key}, **kw)


def _ids(resp) -> list[str]:
    assert resp.status_code == 201, resp.json
    return [r["service_request_id"] for r in resp.json]


@pytest.fixture
def scene(intake_app, client, key):
    """A case, a report awaiting its location and a patrol, all made by the fixture's
    all-scope key: what the refused keys aim at."""
    [case] = _ids(_post(client, key, "requests.json", report()))
    [waiting] = _ids(_post(client, key, "requests.json", {"service_code": "city_appearance",
                                                          "address_string": "南河路 8 号"}))
    started = _post(client, key, "patrols.json", {"staff_id": "INS01"})
    assert started.status_code == 201, started.json
    return {"case": case, "waiting": waiting, "patrol": started.json["patrol_id"]}


def _point() -> dict:
    return {"lon": INSIDE["lon"], "lat": INSIDE["lat"], "t": pd.Timestamp.now(tz="UTC").floor("s").isoformat()}


def _actions(scene) -> dict[str, list[tuple[str, dict]]]:
    """Every POST of the API with a valid body, by the scope it needs."""
    p, c, w = scene["patrol"], scene["case"], scene["waiting"]
    point = _point()
    return {
        "requests:write": [("requests.json", report()), ("requests.xml", report()),
                           ("requests/batch.json", {"requests": [report(), report()]})],
        "workflow:write": [(f"requests/{c}/transitions.json", {"action": "register", "by": "DSP01"}),
                           (f"requests/{w}/location.json", {"lat": INSIDE["lat"], "long": INSIDE["lon"]})],
        "patrols:write": [("patrols.json", {"staff_id": "INS01"}), (f"patrols/{p}/points.json", {"points": [point]}),
                          (f"patrols/{p}/end.json", {})],
    }


def test_each_post_is_refused_without_its_scope_audited_and_nothing_stored(intake_app, client, town_store, scene):
    keys = _keys(intake_app)
    before = _counts(intake_app, town_store)
    for scope, calls in _actions(scene).items():
        lacking = keys.create(f"no-{scope}", [s for s in SCOPES if s != scope])
        for path, body in calls:
            resp = _post(client, lacking, path, body)
            assert resp.status_code == 403, (path, resp.status_code, resp.data)
            if path.endswith(".xml"):
                assert b"<errors><error><code>403</code>" in resp.data and scope.encode() in resp.data
                continue
            [err] = resp.json
            assert err["code"] == 403 and f"lacks the scope '{scope}'" in err["description"], err
        # a body the server cannot read, from a key without the scope: refused, not quarantined
        broken = client.post(f"{V2}/{calls[0][0]}", data=b'{"lat": ', content_type="application/json",
                             headers={"X-Api-Key": lacking})
        assert broken.status_code == 403, broken.data
        audited = _refusals(town_store, lacking)
        assert len(audited) == len(calls) + 1
        assert all(r["outcome"] == "refused" and scope in r["detail"] and f"no-{scope}" in r["detail"]
                   for r in audited)
        assert audited[0]["object"] == f"POST {V2}/{calls[0][0]}"
    assert _counts(intake_app, town_store) == before  # nothing of a refused request, not even quarantine
    assert AuditLog(town_store).verify().ok


def test_each_post_works_with_its_scope_alone(intake_app, client, town_store, scene):
    keys = _keys(intake_app)
    for scope, calls in _actions(scene).items():
        only = keys.create(f"only-{scope}", [scope])
        if scope == "patrols:write":  # points and end go to the patrol this key started
            own = _post(client, only, "patrols.json", {"staff_id": "INS01"}).json["patrol_id"]
            calls = [(path.replace(scene["patrol"], own), body) for path, body in calls]
        for path, body in calls:
            resp = _post(client, only, path, body)
            assert resp.status_code in (200, 201), (scope, path, resp.data)
        assert _refusals(town_store, only) == []
    assert town_store.count("cases", where={"case_id": scene["waiting"]}) == 1  # placed by workflow:write
    assert town_store.count("patrols") == 1


def test_every_post_route_names_a_scope_and_the_openapi_document_says_the_same(intake_app, client, scene):
    """Walks the server's URL map: a POST route nobody gave a scope fails here. A key
    holding only the read scopes is refused each one, naming the scope that the
    OpenAPI description lists for that path."""
    reader = _keys(intake_app).create("reader", ["requests:read-own", "requests:read-all"])
    doc = client.get(f"{V2}/openapi.json").json
    templates = [(re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(p)) + "$"), p)
                 for p in doc["paths"]]
    values = {"fmt": "json", "case_id": scene["case"], "patrol_id": scene["patrol"]}
    seen = 0
    for rule in intake_app.url_map.iter_rules():
        if not rule.rule.startswith("/open311/") or "POST" not in rule.methods or "<path:rest>" in rule.rule:
            continue
        url = rule.rule
        for name in rule.arguments:
            url = re.sub(r"<[^>]*\b" + name + ">", values[name], url)
        resp = client.post(url, json={}, headers={"X-Api-Key": reader})
        assert resp.status_code == 403, (url, resp.status_code, resp.data)
        named = re.search(r"lacks the scope '([^']+)'", resp.json[0]["description"]).group(1)
        [path] = [url] if url in doc["paths"] else [p for rx, p in templates if rx.match(url)]
        op = doc["paths"][path]["post"]
        assert op["security"] == [{"ApiKeyHeader": [named]}, {"ApiKeyQuery": [named]}], (url, op["security"])
        assert "403" in op["responses"]
        seen += 1
    assert seen >= 7
    assert all(f"`{s}`" in doc["info"]["description"] for s in SCOPES)


def test_a_read_shows_personal_fields_only_of_the_cases_its_key_created(intake_app, client, town_store):
    keys = _keys(intake_app)
    alice, bob = keys.create("alice-app"), keys.create("bob-app")  # the default: requests:write, read-own
    writer_only = keys.create("sensor", ["requests:write"])
    everyone = keys.create("dispatch", ["requests:read-all", "workflow:write"])
    [a1] = _ids(_post(client, alice, "requests.json",
                      report(description="alice: 13800000000", media_url="https://x.example.org/a.jpg",
                             email="alice@example.org", phone="13811112222")))
    [a2] = _ids(_post(client, alice, "requests.json", {"service_code": "city_appearance",
                                                        "address_string": "南河路 8 号", "description": "alice 2"}))
    [b1] = _ids(_post(client, bob, "requests.json", report(description="bob: 13900000000")))
    [s1] = _ids(_post(client, writer_only, "requests.json", report(description="sensor says")))

    def one(case_id, key=None, fmt="json"):
        resp = client.get(f"{V2}/requests/{case_id}.{fmt}", headers={"X-Api-Key": key} if key else {})
        assert resp.status_code == 200, resp.data
        return resp.json[0] if fmt == "json" else resp.data.decode()

    assert one(a1, alice)["description"] == "alice: 13800000000"
    assert one(a1, alice)["media_url"] == "https://x.example.org/a.jpg"
    assert one(a2, alice)["address"] == "南河路 8 号"  # a report awaiting its location, too
    for other in (one(b1, alice), one(a1, bob), one(a1), one(s1, writer_only)):
        assert not set(PERSONAL) & set(other) and other["status"] == "open"  # public fields only
    assert one(b1, everyone)["description"] == "bob: 13900000000"
    assert "<description>alice: 13800000000</description>" in one(a1, alice, "xml")
    assert "<description>" not in one(a1, bob, "xml")

    listed = client.get(f"{V2}/requests.json", query_string={"service_request_id": ",".join([a1, a2, b1, s1])},
                        headers={"X-Api-Key": alice}).json
    with_text = {r["service_request_id"] for r in listed if "description" in r}
    assert len(listed) == 4 and with_text == {a1, a2}
    window = client.get(f"{V2}/requests.json", headers={"X-Api-Key": alice}).json  # the default 90 days
    assert {r["service_request_id"] for r in window if "description" in r} == {a1, a2}
    assert {r["service_request_id"] for r in client.get(f"{V2}/requests.json", headers={"X-Api-Key": everyone}).json
            if "description" in r} == {a1, a2, b1, s1}
    # a dispatcher places alice's address-only report: the case is still hers to read
    assert _post(client, everyone, f"requests/{a2}/location.json",
                 {"lat": INSIDE["lat"], "long": INSIDE["lon"]}).status_code == 201
    assert one(a2, alice)["description"] == "alice 2" and "description" not in one(a2, bob)
    # contact fields are never read back, not even by the key that sent them
    text = client.get(f"{V2}/requests/{a1}.json", headers={"X-Api-Key": alice}).get_data(as_text=True)
    assert "alice: 13800000000" in text and "alice@example.org" not in text and "13811112222" not in text


def test_a_patrol_takes_points_and_its_end_only_from_the_key_that_started_it(intake_app, client, town_store):
    keys = _keys(intake_app)
    one, other = keys.create("app-1", ["patrols:write"]), keys.create("app-2", ["patrols:write"])
    pid = _post(client, one, "patrols.json", {"staff_id": "INS01"}).json["patrol_id"]
    point = {"points": [_point()]}
    before = _counts(intake_app, town_store)
    for path, body in ((f"patrols/{pid}/points.json", point), (f"patrols/{pid}/end.json", {})):
        resp = _post(client, other, path, body)
        assert resp.status_code == 403 and "started by another API client" in resp.json[0]["description"]
    assert _counts(intake_app, town_store) == before
    assert [r["object"].rsplit("/", 1)[1] for r in _refusals(town_store, other)] == ["points.json", "end.json"]
    assert _post(client, one, f"patrols/{pid}/points.json", point).status_code == 201
    assert _post(client, one, f"patrols/{pid}/end.json").status_code == 200


def _drop_scopes_column(store) -> None:
    """Make ``api_keys`` look like a table written before keys had scopes."""
    from tests.store_sql import execute_raw
    execute_raw(store, 'ALTER TABLE "api_keys" DROP COLUMN "scopes"')


def test_a_key_issued_before_scopes_may_report_and_read_its_own_only(town_store):
    """A store whose ``api_keys`` has no ``scopes`` column (and a row whose scopes are
    empty): the key holds DEFAULT_SCOPES — it reports and reads back its own cases,
    and is refused workflow steps and patrols until an administrator grants them."""
    from geodata.store import open_store
    from intake import register_intake
    old_key = ApiKeys(town_store).create("old-app", ALL_SCOPES)
    _drop_scopes_column(town_store)
    store = open_store(town_store.url)  # as the upgraded server opens the old store
    try:
        assert "scopes" not in store.columns("api_keys")
        server = Flask("old-store")
        state = register_intake(server, store, timeout_s=5.0)
        c = server.test_client()
        client = state.keys.verify(old_key)
        assert client["scopes"] == DEFAULT_SCOPES == ("requests:write", "requests:read-own")
        assert client["default_scopes"] is True
        [cid] = _ids(_post(c, old_key, "requests.json", report(description="old app's text")))
        assert c.get(f"{V2}/requests/{cid}.json", headers={"X-Api-Key": old_key}).json[0]["description"] == \
            "old app's text"
        step = _post(c, old_key, f"requests/{cid}/transitions.json", {"action": "register", "by": "DSP01"})
        assert step.status_code == 403 and "'workflow:write'" in step.json[0]["description"]
        assert "issued before keys had scopes" in step.json[0]["description"]
        assert _post(c, old_key, "patrols.json", {"staff_id": "INS01"}).status_code == 403
        assert len(_refusals(store, old_key)) == 2
        listed = state.keys.list()
        assert listed.default_scopes.tolist() == [True] and listed.scopes.tolist() == ["requests:write,requests:read-own"]

        # the schema change is additive: creating the schema adds the column, the old row stays default
        store.create_schema(["api_keys"])
        assert "scopes" in store.columns("api_keys")
        assert ApiKeys(store).verify(old_key)["default_scopes"] is True
        # an administrator grants the scopes (the server's own cache forgets the old ones at once
        # here; another process's within CACHE_SECONDS): the old key now runs workflow steps
        kid = old_key.split("_")[1]
        state.keys.set_scopes(kid, ["requests:write", "workflow:write"])
        again = _post(c, old_key, f"requests/{cid}/transitions.json", {"action": "register", "by": "DSP01"})
        assert again.status_code == 200, again.json
        # an empty scopes value reads the same way as a missing column
        store.update_columns("api_keys", pd.DataFrame({"key_id": [kid], "scopes": [None]}))
        assert ApiKeys(store).verify(old_key)["scopes"] == DEFAULT_SCOPES
    finally:
        store.close()


def test_scopes_are_checked_when_issued():
    from geodata.apikeys import parse_scopes
    from geodata.frames import StoreError
    assert parse_scopes("requests:write, patrols:write,requests:write") == ("requests:write", "patrols:write")
    for bad in (["requests:admin"], "requests", ["workflow:write", "*"]):
        with pytest.raises(StoreError, match="unknown API key scope"):
            parse_scopes(bad)
