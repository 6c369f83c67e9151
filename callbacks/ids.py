"""Every component id of the screen, in one place.

Tests and callbacks import ids from here, never spell them, so renaming one is
one edit. Ids made from data (a module, a KPI) come from the functions below.
"""
from __future__ import annotations

# ---- the shell (every page) ---------------------------------------------------
URL = "url"
PAGE = "page"
SCREEN_CONF = "screen-conf"      # dcc.Store: {"lang": ..., "tz": ...} for clientside code
CLOCK_TICK = "clock-tick"        # dcc.Interval, 1 s, drives the clock in the browser only

# ---- the title bar --------------------------------------------------------------
TITLE_BAR = "title-bar"
TOWN_NAME = "town-name"
PAGE_NAME = "page-name"          # the module on the wall, "console" on the console
CLOCK_TIME = "clock-time"
CLOCK_DATE = "clock-date"
DATA_AS_OF = "data-as-of"

# ---- the wall ---------------------------------------------------------------------
WALL = "wall"
WALL_MAP = "wall-map"
WALL_REFRESH = "wall-refresh"    # dcc.Interval: re-read the KPIs from the store
WALL_NOTICE = "wall-notice"      # one line when the store cannot be read
MODULE_BAR = "module-bar"
BASE_COUNT_PREFIX = "base-count-"

# ---- the console ------------------------------------------------------------------
CONSOLE = "console"

# ---- any other path -----------------------------------------------------------------
NOT_FOUND = "not-found"


def kpi_value(period: str, name: str) -> str:
    """Id of one KPI number, e.g. ``kpi-year-accepted``."""
    return f"kpi-{period}-{name}"


def rate_bar(period: str) -> str:
    """Id of the disposal-rate bar of a KPI period."""
    return f"rate-bar-{period}"


def module_tab(module_id: str) -> str:
    """Id of a module's link in the bottom bar, e.g. ``module-ecology``."""
    return f"module-{module_id}"


def base_count(layer: str) -> str:
    """Id of the record count of a base layer in the side panel."""
    return BASE_COUNT_PREFIX + layer
