"""A newcomer's first day, for real: build the wheel, install it into a fresh virtual environment, `org init` in
an empty folder, then walk the README's commands there (issue 20's 'done when')."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.helpers import REPO

pytestmark = pytest.mark.slow

# README sections whose ```sh blocks are walked, in the order a newcomer meets them
SECTIONS = [
    "## Quick start",
    "## Your own org",
    "## What the demo shows",
    "## A tour",
    "### The work bus",
    "### Decisions (ADRs)",
]
SKIP = re.compile(r"\borg (tui|sim)\b")  # interactive; the simulator has its own tests


def _commands(text: str, myorg: str = "/tmp/myorg") -> list[tuple[str, int]]:
    """(command, expected exit) for every `.ci/dev org` line of the walked sections' sh blocks."""
    out: list[tuple[str, int]] = []
    for title in SECTIONS:
        start = text.index("\n" + title + "\n")
        block = re.search(r"```sh\n(.*?)```", text[start:], re.S).group(1)
        for line in block.splitlines():
            code, _, comment = line.partition("  #")
            if line.lstrip().startswith("#"):
                m = re.search(r"\(exit (\d)\)\s*$", line)
                if m and out:  # a comment line naming the exit of the command above it
                    out[-1] = (out[-1][0], int(m.group(1)))
                continue
            if ".ci/dev org" not in code or SKIP.search(code):
                continue
            m = re.match(r"\s*exit (\d)\b", comment)
            out.append(
                (
                    code.strip().replace(".ci/dev org", "org").replace("/tmp/myorg", myorg),
                    int(m.group(1)) if m else 0,
                )
            )
    return out


def test_readme_commands_on_a_fresh_org_from_the_installed_wheel(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(
        REPO / "org", src / "org", ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".index*")
    )
    wheels = tmp_path / "wheels"
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(src)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    wheel = next(wheels.glob("org-*.whl"))

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # the dependencies come from the test environment (offline); org itself only from the wheel
    (site / "zz_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    r = subprocess.run(
        [py, "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-3000:]

    home = tmp_path / "neworg"
    home.mkdir()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("ORG_ROOT", "ORG_DATABASE_URL", "ORG_TOKEN"))
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    env.pop("PYTHONPATH", None)

    def sh(cmd: str, **kw) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", "-c", cmd], capture_output=True, text=True, cwd=home, env={**env, **kw}, timeout=600
        )

    where = sh("python -c 'import org; print(org.__file__)'")
    assert where.stdout.startswith(str(venv)), where.stdout  # the wheel's org, not the checkout's
    assert sh("org --version").stdout.strip() == "org 0.1.0"
    r = sh("org init")
    assert r.returncode == 0, r.stderr
    adrs = sorted(p.name[:4] for p in (home / "adrs").glob("*.md"))
    assert adrs == [f"{n:04d}" for n in range(1, len(adrs) + 1)] and 3 <= len(adrs) <= 10, adrs
    assert sh("org validate").returncode == 0

    values: dict[
        str, str
    ] = {}  # shell variables the README sets (AGENT=$(...)), and JOB/JOBTOKEN from the claim
    walked = 0
    for cmd, expect in _commands((REPO / "README.md").read_text(), str(tmp_path / "myorg")):
        for name in ("JOBTOKEN", "JOB"):
            if name in values:
                cmd = re.sub(rf"\b{name}\b", values[name], cmd)
        assign = re.match(r"^([A-Z_]+)=\$\(", cmd)
        r = sh(cmd + (f'\nprintf "%s" "${assign.group(1)}"' if assign else ""), **values)
        assert "Traceback" not in r.stderr, (cmd, r.stderr)
        assert r.returncode == expect, (cmd, r.returncode, r.stdout[-1500:], r.stderr[-1500:])
        if assign:
            values[assign.group(1)] = r.stdout.strip()
        if " claim " in cmd and "--json" in cmd:
            claim = json.loads(r.stdout)
            values.update(JOB=str(claim["job"]), JOBTOKEN=claim["token"])
        walked += 1
    assert walked >= 15 and "JOB" in values, walked
