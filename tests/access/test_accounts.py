"""Accounts on both stores: the password policy and its history, lock-out, the
second factor, grants checked against the store, everything audited."""
from __future__ import annotations

import pandas as pd
import pytest

from access import totp
from access.accounts import AccountError, LOCK_MINUTES, MAX_FAILURES


def test_a_new_account_has_a_one_time_password_that_must_be_changed(access):
    pw = access.accounts.create("li", "duty_officer", "D1,G3", by="os:test")
    user, why = access.accounts.check_password("li", pw, "10.0.0.1")
    assert why == "ok" and user["grants"] == "D1,G3"
    assert access.accounts.next_stage(user) == "change_password"
    assert "password_hash" not in access.accounts.list().columns
    assert user["password_hash"].startswith("$argon2id$")


@pytest.mark.parametrize("role, grants, says", [
    ("boss", "", "unknown role 'boss'"),
    ("duty_officer", "D9", "unknown grant id(s) D9"),
    ("auditor", "D1", "the auditor role holds no grants"),
])
def test_unknown_roles_and_grants_are_refused_in_one_sentence(access, role, grants, says):
    with pytest.raises(AccountError, match=says.replace("(", r"\(").replace(")", r"\)")):
        access.accounts.create("x", role, grants, by="os:test")
    assert access.accounts.get("x") is None


def test_grants_are_ids_of_the_store_or_town(access):
    access.accounts.create("li", "grid_staff", "G1", by="os:test")
    assert access.accounts.set_grants("li", "P1, D2,town", by="os:test") == ["P1", "D2", "town"]
    assert access.accounts.get("li")["grants"] == "P1,D2,town"


def test_password_policy_and_no_reuse_of_the_last_five(access, clock):
    first = access.accounts.create("li", "duty_officer", "town", by="os:test")
    ch = access.accounts.change_password
    assert ch("li", "wrong", "Aa-11111", None) == ["the current password"]
    assert ch("li", first, "short", None) == ["at least 8 characters",
                                              "at least three of: lower case, upper case, digits, other characters"]
    assert ch("li", first, first, None) == ["not one of the last 5 passwords"]
    olds = [first]
    for i in range(5):
        clock.advance(days=1)
        new = f"Grid-2026-{i}"
        assert ch("li", olds[-1], new, None) == []
        olds.append(new)
    # the current one and the four before it are refused; the sixth back is free again
    for pw in olds[-5:]:
        assert ch("li", olds[-1], pw, None) == ["not one of the last 5 passwords"], pw
    assert ch("li", olds[-1], olds[0], None) == []
    assert access.accounts.next_stage(access.accounts.get("li")) == "signed_in"


def test_a_password_older_than_90_days_must_be_changed(access, clock):
    pw = access.accounts.create("li", "duty_officer", "town", by="os:test", password="Grid-2026!",
                                must_change=False)
    assert access.accounts.next_stage(access.accounts.get("li")) == "signed_in"
    clock.advance(days=91)
    user, _ = access.accounts.check_password("li", pw, None)
    assert access.accounts.next_stage(user) == "change_password"


def test_five_failures_lock_the_account_for_30_minutes(access, clock):
    pw = access.accounts.create("li", "duty_officer", "town", by="os:test")
    for i in range(MAX_FAILURES - 1):
        assert access.accounts.check_password("li", "nope", "10.0.0.9")[1] == "bad_password"
    assert access.accounts.check_password("li", "nope", "10.0.0.9")[1] == "lockout"
    assert access.accounts.check_password("li", pw, "10.0.0.9")[1] == "locked"  # the right one too
    clock.advance(minutes=LOCK_MINUTES - 1)
    assert access.accounts.check_password("li", pw, "10.0.0.9")[1] == "locked"
    clock.advance(minutes=2)
    assert access.accounts.check_password("li", pw, "10.0.0.9")[1] == "ok"
    actions = access.audit.list(user="li")[["action", "outcome"]].values.tolist()
    assert actions.count(["sign_in_failed", "refused"]) == MAX_FAILURES + 2
    assert ["lockout", "ok"] in actions


def test_a_disabled_account_cannot_sign_in(access):
    pw = access.accounts.create("li", "duty_officer", "town", by="os:test")
    access.accounts.disable("li", by="os:test")
    assert access.accounts.check_password("li", pw, None) == (None, "disabled")


def test_totp_codes_are_checked_used_once_and_wrong_ones_count_as_failures(access, clock):
    access.accounts.create("boss", "leader", "town", by="os:test")
    user = access.accounts.get("boss")
    assert access.accounts.next_stage({**user, "must_change": False}) == "totp_enrol"
    secret = totp.new_secret()
    code = totp.code_at(secret, clock().timestamp())
    assert access.accounts.check_totp(user, code, None, secret=secret)  # enrols it
    user = access.accounts.get("boss")
    assert access.accounts.sealer.open(user["totp_secret"]) == secret and secret not in user["totp_secret"]
    assert access.accounts.next_stage({**user, "must_change": False}) == "totp"
    assert not access.accounts.check_totp(user, code, None)  # replayed
    assert access.accounts.get("boss")["failed_count"] == 1
    clock.advance(seconds=30)
    assert access.accounts.check_totp(access.accounts.get("boss"), totp.code_at(secret, clock().timestamp()), None)


def test_an_account_change_that_cannot_be_audited_does_not_happen(access):
    from access.audit import AuditError
    from tests.access.faults import refuse_audit_inserts
    refuse_audit_inserts(access.store)   # the database itself refuses the record
    with pytest.raises(AuditError):
        access.accounts.create("li", "duty_officer", "town", by="os:test")
    assert access.accounts.get("li") is None


def _stored_secret(access, name):
    return access.store.read("users", where={"name": name})["totp_secret"].iloc[0]


def test_totp_secrets_are_stored_sealed_with_a_key_kept_outside_the_store(access, clock):
    secret = totp.new_secret()
    access.accounts.create("aud", "auditor", "", by="os:test", password="Seal-Test-2026", must_change=False,
                           totp_secret=secret)
    stored = _stored_secret(access, "aud")
    assert stored.startswith("fernet:") and secret not in stored and secret.lower() not in stored.lower()
    # the key is not in the store; for a GeoPackage it sits beside it, readable by its owner only
    path = getattr(access.store, "path", None)
    if path is not None:
        key_file = path.with_name("townbrain.key")
        assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    # signing in with the code still works, and the code is checked against the real secret
    good = totp.code_at(secret, clock().timestamp())
    assert not access.accounts.check_totp(access.accounts.get("aud"), f"{(int(good) + 1) % 10**6:06d}", None)
    assert access.accounts.check_totp(access.accounts.get("aud"), totp.code_at(secret, clock().timestamp()), None)
    # another server's key cannot open it
    from access.sealed import Sealer, SealError
    import tempfile, os
    with pytest.raises(SealError):
        Sealer(key_file=os.path.join(tempfile.mkdtemp(), "other.key")).open(stored)


def test_a_secret_stored_in_clear_by_an_older_version_is_sealed_on_first_use(access, clock):
    secret = totp.new_secret()
    access.accounts.create("old", "sysadmin", "", by="os:test", password="Seal-Test-2026", must_change=False,
                           totp_secret=secret)
    access.store.update_columns("users", pd.DataFrame({"name": ["old"], "totp_secret": [secret]}))  # as before
    assert _stored_secret(access, "old") == secret
    user = access.accounts.get("old")
    assert secret not in _stored_secret(access, "old") and _stored_secret(access, "old").startswith("fernet:")
    assert access.accounts.check_totp(user, totp.code_at(secret, clock().timestamp()), None)
