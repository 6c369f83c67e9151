"""Rate limits of the Open311 API (issue 16, Hardening): per address and per key.

Every request under ``/open311/`` counts against its source address; every request
with a valid key also against that key. Over a limit the answer is 429 with the
GeoReport error body and ``Retry-After`` (seconds until the moving window lets the
next request in). Wrong secrets for a known key id are limited in
geodata/apikeys.py (each costs a scrypt; after :data:`geodata.apikeys.FAILS_PER_KEY`
in a minute the key id is refused without hashing), so a known key id cannot be used
to saturate the server with scrypt.

The counters are those of ``limits``, the library under Flask-Limiter (which
access/web.py uses for sign-in), kept in memory: one server process, as `townbrain
serve` runs. Flask-Limiter's decorators are not used here because the answer must be
the GeoReport body and the key's identity is known only once the body is read.
Settings: ``TOWNBRAIN_API_RATE_ADDRESS`` (default ``600/minute``) and
``TOWNBRAIN_API_RATE_KEY`` (default ``1200/minute``), in ``limits``' notation
(``10/second;600/minute`` …).

>>> lim = RateLimits("2/minute", "5/minute")
>>> [lim.over_address("10.0.0.1") for _ in range(3)][:2], lim.over_address("10.0.0.1") > 0
([0, 0], True)
"""
from __future__ import annotations

import math
import os
import time

from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

ADDRESS_DEFAULT = os.environ.get("TOWNBRAIN_API_RATE_ADDRESS", "600/minute")
KEY_DEFAULT = os.environ.get("TOWNBRAIN_API_RATE_KEY", "1200/minute")


class RateLimits:
    """Moving-window counters per address and per key id."""

    def __init__(self, per_address: str | None = None, per_key: str | None = None):
        self.per_address = parse_many(per_address or ADDRESS_DEFAULT)
        self.per_key = parse_many(per_key or KEY_DEFAULT)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def _over(self, limits, *ids: str) -> int:
        """0 when the hit is allowed (and counted), else seconds to wait."""
        for lim in limits:
            if not self._limiter.hit(lim, *ids):
                reset = self._limiter.get_window_stats(lim, *ids).reset_time
                return max(1, math.ceil(reset - time.time()))
        return 0

    def over_address(self, address: str | None) -> int:
        return self._over(self.per_address, "address", address or "?")

    def over_key(self, key_id: str) -> int:
        return self._over(self.per_key, "key", key_id)
