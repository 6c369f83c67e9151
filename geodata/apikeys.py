"""API keys of the live intake's clients, stored hashed.

A key reads ``tb_<key_id>_<secret>``: ``key_id`` is public and finds the row of
the ``api_keys`` layer; the secret is never stored, only its scrypt hash with a
salt of its own (RFC 7914; parameters n=2**14, r=8, p=1, the interactive-login
setting of the scrypt paper). Comparison is constant-time
(``hmac.compare_digest``). scrypt costs ~30 ms on purpose, which at the intake's
rate would be most of the CPU, so a key verified once is remembered in memory for
:data:`CACHE_SECONDS` (a revocation or a change of scopes takes effect within that time).

A key may do only what its **scopes** say (:data:`SCOPES`), chosen when it is issued
and kept in the ``scopes`` column (comma-separated). A key issued without any is
given :data:`DEFAULT_SCOPES`; so is a key issued before keys had scopes (a row whose
``scopes`` is empty, or a store without the column): it may report cases and read
back its own, as every key could, and no longer runs workflow steps, patrols or
reads other clients' personal fields until an administrator grants that
(``townbrain apikey scopes KEY_ID --scope …``). The safe reading: an old key keeps
what the standard's clients need and loses what a stolen key could do most harm with.

Examples
--------
>>> import tempfile, os
>>> from geodata.store import open_store
>>> st = open_store(os.path.join(tempfile.mkdtemp(), "town.gpkg")); st.create_schema()
>>> keys = ApiKeys(st)
>>> key = keys.create("inspector-app")
>>> keys.verify(key)["name"], keys.verify(key + "x"), keys.verify("nonsense")
('inspector-app', None, None)
>>> keys.verify(key)["scopes"]
('requests:write', 'requests:read-own')
>>> keys.verify(keys.create("dispatch", ["workflow:write", "requests:read-all"]))["scopes"]
('requests:read-all', 'workflow:write')
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from typing import Callable, Iterable

import pandas as pd

from geodata.frames import StoreError

LAYER = "api_keys"
#: Seconds a verified key is trusted without hashing again.
CACHE_SECONDS = 60.0
#: Seconds a refused key is refused without hashing again (unknown, revoked or wrong).
REFUSED_SECONDS = 10.0
#: Wrong secrets for one key id within :data:`FAIL_WINDOW_S` after which that key id
#: is refused without hashing (:class:`KeyThrottled`) until the window has passed:
#: each wrong secret costs a scrypt, and 39 a second saturated the server.
FAILS_PER_KEY = 10
FAIL_WINDOW_S = 60.0
#: What a key may do: scope -> what it allows (the README's API section and the
#: OpenAPI description say the same, from this table).
SCOPES: dict[str, str] = {
    "requests:write": "report cases: POST requests.json and requests/batch.json",
    "requests:read-own": "read back every field of the requests this key created "
                         "(other requests: the public fields, as without a key)",
    "requests:read-all": "read every field of every request (a trusted integration, "
                         "such as the town's own dispatch system)",
    "workflow:write": "move cases through their lifecycle (POST requests/ID/transitions.json) and place "
                      "a report that came without coordinates (POST requests/ID/location.json)",
    "patrols:write": "start patrols, send their GPS points and end them (POST patrols.json, "
                     "patrols/ID/points.json, patrols/ID/end.json; only the key that started a patrol)",
}
#: The scopes of a key issued without ``--scope``, and of a key issued before keys had scopes.
DEFAULT_SCOPES = ("requests:write", "requests:read-own")
_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1, "dklen": 32}
_PREFIX = "tb"


class KeyThrottled(Exception):
    """Too many wrong secrets for a key id lately; ``retry_after`` seconds to wait."""

    def __init__(self, key_id: str, retry_after: int):
        super().__init__(f"too many wrong secrets for key {key_id}; retry in {retry_after} s")
        self.key_id, self.retry_after = key_id, retry_after


def _hash(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, maxmem=64 * 1024 * 1024, **_SCRYPT)


def parse_scopes(values: Iterable[str] | str | None) -> tuple[str, ...]:
    """Scopes from ``values`` (names, or comma-separated lists of them), in the order
    of :data:`SCOPES`, each once; StoreError naming an unknown one.

    >>> parse_scopes(["patrols:write,requests:write", " requests:write "])
    ('requests:write', 'patrols:write')
    >>> parse_scopes("requests:admin")
    Traceback (most recent call last):
    ...
    geodata.frames.StoreError: unknown API key scope 'requests:admin'; scopes: requests:write, requests:read-own, requests:read-all, workflow:write, patrols:write
    """
    if values is None:
        return ()
    names = {n.strip() for v in ([values] if isinstance(values, str) else values) for n in str(v).split(",")}
    names.discard("")
    for name in sorted(names):
        if name not in SCOPES:
            raise StoreError(f"unknown API key scope {name[:40]!r}; scopes: {', '.join(SCOPES)}")
    return tuple(s for s in SCOPES if s in names)


def stored_scopes(value) -> tuple[tuple[str, ...], bool]:
    """(scopes, default) of a stored ``scopes`` value: empty (a key issued before keys
    had scopes) reads as :data:`DEFAULT_SCOPES`; a name this version does not know
    (written by a newer one) is left out rather than guessed at."""
    if value is None or (not isinstance(value, str) and pd.isna(value)) or not str(value).strip():
        return DEFAULT_SCOPES, True
    names = {n.strip() for n in str(value).split(",")}
    return tuple(s for s in SCOPES if s in names), False


def split_key(key: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` of a well-formed key, else None."""
    if not isinstance(key, str) or not key.isascii() or not key.isprintable():
        return None
    parts = key.split("_")
    if len(parts) != 3 or parts[0] != _PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


class ApiKeys:
    """Issue, list, revoke and verify the keys kept in a store's ``api_keys`` layer."""

    def __init__(self, store, audit: Callable[..., object] | None = None):
        """``audit(action, object=…, detail=…)``, when given, records each issue, revoke
        and change of scopes before it is made, and stops it by raising."""
        self.store = store
        self.audit = audit
        self._cache: dict[str, tuple[float, dict]] = {}
        self._flights: dict[str, threading.Lock] = {}
        self._fails: dict[str, list[float]] = {}  # key id -> times of its recent wrong secrets
        self._lock = threading.Lock()

    def create(self, name: str, scopes: Iterable[str] | str | None = None) -> str:
        """Issue a key for client ``name`` that may do ``scopes`` (default
        :data:`DEFAULT_SCOPES`); the returned key is shown once, never stored."""
        name = (name or "").strip()
        if not name:
            raise StoreError("an API key needs a client name (--name)")
        chosen = DEFAULT_SCOPES if scopes is None else parse_scopes(scopes)
        if not chosen:
            raise StoreError(f"an API key needs at least one scope; scopes: {', '.join(SCOPES)}")
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(24).replace("_", "-")
        salt = secrets.token_bytes(16)
        self._audit("apikey_create", key_id, f"client={name} scopes={','.join(chosen)}")
        row = pd.DataFrame({"key_id": [key_id], "name": [name], "salt": [salt.hex()],
                            "key_hash": [_hash(secret, salt).hex()],
                            "created_at": [pd.Timestamp.now(tz="UTC")],
                            "revoked_at": pd.Series([pd.NaT], dtype="datetime64[us, UTC]"),
                            "scopes": [",".join(chosen)]})
        self.store.append(LAYER, row)
        return f"{_PREFIX}_{key_id}_{secret}"

    def list(self) -> pd.DataFrame:
        """Issued keys without their hashes: key_id, name, created_at, revoked_at,
        scopes (comma-separated) and ``default_scopes`` (True for a key issued before
        keys had scopes, which holds :data:`DEFAULT_SCOPES`)."""
        cols = ["key_id", "name", "created_at", "revoked_at"]
        if not self.store.has_layer(LAYER):
            return pd.DataFrame(columns=[*cols, "scopes", "default_scopes"])
        has = "scopes" in self.store.columns(LAYER)
        df = self.store.read(LAYER, columns=cols + (["scopes"] if has else []))
        read = [stored_scopes(v) for v in (df["scopes"] if has else [None] * len(df))]
        df["scopes"] = [",".join(s) for s, _ in read]
        df["default_scopes"] = [d for _, d in read]
        return df

    def set_scopes(self, key_id: str, scopes: Iterable[str] | str) -> tuple[str, ...]:
        """Replace the scopes of a key (by key_id or the whole key); the scopes it now
        has. StoreError for an unknown key or scope, or none at all."""
        chosen = parse_scopes(scopes)
        if not chosen:
            raise StoreError(f"an API key needs at least one scope (revoke it instead); scopes: {', '.join(SCOPES)}")
        key_id = self._known_id(key_id)
        if key_id is None:
            raise StoreError("no such API key; see `townbrain apikey list`")
        self._audit("apikey_scopes", key_id, f"scopes={','.join(chosen)}")
        self.store.update_columns(LAYER, pd.DataFrame({"key_id": [key_id], "scopes": [",".join(chosen)]}))
        self._forget(key_id)
        return chosen

    def _known_id(self, key_id: str) -> str | None:
        parts = split_key(key_id)
        key_id = parts[0] if parts else key_id
        known = self.store.has_layer(LAYER) and self.store.count(LAYER, where={"key_id": key_id}) > 0
        return key_id if known else None

    def _audit(self, action: str, key_id: str, detail: str) -> None:
        if self.audit is not None:
            self.audit(action, object=f"apikey:{key_id}", detail=detail)

    def _forget(self, key_id: str) -> None:
        """Drop a key's cached verdicts (this process sees a change at once)."""
        with self._lock:
            self._cache = {k: v for k, v in self._cache.items() if v[1] is None or v[1]["key_id"] != key_id}

    def revoke(self, key_id: str) -> bool:
        """Revoke a key by its key_id (or the whole key); False when unknown."""
        key_id = self._known_id(key_id)
        if key_id is None:
            return False
        self._audit("apikey_revoke", key_id, "revoked")
        self.store.update_columns(LAYER, pd.DataFrame({"key_id": [key_id],
                                                       "revoked_at": [pd.Timestamp.now(tz="UTC")]}))
        self._forget(key_id)
        return True

    def verify(self, key) -> dict | None:
        """``{"key_id", "name", "scopes", "default_scopes"}`` of a valid, unrevoked key;
        None otherwise (``default_scopes``: issued before keys had scopes).

        Raises StoreError when the store cannot be read (the caller answers 503,
        not 401: the key may well be valid), and :class:`KeyThrottled` when the key
        id had :data:`FAILS_PER_KEY` wrong secrets in the last :data:`FAIL_WINDOW_S`
        (refused without hashing; a key verified before stays valid from the cache)."""
        parts = split_key(key)
        if parts is None:
            return None
        digest = hashlib.sha256(key.encode()).hexdigest()
        found, hit = self._cached(digest)
        if found:
            return hit
        self._check_fails(parts[0])
        with self._lock:
            flight = self._flights.setdefault(digest, threading.Lock())
        with flight:  # one hash per key at a time: a burst of requests waits for it, not 40 scrypts
            found, hit = self._cached(digest)
            if found:
                return hit
            client = self._verify(digest, *parts)
        with self._lock:
            self._flights.pop(digest, None)
            if client is None:
                if len(self._fails) > 10_000:
                    self._fails.clear()
                self._fails.setdefault(parts[0], []).append(time.monotonic())
        return client

    def _check_fails(self, key_id: str) -> None:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._fails.get(key_id, ()) if t > now - FAIL_WINDOW_S]
            if recent:
                self._fails[key_id] = recent
            else:
                self._fails.pop(key_id, None)
        if len(recent) >= FAILS_PER_KEY:
            raise KeyThrottled(key_id, max(1, int(recent[0] + FAIL_WINDOW_S - now) + 1))

    def _cached(self, digest: str) -> tuple[bool, dict | None]:
        """(known, client): a valid key's client, or None for a key refused lately."""
        with self._lock:
            hit = self._cache.get(digest)
        if hit is None or hit[0] <= time.monotonic():
            return False, None
        return True, hit[1]

    def _remember(self, digest: str, client: dict | None) -> None:
        """Keep a verdict: a valid key for CACHE_SECONDS, a refused one for
        REFUSED_SECONDS (a client retrying a wrong key costs one scrypt, not one each)."""
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (time.monotonic() + (CACHE_SECONDS if client else REFUSED_SECONDS), client)

    def _verify(self, digest: str, key_id: str, secret: str) -> dict | None:
        rows = self.store.read(LAYER, where={"key_id": key_id}) if self.store.has_layer(LAYER) else []
        client = None
        if len(rows) and pd.isna(rows.iloc[0]["revoked_at"]):
            row = rows.iloc[0]
            try:
                salt, expected = bytes.fromhex(str(row["salt"])), bytes.fromhex(str(row["key_hash"]))
            except ValueError:
                salt = expected = None
            if salt is not None and hmac.compare_digest(_hash(secret, salt), expected):
                scopes, default = stored_scopes(row.get("scopes"))
                client = {"key_id": key_id, "name": str(row["name"]), "scopes": scopes, "default_scopes": default}
        self._remember(digest, client)
        return client
