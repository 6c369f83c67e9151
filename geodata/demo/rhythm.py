"""When cases happen: yearly volumes, seasons, weekdays, holidays, hours of the day.

brief.md: "~40 k cases a year" for a town; "2018 results: 36,715 matters accepted …
32,327 reported by inspectors — 88.04%". Later years grow slowly as citizens'
apps and IoT sensors add reports (the inspector share drifts down a little).
"""
from __future__ import annotations

import numpy as np

#: Accepted (registered) cases per calendar year. 2018 is the brief's exact figure.
YEAR_ACCEPTED = {2018: 36_715, 2019: 38_900, 2020: 36_900, 2021: 39_600, 2022: 40_300,
                 2023: 41_200, 2024: 42_100, 2025: 42_800, 2026: 43_500}
YEAR_ACCEPTED_LATER = 44_000
#: Reports that are not accepted (duplicates, out of scope), as a share of accepted ones.
REJECTED_SHARE = 0.025

#: Chinese New Year's Eve: the week after it is quiet.
SPRING_FESTIVAL_EVE = ("2018-02-15", "2019-02-04", "2020-01-24", "2021-02-11", "2022-01-31",
                       "2023-01-21", "2024-02-09", "2025-01-28", "2026-02-16", "2027-02-05",
                       "2028-01-25", "2029-02-12", "2030-02-02")
_DOW = np.array([1.08, 1.05, 1.04, 1.03, 1.0, 0.86, 0.80])  # Monday first
_MONTH = np.array([0.86, 0.80, 0.95, 1.0, 1.05, 1.10, 1.12, 1.12, 1.05, 1.0, 0.98, 0.95])

SOURCES = ("inspector", "citizen", "hotline", "iot", "department")
#: Hour-of-day profiles per source (local time).
HOURS = {
    "inspector": [0, 0, 0, 0, 0, 0, .2, 1, 4, 6, 6, 5, 2, 3, 5, 6, 5, 3, 1, .3, 0, 0, 0, 0],
    "citizen": [.3, .2, .1, .1, .1, .3, 1, 2, 3, 4, 4, 3.5, 3, 3, 3.5, 3.5, 3.5, 3.5, 4, 4.5, 4, 3, 1.5, .7],
    "hotline": [0, 0, 0, 0, 0, 0, 0, .5, 4, 6, 6, 5, 3, 4, 5, 5, 5, 4, 2, 1.5, 1, .5, 0, 0],
    "iot": [.6, .5, .5, .5, .5, .6, .8, 1, 1, 1, 1.1, 1.2, 1.3, 1.4, 1.4, 1.3, 1.2, 1.1, 1, 1, .9, .8, .7, .6],
    "department": [0, 0, 0, 0, 0, 0, 0, 0, 3, 6, 6, 5, 1, 2, 5, 6, 5, 2, 0, 0, 0, 0, 0, 0],
}


def year_total(year: int) -> int:
    return YEAR_ACCEPTED.get(year, YEAR_ACCEPTED_LATER)


def source_probs(year: int) -> np.ndarray:
    """Shares of inspector, citizen, hotline, IoT and department reports in a year."""
    k = max(0, year - 2018)
    ins = 0.8804 - 0.006 * k
    iot = 0.012 + 0.003 * k
    citizen = 0.055 + 0.002 * k
    hotline = 0.03
    return np.array([ins, citizen, hotline, iot, 1 - ins - citizen - hotline - iot])


def day_weights(days: np.ndarray) -> np.ndarray:
    """Relative case volume of each day (datetime64[D] array)."""
    dow = (days.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday
    month = days.astype("datetime64[M]").astype(int) % 12
    w = _DOW[dow] * _MONTH[month]
    for eve in SPRING_FESTIVAL_EVE:
        d = (days - np.datetime64(eve)).astype(int)
        w = np.where((d >= 0) & (d < 7), w * 0.45, w)
        w = np.where(((d >= -3) & (d < 0)) | ((d >= 7) & (d < 10)), w * 0.75, w)
    day_of_month = (days - days.astype("datetime64[M]").astype("datetime64[D]")).astype(int)
    national = (month == 9) & (day_of_month < 7)  # 1–7 October
    covid = (days >= np.datetime64("2020-01-24")) & (days < np.datetime64("2020-03-15"))
    return w * np.where(national, 0.75, 1.0) * np.where(covid, 0.65, 1.0)


def seconds_of_day(rng: np.random.Generator, source_idx: np.ndarray) -> np.ndarray:
    """Whole seconds after midnight, following each source's hourly profile."""
    out = np.empty(len(source_idx), dtype=np.int64)
    for k, s in enumerate(SOURCES):
        m = source_idx == k
        p = np.asarray(HOURS[s], dtype=float)
        h = rng.choice(24, size=int(m.sum()), p=p / p.sum())
        out[m] = h * 3600 + rng.integers(0, 3600, int(m.sum()))
    return out
