"""Types a tool checks: mypy over org/ with pyproject.toml's configuration (strict in the engine, config and
errors, every module of them) is clean, and its ratchet (modules elsewhere whose errors are still ignored) only
ever shrinks."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.helpers import REPO

pytest.importorskip("mypy", reason="mypy checks the types (in the test lock)")

# The longest the ratchet may be (issue 22 item 4, December 2026). Fix a module, take it out of
# pyproject.toml and out of here; never add one.
MAX_UNTYPED = {
    "org.agents.adrctx",
    "org.agents.host",
    "org.agents.jobwork",
    "org.agents.llm",
    "org.agents.localmodel",
    "org.agents.localwriter",
    "org.agents.prompts",
    "org.agents.session",
    "org.agents.standin",
    "org.sim.answer",
    "org.sim.behaviour",
    "org.sim.calls",
    "org.sim.explain",
    "org.sim.models",
    "org.sim.orgbuild",
    "org.sim.present",
    "org.sim.scenario",
    "org.sim.world",
}


STRICT = ("org.engine.", "org.config.", "org.errors")


def _overrides() -> list[dict]:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["mypy"]["overrides"]


def _ratchet() -> set[str]:
    ignored = [set(o["module"]) for o in _overrides() if o.get("ignore_errors")]
    assert len(ignored) == 1, "one ratchet: the modules outside the engine and config not yet typed"
    return ignored[0]


def _cache_dir() -> Path:
    """mypy's cache where a fresh clone finds it again (CI clones afresh): under the user's cache folder, not the
    clone. mypy checks each cached module against its source's hash, so a cache another clone or worktree made
    is used only where it is still true (a warm run takes ~2-4 s instead of ~13 s cold on a quiet machine)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "org" / "mypy"


def test_mypy_is_clean_on_org():
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--cache-dir", str(_cache_dir())],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]


def test_the_engine_and_config_are_strict_without_exception():
    """No module of the engine, config or errors is exempt from the strict flags (no override loosens one)."""
    overrides = _overrides()
    strict = [o for o in overrides if o.get("disallow_untyped_defs")]
    assert len(strict) == 1 and set(strict[0]["module"]) == {"org.engine.*", "org.config.*", "org.errors"}
    for o in overrides:
        if o is strict[0]:
            continue
        loosened = [m for m in o["module"] if m.startswith(STRICT) or m.rstrip(".*") == "org"]
        assert not loosened, f"an override reaches the strict packages: {loosened} ({o})"


def test_the_ratchet_only_shrinks():
    untyped = _ratchet()
    assert untyped <= MAX_UNTYPED, f"added to the untyped ratchet: {untyped - MAX_UNTYPED}"
    for m in untyped:  # a module that is gone leaves its ratchet
        assert importlib.util.find_spec(m) is not None, f"{m} no longer exists: take it out of pyproject.toml"
