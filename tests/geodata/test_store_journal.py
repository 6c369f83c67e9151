"""A GeoPackage store keeps every commit while GDAL and ``sqlite3`` take turns on it.

GDAL (pyogrio) and Python's ``sqlite3`` are two copies of SQLite in one process. In
WAL mode they shared the WAL and its index from one connection to the next, and a
commit now and then vanished once GDAL had read another layer in between: a row
just appended, a wall's revocation (CI let a revoked wall in). The store keeps its
file in rollback-journal mode (geodata/store_gpkg.py, ``_file_lock``)."""
from __future__ import annotations

import sqlite3
import threading

import pandas as pd

from geodata.demo import write_town
from geodata.store import open_store
from tests.browser.conftest import build_fixture_town


def _journal(path) -> str:
    con = sqlite3.connect(path)
    try:
        return con.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        con.close()


def _town(tmp_path) -> str:
    url = str(tmp_path / "town.gpkg")
    write_town(open_store(url), build_fixture_town(pd.Timestamp.now(tz="Asia/Shanghai")))
    return url


def test_a_store_in_wal_mode_is_brought_to_a_rollback_journal_when_opened(tmp_path):
    url = _town(tmp_path)
    assert _journal(url) == "delete"           # as the store writes it
    con = sqlite3.connect(url)
    con.execute("PRAGMA journal_mode = WAL")   # as an earlier TownBrain, or a town's own file, left it
    con.close()
    assert _journal(url) == "wal"
    store = open_store(url)
    assert len(store.read("grids")) == 4
    assert _journal(url) == "delete"
    assert not (tmp_path / "town.gpkg-wal").exists()


def test_no_commit_is_lost_while_another_thread_reads_layers_through_gdal(tmp_path):
    url = _town(tmp_path)
    con = sqlite3.connect(url)
    con.execute("PRAGMA journal_mode = WAL")   # the store leaves WAL behind on its first connection
    con.close()
    store, stop, errors = open_store(url), threading.Event(), []

    def screen():   # the wall's warm-up: spatial layers through GDAL, over and over
        other = open_store(url)
        try:
            while not stop.is_set():
                for layer in ("districts", "grids", "rivers", "roads"):
                    other.read(layer)
                stop.wait(0.0005)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    reader = threading.Thread(target=screen, daemon=True)
    reader.start()
    lost = []
    when = pd.Timestamp.now(tz="UTC").floor("s")
    try:
        for i in range(200):
            name = f"wall-{i}"
            store.upsert("devices", pd.DataFrame({     # appended through GDAL
                "name": [name], "role": ["kiosk"], "grants": ["town"],
                "revoked_at": pd.Series([pd.NaT], dtype="datetime64[us, UTC]")}))
            store.update_columns("devices", pd.DataFrame({"name": [name], "token_hash": [f"t{i}"]}))  # sqlite3
            store.update_columns("devices", pd.DataFrame({"name": [name], "revoked_at": [when]}))
            row = store.read("devices", where={"name": name}, geometry=False)
            if len(row) != 1 or str(row["token_hash"].iloc[0]) != f"t{i}" or pd.isna(row["revoked_at"].iloc[0]):
                lost.append(i)
    finally:
        stop.set()
        reader.join(10)
    assert not errors, errors
    assert lost == [], f"commits lost at {lost}"
    assert store.count("devices") == 200
