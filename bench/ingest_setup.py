"""What ``bench.ingest`` sets up around a run: a fresh PostGIS schema with the demo
town's polygons, the servers under test (``townbrain serve`` and the naive intake of
``bench.ingest_baseline``) as subprocesses with their logs in files, an API key,
and — for the fault run — a throw-away PostgreSQL cluster of its own that it
restarts mid-run (never the shared test server on 55432).
"""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from bench.ui import free_port

__all__ = ["free_port"]  # re-exported: the runs and the smoke test take their ports here

ROOT = Path(__file__).resolve().parents[1]
DEMO_GPKG = ROOT / "data" / "town.gpkg"
TOWN_LAYERS = ("districts", "grids", "pro_grids", "town", "categories")
PG_SCRIPT = ROOT / "scripts" / "pg_throwaway.sh"
EXE = ROOT / ".venv" / "bin" / "townbrain"


# ---- the store and the servers -------------------------------------------------------------------
def with_schema(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema},public"


def new_schema(pg: str, prefix: str = "ingest") -> tuple[str, str]:
    """Create an empty schema; returns (its name, a URL whose search_path is it)."""
    import psycopg
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    return schema, with_schema(pg, schema)


def drop_schema(pg: str, schema: str) -> None:
    import psycopg
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def load_town(url: str, source: str | Path = DEMO_GPKG, layers=TOWN_LAYERS) -> dict[str, int]:
    """The demo town's polygon layers and categories into the store at ``url``
    (the cases arrive through the API)."""
    from geodata.store import open_store
    src, dst = open_store(str(source)), open_store(url)
    try:
        dst.create_schema()
        return {name: dst.write(name, src.read(name), mode="replace")
                for name in layers if src.has_layer(name)}
    finally:
        src.close()
        dst.close()


def server_log(proc: subprocess.Popen) -> str:
    """The tail of a server's log file (its stderr)."""
    return Path(proc.log_path).read_text(errors="replace")[-2000:]


def spawn(cmd: list[str], name: str) -> subprocess.Popen:
    """Start a server with its stderr in a file: a pipe nobody reads fills up and
    blocks every thread that logs."""
    fd, path = tempfile.mkstemp(prefix=f"townbrain-{name}-", suffix=".log")
    # the load comes from one address with one key at 1,000 cases/s: above the API's
    # per-address and per-key limits (intake/limits.py), which this bench does not measure
    env = {"TOWNBRAIN_API_RATE_ADDRESS": "1000000/minute", "TOWNBRAIN_API_RATE_KEY": "1000000/minute",
           **os.environ}
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=fd, env=env)
    os.close(fd)
    proc.log_path = path
    return proc


def wait_health(port: int, proc: subprocess.Popen, timeout: float = 90.0) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited:\n{server_log(proc)}")
        try:
            if get_json(port, "/health").get("status") == "ok":
                return
        except (OSError, ValueError):
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"the server on port {port} did not answer /health within {timeout:.0f} s")


def start_townbrain(url: str, port: int) -> subprocess.Popen:
    cmd = [str(EXE) if EXE.exists() else "townbrain", "serve", "--db", url, "--host", "127.0.0.1",
           "--port", str(port)]
    proc = spawn(cmd, "serve")
    wait_health(port, proc)
    return proc


def start_baseline(url: str, schema: str, port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "bench.ingest_baseline", "--pg", url, "--schema", schema, "--port", str(port)]
    proc = spawn(cmd, "naive")
    wait_health(port, proc)
    return proc


def stop(proc: subprocess.Popen) -> str:
    """Stop a server; returns the tail of its log."""
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log = server_log(proc)
    os.unlink(proc.log_path)
    return log


def create_api_key(url: str, name: str = "bench-ingest") -> str:
    """A key from ``townbrain apikey create`` (the last word it prints)."""
    out = subprocess.run([str(EXE) if EXE.exists() else "townbrain", "apikey", "create", "--name", name,
                          "--db", url], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.split()[-1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, all its threads (Linux /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def get_json(port: int, path: str, timeout: float = 10.0):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return json.load(r)


def service_codes(port: int, api_key: str) -> list[str]:
    return [s["service_code"] for s in get_json(port, f"/open311/v2/services.json?api_key={api_key}")]


# ---- PostGIS of its own, restarted mid-run -----------------------------------------------------
def own_cluster(port: int, directory: str) -> tuple[str, dict]:
    """Start a throw-away cluster (``scripts/pg_throwaway.sh``) on ``port``; (URL, its env)."""
    env = {**os.environ, "TOWNBRAIN_PG_DIR": directory, "TOWNBRAIN_PG_PORT": str(port)}
    url = subprocess.run([str(PG_SCRIPT), "start"], env=env, capture_output=True, text=True,
                         check=True).stdout.strip()
    return url, env


def restart_at(seconds: float, env: dict):
    """A coroutine for :func:`bench.ingest_load.run_plan`: at ``seconds`` into the run,
    stop PostgreSQL (``pg_ctl stop -m fast``) and start it again; returns when."""
    async def restart(start: float) -> dict:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(max(0.0, start + seconds - loop.time()))
        marks = {"stop_begin_s": loop.time() - start}
        for step in ("stop", "start"):
            proc = await asyncio.create_subprocess_exec(str(PG_SCRIPT), step, env=env,
                                                        stdout=asyncio.subprocess.DEVNULL,
                                                        stderr=asyncio.subprocess.PIPE)
            _, err = await proc.communicate()
            if proc.returncode:
                raise SystemExit(f"pg_throwaway.sh {step} failed: {err.decode()[-500:]}")
            marks[f"{step}_end_s"] = loop.time() - start
        marks["outage_s"] = marks["start_end_s"] - marks["stop_begin_s"]
        return {k: round(v, 3) for k, v in marks.items()}
    return restart
