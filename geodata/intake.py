"""The live intake's writer: group commit with exactly-once answers.

A commit per HTTP request caps the intake at what one transaction per request
costs. Instead every request hands its validated rows to :class:`GroupWriter`,
one thread that commits everything pending in ONE transaction
(:meth:`geodata.store.Store.append_together`) every few milliseconds and then
wakes each request with its answer. A 2xx therefore always follows a commit
(durability), and the idempotency record of a request is written in the same
transaction as its rows, so a case can never exist without the answer a retry
must replay, nor the answer without the case (exactly once).

Idempotency: a request sent with a key is known by ``key_id:key``. An answer this
process gave is remembered in memory and replayed (``replayed=True``) when the
request is the same (same fingerprint), refused with 422 otherwise. Requests with
the same key in one batch are served by the first; the others get its answer. An
answer given by another process or before a restart is caught by the primary key
of ``idempotency_keys``: the group's transaction fails, its requests are retried
one by one, and the one whose key exists is answered from the store.

When the store cannot commit (e.g. PostGIS restarting) the writer keeps the
requests and retries with back-off until each one's own deadline, after which the
caller answers 503; the writer recovers by itself when the store is back.
Quarantine rows carry no deadline: they are retried until committed.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import logging
import queue
import secrets
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd

from geodata.frames import StoreError

log = logging.getLogger("townbrain.intake")

IDEMPOTENCY = "idempotency_keys"
#: Layers the intake writes to.
INTAKE_LAYERS = ("cases", "case_history", "quarantine", IDEMPOTENCY, "patrols", "patrol_sessions", "patrol_points")
#: How long a batch waits for more requests after the first arrives (seconds).
LINGER_S = 0.004
#: Most submissions committed in one transaction.
MAX_BATCH = 2000
#: Answers with an idempotency key remembered in memory (older ones are found via the store).
RECENT_ANSWERS = 200_000


class Unavailable(Exception):
    """The store could not commit before the request's deadline (answer 503)."""


@dataclass
class Outcome:
    """The answer to one request: HTTP status and JSON body."""
    status: int
    body: Any
    replayed: bool = False


@dataclass
class Submission:
    """Rows to commit together with the answer to give once they are.

    ``rows``: {layer: [record dict, ...]}; a record of a layer with geometry has a
    shapely ``geometry``. ``run``: instead of rows, a function called with the store
    in the writer thread (serialised with every other write), returning an
    :class:`Outcome` and more rows to commit after it.
    """
    rows: dict[str, list[dict]]
    outcome: Outcome
    key_id: str | None = None
    idempotency_key: str | None = None
    fingerprint: str | None = None
    deadline: float | None = None
    run: Callable[[Any], tuple[Outcome, dict[str, list[dict]]]] | None = None
    future: Future = field(default_factory=Future)

    @property
    def idem_id(self) -> str | None:
        return f"{self.key_id}:{self.idempotency_key}" if self.idempotency_key else None


def fingerprint(payload: Any) -> str:
    """sha256 of a request's canonical JSON (what makes a retry "the same request")."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str,
                                     ensure_ascii=False).encode()).hexdigest()


def new_case_id(now: pd.Timestamp | None = None) -> str:
    """A case id unique across threads and processes without coordination: a
    time-ordered prefix (UTC, milliseconds) and 40 random bits, e.g.
    ``R20261123T071530123-9f3a0c11d2``. Not ``C<date>-<n>``, the demo's series."""
    if now is None:
        now = datetime.datetime.now(datetime.timezone.utc)
    else:
        now = pd.Timestamp(now).tz_convert("UTC")
    return f"R{now:%Y%m%dT%H%M%S}{now.microsecond // 1000:03d}-{secrets.token_hex(5)}"


def _merge(into: dict[str, list[dict]], rows: dict[str, list[dict]]) -> None:
    for name, records in rows.items():
        into.setdefault(name, []).extend(records)


def _idem_record(sub: Submission, outcome: Outcome) -> dict:
    return {"id": sub.idem_id, "key_id": sub.key_id, "fingerprint": sub.fingerprint,
            "status": outcome.status, "response": json.dumps(outcome.body, ensure_ascii=False),
            "created_at": pd.Timestamp.now(tz="UTC")}


class GroupWriter:
    """One writer thread per store: ``submit`` a :class:`Submission`, ``wait`` for its
    :class:`Outcome`. Start it with :meth:`start` (done on first submit)."""

    def __init__(self, store, *, linger_s: float = LINGER_S, max_batch: int = MAX_BATCH):
        self.store = store
        self.linger_s, self.max_batch = linger_s, max_batch
        self._queue: queue.Queue[Submission] = queue.Queue()
        self._held: list[Submission] = []  # waiting for the store to come back
        self._recent: OrderedDict[str, dict] = OrderedDict()  # answers given with a key, newest last
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.stats = {"transactions": 0, "committed": 0, "retries": 0}

    # ---- the callers' side ----------------------------------------------------
    def start(self) -> None:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="townbrain-intake-writer", daemon=True)
                self._thread.start()

    def submit(self, sub: Submission) -> Future:
        self.start()
        self._queue.put(sub)
        return sub.future

    def wait(self, sub: Submission, timeout_s: float) -> Outcome:
        """Submit and block until committed; :class:`Unavailable` after ``timeout_s``."""
        sub.deadline = time.monotonic() + timeout_s
        fut = self.submit(sub)
        try:
            return fut.result(timeout=timeout_s + 0.5)
        except TimeoutError:
            raise Unavailable(f"the store did not commit within {timeout_s:g} s") from None

    def flush(self, timeout_s: float = 30.0) -> None:
        """Block until everything submitted so far is committed (tests, shutdown)."""
        end = time.monotonic() + timeout_s
        while (self._queue.unfinished_tasks or self._held) and time.monotonic() < end:
            time.sleep(0.005)

    # ---- the writer thread ----------------------------------------------------
    def _take(self) -> list[Submission]:
        batch = []
        if self._held:
            batch, self._held = self._held, []
        try:
            batch.append(self._queue.get(timeout=0.05 if not batch else self.linger_s))
        except queue.Empty:
            return batch
        end = time.monotonic() + self.linger_s
        while len(batch) < self.max_batch:
            left = end - time.monotonic()
            try:
                batch.append(self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _ensure_layers(self) -> None:
        """The layers the intake writes, created if the store lacks them (a store
        made before the intake existed); retried while the store is away."""
        while True:
            try:
                self.store.create_schema(list(INTAKE_LAYERS))
                return
            except StoreError as exc:
                log.warning("intake cannot prepare the store yet: %s", exc)
                time.sleep(0.5)

    def _loop(self) -> None:
        self._ensure_layers()
        while True:
            batch = self._take()
            if not batch:
                continue
            try:
                self._process(batch)
            except Exception as exc:  # a bug: answer, log, keep the writer alive
                log.exception("intake writer failed")
                for sub in batch:
                    if not sub.future.done():
                        sub.future.set_exception(exc)
            finally:
                for sub in batch:
                    if sub.future.done() and not getattr(sub, "_counted", False):
                        sub._counted = True
                        self._queue.task_done()

    def _process(self, batch: list[Submission]) -> None:
        now = time.monotonic()
        live = []
        for sub in batch:
            if sub.deadline is not None and now > sub.deadline:
                sub.future.set_exception(Unavailable("the store did not commit in time"))
            else:
                live.append(sub)
        for sub in [s for s in live if s.run is not None]:
            try:
                self._run_one(sub)
            except Exception as exc:  # a bug in one operation fails that request only
                log.exception("intake operation failed")
                sub.future.set_exception(exc)
        plain = [s for s in live if s.run is None and not s.future.done()]
        if plain:
            self._commit_group(plain)

    def _lookup(self, subs: list[Submission]) -> dict[str, dict]:
        ids = sorted({s.idem_id for s in subs if s.idem_id})
        if not ids:
            return {}
        found = self.store.read(IDEMPOTENCY, where={"id": ids},
                                columns=["id", "fingerprint", "status", "response"])
        return {r["id"]: r for r in found.to_dict("records")}

    @staticmethod
    def _replay(sub: Submission, rec: dict) -> Outcome:
        if rec["fingerprint"] != sub.fingerprint:
            return Outcome(422, [{"code": 422, "description":
                                  f"idempotency key {sub.idempotency_key!r} was already used for a different "
                                  "request by this client; send a new key for a new request"}])
        return Outcome(int(rec["status"]), json.loads(rec["response"]), replayed=True)

    def _remember(self, sub: Submission, outcome: Outcome) -> None:
        self._recent[sub.idem_id] = {"fingerprint": sub.fingerprint, "status": outcome.status,
                                     "response": json.dumps(outcome.body, ensure_ascii=False)}
        if len(self._recent) > RECENT_ANSWERS:
            self._recent.popitem(last=False)

    def _commit_group(self, subs: list[Submission]) -> None:
        # Keys are checked against the answers of this process in memory; a key
        # answered elsewhere (another process, before a restart) trips the primary
        # key of idempotency_keys, and the one-by-one path below replays it.
        known = {s.idem_id: self._recent[s.idem_id] for s in subs if s.idem_id in self._recent}
        leaders: dict[str, Submission] = {}
        followers: list[Submission] = []
        todo = []
        for sub in subs:
            idem = sub.idem_id
            if idem and idem in known:
                sub.future.set_result(self._replay(sub, known[idem]))
            elif idem and idem in leaders:
                followers.append(sub)
            else:
                if idem:
                    leaders[idem] = sub
                todo.append(sub)
        rows: dict[str, list[dict]] = {}
        for sub in todo:
            _merge(rows, sub.rows)
            if sub.idem_id:
                _merge(rows, {IDEMPOTENCY: [_idem_record(sub, sub.outcome)]})
        try:
            self.store.append_records_together(rows)
        except StoreError as exc:
            if len(todo) > 1 and self._reachable():
                log.warning("group commit of %d failed (%s); committing one by one", len(todo), exc)
                for sub in todo:
                    self._commit_group([sub])
                self._answer_followers(followers, leaders)
                return
            if self._reachable():  # a single request the store refuses: a bug or a race lost
                known = self._safe_lookup(todo)
                for sub in todo:
                    rec = known.get(sub.idem_id) if sub.idem_id else None
                    sub.future.set_result(self._replay(sub, rec) if rec else
                                          Outcome(500, [{"code": 500, "description": f"not stored: {exc}"}]))
                self._answer_followers(followers, leaders)
                return
            return self._hold(todo + followers)
        self.stats["transactions"] += 1
        self.stats["committed"] += len(todo)
        for sub in todo:
            if sub.idem_id:
                self._remember(sub, sub.outcome)
            sub.future.set_result(sub.outcome)
        self._answer_followers(followers, leaders)

    def _answer_followers(self, followers, leaders) -> None:
        for sub in followers:
            lead = leaders[sub.idem_id]
            if not lead.future.done():  # the leader is held for a retry: so is the follower
                self._held.append(sub)
                continue
            first = lead.future.result()
            rec = {"fingerprint": lead.fingerprint, "status": first.status,
                   "response": json.dumps(first.body, ensure_ascii=False)}
            sub.future.set_result(self._replay(sub, rec))

    def _safe_lookup(self, subs):
        try:
            return self._lookup(subs)
        except StoreError:
            return {}

    def _reachable(self) -> bool:
        try:
            self.store.ping()
            return True
        except Exception:  # noqa: BLE001 - any failure means "not now"
            return False

    def _hold(self, subs: list[Submission]) -> None:
        """Keep requests for the next attempt, backing off while the store is away."""
        self.stats["retries"] += 1
        self._held.extend(s for s in subs if not s.future.done())
        time.sleep(0.2)

    def _run_one(self, sub: Submission) -> None:
        if sub.idem_id:
            try:
                rec = self._recent.get(sub.idem_id) or self._lookup([sub]).get(sub.idem_id)
            except StoreError:
                return self._hold([sub])
            if rec is not None:
                return sub.future.set_result(self._replay(sub, rec))
        try:
            outcome, rows = sub.run(self.store)
        except StoreError as exc:
            if self._reachable():
                raise
            log.warning("store unreachable during %s: %s", sub.run, exc)
            return self._hold([sub])
        if sub.idem_id and outcome.status < 500:
            _merge(rows, {IDEMPOTENCY: [_idem_record(sub, outcome)]})
        if rows:
            self.store.append_records_together(rows)
        if sub.idem_id and outcome.status < 500:
            self._remember(sub, outcome)
        sub.future.set_result(outcome)
