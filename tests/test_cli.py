"""The townbrain command as a user runs it: a real process, its output and exit status."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from geodata.schema import LAYERS


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "townbrain.cli", *args], capture_output=True, text=True,
                          timeout=300, env=env)


def test_every_subcommand_has_help():
    for cmd in ["load", "schema", "layers", "demo", "simulate", "serve", "bench"]:
        r = run(cmd, "--help")
        assert r.returncode == 0, r.stderr
        assert "Usage" in r.stdout


def test_schema_json_is_the_dictionary():
    r = run("schema", "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    for name, decl in LAYERS.items():
        assert [x["field"] for x in rows if x["layer"] == name] == decl.field_names
    source = next(x for x in rows if x["layer"] == "cases" and x["field"] == "source")
    assert source["codes"] == "inspector, citizen, hotline, iot, department"


@pytest.mark.parametrize("args, says", [
    (["layers", "--db", "/nonexistent/town.gpkg"], "does not exist"),
    (["load", "x.csv", "--layer", "nonsense"], "unknown layer"),
    (["load", "x.csv", "--layer", "cases", "--map", "case_id"], "FIELD=SOURCE"),
    (["schema", "--layer", "nope"], "unknown layer"),
])
def test_bad_input_is_one_sentence_and_exit_1(args, says, tmp_path):
    r = run(*args)
    assert r.returncode == 1
    assert says in r.stderr
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout
