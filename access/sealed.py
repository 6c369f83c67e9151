"""Secrets the server must read back (the TOTP seeds) are kept sealed: encrypted with a
key that lives outside the store, so a copy of the store (a backup, a stolen GeoPackage,
a database dump) holds no usable second factor (issue 16, Deliver 6: "no secret is ever
stored in clear"; GB/T 22239-2019 8.1.4.8 保密性).

Fernet from ``cryptography`` (AES-128-CBC with HMAC-SHA256, a timestamped, versioned
token): the library the Python world keeps for exactly this, already installed with
argon2-cffi's neighbours, and nothing to get wrong by hand. A sealed value is
``fernet:`` followed by the token; anything without the prefix is a secret written in
clear by an older TownBrain, sealed on first use (access/accounts.py).

The key, in this order:

1. ``$TOWNBRAIN_SECRET_KEY`` — a Fernet key (44 characters of URL-safe base64), for a
   deployment that keeps its secrets in its service manager or a vault;
2. the file ``$TOWNBRAIN_SECRET_KEY_FILE``;
3. else ``townbrain.key`` beside the GeoPackage (``data/townbrain.key`` for PostGIS,
   beside ``data/first-accounts.txt``), created on first need with mode 0600, readable
   by the server's user only — the way ``townbrain user bootstrap`` keeps the first
   passwords. Losing the key means re-enrolling the second factors, not losing data.

Examples
--------
>>> import tempfile, os
>>> key_file = os.path.join(tempfile.mkdtemp(), "townbrain.key")
>>> box = Sealer(key_file=key_file)
>>> token = box.seal("JBSWY3DPEHPK3PXP"); token.startswith("fernet:"), "JBSWY3DPEHPK3PXP" in token
(True, False)
>>> box.open(token), box.open("JBSWY3DPEHPK3PXP"), is_sealed(token)
('JBSWY3DPEHPK3PXP', 'JBSWY3DPEHPK3PXP', True)
>>> oct(os.stat(key_file).st_mode & 0o777)
'0o600'
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

PREFIX = "fernet:"
KEY_FILE_NAME = "townbrain.key"
_lock = threading.Lock()


class SealError(RuntimeError):
    """A sealed secret that the key at hand cannot open (a different or lost key)."""


def is_sealed(value) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def key_file_for(store) -> Path:
    """Where the key file of ``store`` lives when no variable names one."""
    named = os.environ.get("TOWNBRAIN_SECRET_KEY_FILE")
    if named:
        return Path(named)
    path = getattr(store, "path", None)  # a GeoPackage: beside it
    return Path(path).with_name(KEY_FILE_NAME) if path is not None else Path("data") / KEY_FILE_NAME


def _read_or_create(key_file: Path) -> bytes:
    with _lock:
        if key_file.exists():
            return key_file.read_bytes().strip()
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key = Fernet.generate_key()
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key + b"\n")
        os.chmod(key_file, 0o600)
        return key


class Sealer:
    """Seals and opens secrets with the key of :func:`key_file_for` (read on first use)."""

    def __init__(self, store=None, key_file: str | Path | None = None):
        self._key_file = Path(key_file) if key_file else None
        self._store = store
        self._fernet: Fernet | None = None

    def fernet(self) -> Fernet:
        if self._fernet is None:
            env = os.environ.get("TOWNBRAIN_SECRET_KEY")
            key = env.encode() if env else _read_or_create(self._key_file or key_file_for(self._store))
            self._fernet = Fernet(key)
        return self._fernet

    def seal(self, secret: str) -> str:
        return PREFIX + self.fernet().encrypt(secret.encode()).decode()

    def open(self, value: str | None) -> str | None:
        """The secret in ``value``; a value stored in clear comes back as it is."""
        if not is_sealed(value):
            return value
        try:
            return self.fernet().decrypt(value[len(PREFIX):].encode()).decode()
        except InvalidToken:
            raise SealError("a sealed secret cannot be opened with this server's key "
                            "(TOWNBRAIN_SECRET_KEY or its key file changed?)") from None
