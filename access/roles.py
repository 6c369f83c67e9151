"""Roles, what each may reach, and who needs a second factor.

Three separate duties (GB/T 22239-2019 8.1.4.2 "三权分立"): the system administrator
runs the system, the security administrator manages accounts and grants, the auditor
reads the audit trail; none of them reads the town's cases, and none may do another's
job. The other roles are the people of brief.md ("Who uses it"), and ``kiosk`` is the
wall as an enrolled device (issue 16, part 4).

Examples
--------
>>> may_open("duty_officer", "/console"), may_open("analyst", "/console"), may_open("auditor", "/wall")
(True, False, False)
>>> may_export("planner"), may_export("kiosk"), may_see_personal("planner"), may_see_personal("duty_officer")
(True, False, False, True)
>>> sorted(TOTP_ROLES)
['analyst', 'auditor', 'leader', 'planner', 'security_admin', 'sysadmin']
>>> home("auditor"), home("grid_staff"), home("planner")
('/audit', '/console', '/wall')
"""
from __future__ import annotations

from geodata.schema import ACCOUNT_ROLES, PEOPLE_ROLES

ROLES = ACCOUNT_ROLES

#: The Dash pages each role may open. ``/`` is the wall.
#: leader: the wall and the console (brief.md: leadership look at the wall; the
#: console to drill into what the wall shows); duty officers and grid staff work
#: in the console and see the wall in the command room; planners and analysts see
#: the wall (they export and use notebooks: part 3 and the exports issue). Planners
#: also open the console: its filters pick the cases they export (issue 17, point 5).
DASH_PAGES: dict[str, frozenset[str]] = {
    "leader": frozenset({"/", "/wall", "/console"}),
    "duty_officer": frozenset({"/", "/wall", "/console"}),
    "grid_staff": frozenset({"/", "/wall", "/console"}),
    "planner": frozenset({"/", "/wall", "/console"}),
    "analyst": frozenset({"/", "/wall"}),
    "kiosk": frozenset({"/", "/wall"}),
    "sysadmin": frozenset(),
    "security_admin": frozenset(),
    "auditor": frozenset(),
}
#: Flask pages of access/web.py beyond the sign-in pages, by role.
OWN_PAGES: dict[str, frozenset[str]] = {
    "auditor": frozenset({"/audit"}),
}
#: Roles that may export data or maps (brief.md: planners export; analysts take the
#: data into notebooks): they see the Export control and reach ``/export/…``
#: (exports/web.py); here it also decides the second factor.
EXPORT_ROLES = frozenset({"planner", "analyst"})
#: Roles that may see who reported a case and how to reach them (the dispatcher's
#: work: brief.md "Who uses it"); for everyone else those columns never leave the
#: server — not in the console's case detail, not in an export (intake/privacy.py
#: names the columns; brief.md "Security": personal data is protected).
PERSONAL_ROLES = frozenset({"leader", "duty_officer", "grid_staff"})
#: Paths of the export routes (exports/web.py): only :data:`EXPORT_ROLES` reach them.
EXPORT_PREFIX = "/export/"
#: A second factor (TOTP, RFC 6238) is required for the three administrative duties,
#: for everyone who may export, and for the leader, whose account reads the whole
#: town's cases. Duty officers and grid staff sign in with a password: their grants
#: limit them to their own districts and grids.
TOTP_ROLES = frozenset({"sysadmin", "security_admin", "auditor", "leader"}) | EXPORT_ROLES
#: Roles whose grants decide what they see (part 3). The three duties hold no grant.
GRANTED_ROLES = frozenset({"leader", "duty_officer", "grid_staff", "planner", "analyst", "kiosk"})


def check_role(role: str) -> str:
    """``role`` when known, else ValueError naming the roles (one sentence)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles: {', '.join(PEOPLE_ROLES)} (and kiosk for a wall)")
    return role


def needs_totp(role: str) -> bool:
    return role in TOTP_ROLES


def has_dash(role: str) -> bool:
    """Whether the role reaches any Dash page (and so Dash's endpoints)."""
    return bool(DASH_PAGES.get(role))


def may_open(role: str, path: str) -> bool:
    """Whether ``role`` may open the page at ``path`` (a Dash page or one of access/web.py)."""
    path = path.rstrip("/") or "/"
    return path in DASH_PAGES.get(role, ()) or path in OWN_PAGES.get(role, ())


def may_export(role: str | None) -> bool:
    return role in EXPORT_ROLES


def may_see_personal(role: str | None) -> bool:
    return role in PERSONAL_ROLES


def home(role: str) -> str:
    """Where a role lands after signing in."""
    pages = DASH_PAGES.get(role) or frozenset()
    if "/console" in pages and role in ("duty_officer", "grid_staff"):
        return "/console"
    if "/wall" in pages:
        return "/wall"
    own = sorted(OWN_PAGES.get(role, ()))
    return own[0] if own else "/account"
