"""One object holding the store, the clock and the parts of access/ that keep records.

Examples
--------
>>> import tempfile, os
>>> from geodata.store import open_store
>>> acc = Access(open_store(os.path.join(tempfile.mkdtemp(), "t.gpkg")))
>>> pw = acc.accounts.create("li", "duty_officer", "town", by="os:root")
>>> acc.accounts.check_password("li", pw, "127.0.0.1")[1], acc.accounts.next_stage(acc.accounts.get("li"))
('ok', 'change_password')
"""
from __future__ import annotations

import getpass
from typing import Callable

import pandas as pd

from access.accounts import Accounts
from access.audit import AuditLog
from access.devices import Devices
from access.sessions import Sessions


def _utc_now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


class Access:
    """``clock`` is injectable (tests move time instead of sleeping)."""

    def __init__(self, store, clock: Callable[[], pd.Timestamp] | None = None):
        self.store = store
        self.clock = clock or _utc_now
        now = self.now
        self.audit = AuditLog(store, clock=now)
        self.accounts = Accounts(store, self.audit, now)
        self.sessions = Sessions(store, self.audit, self.accounts, now)
        self.devices = Devices(store, self.audit, now)
        self.accounts.listeners.append(self.sessions.forget)

    def known_ids(self) -> dict[str, set]:
        """District, grid and professional-grid ids of the store (for :mod:`access.scope`),
        read again at most once a minute."""
        import time
        from access.scope import known_ids
        kept = getattr(self, "_known", None)
        if kept is None or time.monotonic() - kept[0] > 60:
            kept = self._known = (time.monotonic(), known_ids(self.store))
        return kept[1]

    def now(self) -> pd.Timestamp:
        t = pd.Timestamp(self.clock())
        return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def operator() -> str:
    """Who runs the command line, as the audit names them (contract: "The CLI runs on
    the server as its operator: … audited under the operating-system user's name")."""
    try:
        return "os:" + getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in a container
        return "os:unknown"
