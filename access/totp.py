"""The second factor: TOTP (RFC 6238) with pyotp, and its QR code drawn here.

A secret is enrolled at the first sign-in: the page shows the ``otpauth://`` URI
and a QR code as inline SVG made by segno on the server — nothing is fetched from
anywhere (brief.md: intranets). A code is accepted for its 30-second step and one
step either side (clock drift), and never twice: the last accepted step is kept.

Examples
--------
>>> secret = new_secret(); len(secret)
32
>>> step = 1_000_000; code = code_at(secret, step * 30)
>>> accepted_step(secret, code, now=step * 30 + 20, last_step=None) == step
True
>>> accepted_step(secret, code, now=step * 30 + 20, last_step=step) is None   # used once only
True
>>> qr_svg(uri(secret, "li", "青澜镇")).startswith("<svg")
True
"""
from __future__ import annotations

import io

import pyotp
import segno

ISSUER = "TownBrain"
STEP = 30


def new_secret() -> str:
    return pyotp.random_base32(32)


def uri(secret: str, name: str, town: str | None = None) -> str:
    issuer = f"{ISSUER} {town}" if town else ISSUER
    return pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=issuer)


def code_at(secret: str, t: float) -> str:
    return pyotp.TOTP(secret).at(int(t))


def accepted_step(secret: str, code: str, now: float, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to (this one or one either side), if it is later
    than ``last_step``; None otherwise."""
    code = "".join(ch for ch in str(code or "") if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    here = int(now) // STEP
    for step in (here, here - 1, here + 1):
        if (last_step is None or step > last_step) and totp.verify(code, for_time=step * STEP):
            return step
    return None


def qr_svg(text: str) -> str:
    """The QR code of ``text`` as an SVG element to put into a page (no XML declaration)."""
    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="svg", scale=5, border=2, dark="#0b1d33", light="#ffffff",
                                     xmldecl=False, svgns=True, title="TOTP")
    return buf.getvalue().decode()
