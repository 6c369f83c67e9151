"""Benchmark: live intake of cases through the Open311 API into PostGIS.

Targets (the live-intake requirement): 1,000 cases a second for 60 s, single and
batch requests mixed, with zero loss — the cases in the store are exactly the
cases acknowledged, none twice; p50/p99 latency reported. With ``--restart-at S``
PostGIS is restarted at second S of the run: every acknowledged case must be there
afterwards exactly once, and the server must recover without a restart of its own.

What it does
------------
0. The generator alone, against a server that answers at once: its own cost and
   the latency floor this machine can measure.
1. A fresh schema in PostGIS (``--pg``; with ``--restart-at``, a throw-away cluster
   of its own, never the shared test server) holding the demo town's districts,
   grids, professional grids, town outline and categories (``data/town.gpkg``);
   see :mod:`bench.ingest_setup`.
2. ``townbrain serve`` on a free port, an API key (``townbrain apikey create``) and
   the service codes (``services.json``).
3. The open-loop load of :mod:`bench.ingest_load`: random points inside the grids,
   real service codes, a unique idempotency key per request, retried with the same
   key until acknowledged or ``--deadline`` seconds after its scheduled time; what
   the deadline cut off is then re-sent with its key (``--catch-up``), as a client
   with an outbox would.
4. The check against the store: acknowledged ids all present, no other case, no
   description (``"{tag} #{seq}"``) twice; then replays of acknowledged keys must
   return the first answer and add nothing; after a restart, ``/health`` and a new
   case on the same server process.
5. The same load against the naive intake a developer would write first
   (:mod:`bench.ingest_baseline`, ``GeoDataFrame.to_postgis`` per request) on the
   same server software and database, for the side-by-side table.

Latency is from each request's *scheduled* time to its 2xx, retries included; a
request past the deadline counts as slower than all (a percentile on it is "late").
On a 2-core machine the generator, the server and PostgreSQL share the cores, so
the server's CPU per case is reported too. Exit status 1 when TownBrain loses,
doubles or never acknowledges a case, or does not recover.

    python -m bench.ingest --pg URL [--rate 1000] [--seconds 60] [--batch-share 0.7]
                           [--restart-at 30] [--out bench/results/ingest.json]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from bench import ingest_load as load
from bench.common import machine
from bench.ingest_setup import (
    DEMO_GPKG,
    PG_SCRIPT,
    ROOT,
    cpu_seconds,
    create_api_key,
    drop_schema,
    free_port,
    get_json,
    load_town,
    new_schema,
    own_cluster,
    restart_at,
    service_codes,
    spawn,
    start_baseline,
    start_townbrain,
    stop,
)

DEFAULT_OUT = ROOT / "bench" / "results" / "ingest.json"


# ---- the generator alone ----------------------------------------------------------------------------
def generator_ceiling(args, points, seconds: float = 10.0) -> dict:
    """The same mix at the target rate against a server that answers at once
    (:func:`bench.ingest_load.serve_null`): what the generator costs by itself."""
    port = free_port()
    proc = spawn([sys.executable, "-m", "bench.ingest_load", "--null-server", str(port)], "null")
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        plan = load.plan_requests(rate=args.rate, seconds=seconds, batch_share=args.batch_share, points=points,
                                  service_codes=["x"], api_key="k", tag="null")
        gen = load.run("127.0.0.1", port, plan, connections=args.connections, deadline_s=args.deadline)
        res = load.summarise(plan)
    finally:
        stop(proc)
    return {"seconds": seconds, "requests": len(plan), "acked": res["requests_acked"],
            "latency_ms": res["latency_ms"]["per_case"], **gen["generator"]}


# ---- checking the store against the acknowledgements --------------------------------------------
def check_store(url: str, table: str, acked_ids: list[str], tag: str) -> dict:
    """Compare the cases of this run in ``table`` with the acknowledged ids."""
    import psycopg
    with psycopg.connect(url) as conn:
        cols = {r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "AND table_schema = current_schema()", (table,))}
        id_col = "case_id"
        where = "description LIKE %s" if "description" in cols else "TRUE"
        args = (tag + " #%",) if "description" in cols else ()
        stored = [r[0] for r in conn.execute(f"SELECT {id_col} FROM {table} WHERE {where}", args)]
        dup_desc = None
        if "description" in cols:
            dup_desc = conn.execute(f"SELECT count(*) FROM (SELECT description FROM {table} WHERE {where} "
                                    "GROUP BY description HAVING count(*) > 1) d", args).fetchone()[0]
    stored_set, acked_set = set(stored), set(acked_ids)
    return {"stored": len(stored), "acked": len(acked_ids), "acked_distinct": len(acked_set),
            "lost": len(acked_set - stored_set),
            "stored_not_acked": len(stored_set - acked_set),
            "duplicate_ids": len(stored) - len(stored_set),
            "descriptions_stored_twice": dup_desc,
            "equal": len(stored) == len(acked_ids) and stored_set == acked_set and not dup_desc}


def post_once(port: int, path: str, body: bytes, key: str) -> tuple[int, dict, bytes]:
    async def go():
        pool = load.Pool("127.0.0.1", port, 1)
        try:
            return await load.post_json(pool, path, body, {"Idempotency-Key": key})
        finally:
            pool.close()
    return asyncio.run(go())


def check_replays(port: int, plan: list[load.Request], n: int = 5) -> dict:
    """Replay ``n`` acknowledged singles and batches with their keys: the first answer
    must come back, marked replayed."""
    picks = [r for r in plan if r.acked is not None and not r.batch][:n] + \
            [r for r in plan if r.acked is not None and r.batch][:n]
    same = marked = 0
    for r in picks:
        status, hdrs, data = post_once(port, r.path, r.body, r.key)
        same += 200 <= status < 300 and load.ids_of(status, data)[0] == r.ids
        marked += hdrs.get("idempotent-replayed", "").lower() == "true"
    return {"replayed": len(picks), "same_answer": same, "marked_replayed": marked}


def check_recovered(port: int, url: str, codes: list[str], api_key: str, points, tag: str) -> dict:
    """After the restart: /health ok and a new case taken and stored, the server untouched."""
    health = get_json(port, "/health")
    lon, lat = points[0]
    body = json.dumps({"api_key": api_key, "service_code": codes[0], "lat": float(lat), "long": float(lon),
                       "description": f"{tag}-after"}).encode()  # not "{tag} #…": not one of the run's
    status, _, data = post_once(port, load.SINGLE_PATH, body, f"{tag}-after")
    case_id = (load.ids_of(status, data)[0] or [None])[0]
    import psycopg
    with psycopg.connect(url) as conn:
        stored = conn.execute("SELECT count(*) FROM cases WHERE case_id = %s", (case_id,)).fetchone()[0]
    return {"health": health.get("status"), "new_case_status": status, "new_case_id": case_id,
            "new_case_stored": stored == 1}


# ---- one run against one server --------------------------------------------------------------------
def run_one(name: str, server: subprocess.Popen, port: int, url: str, table: str, args, codes, api_key, points,
            during=None, product: bool = True) -> dict:
    tag = f"bench-{name}-{uuid.uuid4().hex[:6]}"
    plan = load.plan_requests(rate=args.rate, seconds=args.seconds, batch_share=args.batch_share,
                              points=points, service_codes=codes, api_key=api_key, tag=tag)
    print(f"{name}: {len(plan)} requests, {sum(r.n for r in plan)} cases over {args.seconds:.0f} s ...",
          file=sys.stderr)
    cpu0 = cpu_seconds(server.pid)
    gen = load.run("127.0.0.1", port, plan, connections=args.connections, deadline_s=args.deadline,
                   during=during)
    res = load.summarise(plan)  # latency and counts of the timed run
    acked_ids = res.pop("acked_ids")
    # What the deadline cut off is sent again with its key until acknowledged, as a
    # client with an outbox does: then the store must equal the acknowledgements.
    # (Not to the naive intake: without idempotency keys a re-send only adds copies.)
    late = [r for r in plan if product and r.acked is None and (not r.status or r.status[-1] in (0, *load.RETRYABLE))]
    for r in late:
        r.at = 0.0
    if late:
        catch = load.run("127.0.0.1", port, late, connections=16, deadline_s=args.catch_up)
        acked_ids += [i for r in late if r.acked is not None for i in r.ids if i is not None]
        res["catch_up"] = {"requests": len(late), "acked": sum(r.acked is not None for r in late),
                           "wall_s": catch["wall_s"]}
    res["requests_never_acked"] = sum(1 for r in plan if r.acked is None)
    # The server's own CPU per case: a figure a busy machine disturbs far less than latency.
    gen["server_cpu_s"] = round(cpu_seconds(server.pid) - cpu0, 2)
    gen["server_cpu_ms_per_case"] = round(1000 * gen["server_cpu_s"] / len(acked_ids), 3) if acked_ids else None
    out = {"server": name, **res, "run": gen, "store": check_store(url, table, acked_ids, tag)}
    print(f"{name}: {res['cases_acked']} of {res['cases_planned']} cases acknowledged, "
          f"answers {res['answers_by_status']}, store {out['store']}", file=sys.stderr)
    if product:
        try:
            if during is not None:
                out["after_restart"] = check_recovered(port, url, codes, api_key, points, tag)
            out["replays"] = check_replays(port, plan)
            out["store_after_replays"] = check_store(url, table, acked_ids, tag)
        except (OSError, load.HTTPError, ValueError) as exc:  # the server stopped answering: say so
            out["after_run_error"] = f"{type(exc).__name__}: {exc}"
    return out


def run(args) -> dict:
    load_before = os.getloadavg()[0]
    pg, env, cluster_dir = args.pg, None, None
    if args.restart_at is not None:
        cluster_dir = args.pg_dir or f"/tmp/townbrain-ingest-pg-{os.getpid()}"
        pg, env = own_cluster(args.pg_port or free_port(), cluster_dir)
    schema, url = new_schema(pg)
    servers: list[subprocess.Popen] = []
    try:
        t = time.perf_counter()
        layers = load_town(url)
        import geopandas as gpd
        points = load.points_in_grids(gpd.read_file(DEMO_GPKG, layer="grids"), 50_000)
        setup_s = time.perf_counter() - t
        ceiling = generator_ceiling(args, points)
        port = free_port()
        servers.append(start_townbrain(url, port))
        api_key = create_api_key(url)
        codes = service_codes(port, api_key)
        during = restart_at(args.restart_at, env) if env else None
        results = [run_one("townbrain", servers[-1], port, url, "cases", args, codes, api_key, points, during)]
        stop(servers.pop())
        if not args.no_baseline:
            bport = free_port()
            servers.append(start_baseline(url, schema, bport))
            during = restart_at(args.restart_at, env) if env else None
            results.append(run_one("naive to_postgis", servers[-1], bport, url, "cases_naive", args, codes,
                                   api_key, points, during, product=False))
    finally:
        for p in servers:
            stop(p)
        if env is not None:
            subprocess.run([str(PG_SCRIPT), "stop"], env=env, check=False)
            subprocess.run(["rm", "-rf", cluster_dir], check=False)
        elif not args.keep:
            drop_schema(pg, schema)
    return {"target_rate": args.rate, "seconds": args.seconds, "batch_share": args.batch_share,
            "restart_at": args.restart_at, "setup_s": round(setup_s, 2), "town_layers": layers,
            "machine": machine(), "cores": os.cpu_count(),
            "load_avg": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "date": time.strftime("%Y-%m-%d"), "generator_alone": ceiling, "results": results}


def table(res: dict) -> str:
    """The side-by-side table: "in time" = cases acknowledged within the deadline,
    "acked" = after re-sending the rest, "twice" = ids or descriptions stored twice,
    "late" = a percentile beyond the deadline."""
    head = (f"{'server':<18} {'cases/s':>8} {'in time':>7} {'acked':>7} {'stored':>7} {'lost':>5} {'twice':>5} "
            f"{'single p50/p99 ms':>18} {'batch p50/p99 ms':>17} {'case p99 ms':>11} {'retries':>7}")
    lines = [f"live intake, {res['target_rate']:.0f} cases/s target for {res['seconds']:.0f} s, "
             f"batch share {res['batch_share']}" + (f", PostGIS restarted at {res['restart_at']} s"
                                                     if res["restart_at"] is not None else "")
             + f" (load average {res['load_avg']}, {res['cores']} cores)", head]
    for r in res["results"]:
        lat, st = r["latency_ms"], r["store"]
        twice = st["duplicate_ids"] + (st["descriptions_stored_twice"] or 0)
        lines.append(f"{r['server']:<18} {r['throughput_cases_per_s'] or 0:>8.0f} {r['cases_acked']:>7} "
                     f"{st['acked']:>7} {st['stored']:>7} {st['lost']:>5} {twice:>5} "
                     f"{_pair(lat['single_request']):>18} {_pair(lat['batch_request']):>17} "
                     f"{_ms(lat['per_case']['p99']):>11} {r['retries']:>7}")
    c = res["generator_alone"]
    lines.append(f"generator alone (a server answering at once, {c['seconds']:.0f} s): {c['acked']}/{c['requests']} "
                 f"requests, {c['cpu_share_of_one_core']:.0%} of a core, {c['cpu_us_per_attempt']} µs per request, "
                 f"latency p99 {c['latency_ms']['p99']} ms, dispatch lag p99 {c['dispatch_lag_ms']['p99']} ms")
    for r in res["results"]:
        g = r["run"]["generator"]
        lines.append(f"{r['server']}: answers {r['answers_by_status']}; server CPU "
                     f"{r['run']['server_cpu_ms_per_case']} ms per case; generator {g['cpu_share_of_one_core']:.0%} "
                     f"of a core, {g['cpu_us_per_attempt']} µs CPU per request, dispatch lag p99 "
                     f"{g['dispatch_lag_ms']['p99']} ms")
        if r.get("catch_up"):
            lines.append(f"  re-sent after the deadline ({r['catch_up']['requests']} requests): "
                         f"{r['catch_up']['acked']} acknowledged in {r['catch_up']['wall_s']:.0f} s; "
                         f"never acknowledged: {r['requests_never_acked']}")
        if r["run"].get("during"):
            lines.append(f"  PostGIS down {r['run']['during']}")
        if "replays" in r:
            lines.append(f"  replays {r['replays']}, store after replays equal: {r['store_after_replays']['equal']}")
        if "after_restart" in r:
            lines.append(f"  after the restart: {r['after_restart']}")
    return "\n".join(lines)


def _ms(x) -> str:
    return "late" if x is None else f"{x:.0f}"  # None: beyond the deadline


def _pair(p: dict) -> str:
    return f"{_ms(p['p50'])} / {_ms(p['p99'])}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pg", default=os.environ.get("TOWNBRAIN_TEST_PG"),
                    help="PostGIS URL (a fresh schema is made in it); not used with --restart-at")
    ap.add_argument("--rate", type=float, default=1000.0, help="cases per second")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--batch-share", type=float, default=0.7, help="share of the cases sent in batches")
    ap.add_argument("--restart-at", type=float, default=None,
                    help="restart PostGIS (a cluster of the benchmark's own) at this second")
    ap.add_argument("--pg-dir", default=None, help="data directory of that cluster")
    ap.add_argument("--pg-port", type=int, default=None, help="port of that cluster")
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--deadline", type=float, default=60.0,
                    help="seconds after its scheduled time a request is given up (retries included)")
    ap.add_argument("--catch-up", type=float, default=300.0,
                    help="seconds to re-send, after the run, what the deadline cut off")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the benchmark's schema")
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    args = ap.parse_args(argv)
    if args.restart_at is None and not args.pg:
        ap.error("--pg URL is needed (or --restart-at, which starts a PostGIS of its own)")
    res = run(args)
    print(table(res))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}")
    tb = res["results"][0]  # the product must pass; the naive intake is only measured
    after = tb.get("after_restart", {"health": "ok", "new_case_stored": True})
    ok = (tb["store"]["equal"] and tb["requests_never_acked"] == 0 and after["health"] == "ok"
          and after["new_case_stored"] and "after_run_error" not in tb)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
