"""Server-side sessions: a random token in the cookie, its sha256 in the store.

A session is looked up on every request, so it can be ended on the server at any
time — signed out, timed out, revoked, its account disabled — and a copied cookie
is then worthless (GB/T 22239-2019 8.1.4.1 b: 登录连接超时自动退出). Idle time
counts only what a person does: a request the page's timers make by themselves
(a Dash callback fired by ``n_intervals`` alone) does not keep a session alive.

Lookups are remembered for :data:`REVALIDATE_SECONDS`, so an end decided by another
process (``townbrain user disable``/``revoke``) takes effect within that time, and
``last_seen`` is written at most once a :data:`TOUCH_SECONDS`.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from access.audit import AuditLog
from geodata.frames import StoreUnavailable

LAYER = "sessions"
IDLE_MINUTES = 30
PENDING_MINUTES = 10      # a sign-in half done (new password, second factor) expires sooner
REVALIDATE_SECONDS = 5.0
log = logging.getLogger(__name__)
TOUCH_SECONDS = 60.0


def token_hash(token: str) -> str:
    return hashlib.sha256(str(token).encode()).hexdigest()


@dataclass
class Session:
    session_id: str
    name: str
    role: str
    stage: str
    created_at: pd.Timestamp
    last_active: pd.Timestamp
    stored_last_seen: pd.Timestamp
    checked: pd.Timestamp
    source: str | None = None
    device: bool = False  # an enrolled wall (access/devices.py): no idle time-out, not signed out
    #: the account's (or the wall's) grants as read with it, so a request's scope
    #: (access/scope.py request_scope) costs no read of its own; none given, none held
    grants: str = ""

    @property
    def signed_in(self) -> bool:
        return self.stage == "signed_in"


class Sessions:
    def __init__(self, store, audit: AuditLog, accounts, clock: Callable[[], pd.Timestamp]):
        self.store, self.audit, self.accounts, self.clock = store, audit, accounts, clock
        self._cache: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, name: str, stage: str, source: str | None) -> str:
        """A new session for ``name`` at ``stage``; returns the token for the cookie."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        self.store.append(LAYER, pd.DataFrame({
            "session_id": [token_hash(token)], "name": [name], "stage": [stage], "created_at": [now],
            "last_seen": [now], "ended_at": pd.Series([pd.NaT], dtype="datetime64[us, UTC]"),
            "end_reason": [None], "source": [source]}))
        return token

    def resolve(self, token: str | None, source: str | None = None, activity: bool = True) -> Session | None:
        """The open session of ``token``, or None; ends (and audits) one found idle."""
        if not token:
            return None
        sid = token_hash(token)
        now = self.clock()
        with self._lock:
            sess = self._cache.get(sid)
        if sess is None or (now - sess.checked).total_seconds() >= REVALIDATE_SECONDS:
            try:
                sess = self._load(sid, now, sess)
            except StoreUnavailable as exc:
                # The store is away: a session already checked goes on as it was (the
                # wall keeps its last numbers and says they are stale; the idle limit
                # still holds), a new one cannot be checked and the request gets the 503.
                if sess is None:
                    raise
                log.warning("session %s: store away, kept as last checked: %s", sid[:12], exc)
            if sess is None:
                with self._lock:
                    self._cache.pop(sid, None)
                return None
        limit = pd.Timedelta(minutes=IDLE_MINUTES if sess.signed_in else PENDING_MINUTES)
        if now - sess.last_active > limit:
            self._end(sid, "timeout", sess.name, source, f"idle since {sess.last_active.isoformat()}")
            return None
        if activity:
            sess.last_active = now
            if (now - sess.stored_last_seen).total_seconds() >= TOUCH_SECONDS:
                try:
                    self.store.update_columns(LAYER, pd.DataFrame({"session_id": [sid], "last_seen": [now]}))
                    sess.stored_last_seen = now
                except StoreUnavailable as exc:  # written at the next request that can
                    log.warning("session %s: last seen not stored, store away: %s", sid[:12], exc)
        return sess

    def _load(self, sid: str, now: pd.Timestamp, cached: Session | None) -> Session | None:
        if not self.store.has_layer(LAYER):
            return None
        rows = self.store.read(LAYER, where={"session_id": sid})
        if not len(rows):
            return None
        row = rows.iloc[0]
        if not pd.isna(row["ended_at"]):
            return None
        user = self.accounts.get(str(row["name"]))
        if user is None or user.get("disabled_at") is not None:
            self._end(sid, "disabled", str(row["name"]), None, "account disabled")
            return None
        last_seen = pd.Timestamp(row["last_seen"]).tz_convert("UTC")
        last_active = max(last_seen, cached.last_active) if cached else last_seen
        sess = Session(sid, str(row["name"]), str(user["role"]), str(row["stage"]),
                       pd.Timestamp(row["created_at"]).tz_convert("UTC"), last_active,
                       max(last_seen, cached.stored_last_seen) if cached else last_seen, now,
                       None if pd.isna(row["source"]) else str(row["source"]), grants=str(user.get("grants") or ""))
        with self._lock:
            self._cache[sid] = sess
        return sess

    def forget(self, name: str) -> None:
        """Drop what is remembered of ``name``'s sessions: a change to the account made in
        this process (its grants, its role, disabling it) holds from the next request.
        Made in another process (the ``townbrain`` command) it holds within
        :data:`REVALIDATE_SECONDS`."""
        with self._lock:
            for sid in [sid for sid, s in self._cache.items() if s.name == name]:
                del self._cache[sid]

    def set_stage(self, sess: Session, stage: str) -> None:
        self.store.update_columns(LAYER, pd.DataFrame({"session_id": [sess.session_id], "stage": [stage]}))
        sess.stage = stage

    def _end(self, sid: str, reason: str, name: str, source: str | None, detail: str | None = None) -> None:
        """End one session: audited first ("timeout", "sign_out", "session_revoked")."""
        action = {"timeout": "timeout", "sign_out": "sign_out"}.get(reason, "session_revoked")
        self.audit.record(action, user=name, source=source, object=f"session {sid[:12]}", detail=detail or reason)
        self.store.update_columns(LAYER, pd.DataFrame({"session_id": [sid], "ended_at": [self.clock()],
                                                       "end_reason": [reason]}))
        with self._lock:
            self._cache.pop(sid, None)

    def end(self, sess: Session, reason: str, source: str | None = None) -> None:
        self._end(sess.session_id, reason, sess.name, source)

    def open_sessions(self, name: str | None = None) -> pd.DataFrame:
        if not self.store.has_layer(LAYER):
            return pd.DataFrame(columns=["session_id", "name", "stage", "created_at", "last_seen", "source"])
        df = self.store.read(LAYER, where={"name": name} if name else None)
        return df[df["ended_at"].isna()].reset_index(drop=True)

    def revoke_user(self, name: str, reason: str = "revoked", by: str | None = None,
                    source: str | None = None) -> int:
        """End every open session of ``name``; returns how many."""
        ids = self.open_sessions(name)["session_id"].tolist()
        for sid in ids:
            self._end(sid, reason, name, source, f"{reason} by {by}" if by else reason)
        return len(ids)
