"""Who may see what: accounts, roles, grants, sessions, the gate and the audit chain.

Issue 16; assessed against GB/T 22239-2019 (MLPS 2.0) level 3. Pure rules live in
:mod:`access.roles`, :mod:`access.passwords` and :mod:`access.totp`; the records
they keep go through ``geodata.store`` (the only module that talks to storage):
:mod:`access.accounts`, :mod:`access.sessions`, :mod:`access.audit`. Flask sits at
the edges: :mod:`access.gate` (deny by default, security headers) and
:mod:`access.web` (the sign-in pages). ``app.py`` installs both with
:func:`access.web.install_access`.
"""
