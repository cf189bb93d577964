"""The layering is checked by a tool: the import-linter contracts of pyproject.toml hold, and they catch an
upward import in each layer they guard (a copy of the package with one forbidden import per contract)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.helpers import REPO

pytest.importorskip("importlinter", reason="import-linter checks the layers (in the test lock)")


def _lint(cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **({"PYTHONPATH": str(pythonpath)} if pythonpath else {})}
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def _contracts() -> dict[str, dict]:
    doc = tomllib.loads((REPO / "pyproject.toml").read_text())
    return {c["id"]: c for c in doc["tool"]["importlinter"]["contracts"]}


def test_the_contracts_hold_on_the_code():
    r = _lint(REPO)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 broken" in r.stdout


def test_the_contracts_name_the_layers_the_design_asks_for():
    c = _contracts()
    assert {"org.engine"} == set(c["engine-pure"]["source_modules"])
    assert {
        "org.bus",
        "org.identity",
        "org.adrs",
        "org.agents",
        "org.tui",
        "org.cli",
        "sqlalchemy",
        "litellm",
        "textual",
    } <= set(c["engine-pure"]["forbidden_modules"])
    assert "org.engine" in c["config-bottom"]["forbidden_modules"]
    assert {"org.identity", "org.agents", "org.tui"} <= set(c["bus-below-identity"]["forbidden_modules"])
    assert {"org.tui", "org.agents"} == set(c["bus-internals"]["source_modules"])
    for cid in ("workspaces", "runtime", "gateway"):
        assert c[cid]["source_modules"] in ([f"org.{cid}"], [f"org.{cid}.**"])  # ** while it has not landed
    # No contract quietly waves a violation through (BusPort's waiter went with the one door, issue 22 item 1).
    ignored = [i for x in c.values() for i in x.get("ignore_imports", [])]
    assert ignored == [], ignored


PROBES = {
    # contract id: (file added to a copy of the package, its upward import)
    "config-bottom": ("org/config/_probe.py", "from org.engine import proofs\n"),
    "engine-pure": ("org/engine/_probe.py", "import sqlalchemy\nfrom org.bus import Bus\n"),
    "bus-below-identity": ("org/bus/_probe.py", "from org.identity import files\n"),
    "bus-internals": ("org/tui/_probe.py", "from org.bus.store import Store\n"),
    "new-services": ("org/engine/_probe2.py", "from org.workspaces import repo\n"),
    "workspaces": ("org/workspaces/repo.py", "from org.tui import app\n"),
    "runtime": ("org/runtime/sandbox.py", "from org.bus.store import Store\n"),
    "gateway": ("org/gateway/proxy.py", "import textual\n"),
    "mcp": ("org/mcp/tools.py", "from org.bus import Bus\n"),
    "mcp-sdk": ("org/cli/mcp_cmds.py", "import mcp\n"),
    "telemetry": ("org/telemetry/ids.py", "from org.bus import Bus\n"),
    "otel-sdk": ("org/agents/runner.py", "from opentelemetry import trace\n"),
}


def test_each_contract_catches_an_upward_import(tmp_path):
    """Attack: one forbidden import per contract in a copy of the package; every contract must break and
    name the import (the upward arrows this issue removed would be reported the same way)."""
    assert set(PROBES) == set(_contracts()), "every contract has its probe here"
    shutil.copytree(REPO / "org", tmp_path / "org", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    for pkg in ("workspaces", "runtime", "gateway"):
        init = tmp_path / "org" / pkg / "__init__.py"
        init.parent.mkdir(exist_ok=True)
        if not init.exists():
            init.write_text(f'"""org.{pkg} (a probe)."""\n')
    for path, line in PROBES.values():
        p = tmp_path / path
        p.write_text((p.read_text() if p.exists() else '"""A probe."""\n') + line)
    r = _lint(tmp_path, pythonpath=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    broken = r.stdout.count("BROKEN")
    assert broken == len(PROBES), r.stdout
    for path, _ in PROBES.values():
        assert path.removesuffix(".py").replace("/", ".") in r.stdout, (path, r.stdout)
