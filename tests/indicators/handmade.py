"""A hand-made town of twelve cases and five inspector-days, with every indicator's
value worked out by hand in the tests (the oracle is the arithmetic written there).

Period [2024-03-01, 2024-04-01) Asia/Shanghai, as_of 2024-03-20 00:00.
"""
import pandas as pd

TZ = "Asia/Shanghai"
PERIOD = {"start": "2024-03-01", "end": "2024-04-01", "as_of": "2024-03-20 00:00"}


def t(s):
    return pd.Timestamp(s, tz=TZ) if s else pd.NaT


# case, registered, deadline, closed, source, grid, district, h3, level, enforcement, rework, extended
ROWS = [
    ("c1", "2024-03-01 00:00", "2024-03-02 00:00", "2024-03-01 12:00", "inspector", "G1", "D1", "ha", "grid", False, 0, False),
    ("c2", "2024-02-29 23:59", "2024-03-01 23:59", "2024-03-01 10:00", "inspector", "G1", "D1", "ha", "grid", False, 0, False),
    ("c3", "2024-03-05 09:00", "2024-03-10 09:00", "2024-03-12 09:00", "inspector", "G1", "D1", "ha", "village", True, 1, False),
    ("c4", "2024-03-10 09:00", "2024-03-19 09:00", None, "citizen", "G2", "D1", "hb", None, False, 0, True),
    ("c5", "2024-03-15 09:00", "2024-03-20 10:00", None, "hotline", "G2", "D1", "hb", None, False, 0, False),
    ("c6", "2024-03-18 09:00", "2024-03-25 09:00", "2024-03-19 09:00", "inspector", "G3", "D2", "hc", "town", False, 0, False),
    ("c7", "2024-03-25 09:00", "2024-03-26 09:00", None, "citizen", "G3", "D2", "hc", None, False, 0, False),
    ("c8", None, None, None, "citizen", "G3", "D2", "hc", None, False, 0, False),
    ("c9", "2024-03-31 23:59:59", None, None, "iot", None, None, None, None, False, 0, False),
    ("c10", "2024-04-01 00:00", "2024-04-02 00:00", None, "citizen", "G4", "D2", "hc", None, False, 0, False),
    ("c11", "2024-03-02 09:00", "2024-03-03 09:00", "2024-03-03 09:00", "inspector", "G2", "D1", "hb", "district", False, 0, False),
    ("c12", "2024-03-08 09:00", "2024-03-09 09:00", "2024-03-21 09:00", "inspector", "G1", "D1", "ha", None, True, 0, False),
]
COLUMNS = ["case_id", "registered_at", "deadline", "closed_at", "source", "grid_id", "district_id", "h3",
           "resolved_level", "enforcement", "rework_count", "extended"]


def cases() -> pd.DataFrame:
    df = pd.DataFrame(ROWS, columns=COLUMNS)
    for c in ("registered_at", "deadline", "closed_at"):
        df[c] = pd.Series([t(v) for v in df[c].astype(object)], dtype=f"datetime64[us, {TZ}]")
    df["reported_at"] = df["registered_at"].fillna(t("2024-03-03 08:00"))
    df["reported_by"] = None
    df["category"] = "litter"
    df["status"] = ["closed" if c else "dispatched" for c in df["closed_at"].notna()]
    return df


# staff, grid, start, end  (local times)
PATROLS = [
    ("I1", "G1", "2024-03-05 08:00", "2024-03-05 10:00"),
    ("I1", "G1", "2024-03-05 10:30", "2024-03-05 12:00"),
    ("I1", "G1", "2024-03-05 14:00", "2024-03-05 15:30"),   # I1 03-05: 3 patrols, 5.0 h
    ("I1", "G1", "2024-03-06 08:00", "2024-03-06 09:30"),
    ("I1", "G1", "2024-03-06 10:00", "2024-03-06 11:30"),
    ("I1", "G1", "2024-03-06 13:00", "2024-03-06 14:30"),   # I1 03-06: 3 patrols, 4.5 h
    ("I2", "G1", "2024-03-05 08:00", "2024-03-05 11:00"),
    ("I2", "G1", "2024-03-05 13:00", "2024-03-05 16:00"),   # I2 03-05: 2 patrols, 6 h
    ("I2", "G1", "2024-03-06 08:00", "2024-03-06 10:00"),
    ("I2", "G1", "2024-03-06 11:00", "2024-03-06 13:00"),
    ("I2", "G1", "2024-03-06 14:00", "2024-03-06 16:00"),   # I2 03-06: 3 patrols, 6 h
    ("I3", "G2", "2024-03-05 08:00", "2024-03-05 10:00"),
    ("I3", "G2", "2024-03-05 13:00", "2024-03-05 15:00"),
    ("I3", "G2", "2024-03-05 23:00", "2024-03-06 01:00"),   # I3 03-05: 3 patrols, 6 h (last past midnight)
    ("I3", "G2", "2024-02-29 08:00", "2024-02-29 18:00"),   # before the period: not an inspector-day of it
]


def patrols() -> pd.DataFrame:
    df = pd.DataFrame(PATROLS, columns=["staff_id", "grid_id", "started_at", "ended_at"])
    for c in ("started_at", "ended_at"):
        df[c] = pd.to_datetime(df[c]).dt.tz_localize(TZ)
    df["district_id"] = df["grid_id"].map({"G1": "D1", "G2": "D1"})
    return df


def reports() -> pd.DataFrame:
    rows = []
    rows += [("I1", "2024-03-05 09:00")] * 10       # I1 03-05: 10 → complies (3, 5.0 h, 10)
    rows += [("I1", "2024-03-06 09:00")] * 12       # I1 03-06: 4.5 h → fails
    rows += [("I2", "2024-03-05 09:00")] * 15       # I2 03-05: 2 patrols → fails
    rows += [("I2", "2024-03-06 09:00")] * 9        # I2 03-06: 9 cases → fails
    rows += [("I3", "2024-03-05 09:00")] * 9
    rows += [("I3", "2024-03-05 23:30")]            # 15:30 UTC: still 03-05 locally → 10 → complies
    rows += [("I3", "2024-03-06 00:30")]            # 16:30 UTC on 03-05, but 03-06 locally: not counted
    df = pd.DataFrame(rows, columns=["reported_by", "reported_at"])
    df["reported_at"] = pd.to_datetime(df["reported_at"]).dt.tz_localize(TZ)
    return df
