"""The naive intake ``bench.ingest`` compares TownBrain with: what a developer would
write first to take Open311 POSTs into PostGIS.

A minimal Flask app on the same WSGI server (waitress, 8 threads) with the same two
routes, which builds a GeoDataFrame of the posted cases and appends it with
``GeoDataFrame.to_postgis`` (SQLAlchemy + GeoAlchemy2) — one INSERT transaction
per request. It checks the fields just enough to build the frame, ignores
``Idempotency-Key`` (a retry inserts again) and answers 500 when the database
fails. Not part of the product.

    python -m bench.ingest_baseline --pg URL --port P [--schema S] [--table cases_naive]
"""
from __future__ import annotations

import argparse
import uuid

import geopandas as gpd
import pandas as pd
import shapely
import sqlalchemy as sa
from flask import Flask, jsonify, request

TABLE = "cases_naive"
FIELDS = ("service_code", "description", "requested_datetime", "source", "reported_by", "subcategory")


def create_baseline_app(pg_url: str, table: str = TABLE, schema: str = "public") -> Flask:
    """The naive app on PostGIS at ``pg_url`` (a ``postgresql://`` URL), writing to
    ``schema.table``."""
    engine = sa.create_engine("postgresql+psycopg://" + pg_url.split("://", 1)[1])
    with engine.begin() as conn:  # made up front: 8 threads appending to a missing table would race
        conn.execute(sa.text(f"CREATE TABLE IF NOT EXISTS {schema}.{table} (case_id text, "
                             + ", ".join(f"{f} text" for f in FIELDS)
                             + ", reported_at timestamptz, geometry geometry(Point, 4326))"))
    app = Flask("ingest_baseline")

    def to_frame(items: list[dict]) -> gpd.GeoDataFrame:
        now = pd.Timestamp.now(tz="UTC")
        return gpd.GeoDataFrame({
            "case_id": [uuid.uuid4().hex for _ in items],
            **{f: [it.get(f) for it in items] for f in FIELDS},
            "reported_at": [now] * len(items),
        }, geometry=[shapely.Point(float(it["long"]), float(it["lat"])) for it in items], crs=4326)

    def store(items: list[dict]):
        try:
            frame = to_frame(items)
        except (KeyError, TypeError, ValueError) as exc:
            return jsonify([{"code": 400, "description": f"bad request: {exc}"}]), 400
        try:
            frame.to_postgis(table, engine, schema=schema, if_exists="append", index=False)
        except Exception as exc:  # noqa: BLE001 - the naive app: any database error is a 500
            return jsonify([{"code": 500, "description": str(exc).splitlines()[0]}]), 500
        return jsonify([{"service_request_id": i} for i in frame["case_id"]]), 201

    @app.post("/open311/v2/requests.json")
    def post_one():
        return store([request.get_json(force=True)])

    @app.post("/open311/v2/requests/batch.json")
    def post_batch():
        return store(list(request.get_json(force=True).get("requests") or []))

    @app.get("/health")
    def health():
        return jsonify({"status": "ok"})

    return app


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pg", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--table", default=TABLE)
    ap.add_argument("--schema", default="public")
    ap.add_argument("--threads", type=int, default=8)
    args = ap.parse_args(argv)
    from waitress import serve
    serve(create_baseline_app(args.pg, args.table, args.schema), host=args.host, port=args.port, threads=args.threads,
          ident="naive")


if __name__ == "__main__":
    main()
