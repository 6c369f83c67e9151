"""environment.yml gives conda users the same environment as pyproject.toml."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: PyPI name → conda-forge name, where they differ.
CONDA_NAMES = {"h3": "h3-py"}


def _req(spec: str) -> tuple[str, str]:
    """('name', 'version spec') of a requirement, extras dropped, names normalised."""
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)$", spec)
    return m.group(1).lower().replace("_", "-"), m.group(3).strip()


def _environment() -> tuple[dict, dict]:
    conda, pip, in_pip = {}, {}, False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if re.match(r"^\s+- pip:\s*$", line):
            in_pip = True
            continue
        m = re.match(r"^(\s+)- ([^#\s][^#]*?)\s*$", line)
        if not m or m.group(2) in ("pip", "conda-forge"):
            continue
        if in_pip and len(m.group(1)) > 2:
            name, ver = _req(m.group(2))
            pip[name] = ver
        else:
            in_pip = False
            name, ver = _req(m.group(2).replace("=", "==", 1) if re.search(r"[^<>=!]=[^=]", m.group(2)) else m.group(2))
            conda[name] = ver
    return conda, pip


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [_req(s) for s in project["dependencies"] + project["optional-dependencies"]["test"]]
    conda, pip = _environment()
    problems = []
    for name, ver in wanted:
        cname = CONDA_NAMES.get(name, name)
        if cname in conda:
            got = conda[cname]
        elif name in pip:
            got = pip[name]
        else:
            problems.append(f"{name} is in pyproject.toml but not in environment.yml")
            continue
        if got != ver:
            problems.append(f"{name}: pyproject says {ver!r}, environment.yml {got!r}")
    known = {CONDA_NAMES.get(n, n) for n, _ in wanted} | {n for n, _ in wanted}
    for name in [*conda, *pip]:
        if name not in known and name not in ("python", "pip"):
            problems.append(f"{name} is in environment.yml but not in pyproject.toml")
    assert not problems, "\n".join(problems)


def test_console_script_is_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["townbrain"] == "townbrain.cli:main"
