"""The open-loop load generator behind ``bench.ingest``: Open311 POSTs at a fixed
rate, single and batch requests mixed, each retried with its own idempotency key
until it is acknowledged.

Open loop, and why
------------------
Every request has a time in a schedule fixed before the run (constant rate, as
wrk2 does) and is sent at that time whether or not the server has answered the
ones before. Its latency is measured from that *scheduled* time, not from when a
connection became free, so a slow server cannot hide its slowness by slowing the
client down ("coordinated omission", Gil Tene). When every connection is busy the
wait for one counts in the latency.

The client
----------
A small HTTP/1.1 keep-alive client on ``asyncio`` streams (one process, a pool of
connections, every body encoded before the run starts): one core of Python sends
a few thousand requests a second this way, far more than the target needs, and
the run reports what the generator itself cost (CPU per request and how late it
dispatched requests against the schedule) so that claim can be checked.

Retries
-------
A 503 (the server could not commit in time; it sends ``Retry-After``), any other
5xx, a dropped connection or a timeout is retried with the *same*
``Idempotency-Key`` and exponential backoff until the request is acknowledged or
its deadline passes; a 4xx other than 429 is the client's fault and is recorded,
not retried. Only a 2xx counts as acknowledged (the contract: a 2xx means
committed).
"""
from __future__ import annotations

import asyncio
import json
import random
import resource
from dataclasses import dataclass, field

import numpy as np

SINGLE_PATH = "/open311/v2/requests.json"
BATCH_PATH = "/open311/v2/requests/batch.json"


@dataclass
class Request:
    """One planned POST: when (seconds from the start), where, what."""

    at: float
    path: str
    key: str
    body: bytes
    tags: list[str]          # the description tag of each case, in order
    # filled in by the run
    status: list[int] = field(default_factory=list)   # every answer's status (0: no answer)
    dispatched: float | None = None
    acked: float | None = None
    ids: list[str | None] = field(default_factory=list)
    replayed: bool = False

    @property
    def n(self) -> int:
        return len(self.tags)

    @property
    def batch(self) -> bool:
        return self.path == BATCH_PATH


def points_in_grids(grids, n: int, seed: int = 1) -> np.ndarray:
    """``n`` uniform random (lon, lat) points inside the union of ``grids`` (a GeoDataFrame)."""
    import shapely
    rng = np.random.default_rng(seed)
    area = shapely.union_all(grids.geometry.values)
    shapely.prepare(area)
    x0, y0, x1, y1 = area.bounds
    out: list[np.ndarray] = []
    have = 0
    while have < n:
        xy = np.column_stack([rng.uniform(x0, x1, 2 * n), rng.uniform(y0, y1, 2 * n)])
        keep = xy[shapely.contains_xy(area, xy[:, 0], xy[:, 1])]
        out.append(keep)
        have += len(keep)
    return np.vstack(out)[:n].round(7)


def plan_requests(*, rate: float, seconds: float, batch_share: float, points: np.ndarray,
                  service_codes: list[str], api_key: str, tag: str, batch_sizes=(10, 200),
                  seed: int = 7) -> list[Request]:
    """The run's schedule: singles at ``rate * (1 - batch_share)`` a second and batches of
    uniform random size in ``batch_sizes`` at ``rate * batch_share / mean size`` a second,
    both evenly spaced, merged by time. Each case's description is ``"{tag} #{seq}"``,
    each request's idempotency key ``"{tag}-r{i}"``."""
    rng = random.Random(seed)
    lo, hi = batch_sizes
    single_rate = rate * (1 - batch_share)
    batch_rate = rate * batch_share / ((lo + hi) / 2)
    times = []
    if single_rate > 0:
        times += [(i / single_rate, False) for i in range(int(seconds * single_rate))]
    if batch_rate > 0:
        times += [(i / batch_rate + 0.5 / batch_rate, True) for i in range(int(seconds * batch_rate))]
    times.sort()
    seq = 0
    plan = []

    def case(s: int) -> dict:
        lon, lat = points[s % len(points)]
        return {"service_code": rng.choice(service_codes), "lat": float(lat), "long": float(lon),
                "description": f"{tag} #{s}"}

    for i, (at, is_batch) in enumerate(times):
        n = rng.randint(lo, hi) if is_batch else 1
        cases = [case(seq + k) for k in range(n)]
        tags = [c["description"] for c in cases]
        seq += n
        if is_batch:
            body = {"api_key": api_key, "requests": cases}
        else:
            body = {"api_key": api_key, **cases[0]}
        plan.append(Request(at, BATCH_PATH if is_batch else SINGLE_PATH, f"{tag}-r{i}",
                            json.dumps(body, separators=(",", ":")).encode(), tags))
    return plan


# ---- the HTTP/1.1 client --------------------------------------------------------------------
class HTTPError(Exception):
    """The connection broke or answered something that is not HTTP/1.1."""


class Pool:
    """Keep-alive connections to one host; at most ``size`` open at once."""

    def __init__(self, host: str, port: int, size: int = 64):
        self.host, self.port, self.size = host, port, size
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.open = 0
        self.free = asyncio.Condition()

    async def acquire(self):
        async with self.free:
            while not self.idle and self.open >= self.size:
                await self.free.wait()
            if self.idle:
                return self.idle.pop()
            self.open += 1
        try:
            return await asyncio.open_connection(self.host, self.port)
        except BaseException:  # refused, or cancelled at the deadline: give the slot back
            await self.release(None)
            raise

    async def release(self, conn, reuse: bool = True):
        async with self.free:
            if conn is not None and reuse:
                self.idle.append(conn)
            else:
                if conn is not None:
                    conn[1].close()
                self.open -= 1
            self.free.notify()

    def close(self):
        for _, w in self.idle:
            w.close()
        self.idle.clear()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise HTTPError(f"not an HTTP answer: {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            body += await reader.readexactly(size + 2)
            del body[-2:]
        return int(parts[1]), headers, bytes(body)
    length = int(headers.get("content-length", 0))
    return int(parts[1]), headers, await reader.readexactly(length)


async def post_json(pool: Pool, path: str, body: bytes, headers: dict[str, str] | None = None,
                    timeout: float = 30.0) -> tuple[int, dict, bytes]:
    """One POST on a pooled connection; raises ``OSError``/``HTTPError``/``TimeoutError``."""
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    msg = (f"POST {path} HTTP/1.1\r\nHost: {pool.host}:{pool.port}\r\nContent-Type: application/json\r\n"
           f"Content-Length: {len(body)}\r\n{extra}\r\n").encode("latin-1") + body
    conn = await pool.acquire()
    ok = False
    try:
        reader, writer = conn
        writer.write(msg)
        status, hdrs, data = await asyncio.wait_for(_read_response(reader), timeout)
        ok = hdrs.get("connection", "").lower() != "close"
        return status, hdrs, data
    except asyncio.IncompleteReadError as exc:
        raise HTTPError("the server closed the connection") from exc
    finally:
        await pool.release(conn, reuse=ok)


# ---- the run ---------------------------------------------------------------------------------
RETRYABLE = frozenset({429, 500, 502, 503, 504})


def _backoff(attempt: int, retry_after: str | None) -> float:
    if retry_after:
        try:
            return min(float(retry_after), 5.0) * (0.5 + random.random() / 2)
        except ValueError:
            pass
    return min(0.05 * 2 ** attempt, 2.0) * (0.5 + random.random())


def ids_of(status: int, data: bytes) -> tuple[list[str | None], bool]:
    """The service_request_id of each item of a 2xx answer (None for an item refused
    with a 400 inside a batch), and whether the body was understood."""
    try:
        items = json.loads(data)
    except ValueError:
        return [], False
    if not isinstance(items, list):
        return [], False
    return [str(it["service_request_id"]) if isinstance(it, dict) and it.get("service_request_id") is not None
            else None for it in items], True


async def send_until_acked(pool: Pool, req: Request, start: float, deadline_s: float,
                           timeout: float) -> None:
    """POST ``req`` at its time; retry with the same key until a 2xx or the deadline."""
    loop = asyncio.get_running_loop()
    due = start + req.at
    req.dispatched = loop.time() - due
    headers = {"Idempotency-Key": req.key}
    attempt = 0
    while True:
        retry_after = None
        # the wait for a free connection counts against the deadline too
        left = min(timeout, deadline_s - (loop.time() - due))
        try:
            status, hdrs, data = await asyncio.wait_for(
                post_json(pool, req.path, req.body, headers, timeout), max(left, 0.001))
            retry_after = hdrs.get("retry-after")
        except (TimeoutError, OSError, HTTPError, asyncio.IncompleteReadError, ValueError):
            status, hdrs, data = 0, {}, b""
        req.status.append(status)
        if 200 <= status < 300:
            req.acked = loop.time() - due
            req.ids, _ = ids_of(status, data)
            req.replayed = hdrs.get("idempotent-replayed", "").lower() == "true"
            return
        if status and status not in RETRYABLE:
            return  # refused for cause: recorded, not retried
        if loop.time() - due > deadline_s:
            return
        await asyncio.sleep(_backoff(attempt, retry_after))
        attempt += 1


async def run_plan(host: str, port: int, plan: list[Request], *, connections: int = 64,
                   deadline_s: float = 60.0, timeout: float = 30.0, during=None) -> dict:
    """Send ``plan`` on schedule; returns the run's own figures (wall time, the
    generator's CPU and how late it dispatched). ``during(start)`` is an optional
    coroutine run alongside (the PostGIS restart)."""
    loop = asyncio.get_running_loop()
    pool = Pool(host, port, connections)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    start = loop.time() + 0.2
    side = asyncio.ensure_future(during(start)) if during else None
    tasks = []
    i = 0
    while i < len(plan):
        now = loop.time() - start
        while i < len(plan) and plan[i].at <= now:
            tasks.append(asyncio.ensure_future(send_until_acked(pool, plan[i], start, deadline_s, timeout)))
            i += 1
        if i < len(plan):
            await asyncio.sleep(max(0.0, plan[i].at - (loop.time() - start)))
    sent_by = loop.time() - start
    await asyncio.gather(*tasks)
    side_result = await side if side else None
    wall = loop.time() - start
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    pool.close()
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    lag = np.array([r.dispatched for r in plan]) if plan else np.zeros(1)
    attempts = sum(len(r.status) for r in plan)
    return {"wall_s": round(wall, 3), "schedule_s": round(plan[-1].at if plan else 0.0, 3),
            "last_dispatch_s": round(sent_by, 3),
            "generator": {"cpu_s": round(cpu, 3), "cpu_share_of_one_core": round(cpu / wall, 3) if wall else None,
                          "cpu_us_per_attempt": round(1e6 * cpu / attempts, 1) if attempts else None,
                          "dispatch_lag_ms": {"p50": round(1000 * float(np.percentile(lag, 50)), 2),
                                              "p99": round(1000 * float(np.percentile(lag, 99)), 2),
                                              "max": round(1000 * float(lag.max()), 2)}},
            "during": side_result}


def run(host: str, port: int, plan: list[Request], **kw) -> dict:
    """:func:`run_plan` in a fresh event loop."""
    return asyncio.run(run_plan(host, port, plan, **kw))


# ---- what the run achieved ----------------------------------------------------------------------
def _pcts(values, weights=None) -> dict:
    """Percentiles in ms of latencies in s; ``None`` in ``values`` is a request never
    acknowledged in time, counted as slower than every other (so a percentile that
    lands on one is ``None``: "over the deadline"), never dropped — dropping the
    slowest would flatter the server."""
    if not len(values):
        return {"p50": None, "p90": None, "p99": None, "max": None, "over_deadline": 0}
    v = np.array([np.inf if x is None else x for x in values], dtype=float) * 1000
    if weights is not None:
        v = np.repeat(v, np.asarray(weights, dtype=int))

    def q(p: float):
        x = float(np.percentile(v, p, method="higher"))
        return round(x, 1) if np.isfinite(x) else None
    return {"p50": q(50), "p90": q(90), "p99": q(99), "max": q(100), "over_deadline": int(np.isinf(v).sum())}


def summarise(plan: list[Request]) -> dict:
    """Acknowledged cases and ids, latency per request and per case (requests refused
    with a 4xx left out), answers by status."""
    acked = [r for r in plan if r.acked is not None]
    by_status: dict[str, int] = {}
    for r in plan:
        for s in r.status:
            by_status[str(s) if s else "no answer"] = by_status.get(str(s) if s else "no answer", 0) + 1
    ids = [i for r in acked for i in r.ids if i is not None]
    item_refused = sum(1 for r in acked for i in r.ids if i is None)
    timed = [r for r in plan if r.acked is not None or not r.status or r.status[-1] in (0, *RETRYABLE)]
    last_ack = max((r.at + r.acked for r in acked), default=0.0)
    return {
        "requests_planned": len(plan), "cases_planned": sum(r.n for r in plan),
        "requests_acked": len(acked), "cases_acked": len(ids), "items_refused_in_batches": item_refused,
        "requests_not_acked": len(plan) - len(acked),
        "requests_retried": sum(1 for r in plan if len(r.status) > 1),
        "retries": sum(len(r.status) - 1 for r in plan),
        "answers_by_status": dict(sorted(by_status.items())),
        "replayed_answers": sum(1 for r in acked if r.replayed),
        "throughput_cases_per_s": round(len(ids) / last_ack, 1) if last_ack else None,
        "latency_ms": {
            "single_request": _pcts([r.acked for r in timed if not r.batch]),
            "batch_request": _pcts([r.acked for r in timed if r.batch]),
            "per_case": _pcts([r.acked for r in timed], [r.n for r in timed]),
        },
        "acked_ids": ids,
    }


# ---- the generator's own ceiling ------------------------------------------------------------------
NULL_ANSWER = b'[{"service_request_id": "null"}]'


async def serve_null(port: int) -> None:
    """An HTTP/1.1 server that answers every request at once with a 201 and a fixed
    body: run against it, the generator measures only itself."""
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                writer.write(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: "
                             + str(len(NULL_ANSWER)).encode() + b"\r\n\r\n" + NULL_ANSWER)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":  # python -m bench.ingest_load --null-server PORT
    import sys
    if sys.argv[1:2] == ["--null-server"]:
        asyncio.run(serve_null(int(sys.argv[2])))
