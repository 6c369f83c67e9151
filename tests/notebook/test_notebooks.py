"""The example notebooks of docs/notebooks run top to bottom (nbclient, on a kernel of
this venv) against the fixture town; their KPI figures equal ``townbrain kpi --json``
for the same period; no output names an outside host; every output is under the cap;
and a map output, saved as a file, draws in Chromium with every outside request blocked."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.exports.test_html_map import chrome  # noqa: F401 - the offline-map tests' headless Chromium
from tests.notebook.urls import foreign_urls
from townbrain.nb_map import OUTPUT_CAP_BYTES

NOTEBOOKS = Path(__file__).resolve().parents[2] / "docs" / "notebooks"
#: The KPI frames each notebook leaves in its namespace, checked against the CLI.
KPI_FRAMES = {"grid_month": ["month", "by_grid", "grid_month"], "inspectors_3510": ["month", "by_district"],
              "surge_investigation": ["surge_kpi"]}
#: Appended to the notebook in the test only: prints the KPI frames as JSON.
PROBE = """import json as _j
print("TB-PROBE" + _j.dumps({_n: {"period": globals()[_n].attrs["period"], "by": globals()[_n].attrs["by"],
    "rows": {str(_i): _r for _i, _r in globals()[_n].astype(object).where(globals()[_n].notna(), None)
             .to_dict("index").items()}} for _n in %r}, default=str))"""


def run_notebook(path: Path, db: str, monkeypatch) -> tuple:
    import nbformat
    from nbclient import NotebookClient
    monkeypatch.setenv("TOWNBRAIN_DB", db)
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE % (KPI_FRAMES[path.stem],)))
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    probe = nb.cells.pop()
    text = "".join(o.get("text", "") for o in probe.outputs if o.output_type == "stream")
    return nb, json.loads(text.split("TB-PROBE", 1)[1])


@pytest.fixture(scope="module")
def executed(themed_town, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    try:
        out = {p.stem: run_notebook(p, themed_town, mp) for p in sorted(NOTEBOOKS.glob("*.ipynb"))}
    finally:
        mp.undo()
    folder = tmp_path_factory.mktemp("executed")
    import nbformat
    for name, (nb, _) in out.items():
        nbformat.write(nb, folder / f"{name}.ipynb")
    return out


def outputs(nb):
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            yield cell, o


def output_text(o) -> str:
    if o.output_type == "stream":
        return o.text
    if o.output_type == "error":
        return "\n".join(o.traceback)
    return "".join(v if isinstance(v, str) else json.dumps(v) for v in o.get("data", {}).values())


def test_the_three_notebooks_are_there_with_both_languages():
    names = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    assert names == sorted(KPI_FRAMES)
    import nbformat
    for p in NOTEBOOKS.glob("*.ipynb"):
        nb = nbformat.read(p, as_version=4)
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in c) and any(ch.isascii() and ch.isalpha() for ch in c)
                   for c in code if c.lstrip().startswith("#")), p.name
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), f"{p.name} is stored executed"


def test_notebooks_run_without_errors(executed):
    for name, (nb, _) in executed.items():
        errors = [output_text(o) for _, o in outputs(nb) if o.output_type == "error"]
        assert errors == [], (name, errors)


def test_notebook_kpis_equal_the_cli(executed, themed_town):
    exe = Path(sys.executable).parent / "townbrain"
    checked = 0
    for name, (_, probe) in executed.items():
        for frame, got in probe.items():
            p = got["period"]
            cmd = [exe, "kpi", "--db", themed_town, "--from", p["from"], "--to", p["to"], "--as-of", p["as_of"],
                   "--json"] + (["--by", got["by"]] if got["by"] else [])
            cli = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
            groups = cli["groups"] if got["by"] else {"0": cli}
            for unit, row in got["rows"].items():
                want = groups[unit]
                for key, v in want.items():
                    if key == "period":
                        continue
                    parts = v.items() if isinstance(v, dict) else [(None, v)]
                    for part, w in parts:
                        col = f"{key}.{part}" if part else key
                        assert row[col] == (pytest.approx(w) if w is not None else None), (name, frame, unit, col)
                        checked += 1
    assert checked > 50


def test_no_output_names_another_host_and_each_is_under_the_cap(executed):
    sizes = []
    for name, (nb, _) in executed.items():
        for _, o in outputs(nb):
            text = output_text(o)
            assert foreign_urls(text) == [], (name, foreign_urls(text)[:3])
            sizes.append(len(json.dumps(o).encode()))
    assert max(sizes) < OUTPUT_CAP_BYTES


def map_outputs(executed):
    for name, (nb, _) in executed.items():
        for _, o in outputs(nb):
            page = o.get("data", {}).get("text/html", "")
            if "<iframe" in page and "srcdoc=" in page:
                yield name, page


def test_every_notebook_with_a_map_shows_it_as_an_iframe(executed):
    assert {n for n, _ in map_outputs(executed)} == {"grid_month", "surge_investigation"}


@pytest.mark.browser
def test_an_executed_notebooks_map_draws_offline_in_chromium(executed, chrome, tmp_path):
    from tests.exports.test_html_map import open_drawn, requested_urls
    from tests.notebook.test_map import srcdoc_of
    name, output = next(map_outputs(executed))
    path = tmp_path / f"{name}-map.html"
    path.write_text(srcdoc_of(output), encoding="utf-8")
    assert open_drawn(chrome, path) > 0
    urls = requested_urls(chrome)
    assert urls and all(u.startswith(("file:", "data:")) for u in urls), urls
    painted = chrome.execute_script("""
        var c = document.querySelector('#tb-map canvas'); var ctx = c.getContext('2d');
        var d = ctx.getImageData(0, 0, c.width, c.height).data; var n = 0;
        for (var i = 3; i < d.length; i += 4 * 97) { if (d[i] > 0) { n++; } } return n;""")
    assert painted > 100
    assert [e for e in chrome.get_log("browser") if e["level"] == "SEVERE"] == []
    # and inside the iframe as the notebook shows it: a host page holding only the output
    host = tmp_path / "host.html"
    host.write_text(f"<!DOCTYPE html><html><body>{output}</body></html>", encoding="utf-8")
    chrome.get(host.as_uri())
    chrome.switch_to.frame(chrome.find_element("tag name", "iframe"))
    import time
    end = time.monotonic() + 30
    while not chrome.execute_script("return window.__tbDrawn || null"):
        assert time.monotonic() < end, "the map in the iframe did not draw"
        time.sleep(0.05)
    chrome.switch_to.default_content()
