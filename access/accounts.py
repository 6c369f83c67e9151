"""People's accounts: create, list, disable, grant; sign-in checks with lock-out.

Records live in the store's ``users`` and ``password_history`` layers
(geodata/schema.py); every change is audited first, so a change that cannot be
audited does not happen (:class:`access.audit.AuditError`).

Lock-out (GB/T 22239-2019 8.1.4.1 b: 登录失败处理): :data:`MAX_FAILURES` failures in a row —
a wrong password or a wrong second-factor code — lock the account for
:data:`LOCK_MINUTES`; a sign-in during the lock is refused whatever the password.
"""
from __future__ import annotations

import re
import secrets
from typing import Callable

import pandas as pd

from access import passwords
from access.audit import AuditLog
from access.roles import GRANTED_ROLES, check_role, needs_totp
from access import totp as totp_mod
from access.sealed import Sealer, is_sealed

LAYER, HISTORY_LAYER = "users", "password_history"
MAX_FAILURES = 5
LOCK_MINUTES = 30
_NAME = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{1,64}$")
_PUBLIC = ["name", "role", "grants", "created_at", "created_by", "disabled_at", "last_sign_in",
           "locked_until", "must_change", "totp_enrolled_at", "password_set_at"]


class AccountError(ValueError):
    """A request about accounts that cannot be honoured, in one sentence."""


def _nat() -> pd.Series:
    return pd.Series([pd.NaT], dtype="datetime64[us, UTC]")


def parse_grants(spec) -> list[str]:
    """``"D1, G01-02,town"`` → ['D1', 'G01-02', 'town'] (order kept, repeats dropped)."""
    items = spec if isinstance(spec, (list, tuple)) else str(spec or "").split(",")
    out = []
    for g in (str(x).strip() for x in items):
        if g and g not in out:
            out.append(g)
    return out


class Accounts:
    def __init__(self, store, audit: AuditLog, clock: Callable[[], pd.Timestamp]):
        self.store, self.audit, self.clock = store, audit, clock
        self.sealer = Sealer(store)  # TOTP secrets are stored sealed (access/sealed.py)
        #: called with an account's name after it changed (access/service.py: the
        #: sessions forget what they remembered of it)
        self.listeners: list[Callable[[str], None]] = []

    # ---- reading ------------------------------------------------------------------
    def get(self, name: str) -> dict | None:
        if not name or not self.store.has_layer(LAYER):
            return None
        rows = self.store.read(LAYER, where={"name": str(name)})
        if not len(rows):
            return None
        rec = rows.iloc[0].to_dict()
        user = {k: (None if (v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v)) else v)
                for k, v in rec.items()}
        if user.get("totp_secret") and not is_sealed(user["totp_secret"]):
            # written in clear by an older TownBrain: sealed now, on its first use
            user["totp_secret"] = self.sealer.seal(user["totp_secret"])
            self._update(user["name"], totp_secret=user["totp_secret"])
        return user

    def list(self) -> pd.DataFrame:
        """Accounts without hashes or secrets."""
        if not self.store.has_layer(LAYER):
            return pd.DataFrame(columns=_PUBLIC)
        df = self.store.read(LAYER)
        return df[[c for c in _PUBLIC if c in df.columns]].sort_values("name").reset_index(drop=True)

    def count(self) -> int:
        return self.store.count(LAYER) if self.store.has_layer(LAYER) else 0

    def known_grant_ids(self) -> set[str]:
        """``town`` and every district, grid and professional-grid id in the store."""
        ids = {"town"}
        for layer, col in (("districts", "district_id"), ("grids", "grid_id"), ("pro_grids", "pro_grid_id")):
            if self.store.has_layer(layer):
                ids |= set(self.store.read(layer, columns=[col], geometry=False)[col].dropna().astype(str))
        return ids

    def check_grants(self, role: str, grants: list[str]) -> list[str]:
        if grants and role not in GRANTED_ROLES:
            raise AccountError(f"the {role} role holds no grants: it does not read the town's data")
        unknown = [g for g in grants if g not in self.known_grant_ids()]
        if unknown:
            raise AccountError(f"unknown grant id(s) {', '.join(unknown)}: a grant is 'town' or a district, "
                               "grid or professional-grid id of this store")
        return grants

    # ---- changing -----------------------------------------------------------------
    def create(self, name: str, role: str, grants=(), *, by: str, source: str | None = None,
               password: str | None = None, must_change: bool = True, totp_secret: str | None = None) -> str:
        """Create an account; returns its password (one-time unless ``must_change`` is False)."""
        name = (name or "").strip()
        if not _NAME.match(name):
            raise AccountError(f"account name {name!r} must be 1-64 letters, digits, '.', '_' or '-'")
        try:
            check_role(role)
        except ValueError as exc:
            raise AccountError(str(exc)) from None
        grants = self.check_grants(role, parse_grants(grants))
        if self.get(name) is not None:
            raise AccountError(f"an account {name!r} exists already")
        password = password or passwords.one_time_password()
        problems = passwords.policy_problems(password)
        if problems:
            raise AccountError("the password needs " + " and ".join(problems))
        now = self.clock()
        self.audit.record("user_create", user=by, source=source, object=name,
                          detail=f"role={role} grants={','.join(grants) or '-'}")
        self.store.append(LAYER, pd.DataFrame({
            "name": [name], "role": [role], "grants": [",".join(grants)],
            "password_hash": [passwords.hash_password(password)], "password_set_at": [now],
            "must_change": [bool(must_change)], "totp_secret": [self.sealer.seal(totp_secret) if totp_secret else None],
            "totp_enrolled_at": [now] if totp_secret else _nat(), "totp_last_step": pd.Series([None], dtype="Int64"),
            "failed_count": [0], "locked_until": _nat(), "created_at": [now], "created_by": [by],
            "disabled_at": _nat(), "last_sign_in": _nat()}))
        return password

    def _update(self, name: str, **cols) -> None:
        frame = {"name": [name]}
        for k, v in cols.items():
            frame[k] = _nat() if v is pd.NaT else pd.Series([v], dtype="Int64") if k == "totp_last_step" else [v]
        self.store.update_columns(LAYER, pd.DataFrame(frame))
        for tell in self.listeners:
            tell(name)

    def _must_exist(self, name: str) -> dict:
        user = self.get(name)
        if user is None:
            raise AccountError(f"no account {name!r}; see `townbrain user list`")
        return user

    def disable(self, name: str, *, by: str, source: str | None = None) -> None:
        user = self._must_exist(name)
        if user.get("disabled_at") is not None:
            raise AccountError(f"account {name!r} is disabled already")
        self.audit.record("user_disable", user=by, source=source, object=name)
        self._update(name, disabled_at=self.clock())

    def set_grants(self, name: str, grants, *, by: str, source: str | None = None) -> list[str]:
        user = self._must_exist(name)
        grants = self.check_grants(user["role"], parse_grants(grants))
        self.audit.record("grant_change", user=by, source=source, object=name,
                          detail=f"{user.get('grants') or '-'} -> {','.join(grants) or '-'}")
        self._update(name, grants=",".join(grants))
        return grants

    # ---- signing in ---------------------------------------------------------------
    def locked(self, user: dict) -> bool:
        until = user.get("locked_until")
        return until is not None and pd.Timestamp(until) > self.clock()

    def check_password(self, name: str, password: str, source: str | None) -> tuple[dict | None, str]:
        """(user, "ok") or (None, reason) — reason one of unknown, disabled, locked,
        bad_password, lockout. Audited either way."""
        user = self.get(name)
        if user is None:
            passwords.burn_time(password)
            self.audit.record("sign_in_failed", outcome="refused", user=name, source=source, detail="unknown account")
            return None, "unknown"
        if user.get("disabled_at") is not None:
            passwords.burn_time(password)
            self.audit.record("sign_in_failed", outcome="refused", user=name, source=source, detail="disabled")
            return None, "disabled"
        if self.locked(user):
            passwords.burn_time(password)
            self.audit.record("sign_in_failed", outcome="refused", user=name, source=source, detail="locked")
            return None, "locked"
        if not passwords.verify_password(user.get("password_hash"), password):
            return None, self.failed(user, source, "wrong password")
        return user, "ok"

    def failed(self, user: dict, source: str | None, why: str) -> str:
        """Count a failure; lock on the fifth. Returns "bad_password" or "lockout"."""
        n = int(user.get("failed_count") or 0) + 1
        self.audit.record("sign_in_failed", outcome="refused", user=user["name"], source=source,
                          detail=f"{why} ({n} in a row)")
        if n >= MAX_FAILURES:
            until = self.clock() + pd.Timedelta(minutes=LOCK_MINUTES)
            self.audit.record("lockout", outcome="ok", user=user["name"], source=source,
                              detail=f"{n} failures; locked until {until.isoformat()}")
            self._update(user["name"], failed_count=0, locked_until=until)
            return "lockout"
        self._update(user["name"], failed_count=n)
        return "bad_password"

    def succeeded(self, name: str) -> None:
        self._update(name, failed_count=0, locked_until=pd.NaT, last_sign_in=self.clock())

    def password_expired(self, user: dict) -> bool:
        set_at = user.get("password_set_at")
        return set_at is None or self.clock() - pd.Timestamp(set_at) > pd.Timedelta(days=passwords.MAX_AGE_DAYS)

    def next_stage(self, user: dict) -> str:
        """Where a sign-in goes after the password (and after each later step)."""
        if user.get("must_change") or self.password_expired(user):
            return "change_password"
        if needs_totp(user["role"]):
            return "totp" if user.get("totp_secret") else "totp_enrol"
        return "signed_in"

    def change_password(self, name: str, old: str, new: str, source: str | None) -> list[str]:
        """Problems with ``new`` ([] when it was set): the policy, the old password
        typed wrong, or one of the last :data:`passwords.HISTORY` passwords again."""
        user = self._must_exist(name)
        if not passwords.verify_password(user.get("password_hash"), old):
            self.audit.record("password_change", outcome="refused", user=name, source=source,
                              detail="current password wrong")
            return ["the current password"]
        problems = passwords.policy_problems(new)
        if not problems and self._reused(user, new):
            problems = [f"not one of the last {passwords.HISTORY} passwords"]
        if problems:
            self.audit.record("password_change", outcome="refused", user=name, source=source,
                              detail="; ".join(problems))
            return problems
        now = self.clock()
        self.audit.record("password_change", user=name, source=source)
        self.store.append(HISTORY_LAYER, pd.DataFrame({
            "id": [f"{name}:{now.isoformat()}:{secrets.token_hex(4)}"], "name": [name], "password_hash": [user["password_hash"]],
            "set_at": [pd.Timestamp(user.get("password_set_at") or now)]}))
        self._update(name, password_hash=passwords.hash_password(new), password_set_at=now, must_change=False)
        return []

    def _reused(self, user: dict, new: str) -> bool:
        hashes = [user.get("password_hash")]
        if self.store.has_layer(HISTORY_LAYER):
            old = self.store.read(HISTORY_LAYER, where={"name": user["name"]})
            hashes += old.sort_values("set_at", ascending=False)["password_hash"].tolist()[:passwords.HISTORY - 1]
        return any(passwords.verify_password(h, new) for h in hashes)

    def check_totp(self, user: dict, code: str, source: str | None, secret: str | None = None) -> bool:
        """Whether ``code`` is a fresh code of the user's secret (or of ``secret``,
        being enrolled); a wrong code counts as a failed sign-in."""
        enrolling = bool(secret) and secret != self.sealer.open(user.get("totp_secret"))
        secret = secret or self.sealer.open(user.get("totp_secret"))
        step = totp_mod.accepted_step(secret, code, self.clock().timestamp(), user.get("totp_last_step"))
        if step is None:
            self.failed(user, source, "wrong second-factor code")
            return False
        cols = {"totp_last_step": step}
        if enrolling:
            self.audit.record("totp_enrol", user=user["name"], source=source)
            cols.update(totp_secret=self.sealer.seal(secret), totp_enrolled_at=self.clock())
        self._update(user["name"], **cols)
        return True
