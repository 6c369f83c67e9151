"""The audit trail: an append-only, hash-chained ``audit_log`` (issue 16, Deliver 5).

Each record holds time, user, source address, action, object, outcome and a detail,
its place ``seq``, the hash of the record before (``prev_hash``) and its own
``hash`` = sha256 of its canonical form (sorted-key JSON of every field but the
hash, UTF-8, times as whole UTC seconds) — so editing, removing or reordering a
record breaks the chain at that record (GB/T 22239-2019 8.1.4.3 c: 审计记录应进行保护,
避免受到未预期的删除、修改或覆盖). The chain shows tampering inside the log; that
records were cut off its end is shown by the database's own locks
(``Store.protect_append_only``: UPDATE refused, DELETE refused for
:data:`RETENTION_DAYS`) and, on PostGIS, by the app's role holding only INSERT and
SELECT (``townbrain audit protect --role``).

If a record cannot be written the caller's action fails: :meth:`AuditLog.record`
raises :class:`AuditError`, and the gate answers 503 rather than act unaudited.

Examples
--------
>>> import tempfile, os
>>> from geodata.store import open_store
>>> log = AuditLog(open_store(os.path.join(tempfile.mkdtemp(), "t.gpkg")))
>>> log.record("sign_in", user="li", source="10.0.0.7")["seq"]
1
>>> log.record("sign_out", user="li")["prev_hash"] == log.list()["hash"].iloc[0]
True
>>> log.verify().ok
True
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from geodata.frames import StoreError

LAYER = "audit_log"
#: Records are kept at least this long (the Cybersecurity Law, art. 21(3): network
#: logs kept no less than six months).
RETENTION_DAYS = 180
GENESIS = "0" * 64
FIELDS = ("seq", "at", "username", "source", "action", "object", "outcome", "detail", "prev_hash")
_MAX_TEXT = 2000

log = logging.getLogger(__name__)


class AuditError(Exception):
    """The audit trail could not be written: the action it records must not happen."""


def _utc_text(t) -> str:
    ts = pd.Timestamp(t)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.floor("s").strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(v) -> str | None:
    if v is None or (isinstance(v, float) and v != v) or v is pd.NA or v is pd.NaT:
        return None
    s = str(v)
    return s[:_MAX_TEXT] if s else None


def canonical(record: dict) -> bytes:
    """The bytes a record's hash is taken over.

    >>> canonical({"seq": 1, "at": "2026-12-05T01:00:00Z", "username": "li", "action": "sign_in"})[:40]
    b'{"action":"sign_in","at":"2026-12-05T01:'
    """
    body = {k: record.get(k) for k in FIELDS if k in record}
    body["seq"] = int(body["seq"])
    body["at"] = _utc_text(body["at"])
    for k in FIELDS:
        if k not in ("seq", "at") and k in body:
            body[k] = _text(body[k])
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def record_hash(record: dict) -> str:
    return hashlib.sha256(canonical(record)).hexdigest()


@dataclass
class Verdict:
    ok: bool
    records: int
    broken_seq: int | None = None
    reason: str = ""


class AuditLog:
    """Write, read and verify the chain in a store's ``audit_log`` layer."""

    def __init__(self, store, clock: Callable[[], pd.Timestamp] | None = None):
        self.store = store
        self.clock = clock or (lambda: pd.Timestamp.now(tz="UTC"))
        self._protected = False

    def _protect(self) -> None:
        if self._protected:
            return
        try:
            self.store.protect_append_only(LAYER, RETENTION_DAYS)
        except Exception as exc:  # noqa: BLE001 - a role without DDL rights: the owner set it up
            log.info("audit_log protection not (re)installed by this role: %s", str(exc).splitlines()[0])
        self._protected = True

    def record(self, action: str, *, outcome: str = "ok", user: str | None = None, source: str | None = None,
               object: str | None = None, detail: str | None = None) -> dict:
        """Append one record; raise :class:`AuditError` when it cannot be written."""
        at = _utc_text(self.clock())

        def build(last: dict | None) -> dict:
            rec = {"seq": int(last["seq"]) + 1 if last else 1, "at": at, "username": _text(user),
                   "source": _text(source), "action": _text(action), "object": _text(object),
                   "outcome": _text(outcome), "detail": _text(detail),
                   "prev_hash": str(last["hash"]) if last else GENESIS}
            rec["hash"] = record_hash(rec)
            return rec
        try:
            self._protect()
            return self.store.append_chained(LAYER, build)
        except Exception as exc:  # noqa: BLE001 - whatever the store says, the action must not go on
            log.error("audit record %s/%s not written: %s", action, outcome, str(exc).splitlines()[0])
            raise AuditError(f"the audit trail cannot be written: {str(exc).splitlines()[0]}") from exc

    def _frame(self) -> pd.DataFrame:
        if not self.store.has_layer(LAYER):
            return pd.DataFrame(columns=[*FIELDS, "hash"])
        return self.store.read(LAYER).sort_values("seq", kind="stable").reset_index(drop=True)

    def list(self, user: str | None = None, since=None, limit: int | None = None) -> pd.DataFrame:
        """Records in order, filtered by user and by time (``since`` inclusive)."""
        if not self.store.has_layer(LAYER):
            return self._frame()
        df = self.store.read(LAYER, where={"username": user} if user else None, start=since)
        df = df.sort_values("seq", kind="stable").reset_index(drop=True)
        return df.tail(limit).reset_index(drop=True) if limit else df

    def verify(self) -> Verdict:
        """Walk the chain from the first record; name the first that does not hold."""
        try:
            df = self._frame()
        except StoreError as exc:
            return Verdict(False, 0, None, f"cannot read the audit trail: {exc}")
        prev, expected_seq = GENESIS, 1
        for rec in df.to_dict("records"):
            seq = int(rec["seq"])
            if seq != expected_seq:
                return Verdict(False, len(df), expected_seq,
                               f"record {expected_seq} is missing (the next one is {seq})")
            if rec["prev_hash"] != prev:
                return Verdict(False, len(df), seq, f"record {seq} does not follow record {seq - 1}'s hash")
            if record_hash(rec) != rec["hash"]:
                return Verdict(False, len(df), seq, f"record {seq} was altered: its hash does not match its content")
            prev, expected_seq = rec["hash"], seq + 1
        return Verdict(True, len(df))
