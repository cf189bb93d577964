"""Shared fixtures: the repository root, a loaded default org, and a runner for the real CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def cfg():
    from org.config.loader import load_org

    return load_org(REPO)


@pytest.fixture
def org_copy(tmp_path: Path) -> Path:
    """A writable copy of the default org."""
    for d in ("lanes", "gates", "adrs"):
        if (REPO / d).is_dir():
            shutil.copytree(REPO / d, tmp_path / d, ignore=shutil.ignore_patterns(".index*"))
    return tmp_path


def run_org(*args: str, root: Path | None = None, env: dict | None = None, input: str | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real `org` entry point in a subprocess."""
    e = {**os.environ, **(env or {})}
    if root is not None:
        e["ORG_ROOT"] = str(root)
    return subprocess.run([sys.executable, "-m", "org", *args], capture_output=True, text=True, env=e,
                          input=input, timeout=timeout, cwd=str(root or REPO))


@pytest.fixture
def org_cli():
    return run_org
