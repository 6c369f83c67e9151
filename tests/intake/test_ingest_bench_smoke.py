"""The intake benchmark's own machinery, for correctness (not speed): the open-loop
generator of ``bench.ingest_load`` against a real ``townbrain serve`` on PostGIS
for about 3 s, then ``bench.ingest``'s store check. Zero loss, nothing twice, every
replayed key answered with its first answer — and the check itself sees a
duplicate when there is one."""
from __future__ import annotations

import uuid

import psycopg
import pytest

from bench import ingest, ingest_load, ingest_setup
from geodata.apikeys import ApiKeys
from geodata.store import open_store
from tests.intake.conftest import handmade_town

pytestmark = pytest.mark.postgis


@pytest.fixture
def served_town(pg_schema_url):
    """``townbrain serve`` on the hand-made town in a fresh schema: (port, API key)."""
    store = open_store(pg_schema_url)
    store.create_schema()
    handmade_town(store)
    grids = store.read("grids")
    key = ApiKeys(store).create("bench-smoke")
    store.close()
    port = ingest_setup.free_port()
    server = ingest_setup.start_townbrain(pg_schema_url, port)
    yield port, key, grids
    ingest_setup.stop(server)


def test_open_loop_run_loses_nothing_and_stores_nothing_twice(served_town, pg_schema_url):
    port, key, grids = served_town
    codes = ingest_setup.service_codes(port, key)
    assert codes, "services.json listed no service code"
    tag = f"smoke-{uuid.uuid4().hex[:6]}"
    points = ingest_load.points_in_grids(grids, 300)
    plan = ingest_load.plan_requests(rate=40, seconds=3, batch_share=0.5, points=points, service_codes=codes,
                                     api_key=key, tag=tag, batch_sizes=(2, 20))
    assert any(r.batch for r in plan) and any(not r.batch for r in plan)
    ingest_load.run("127.0.0.1", port, plan, connections=8, deadline_s=30)
    summary = ingest_load.summarise(plan)
    acked = summary.pop("acked_ids")
    assert summary["requests_not_acked"] == 0, summary["answers_by_status"]
    assert summary["cases_acked"] == summary["cases_planned"] == sum(r.n for r in plan)
    assert summary["latency_ms"]["per_case"]["p50"] > 0

    check = ingest.check_store(pg_schema_url, "cases", acked, tag)
    assert check == {"stored": len(acked), "acked": len(acked), "acked_distinct": len(acked), "lost": 0,
                     "stored_not_acked": 0, "duplicate_ids": 0, "descriptions_stored_twice": 0, "equal": True}

    # A retried POST with the same key returns the first result and creates nothing.
    replays = ingest.check_replays(port, plan, n=3)
    assert replays == {"replayed": 6, "same_answer": 6, "marked_replayed": 6}
    assert ingest.check_store(pg_schema_url, "cases", acked, tag)["stored"] == len(acked)

    # The check is not blind: a case stored twice (same description, new id) is seen.
    with psycopg.connect(pg_schema_url) as conn:
        conn.execute("INSERT INTO cases (case_id, category, reported_at, description, geom) "
                     "SELECT case_id || '-copy', category, reported_at, description, geom FROM cases "
                     "WHERE case_id = %s", (acked[0],))
    twice = ingest.check_store(pg_schema_url, "cases", acked, tag)
    assert twice["descriptions_stored_twice"] == 1 and twice["stored_not_acked"] == 1 and not twice["equal"]
