"""Passwords: argon2id hashes and the policy (issue 16, Deliver 1).

Policy: at least 8 characters from at least three of the four classes (lower case,
upper case, digits, other), none of the last 5 passwords again, changed at the
first sign-in and every 90 days (GB/T 22239-2019 8.1.4.1 a: 口令具有复杂度要求并定期更换).
Hashes are argon2id (RFC 9106) with argon2-cffi's defaults (its second recommended
profile: t=3, m=64 MiB, p=4), stored as the PHC string, which carries its parameters.

Examples
--------
>>> policy_problems("short1A")
['at least 8 characters']
>>> policy_problems("alllowercase")
['at least three of: lower case, upper case, digits, other characters']
>>> policy_problems("Grid-2026")
[]
>>> h = hash_password("Grid-2026"); verify_password(h, "Grid-2026"), verify_password(h, "grid-2026")
(True, False)
>>> len(policy_problems(one_time_password())) == 0
True
"""
from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 8
MIN_CLASSES = 3
HISTORY = 5          # no reuse of the last 5
MAX_AGE_DAYS = 90    # changed every 90 days

_HASHER = PasswordHasher()  # argon2id
_CLASSES = (str.islower, str.isupper, str.isdigit)


def char_classes(password: str) -> int:
    """How many of lower, upper, digit, other occur in ``password``."""
    found = [any(test(c) for c in password) for test in _CLASSES]
    found.append(any(not (c.islower() or c.isupper() or c.isdigit()) for c in password))
    return sum(found)


def policy_problems(password: str) -> list[str]:
    """What ``password`` lacks, in English (access/i18n.py translates), [] when good."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"at least {MIN_LENGTH} characters")
    if char_classes(password) < MIN_CLASSES:
        problems.append("at least three of: lower case, upper case, digits, other characters")
    return problems


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Constant-time check of ``password`` against an argon2 PHC string."""
    if not stored:
        return False
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def burn_time(password: str) -> None:
    """Spend what a verification costs, for a name that has no account (no timing oracle)."""
    verify_password(_DUMMY, password)


_DUMMY = _HASHER.hash(secrets.token_urlsafe(16))


def one_time_password(length: int = 14) -> str:
    """A random password that passes the policy, without look-alike characters."""
    alphabet = [c for c in string.ascii_letters + string.digits if c not in "Il1O0o"]
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(length - 2))
        pw = pw[:4] + "-" + pw[4:8] + "-" + pw[8:]
        if char_classes(pw) >= 4:
            return pw
