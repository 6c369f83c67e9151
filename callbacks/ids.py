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
PAGE_WANTED = "page-wanted"  # dcc.Store: [path, lang, as_of] of the URL, changed only when one of them does (assets/routes.js)
WALL_MAP = "wall-map"  # html.Div: the Leaflet map's container (assets/map.js)
WALL_MAP_LEGEND = "wall-map-legend"  # the map's legend, a row above the map (assets/map.js fills it)
WALL_MAP_SPEC = "wall-map-spec"  # dcc.Store: the layers the map draws (callbacks/wall_map.py, layers/leaflet.py)
WALL_MAP_DRAWN = "wall-map-drawn"  # dcc.Store: what assets/map.js drew last (a stamp)
WALL_MAP_CLICK = "wall-map-click"  # dcc.Store: the last click on the map, {"points": [{"lon", "lat"}]}
WALL_REFRESH = "wall-refresh"    # dcc.Interval: re-read the KPIs from the store
WALL_NOTICE = "wall-notice"      # one line when the store cannot be read
MODULE_BAR = "module-bar"
WALL_URL = "wall-url"            # the wall's own dcc.Location: its callbacks never fire on other pages
WALL_CONF = "wall-conf"          # dcc.Store: the modules' layers, KPI, class and names, for assets/wall.js
WALL_MAP_VIEW = "wall-map-view"  # dcc.Store: trace indices of each map layer, grid colours (callbacks/wall_map.py)
LAYERS_WANTED = "layers-wanted"  # dcc.Store: map layers assets/wall.js needs the data of (callbacks/wall_map.py)
BASE_COUNT_PREFIX = "base-count-"
AS_OF_BADGE = "as-of-badge"      # title bar: "截至 2018-12-31" when the town is shown as of a day (?as_of=)
AS_OF_ERROR_PAGE = "as-of-error-page"  # the page of a link whose as_of cannot be shown
AS_OF_ERROR = "as-of-error"      # what is wrong with it
WALL_WARNINGS = "wall-warnings"  # the left panel's warnings (callbacks/wall_warnings.py) …
WARNINGS_LIST = "warnings-list"  # … the list, drawn by assets/warnings.js
WARNINGS_COUNT = "warnings-count"  # … how many are not yet acknowledged
WARNINGS_DATA = "warnings-data"  # dcc.Store: the warnings, from the server
WARNINGS_ACK = "warnings-ack"    # dcc.Store (local storage): the ids this browser acknowledged
OLD_DATA_NOTE = "old-data-note"  # live wall, no recent case: the newest case's day …
OLD_DATA_LINK = "old-data-link"  # … and a link to the wall as of that day

# ---- the console ------------------------------------------------------------------
CONSOLE = "console"
# the console's own ids (callbacks/console.py); its state lives in the URL (console_state.py)
CONSOLE_URL = "console-url"              # the console's own dcc.Location (inputs all on the page)
CONSOLE_NOTE = "console-note"            # "ignored link parameters …" / store errors
CONSOLE_REFRESH = "console-refresh"      # dcc.Interval: re-run the queries (overdue changes with time)
CONSOLE_PERIOD = "console-period"        # filters ↓
CONSOLE_FROM = "console-from"
CONSOLE_TO = "console-to"
CONSOLE_CATEGORY = "console-category"
CONSOLE_STATUS = "console-status"
CONSOLE_SOURCE = "console-source"
CONSOLE_DISTRICT = "console-district"
CONSOLE_GRID = "console-grid"
CONSOLE_OVERDUE = "console-overdue"
CONSOLE_SEARCH = "console-search"
CONSOLE_CLEAR = "console-clear"          # link: the default view
CONSOLE_LANG = "console-lang"            # link: the same view in the other language
CONSOLE_TOTAL = "console-total"          # "N cases" of the filter
CONSOLE_TIMING = "console-timing"        # server time of the last query, ms
CONSOLE_TABLE = "console-table"
CONSOLE_PAGER = "console-pager"
CONSOLE_PAGE_INFO = "console-page-info"
CONSOLE_MAP = "console-map"              # html.Div: the Leaflet map's container (assets/map.js)
CONSOLE_MAP_SPEC = "console-map-spec"    # dcc.Store: the layers the console map draws (layers/leaflet.py)
CONSOLE_MAP_DRAWN = "console-map-drawn"  # dcc.Store: what assets/map.js drew last (a stamp)
CONSOLE_MAP_CLICK = "console-map-click"  # dcc.Store: the last click on the map, {"points": [{"lon", "lat"}]}
CONSOLE_SCOPE = "console-scope"          # the period and scope the table's figures count
CONSOLE_RANK_KEY = "console-rank-key"    # dcc.Store: what the rankings depend on (period, place, …)
CONSOLE_CASE_KEY = "console-case-key"    # dcc.Store: what the case detail depends on (case, …)
CONSOLE_RENDERED = "console-rendered"    # dcc.Store: the query last rendered, and whether the map is built
CONSOLE_DETAIL = "console-detail"
CONSOLE_TIMELINE = "console-timeline"
CONSOLE_OVERDUE_LIST = "console-overdue-list"
CONSOLE_AT_RISK_LIST = "console-at-risk-list"
CONSOLE_GRID_RANKING = "console-grid-ranking"
CONSOLE_INSPECTOR_RANKING = "console-inspector-ranking"


def console_sort(column: str) -> str:
    """Id of a sortable column header link of the console table."""
    return f"console-sort-{column}"


def console_page(which: str) -> str:
    """Id of a pager link: ``first``, ``prev``, ``next``, ``last``."""
    return f"console-page-{which}"

# ---- live feed, playback, rotation, resilience (callbacks/live.py) -----------------
LIVE = "live"                    # the overlay over the wall's map: ticker, playback, banner
LIVE_POLL = "live-poll"          # dcc.Interval, 1 s: ask the change feed
LIVE_FEED = "live-feed"          # dcc.Store: the last feed answer (cursor, changes, heat cells)
LIVE_TICKER = "live-ticker"      # the list of the latest cases
LIVE_COUNT = "live-count"        # changes seen since the page opened
STALE_BANNER = "stale-banner"    # "data stale since HH:MM:SS" while the store is unreachable
MAP_FOCUS = "map-focus"          # dcc.Store: {"case_id", "lon", "lat", "zoom", "kind", "until"}; the map may read it
FOCUS_CARD = "focus-card"        # the case the map flew to
FOCUS_RING = "focus-ring"        # the pulsing ring over that case
ROTATE_TICK = "rotate-tick"      # dcc.Interval: ?rotate=SECONDS
PLAYBACK_SLIDER = "playback-slider"
PLAYBACK_PLAY = "playback-play"
PLAYBACK_STOP = "playback-stop"
PLAYBACK_TIMER = "playback-timer"
PLAYBACK_FRAME = "playback-frame"  # dcc.Store: {"day", "cells": [[lon, lat, n], ...], "zmax"} or None
PLAYBACK_DAY = "playback-day"


# ---- any other path -----------------------------------------------------------------
NOT_FOUND = "not-found"
HTML_LANG = "html-lang"            # dcc.Store: the <html lang> the page has (assets: routes.py callback)
UNKNOWN_MODULE = "unknown-module"  # the wall's notice for ?module= naming no module


def kpi_value(period: str, name: str) -> str:
    """Id of one KPI number, e.g. ``kpi-year-accepted``."""
    return f"kpi-{period}-{name}"


def kpi_trend(name: str) -> str:
    """Id of the year panel's target and arrows under one figure, e.g. ``kpi-year-accepted-trend``."""
    return f"kpi-year-{name}-trend"


def rate_bar(period: str) -> str:
    """Id of the disposal-rate bar of a KPI period."""
    return f"rate-bar-{period}"


def module_tab(module_id: str) -> str:
    """Id of a module's link in the bottom bar, e.g. ``module-ecology``."""
    return f"module-{module_id}"


def base_count(layer: str) -> str:
    """Id of the record count of a base layer in the side panel."""
    return BASE_COUNT_PREFIX + layer


# ---- wall modules, map layers, grid card (callbacks/modules.py) -----------------------------
MODULE_PANEL = "module-panel"    # the module's KPI tiles (left panel)
MODULE_CHARTS = "module-charts"  # the module's charts (right panel)
MODULE_NEEDS = "module-needs"    # "data not loaded yet" panel of a module
MODULE_WITHHELD = "module-withheld"  # in that panel: what a limited reader is not shown (no place)
LAYER_TOGGLES = "layer-toggles"  # dcc.Checklist of map layers
GRID_KPI = "grid-kpi"            # dcc.RadioItems: the KPI the grids are coloured by
GRID_CARD = "grid-card"          # the card of a clicked grid
GRID_CARD_CLOSE = "grid-card-close"
GRID_CARD_BODY = "grid-card-body"
GRID_CARD_TITLE = "grid-card-title"
GRID_CARD_SUB = "grid-card-sub"      # the grid's district
GRID_CARD_TREND = "grid-card-trend"  # dcc.Graph: accepted cases per month


def module_kpi(name: str) -> str:
    """Id of the value of a module KPI tile, e.g. ``module-kpi-theme_accepted``."""
    return f"module-kpi-{name}"


def grid_card_value(name: str) -> str:
    """Id of one number on the grid card, e.g. ``grid-card-open``."""
    return f"grid-card-{name}"


# ---- the title bar's Export control and sign-out link (callbacks/export_panel.py) ------------
EXPORT = "export"                # <details>: the Export control (roles that may export only)
EXPORT_BUTTON = "export-button"  # its <summary>, "导出 / Export"
EXPORT_PANEL = "export-panel"    # the choices; data-page says which page's export
EXPORT_GO = "export-go"          # starts the job (assets/export.js)
EXPORT_STATUS = "export-status"  # progress, then the download link (assets/export.js)
SIGN_OUT = "sign-out"            # a link to /logout for a signed-in person
