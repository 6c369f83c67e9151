"""The wall as an enrolled device (issue 16, Deliver 4): one-time codes, device tokens.

``townbrain kiosk enroll --name NAME`` issues a one-time code, valid
:data:`CODE_MINUTES`; the wall's browser types it at ``/enroll`` (access/enroll.py)
and receives a random device token in an HttpOnly cookie. The store keeps only the
sha256 of the code and of the token (layer ``devices``), so neither can be read back
from a copy of the database. The code carries 60 bits (12 characters of Crockford's
base32, no I/L/O/U to misread), sent in a POST body, never in a URL, rate-limited.

A device is a session of the ``kiosk`` role (access/roles.py: the wall and its
callbacks only) that has no idle time-out — a wall is unattended by design — and is
looked up in the store on every request, so it survives a server restart without
anyone typing and a revocation ends it at its next request. ``last_seen`` is
written at most once a :data:`TOUCH_SECONDS`.

Every code issued, every enrolment, every refused code and every revocation is
audited first: an enrolment that cannot be audited does not happen.

Examples
--------
>>> import tempfile, os
>>> from geodata.store import open_store
>>> from access.service import Access
>>> acc = Access(open_store(os.path.join(tempfile.mkdtemp(), "t.gpkg")))
>>> code = acc.devices.issue("wall-1", by="os:root")
>>> token, why = acc.devices.enroll(code, source="10.0.0.9")
>>> why, acc.devices.check(token)[0].role
('ok', 'kiosk')
>>> acc.devices.enroll(code, source="10.0.0.9")[1]
'used'
"""
from __future__ import annotations

import hashlib
import logging
import re
import secrets
import threading
from typing import Callable

import pandas as pd

from access.accounts import AccountError
from access.audit import AuditLog
from geodata.frames import StoreUnavailable

LAYER = "devices"
ROLE = "kiosk"
CODE_MINUTES = 10
TOUCH_SECONDS = 60.0
#: Crockford's base32 without the letters that read as digits (I, L, O) or as a word (U).
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = 12
_NAME = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{1,64}$")
_NAT = pd.Series([pd.NaT], dtype="datetime64[us, UTC]")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def new_code() -> str:
    """``XXXX-XXXX-XXXX``: 12 random characters of :data:`ALPHABET` (60 bits)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_CHARS, 4))


def normalise_code(typed: str) -> str:
    """What a person typed, as the code it means: case, spaces and dashes ignored,
    O read as 0 and I/L as 1 (Crockford).

    >>> normalise_code(" k7qm-4xpd oil1 ")
    'K7QM4XPD0111'
    """
    s = re.sub(r"[\s\-]", "", str(typed or "")).upper()
    return s.translate(str.maketrans("OIL", "011"))[:64]


def code_hash(typed: str) -> str:
    return _sha("code:" + normalise_code(typed))


def token_hash(token: str) -> str:
    return _sha("device:" + str(token))


def _na(v) -> bool:
    return v is None or v is pd.NaT or bool(pd.isna(v))


class Devices:
    """Enrolled walls in the store's ``devices`` layer."""

    def __init__(self, store, audit: AuditLog, clock: Callable[[], pd.Timestamp]):
        self.store, self.audit, self.clock = store, audit, clock
        self._touched: dict[str, pd.Timestamp] = {}
        self._known: dict[str, tuple[str, pd.Timestamp]] = {}   # token hash → (name, enrolled) last found valid
        self._lock = threading.Lock()

    # ---- reading ------------------------------------------------------------------
    def get(self, name: str) -> dict | None:
        if not name or not self.store.has_layer(LAYER):
            return None
        rows = self.store.read(LAYER, where={"name": str(name)})
        return None if not len(rows) else {k: (None if _na(v) else v) for k, v in rows.iloc[0].to_dict().items()}

    def list(self) -> pd.DataFrame:
        """Every device, without its hashes: name, enrolled_at, last_seen, revoked_at, state."""
        cols = ["name", "grants", "created_at", "created_by", "enrolled_at", "last_seen", "source", "revoked_at",
                "code_expires_at"]
        if not self.store.has_layer(LAYER):
            return pd.DataFrame(columns=[*cols, "state"])
        df = self.store.read(LAYER)
        df = df[[c for c in cols if c in df.columns]].sort_values("name").reset_index(drop=True)
        df["state"] = [self.state(r) for r in df.to_dict("records")]
        return df

    def state(self, rec: dict) -> str:
        """revoked, enrolled, code_pending or code_expired."""
        if not _na(rec.get("revoked_at")):
            return "revoked"
        if not _na(rec.get("enrolled_at")):
            return "enrolled"
        expires = rec.get("code_expires_at")
        return "code_pending" if not _na(expires) and pd.Timestamp(expires) > self.clock() else "code_expired"

    # ---- the command line ---------------------------------------------------------
    def issue(self, name: str, *, by: str, grants: str = "town", source: str | None = None) -> str:
        """A new one-time code for the wall ``name``; returns it (shown once).

        A name whose code expired unused, or whose device was revoked, may be issued
        again (the old token stops working); an enrolled wall must be revoked first.
        """
        name = (name or "").strip()
        if not _NAME.match(name):
            raise AccountError(f"wall name {name!r} must be 1-64 letters, digits, '.', '_' or '-'")
        old = self.get(name)
        if old is not None and self.state(old) in ("enrolled", "code_pending"):
            raise AccountError(f"wall {name!r} is {'enrolled' if self.state(old) == 'enrolled' else 'waiting for its code'}"
                               f"; revoke it first (`townbrain kiosk revoke {name}`)")
        code = new_code()
        now = self.clock()
        expires = now + pd.Timedelta(minutes=CODE_MINUTES)
        self.audit.record("device_code", user=by, source=source, object=f"kiosk:{name}",
                          detail=f"one-time code valid until {expires.isoformat()}; grants={grants}")
        self.store.upsert(LAYER, pd.DataFrame({
            "name": [name], "role": [ROLE], "grants": [grants], "code_hash": [code_hash(code)],
            "code_expires_at": [expires], "code_used_at": _NAT, "token_hash": [None], "created_at": [now],
            "created_by": [by], "enrolled_at": _NAT, "last_seen": _NAT, "source": [None], "revoked_at": _NAT}))
        return code

    def revoke(self, name: str, *, by: str, source: str | None = None) -> None:
        rec = self.get(name)
        if rec is None:
            raise AccountError(f"no wall {name!r}; see `townbrain kiosk list`")
        if rec.get("revoked_at") is not None:
            raise AccountError(f"wall {name!r} is revoked already")
        self.audit.record("device_revoke", user=by, source=source, object=f"kiosk:{name}",
                          detail=f"was {self.state(rec)}")
        self.store.update_columns(LAYER, pd.DataFrame({"name": [name], "revoked_at": [self.clock()]}))

    # ---- the wall's browser -------------------------------------------------------
    def enroll(self, typed_code: str, source: str | None) -> tuple[str | None, str]:
        """Trade a code for a device token: (token, "ok") or (None, why) — why one of
        unknown, expired, used, revoked. Audited either way."""
        h = code_hash(typed_code)
        rows = self.store.read(LAYER, where={"code_hash": h}) if self.store.has_layer(LAYER) and \
            normalise_code(typed_code) else pd.DataFrame()
        rec = None if not len(rows) else {k: (None if _na(v) else v) for k, v in rows.iloc[0].to_dict().items()}
        why = ("unknown" if rec is None else "revoked" if rec.get("revoked_at") is not None else
               "used" if rec.get("code_used_at") is not None else
               "expired" if rec.get("code_expires_at") is None or pd.Timestamp(rec["code_expires_at"]) <= self.clock()
               else "ok")
        obj = f"kiosk:{rec['name']}" if rec else "kiosk:?"
        if why != "ok":
            self.audit.record("device_enroll_failed", outcome="refused", source=source, object=obj,
                              detail=f"{why} code")
            return None, why
        token = secrets.token_urlsafe(32)
        now = self.clock()
        self.audit.record("device_enroll", user=obj, source=source, object=obj, detail=f"grants={rec.get('grants')}")
        self.store.update_columns(LAYER, pd.DataFrame({
            "name": [rec["name"]], "code_used_at": [now], "token_hash": [token_hash(token)], "enrolled_at": [now],
            "last_seen": [now], "source": [source]}))
        with self._lock:
            self._touched[token_hash(token)] = now
        return token, "ok"

    def check(self, token: str | None, source: str | None = None):
        """(Session, None) for a valid device token, else (None, why). Read from the
        store on every call: a revocation holds from the next request on."""
        from access.sessions import Session
        if not token:
            return None, "no device"
        th = token_hash(token)
        try:
            if not self.store.has_layer(LAYER):
                return None, "no device"
            rows = self.store.read(LAYER, where={"token_hash": th}, geometry=False)
        except StoreUnavailable as exc:
            # The store is away: a wall found valid before goes on (it shows its last
            # numbers as stale, as the live layer says); an unknown token cannot be checked.
            with self._lock:
                known = self._known.get(th)
            if known is None:
                raise
            logging.getLogger(__name__).warning("device %s: store away, kept as last checked: %s", known[0], exc)
            now = self.clock()
            return Session(th, known[0], ROLE, "signed_in", known[1], now, now, now, source, device=True,
                           grants=known[2]), None
        if not len(rows):
            return None, "unknown device token"
        row = rows.iloc[0]
        name = f"kiosk:{row['name']}"
        if not _na(row["revoked_at"]):
            with self._lock:
                self._known.pop(th, None)
            return None, f"revoked device {name}"
        now = self.clock()
        with self._lock:
            seen = self._touched.get(th)
        if seen is None:
            seen = pd.Timestamp(row["last_seen"]) if not _na(row["last_seen"]) else pd.Timestamp(0, tz="UTC")
        if (now - seen).total_seconds() >= TOUCH_SECONDS:
            self.store.update_columns(LAYER, pd.DataFrame({"name": [row["name"]], "last_seen": [now]}))
            seen = now
        enrolled = pd.Timestamp(row["enrolled_at"])
        grants = "" if _na(row.get("grants")) else str(row["grants"])
        with self._lock:
            self._touched[th] = seen
            self._known[th] = (name, enrolled, grants)
        return Session(th, name, ROLE, "signed_in", enrolled, now, seen, now, source, device=True,
                       grants=grants), None
