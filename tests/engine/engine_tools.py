"""Engine test helpers: orgs edited on purpose, and a driver that walks a task through its gates."""

from __future__ import annotations

import shutil
from pathlib import Path

from org.config.loader import load_org
from org.engine import flow
from org.engine.state import fold
from tests.helpers import REPO

VERDICT = {"work": "pass", "review": "pass", "approval": "approve"}


def line_of(rel: str, needle: str, root: Path = REPO) -> int:
    return next(i for i, ln in enumerate((root / rel).read_text().split("\n"), 1) if needle in ln)


def org_with(
    tmp: Path, edits: dict[str, list[tuple[str, str]]] | None = None, files: dict[str, str] | None = None
):
    """Load (without proving) a copy of the default org with text edits {rel: [(old, new)]} and extra files."""
    for d in ("lanes", "gates"):
        shutil.copytree(REPO / d, tmp / d, dirs_exist_ok=True)
    for rel, subs in (edits or {}).items():
        text = (tmp / rel).read_text()
        for old, new in subs:
            assert old in text, (rel, old)
            text = text.replace(old, new)
        (tmp / rel).write_text(text)
    for rel, text in (files or {}).items():
        (tmp / rel).write_text(text)
    return load_org(tmp)


def run_task(cfg, workflow="change", attrs=None, tier=None, pick=None, task="t1", limit=60):
    """Start a task and submit at the first ready gate with the first eligible member until it closes.
    `pick(state, gate, members)` may choose (actor, verdict) instead. Returns (events, state)."""
    events = flow.start_task(cfg, task, "a task", workflow, attrs or {}, by="alice", requested_tier=tier)
    state = fold(events)
    for _ in range(limit):
        if not state.open or not state.ready_gates():
            break
        gate = state.ready_gates()[0]
        members = flow.eligible_members(cfg, state, gate)
        kind = cfg.workflows[workflow].gates[gate].kind
        actor, verdict = pick(state, gate, members) if pick else (members[0], VERDICT[kind])
        events += flow.submit(cfg, state, actor, gate, verdict)
        state = fold(events)
    return events, state
