"""What a refused POST leaves behind (issue 16, Hardening).

- **Nothing from an unauthenticated caller is stored.** Quarantine keeps a refused
  payload so that a known client's data is not lost; a caller without a valid key
  has no data of ours to lose, and storing its body let anyone grow the store at
  wire speed (400 requests in 0.5 s: +26 MB). Such a refusal is answered and
  counted in the log, at most one line per address a minute (:class:`RefusalLog`):
  neither the store nor the audit trail grows with an outsider's traffic.
- **No secret is stored in clear.** Before a payload of a known client goes to
  quarantine every key-like field (api_key, key, token, password, secret, and names
  ending so) is replaced by :data:`REDACTED`, at any depth; a body that is not JSON
  (a form, broken JSON) has ``name=value`` / ``"name": value`` pairs of such names
  and anything shaped like one of our keys (``tb_<id>_<secret>``) replaced in its text.

>>> scrub({"api_key": "tb_a1b2c3d4e5f6_s3cret", "lat": 31.0, "attributes": {"x_token": "t", "n": 1}})
{'api_key': '[redacted]', 'lat': 31.0, 'attributes': {'x_token': '[redacted]', 'n': 1}}
>>> scrub_text('api_key=tb_a1b2c3d4e5f6_s3cret&lat=31&password=pw')
'api_key=[redacted]&lat=31&password=[redacted]'
>>> scrub_text('{"api_key": "tb_a1b2c3d4e5f6_s3cret", "lat": ')
'{"api_key": "[redacted]", "lat": '
"""
from __future__ import annotations

import json
import logging
import re
import threading
import time

log = logging.getLogger("townbrain.intake")

REDACTED = "[redacted]"
#: Words that make a field name a secret's (api_key, x-api-key, access_token, passwd …).
_SECRET_WORDS = ("key", "apikey", "token", "password", "passwd", "secret")
_NAME = r"[A-Za-z0-9_\-\[\]]*(?:key|token|password|passwd|secret)"
#: ``name=value`` (a form, a query) and ``"name": "value"`` / ``"name": value`` (JSON, even broken).
_PAIR = re.compile(r'(?i)(\b' + _NAME + r'\]?=)([^&\s]*)|("' + _NAME + r'"\s*:\s*)("(?:[^"\\]|\\.)*"?|[^,}\]\s]*)')
#: One of our API keys wherever it appears (geodata/apikeys.py: ``tb_<key_id>_<secret>``).
_OUR_KEY = re.compile(r"tb_[0-9a-f]{4,}_[A-Za-z0-9\-]{4,}")


def secret_name(name) -> bool:
    """Whether a field called ``name`` holds a secret.

    >>> [secret_name(n) for n in ("api_key", "X-Api-Key", "token", "service_code", "description")]
    [True, True, True, False, False]
    """
    words = [w for w in re.split(r"[^a-z0-9]+", str(name).lower()) if w]
    return any(w in _SECRET_WORDS or w.endswith(_SECRET_WORDS[2:]) for w in words)


def scrub(value):
    """``value`` (parsed JSON or form fields) with every secret field's value replaced."""
    if isinstance(value, dict):
        return {k: REDACTED if secret_name(k) else scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        return _OUR_KEY.sub(REDACTED, value)
    return value


def scrub_text(text: str) -> str:
    """A body that is not (valid) JSON, with secret pairs and our keys replaced."""
    def pair(m: re.Match) -> str:
        if m.group(1) is not None:
            return m.group(1) + REDACTED
        quoted = m.group(4).startswith('"')
        return m.group(3) + (f'"{REDACTED}"' if quoted else REDACTED)
    return _OUR_KEY.sub(REDACTED, _PAIR.sub(pair, text))


def kept_text(raw) -> str:
    """What quarantine keeps of a refused payload: JSON re-written without its
    secrets (else the text, scrubbed)."""
    if not isinstance(raw, (bytes, str)):
        return json.dumps(scrub(raw), ensure_ascii=False, default=str)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return scrub_text(text)
    return json.dumps(scrub(parsed), ensure_ascii=False, default=str)


class RefusalLog:
    """One log line per address a minute for refused unauthenticated requests, with
    the count since the last line; bounded memory (at most :attr:`max_addresses`)."""

    def __init__(self, every_s: float = 60.0, max_addresses: int = 10_000):
        self.every_s, self.max_addresses = every_s, max_addresses
        self._seen: dict[str, list] = {}
        self._lock = threading.Lock()

    def refused(self, address: str | None, status: int, path: str) -> None:
        now = time.monotonic()
        addr = address or "?"
        with self._lock:
            if len(self._seen) > self.max_addresses:
                self._seen.clear()
            slot = self._seen.setdefault(addr, [0.0, 0])
            slot[1] += 1
            if now - slot[0] < self.every_s:
                return
            count, slot[0], slot[1] = slot[1], now, 0
        log.warning("open311: refused %d unauthenticated POST(s) from %s (last: %d on %s); nothing stored",
                    count, addr, status, path[:80])
