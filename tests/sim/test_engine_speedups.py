"""The engine's hot-path changes made for the simulator keep behaviour identical: cheap state copies
equal deep copies, memoised plans and graph facts equal fresh ones, the eligibility probe in advance
equals the original fold-and-count, and caches follow a replaced workflow."""

from __future__ import annotations

import copy
import random

from org.engine import flow
from org.engine.state import fold


def _walk(cfg, seed: int, steps: int = 12):
    """Random but mostly valid walks through the engine; yields every intermediate state."""
    rng = random.Random(seed)
    attrs = rng.choice(
        [{"kind": "code"}, {"kind": "docs"}, {"environment": "production"}, {"kind": "deploy"}]
    )
    wf = rng.choice(["change", "ops"])
    if wf == "ops":  # an ops task is filed with its environment (ADR 0071)
        attrs = {
            **attrs,
            "environment": attrs.get("environment", rng.choice(["dev", "staging", "production"])),
        }
    s = fold(flow.start_task(cfg, f"t{seed}", "x", wf, attrs))
    yield s
    for _ in range(steps):
        if not s.open or not s.ready_gates():
            return
        g = rng.choice(sorted(s.ready_gates()))
        members = flow.eligible_members(cfg, s, g)
        if not members:
            return
        kind = cfg.workflows[s.workflow].gates[g].kind
        verdict = {
            "work": "pass",
            "review": rng.choice(["pass", "pass", "changes"]),
            "approval": rng.choice(["approve", "approve", "reject"]),
        }[kind]
        s = fold(flow.submit(cfg, s, rng.choice(members), g, verdict), s)
        yield s


def test_state_copy_equals_deepcopy_and_is_independent(cfg):
    for seed in range(60):
        for s in _walk(cfg, seed):
            c, d = s.copy(), copy.deepcopy(s)
            assert c == d
            c.gates[next(iter(c.gates))].reviews.append("x")
            c.authors.add("someone")
            c.revisions.append(("r", "g", "a", "f"))
            c.attributes["k"] = 1
            assert s == d
