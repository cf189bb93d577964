"""Types a tool checks: mypy over org/ with pyproject.toml's configuration (strict in the engine, config and
errors) is clean, and its two ratchets (modules whose errors are still ignored) only ever shrink."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib

import pytest

from tests.helpers import REPO

pytest.importorskip("mypy", reason="mypy checks the types (in the test lock)")

# The longest each ratchet may be (issue 22 item 4, December 2026). Fix a module, take it out of
# pyproject.toml and out of here; never add one.
MAX_STRICT_PENDING = {
    "org.config.checks",
    "org.config.loader",
    "org.config.yamlsrc",
    "org.engine.memo",
}
MAX_UNTYPED = {
    "org.adrs.check",
    "org.adrs.constraints",
    "org.adrs.context",
    "org.adrs.index",
    "org.agents.adrctx",
    "org.agents.busport",
    "org.agents.host",
    "org.agents.jobwork",
    "org.agents.llm",
    "org.agents.localmodel",
    "org.agents.localwriter",
    "org.agents.prompts",
    "org.agents.standin",
    "org.agents.story",
    "org.bus._walk",
    "org.bus.api",
    "org.bus.decisions",
    "org.bus.driver",
    "org.bus.handback",
    "org.bus.models",
    "org.bus.redact",
    "org.bus.repofacts",
    "org.bus.store",
    "org.bus.submit",
    "org.bus.sweep",
    "org.bus.tasks",
    "org.bus.tx",
    "org.bus.usage",
    "org.bus.wake",
    "org.cli.bus_cmds",
    "org.identity.brokerd",
    "org.identity.tokens",
    "org.sim.answer",
    "org.sim.behaviour",
    "org.sim.calls",
    "org.sim.explain",
    "org.sim.models",
    "org.sim.orgbuild",
    "org.sim.present",
    "org.sim.scenario",
    "org.sim.world",
    "org.tui.app",
    "org.tui.data",
    "org.tui.principal",
    "org.tui.screens.adrs",
    "org.tui.screens.agents",
    "org.tui.screens.base",
    "org.tui.screens.board",
    "org.tui.screens.inbox",
    "org.tui.screens.timeline",
    "org.tui.widgets.fit",
    "org.workspaces.pipeline",
    "org.workspaces.repo",
    "org.agents.session",
    "org.cli._numbers",
    "org.cli.identity_cmds",
    "org.gateway.server",
    "org.identity.guard",
}


def _ratchets() -> tuple[set[str], set[str]]:
    overrides = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["mypy"]["overrides"]
    ignored = [set(o["module"]) for o in overrides if o.get("ignore_errors")]
    assert len(ignored) == 2, "two ratchets: strict-pending engine/config modules, and the rest"
    return ignored[0], ignored[1]


def test_mypy_is_clean_on_org():
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]


def test_the_ratchets_only_shrink():
    strict_pending, untyped = _ratchets()
    assert strict_pending <= MAX_STRICT_PENDING, (
        f"added to the strict ratchet: {strict_pending - MAX_STRICT_PENDING}"
    )
    assert untyped <= MAX_UNTYPED, f"added to the untyped ratchet: {untyped - MAX_UNTYPED}"
    assert all(m.startswith(("org.engine.", "org.config.", "org.errors")) for m in strict_pending)
    for m in strict_pending | untyped:  # a module that is gone leaves its ratchet
        assert importlib.util.find_spec(m) is not None, f"{m} no longer exists: take it out of pyproject.toml"
