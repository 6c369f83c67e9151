"""PostGIS backend: the shared, multi-user store.

Tables are declared with SQLAlchemy + GeoAlchemy2 (typed geometry with SRID 4326,
GiST index, primary key on the id). Writes use PostgreSQL ``COPY`` (one round trip
for a whole frame instead of one INSERT per row). Reads use the ADBC PostgreSQL
driver, which decodes PostgreSQL's binary COPY stream straight into Arrow in C++:
attributes arrive as columns, point coordinates as two float columns
(``ST_X``/``ST_Y``) rather than as WKB to be parsed row by row — that is what lets
:meth:`read_points` beat ``geopandas.read_postgis`` by an order of magnitude.
"""
from __future__ import annotations

import contextlib
import datetime
import io
import threading

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
import sqlalchemy as sa
from geoalchemy2 import Geometry

from geodata import row_scope
from geodata.arrow_exit import to_pandas
from geodata.frames import StoreError, StoreUnavailable, gc_paused
from geodata.query import Filter, render_where
from geodata.schema import Layer
from geodata.store import Store

_SA_TYPES = {"text": sa.Text, "int": sa.BigInteger, "float": sa.Float(53), "bool": sa.Boolean,
             "datetime": sa.DateTime(timezone=True)}
_SQL_TYPES = {"text": "text", "int": "bigint", "float": "double precision", "bool": "boolean",
              "datetime": "timestamptz"}
_KINDS = {"text": "text", "character varying": "text", "bigint": "int", "integer": "int",
          "smallint": "int", "double precision": "float", "real": "float", "numeric": "float",
          "boolean": "bool", "timestamp with time zone": "datetime", "timestamp without time zone": "datetime",
          "date": "datetime"}
_GEOM = "geom"
_SURROGATE = "fid"  # primary key of a layer without ids of its own (quarantine)
_INDEXED = ("grid_id", "district_id", "staff_id", "category")


def _time_literal(ts: pd.Timestamp) -> str:
    return f"'{ts.isoformat()}'::timestamptz"


def _bool_literal(b: bool) -> str:
    return "true" if b else "false"


#: libpq options of the intake's kept connection: a network that silently drops the
#: server is noticed within ~10 s rather than after the kernel's TCP timeout (minutes).
_KEEPALIVE = {"connect_timeout": 5, "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
              "keepalives_count": 3, "tcp_user_timeout": 10_000}


def _connect_errors():
    import psycopg
    return (sa.exc.OperationalError, sa.exc.InterfaceError, psycopg.OperationalError)


class PostGISStore(Store):
    """Layers as tables of a PostGIS database."""

    def __init__(self, url: str):
        self.url = url
        base = url.split("://", 1)[1]
        self._libpq_url = "postgresql://" + base
        self.engine = sa.create_engine("postgresql+psycopg://" + base, pool_pre_ping=True,
                                       pool_size=5, max_overflow=20)
        self._local = threading.local()

    def close(self) -> None:
        self.engine.dispose()
        self._drop_copy_connection()
        con = getattr(self._local, "adbc", None)
        if con is not None:
            with contextlib.suppress(Exception):
                con.close()
            self._local.adbc = None

    # ---- connections -------------------------------------------------------
    @contextlib.contextmanager
    def _begin(self, *tables: str):
        """A transaction on a pooled connection; when it works on a table of
        ``row_scope.SCOPED_LAYERS``, with the scope of the work in progress set local
        to it (gone at COMMIT, so the pool hands out no one's scope)."""
        try:
            with self.engine.begin() as conn:
                if _scoped(tables):
                    conn.exec_driver_sql(self._scope_sql(local=True))
                yield conn
        except _connect_errors() as exc:
            raise StoreUnavailable(f"cannot reach PostGIS at {self._redacted()}: {str(exc).splitlines()[0]}") from exc

    def _scope_sql(self, local: bool, scope=row_scope._UNSET) -> str:
        """``set_config`` of the scope of the work in progress (geodata/row_scope.py)."""
        if scope is row_scope._UNSET:
            scope = row_scope.current(self.row_scope)
        return row_scope.set_config_sql(scope, local)

    def _redacted(self) -> str:
        return sa.engine.make_url(self.engine.url).render_as_string(hide_password=True)

    def _adbc(self):
        import adbc_driver_postgresql.dbapi as adbc
        con = getattr(self._local, "adbc", None)
        if con is None:
            try:
                con = adbc.connect(self._libpq_url, autocommit=True)
            except Exception as exc:  # the driver raises its own OperationalError
                raise StoreUnavailable(f"cannot reach PostGIS at {self._redacted()}: {exc}") from exc
            self._local.adbc = con
        return con

    @contextlib.contextmanager
    def _arrow(self, sql: str, table: str | None = None):
        """Run ``sql`` and yield a stream of Arrow batches (valid inside the block);
        reconnect once if the server went away since the last read.

        The ADBC connection is this thread's own and in autocommit, so a scope
        (``table`` scoped: geodata/row_scope.py) is set on its session before the
        query and cleared after it; a connection whose clearing fails is closed."""
        scoped = _scoped((table,))
        for attempt in (0, 1):
            con = self._adbc()
            try:
                if scoped:
                    _adbc_run(con, self._scope_sql(local=False))
                cur = con.cursor()
                cur.execute(sql)
                break
            except Exception as exc:
                self._local.adbc = None
                with contextlib.suppress(Exception):
                    con.close()
                if attempt:
                    raise StoreError(f"reading from PostGIS failed: {str(exc).splitlines()[0]}") from exc
        try:
            yield cur.fetch_record_batch()
        finally:
            with contextlib.suppress(Exception):
                cur.close()
            if scoped:
                try:
                    _adbc_run(con, self._scope_sql(local=False, scope=None))
                except Exception:  # noqa: BLE001 - a scope that may linger: the connection goes
                    self._local.adbc = None
                    with contextlib.suppress(Exception):
                        con.close()

    def ping(self) -> dict:
        with self._begin() as conn:
            version = conn.execute(sa.text("SELECT postgis_lib_version()")).scalar()
        return {"backend": "postgis", "url": self._redacted(), "postgis": version}

    def layers(self) -> list[str]:
        with self._begin() as conn:
            return sorted(set(sa.inspect(conn).get_table_names()) - {"spatial_ref_sys"})

    def _table_columns(self, name: str) -> dict[str, str] | None:
        with self._begin() as conn:
            rows = conn.execute(sa.text(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = :t ORDER BY ordinal_position"),
                {"t": name}).fetchall()
        if not rows:
            return None
        return {c: _KINDS.get(t, "text") for c, t in rows if c not in (_GEOM, _SURROGATE)}

    # ---- schema --------------------------------------------------------------
    def _create_table(self, decl: Layer, kinds: dict[str, str]) -> None:
        md = sa.MetaData()
        cols = []
        if not decl.id_field:
            cols.append(sa.Column(_SURROGATE, sa.BigInteger, sa.Identity(), primary_key=True))
        for name, kind in kinds.items():
            cols.append(sa.Column(name, _SA_TYPES[kind], primary_key=(name == decl.id_field),
                                  nullable=name != decl.id_field))
        if decl.geometry is not None:
            gtype = "GEOMETRY" if decl.geometry == "Geometry" else decl.geometry.upper()
            cols.append(sa.Column(_GEOM, Geometry(gtype, srid=4326, spatial_index=True)))
        with self._begin() as conn:
            # Explicit schema: has_table() would otherwise see a same-named table
            # further down the search_path and skip creating ours.
            schema = conn.execute(sa.text("SELECT current_schema()")).scalar()
            sa.Table(decl.name, md, *cols, schema=schema)
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
            # Two processes may create the schema at once; the advisory lock makes it idempotent.
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('townbrain.schema'))"))
            md.create_all(conn, checkfirst=True)
            for f in decl.fields:
                if f.kind == "datetime" or f.name in _INDEXED:
                    conn.execute(sa.text(f'CREATE INDEX IF NOT EXISTS "ix_{decl.name}_{f.name}" '
                                         f'ON "{decl.name}" ("{f.name}")'))
            # the second lock, from the first row on; a layer whose policy names this
            # one (patrols → staff) had it dropped with the old table (DROP … CASCADE)
            for name in (decl.name, *row_scope.dependents(decl.name)):
                self._secure(conn, name)

    def _add_columns(self, decl: Layer, kinds: dict[str, str]) -> None:
        with self._begin() as conn:
            for col, kind in kinds.items():
                conn.execute(sa.text(f'ALTER TABLE "{decl.name}" ADD COLUMN IF NOT EXISTS "{col}" {_SQL_TYPES[kind]}'))
                if kind == "datetime" and col in decl.field_names:  # as _create_table: e.g. cases.updated_at
                    conn.execute(sa.text(f'CREATE INDEX IF NOT EXISTS "ix_{decl.name}_{col}" '
                                         f'ON "{decl.name}" ("{col}")'))
            if set(kinds) & {*row_scope.PLACE_COLUMNS, *(k for k, _o in row_scope.THROUGH.values())}:
                self._secure(conn, decl.name)  # ``townbrain assign`` placed its rows: the policy admits by them now

    # ---- row-level security (geodata/row_scope.py) ---------------------------------------
    def _secure(self, conn, name: str) -> list[str]:
        """Put table ``name`` under its policy, by the columns it has now (nothing for a
        layer that is not scoped, or absent). Idempotent; returns the statements run."""
        if name not in row_scope.SCOPED_LAYERS:
            return []
        cols = {r[0] for r in conn.execute(sa.text(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = :t"), {"t": name})}
        if not cols:
            return []
        tables = set(sa.inspect(conn).get_table_names())
        sql = row_scope.policy_statements(name, cols, tables, geometry=_GEOM in cols)
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('townbrain.schema'))"))
        for stmt in sql:
            conn.execute(sa.text(stmt))
        return sql

    def secure_rows(self) -> list[str]:
        """Put every scoped layer present under its row-level security policy (the
        town's DBA, ``townbrain db secure``; the store does it too when it makes one).
        Run by the tables' owner; returns the statements run."""
        with self._begin() as conn:
            return [stmt for name in sorted(row_scope.SCOPED_LAYERS) for stmt in self._secure(conn, name)]

    def row_security(self, role: str | None = None) -> dict:
        """What binds whom: for each scoped layer present, whether its policy is on and
        forced; and whether ``role`` (default: the store's own) is bound at all — a
        superuser or a BYPASSRLS role never is."""
        with self._begin() as conn:
            who = conn.execute(sa.text("SELECT rolname, rolsuper, rolbypassrls FROM pg_roles "
                                       "WHERE rolname = coalesce(:r, current_user)"), {"r": role}).first()
            rows = conn.execute(sa.text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
                "EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = :p) "
                "FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' "
                "AND c.relname = ANY(:names)"), {"p": row_scope.POLICY, "names": sorted(row_scope.SCOPED_LAYERS)})
            layers = {r[0]: bool(r[1] and r[2] and r[3]) for r in rows}
        if who is None:
            raise StoreError(f"there is no PostgreSQL role {role!r}")
        return {"role": who[0], "bound": not (who[1] or who[2]), "layers": layers}

    def _drop(self, decl: Layer) -> None:
        with self._begin() as conn:
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{decl.name}" CASCADE'))

    # ---- reading -------------------------------------------------------------
    def _conditions(self, decl: Layer, flt: Filter) -> str:
        conds = [c for c in [render_where(flt, _time_literal, _bool_literal)] if c]
        if flt.bbox is not None:
            minx, miny, maxx, maxy = flt.bbox
            conds.append(f"{_GEOM} && ST_MakeEnvelope({minx!r}, {miny!r}, {maxx!r}, {maxy!r}, 4326)")
        return (" WHERE " + " AND ".join(conds)) if conds else ""

    def _read(self, decl, flt, columns, limit, points):
        cols = columns if columns is not None else list(self._table_columns(decl.name) or ())
        select = [f'"{c}"' for c in cols]
        if decl.geometry is not None:
            # points: the raw geometry (PostGIS's binary send is EWKB, cheaper for the
            # server than two ST_X/ST_Y calls) decoded by _ewkb_points below.
            select += [f"{_GEOM} AS _geom"] if points else [f"ST_AsBinary({_GEOM}) AS _wkb"]
        sql = f'SELECT {", ".join(select) or "1"} FROM "{decl.name}"{self._conditions(decl, flt)}'
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._arrow(sql, decl.name) as reader:
            if decl.geometry is None:
                return to_pandas(reader.read_all())
            if points:
                return _points_frame(reader)
            table = reader.read_all()
        wkb = table.column("_wkb").to_numpy(zero_copy_only=False)
        df = to_pandas(table.drop_columns(["_wkb"]))
        with gc_paused():
            geoms = shapely.from_wkb(wkb)
        return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"))

    def _count(self, decl, flt):
        with self._begin(decl.name) as conn:
            return conn.execute(sa.text(f'SELECT count(*) FROM "{decl.name}"{self._conditions(decl, flt)}')).scalar()

    # ---- writing -------------------------------------------------------------
    def _copy(self, conn, table: str, df: pd.DataFrame, decl: Layer) -> list[str]:
        cols = [c for c in df.columns if c != "geometry"]
        out = pd.DataFrame({c: _csv_column(df[c]) for c in cols}, index=df.index)
        names = [f'"{c}"' for c in cols]
        if decl.geometry is not None and "geometry" in df.columns:
            geoms = shapely.set_srid(np.asarray(df.geometry.values, dtype=object), 4326)
            out[_GEOM] = shapely.to_wkb(geoms, hex=True, include_srid=True)
            names.append(_GEOM)
        buf = io.StringIO()
        out.to_csv(buf, header=False, index=False, na_rep="")
        _copy_rows(conn.connection.driver_connection, table, names, " WITH (FORMAT csv)",
                   lambda cp: cp.write(buf.getvalue()))
        return names

    def _insert(self, decl, df, upsert):
        import psycopg
        try:
            with self._begin(decl.name) as conn:
                if not upsert or not decl.id_field:
                    self._copy(conn, decl.name, df, decl)
                    return
                tmp = f"_tmp_{decl.name}"
                conn.execute(sa.text(f'CREATE TEMP TABLE "{tmp}" (LIKE "{decl.name}" INCLUDING DEFAULTS) ON COMMIT DROP'))
                names = self._copy(conn, tmp, df, decl)
                sets = ", ".join(f"{n} = EXCLUDED.{n}" for n in names if n != f'"{decl.id_field}"')
                conflict = f"DO UPDATE SET {sets}" if sets else "DO NOTHING"
                conn.execute(sa.text(f'INSERT INTO "{decl.name}" ({", ".join(names)}) '
                                     f'SELECT {", ".join(names)} FROM "{tmp}" '
                                     f'ON CONFLICT ("{decl.id_field}") {conflict}'))
        except (psycopg.errors.UniqueViolation, sa.exc.IntegrityError) as exc:
            raise StoreError(f"an id already exists in {decl.name!r}; use upsert to replace "
                             f"({str(exc).splitlines()[0]})") from exc

    def _insert_together(self, items):
        """One transaction, one COPY per layer (Store.append_together)."""
        import psycopg
        try:
            with self._begin(*(decl.name for decl, _df in items)) as conn:
                for decl, df in items:
                    self._copy(conn, decl.name, df, decl)
        except (psycopg.errors.UniqueViolation, sa.exc.IntegrityError) as exc:
            raise StoreError(f"an id already exists ({str(exc).splitlines()[0]})") from exc

    def append_records_together(self, rows):
        """Records straight into COPY (no frames): one transaction, one COPY per layer.
        Values are normalised as frame_to_storage does for frames: times whole
        seconds, geometry EWKB with SRID 4326, the layer's write stamp set.

        The live intake's hot path: it runs on a connection the calling thread keeps
        (no pool check-out and pre-ping per transaction; each is a round trip, and
        under load a round trip also waits for the GIL). A connection the server
        dropped is thrown away, and the next call opens a new one."""
        import psycopg
        from geodata.store import STAMPED
        items = [(self._ensure_records(name, recs), recs) for name, recs in rows.items() if recs]
        if not items:
            return 0
        now = pd.Timestamp(self.clock()).floor("s").to_pydatetime()
        tz = _zone()
        conn = self._copy_begin(self._scope_sql(local=True) if _scoped(rows) else None)
        try:
            for (decl, cols), recs in items:
                names = [f'"{c}"' for c in cols] + ([_GEOM] if decl.geometry is not None else [])
                stamp = STAMPED.get(decl.name)

                def write(cp, decl=decl, cols=cols, recs=recs, stamp=stamp):
                    wkb = _ewkb_hex([r.get("geometry") for r in recs]) if decl.geometry is not None else None
                    for i, r in enumerate(recs):
                        row = [now if c == stamp else _pg_value(r.get(c), tz) for c in cols]
                        if wkb is not None:
                            row.append(wkb[i])
                        cp.write_row(row)
                _copy_rows(conn, decl.name, names, "", write)
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.broken or conn.closed or isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
                self._drop_copy_connection()
            else:
                with contextlib.suppress(psycopg.Error):
                    conn.execute("ROLLBACK")
            if isinstance(exc, psycopg.errors.UniqueViolation):
                raise StoreError(f"an id already exists ({str(exc).splitlines()[0]})") from exc
            if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
                raise StoreUnavailable(f"cannot reach PostGIS at {self._redacted()}: {str(exc).splitlines()[0]}") from exc
            raise
        return sum(len(r) for _, r in items)

    def _copy_begin(self, then: str | None = None):
        """This thread's own connection (autocommit; opened on first use) with a
        transaction begun, and ``then`` run in it (the scope's ``set_config``, local to
        the transaction: in the same round trip). A kept connection the server dropped
        since its last use fails on BEGIN, before any data is sent: it is replaced once."""
        import psycopg
        for attempt in (0, 1):
            conn = getattr(self._local, "copy", None)
            kept = conn is not None and not (conn.closed or conn.broken)
            if not kept:
                try:
                    conn = psycopg.connect(self._libpq_url, autocommit=True, **_KEEPALIVE)
                except psycopg.Error as exc:
                    raise StoreError(f"cannot reach PostGIS at {self._redacted()}: "
                                     f"{str(exc).splitlines()[0]}") from exc
                self._local.copy = conn
            try:
                conn.execute("BEGIN" + (f"; {then}" if then else ""))
                return conn
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                self._drop_copy_connection()
                if not kept or attempt:
                    raise StoreError(f"cannot reach PostGIS at {self._redacted()}: "
                                     f"{str(exc).splitlines()[0]}") from exc

    def _drop_copy_connection(self) -> None:
        conn = getattr(self._local, "copy", None)
        self._local.copy = None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def _update(self, decl, df):
        tmp = f"_upd_{decl.name}"
        cols = [c for c in df.columns if c != decl.id_field]
        if not cols:
            return 0
        with self._begin(decl.name) as conn:
            kinds = self._table_columns(decl.name)
            typed = ", ".join(f'"{c}" {_SQL_TYPES[kinds[c]]}' for c in df.columns)
            conn.execute(sa.text(f'CREATE TEMP TABLE "{tmp}" ({typed}) ON COMMIT DROP'))
            self._copy(conn, tmp, df, decl)
            sets = ", ".join(f'"{c}" = u."{c}"' for c in cols)
            res = conn.execute(sa.text(f'UPDATE "{decl.name}" t SET {sets} FROM "{tmp}" u '
                                       f'WHERE t."{decl.id_field}" = u."{decl.id_field}"'))
            return res.rowcount

    def _append_chained(self, decl, build):
        """Store.append_chained: one transaction holding an advisory lock on the
        layer's name (any role may take one; LOCK TABLE would need UPDATE rights)."""
        with self._begin() as conn:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"townbrain.chain.{decl.name}"})
            last = conn.execute(sa.text(f'SELECT * FROM "{decl.name}" ORDER BY "seq" DESC LIMIT 1')).mappings().first()
            record = build(dict(last) if last is not None else None)
            cols = list(record)
            names = ", ".join(f'"{c}"' for c in cols)
            conn.execute(sa.text(f'INSERT INTO "{decl.name}" ({names}) '
                                 f'VALUES ({", ".join(f":v{i}" for i in range(len(cols)))})'),
                         {f"v{i}": record[c] for i, c in enumerate(cols)})
        return record

    def _protect_append_only(self, decl, keep_days):
        """A trigger refusing UPDATE, TRUNCATE and the DELETE of a record younger
        than ``keep_days``; a unique index on ``seq``. Privileges are the second lock:
        :meth:`grant_append_only`."""
        name, tf = decl.name, decl.time_field
        with self._begin() as conn:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('townbrain.schema'))"))
            conn.execute(sa.text(f'CREATE UNIQUE INDEX IF NOT EXISTS "ux_{name}_seq" ON "{name}" ("seq")'))
            conn.execute(sa.text(f"""
                CREATE OR REPLACE FUNCTION "{name}_append_only"() RETURNS trigger LANGUAGE plpgsql AS $f$
                BEGIN
                  IF TG_OP = 'DELETE' AND OLD."{tf}" < now() - interval '{keep_days} days' THEN
                    RETURN OLD;
                  END IF;
                  RAISE EXCEPTION '{name} is append-only (records are kept {keep_days} days)';
                END $f$"""))
            conn.execute(sa.text(f'DROP TRIGGER IF EXISTS "{name}_append_only" ON "{name}"'))
            conn.execute(sa.text(f'CREATE TRIGGER "{name}_append_only" BEFORE UPDATE OR DELETE ON "{name}" '
                                 f'FOR EACH ROW EXECUTE FUNCTION "{name}_append_only"()'))
            conn.execute(sa.text(f'DROP TRIGGER IF EXISTS "{name}_no_truncate" ON "{name}"'))
            conn.execute(sa.text(f'CREATE TRIGGER "{name}_no_truncate" BEFORE TRUNCATE ON "{name}" '
                                 f'FOR EACH STATEMENT EXECUTE FUNCTION "{name}_append_only"()'))

    def grant_append_only(self, name: str, role: str) -> list[str]:
        """Let the PostgreSQL ``role`` (the app's login role) only add to and read
        layer ``name``: GRANT INSERT, SELECT; REVOKE UPDATE, DELETE, TRUNCATE.
        Run by the database owner; returns the statements run."""
        from geodata.frames import check_identifier
        check_identifier(name)
        if not role.replace("_", "").isalnum():
            raise StoreError(f"{role!r} is not a plain PostgreSQL role name")
        sql = [f'GRANT INSERT, SELECT ON "{name}" TO "{role}"',
               f'REVOKE UPDATE, DELETE, TRUNCATE ON "{name}" FROM "{role}"']
        with self._begin() as conn:
            for stmt in sql:
                conn.execute(sa.text(stmt))
        return sql

    def _delete(self, decl, flt):
        with self._begin(decl.name) as conn:
            return conn.execute(sa.text(f'DELETE FROM "{decl.name}"{self._conditions(decl, flt)}')).rowcount


def _zone():
    from geodata import config
    return config.timezone()


def _scoped(tables) -> bool:
    return any(t in row_scope.SCOPED_LAYERS for t in tables)


def _adbc_run(con, sql: str) -> None:
    cur = con.cursor()
    try:
        cur.execute(sql)
        cur.fetchall()
    finally:
        cur.close()


def _copy_rows(pg, table: str, names: list[str], options: str, write) -> None:
    """COPY rows (``write(copy)`` sends them) into ``table`` on psycopg connection ``pg``,
    inside its transaction. PostgreSQL refuses COPY FROM into a table whose row-level
    security binds the writer ("COPY FROM not supported with row-level security"):
    then the rows go into a temporary table by COPY and on by one INSERT … SELECT,
    which the policy checks row by row."""
    target = table
    if table in row_scope.SCOPED_LAYERS and \
            pg.execute("SELECT row_security_active(%s)", [f'"{table}"']).fetchone()[0]:
        target = f"_rls_{table}"
        pg.execute(f'CREATE TEMP TABLE "{target}" (LIKE "{table}" INCLUDING DEFAULTS) ON COMMIT DROP')
    cols = ", ".join(names)
    with pg.cursor() as cur, cur.copy(f'COPY "{target}" ({cols}) FROM STDIN{options}') as cp:
        write(cp)
    if target != table:
        pg.execute(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM "{target}"')
        pg.execute(f'DROP TABLE "{target}"')


def _pg_value(v, tz=None):
    """A record's value for COPY: NULL for missing, times to whole seconds (naive =
    the configured zone, ``tz`` when given), numpy scalars as Python ones."""
    if v is None or v is pd.NaT or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, datetime.datetime):
        if v.tzinfo is not None:  # floor to the second without pandas arithmetic (the intake's path)
            if isinstance(v, pd.Timestamp):
                v = v.to_pydatetime(warn=False)
            return v.replace(microsecond=0)
        t = pd.Timestamp(v)
        if t.tzinfo is None:
            t = t.tz_localize(tz or _zone())
        return t.floor("s").to_pydatetime()
    if isinstance(v, np.generic):
        return v.item()
    return v


def _ewkb_hex(geoms: list) -> list:
    """Hex EWKB (SRID 4326) of each geometry, ``None`` kept; vectorised."""
    arr = np.array(geoms, dtype=object)
    ok = np.array([g is not None for g in geoms], dtype=bool)
    out = np.full(len(geoms), None, dtype=object)
    if ok.any():
        out[ok] = shapely.to_wkb(shapely.set_srid(arr[ok], 4326), hex=True, include_srid=True)
    return out.tolist()


def _csv_column(s: pd.Series) -> pd.Series:
    """A column as COPY-csv text: times ISO with offset, booleans t/f, NULL empty."""
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return s.dt.strftime("%Y-%m-%dT%H:%M:%S%z").where(s.notna(), None)
    if isinstance(s.dtype, pd.BooleanDtype) or pd.api.types.is_bool_dtype(s):
        return s.map({True: "t", False: "f"}).where(s.notna(), None)
    return s


_EWKB_POINT = np.dtype([("order", "u1"), ("type", "<u4"), ("srid", "<u4"), ("x", "<f8"), ("y", "<f8")])
_EWKB_POINT_SRID = 0x20000001  # wkbPoint with the EWKB "has SRID" flag


def _ewkb_points(column: pa.ChunkedArray) -> np.ndarray:
    """Points from a column of EWKB values, chunk by chunk (no copy of the column).

    When every value of a chunk is a little-endian 2D point with SRID (25 bytes
    each, which is what PostGIS sends for a POINT column), the coordinates are read
    straight out of Arrow's data buffer as a packed record array; anything else goes
    through shapely.from_wkb.
    """
    with gc_paused():
        parts = [_ewkb_chunk_points(chunk) for chunk in column.chunks]
    return np.concatenate(parts) if parts else np.empty(0, dtype=object)


def _ewkb_chunk_points(arr: pa.Array) -> np.ndarray:
    if isinstance(arr, pa.ExtensionArray):
        arr = arr.storage
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset:arr.offset + n + 1]
    lengths = np.diff(offsets)
    data = arr.buffers()[2]
    valid = lengths > 0
    all_valid = bool(valid.all())
    if data is not None and np.all(lengths[valid] == _EWKB_POINT.itemsize):
        rec = np.frombuffer(data, dtype=np.uint8)[offsets[0]:offsets[-1]].view(_EWKB_POINT)
        if (rec["order"] == 1).all() and (rec["type"] == _EWKB_POINT_SRID).all():
            if all_valid:
                x, y = np.ascontiguousarray(rec["x"]), np.ascontiguousarray(rec["y"])
            else:
                x, y = np.full(n, np.nan), np.full(n, np.nan)
                x[valid], y[valid] = rec["x"], rec["y"]
            pts = shapely.points(x, y)
            missing = np.isnan(x)
            if missing.any():
                pts[missing] = None  # NULL geometry, or POINT EMPTY
            return pts
    return shapely.from_wkb(arr.to_numpy(zero_copy_only=False))


def _points_frame(reader: pa.RecordBatchReader) -> gpd.GeoDataFrame:
    """A point GeoDataFrame from batches with a ``_geom`` EWKB column.

    The whole result is fetched first and the points built in one call: on two
    cores, overlapping the two (a reader thread) measured slower, as the server,
    the driver's decoding and GEOS then compete for the same cores.
    """
    table = reader.read_all()
    pts = _ewkb_points(table.column("_geom"))
    df = to_pandas(table.drop_columns(["_geom"]))
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(pts, crs="EPSG:4326"))
