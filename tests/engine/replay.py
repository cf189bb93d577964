"""Golden event histories: record them from real runs, and replay them through today's fold and decide().

Tasks pin the config, not the engine code: a release that folded an old log differently, or decided an
old action differently, would change what a running task means and no other test would notice. The
histories under tests/data/histories/ are real event logs (the demo's, and scenarios driven through the
bus) with the pinned config texts, the folded state of each task and every decision as recorded.
tests/engine/test_replay.py refolds and re-decides them on every run.

When the semantics change on purpose, do not regenerate silently: bump SEMANTICS, add a migration to
MIGRATIONS saying what changed and why (an ADR), and write the function that turns a golden state of the
old semantics into the new one; the goldens stay as recorded. Regenerate (new goldens, new scenarios) with

    .ci/dev python -m tests.engine.replay [--demo]
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.helpers import REPO

__all__ = ["HISTORIES", "SEMANTICS", "MIGRATIONS", "TIGHTENED", "ENGINE_TYPES", "record", "migrate", "replay"]

HISTORIES = REPO / "tests" / "data" / "histories"
SEMANTICS = 2  # of the fold and decide(): bump with a migration below when they change on purpose

# version -> (what changed, why (ADR), a function turning a golden state of version-1 into this version's)
MIGRATIONS: dict[int, tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    2: (
        "decide() reads an undeclared action's silence at its worst too (ADR 0220); the fold is unchanged",
        lambda state: state,
    ),
}
# versions whose change only tightens decide(): a decision recorded before may now be stricter, never looser
TIGHTENED: frozenset[int] = frozenset({2})

# Recorded event fields that depend on when and where a run happened, never on what the engine decided.
_VOLATILE = ("seq", "at", "ts", "hash", "prev", "auth", "job", "id")


def _engine_types() -> tuple[str, ...]:
    from org.engine.state import EVENT_TYPES

    return tuple(EVENT_TYPES)


ENGINE_TYPES = _engine_types()


def record(bus: Any, cfg: Any, name: str, about: str) -> Path:
    """Write the history of every task on `bus` (pinned under `cfg`) to tests/data/histories/<name>.json."""
    from org.engine.state import Event, fold

    tasks: dict[str, Any] = {}
    for t in sorted(bus.list_tasks(limit=10_000), key=lambda t: int(t["task"][2:])):
        key = t["task"]
        evs = [
            e
            for e in bus.events_since(0, task=key, limit=100_000)
            if e["type"] in ENGINE_TYPES or e["type"] == "action.decided"
        ]
        kept = [{k: v for k, v in e.items() if k not in _VOLATILE} for e in evs]
        st = fold(
            [
                Event(e["type"], e["task"], e.get("data") or {}, e.get("actor"))
                for e in kept
                if e["type"] in ENGINE_TYPES
            ]
        )
        tasks[key] = {"events": kept, "state": st.to_json()}
    hashes = {h["config_hash"] for h in (x["state"] for x in tasks.values())}
    assert hashes == {cfg.config_hash}, (
        f"every task of a history runs under the one config recorded ({hashes})"
    )
    doc = {
        "name": name,
        "about": about,
        "semantics": SEMANTICS,
        "config_hash": cfg.config_hash,
        "config_files": cfg.files,
        "tasks": tasks,
    }
    HISTORIES.mkdir(parents=True, exist_ok=True)
    out = HISTORIES / f"{name}.json"
    out.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return out


def migrate(state: dict[str, Any], recorded: int) -> dict[str, Any]:
    """A golden state recorded under semantics `recorded`, as today's semantics would fold it."""
    for v in range(recorded + 1, SEMANTICS + 1):
        state = MIGRATIONS[v][1](state)
    return state


def replay(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Refold and re-decide one history with today's engine: {task: {"state": ..., "decisions": [(recorded,
    replayed), ...]}}. Decisions the bus overlays after decide() (a human's rejection, a departed member)
    are replayed as decide() saw them: the overlay's rule is taken off the recorded list."""
    from org.config.loader import load_org_from_texts
    from org.engine.policy import decide_within
    from org.engine.state import Event, fold

    cfg = load_org_from_texts(doc["config_files"], None)
    assert cfg.config_hash == doc["config_hash"], "the pinned texts hash to the pinned hash"
    out: dict[str, dict[str, Any]] = {}
    overlays = {"ORG-REJECTED-BY-HUMAN", "ORG-UNKNOWN-ACTOR"}
    for key, t in doc["tasks"].items():
        seen: list[Event] = []
        decisions = []
        for e in t["events"]:
            if e["type"] in ENGINE_TYPES:
                seen.append(Event(e["type"], e["task"], e.get("data") or {}, e.get("actor")))
                continue
            assert seen, f"{key}: a decision before the task was created"
            st = fold(seen)  # the task as it stood when the action was decided
            data = e["data"]
            d, _ = decide_within(
                cfg,
                e["actor"],
                data["action"],
                st.attributes,
                data.get("attributes") or {},
                approvals=[data["approved_by"]] if data.get("approved_by") else [],
                authors=sorted(st.authors),
            )
            rules = [r for r in e["rules"] if r not in overlays]
            recorded = (e["decision"] if rules == e["rules"] else None, rules)
            decisions.append((recorded, (d.outcome if rules == e["rules"] else None, list(d.rule_ids))))
        out[key] = {"state": fold(seen).to_json(), "decisions": decisions}
    return out


def _scenarios(root: Path) -> None:
    """Tasks driven through the bus in-process: the straight path, rework to escalation, a human's rejection
    at the approval gate, and actions decided allow / needs approval / deny (RED) / approved."""
    from org.bus import Bus
    from org.config.loader import load_org
    from tests.bus.bushelpers import drive

    cfg = load_org(root)
    with Bus.open(f"sqlite:///{root / '.org' / 'org.db'}", root=root, config=cfg) as bus:
        t = bus.add_task("Document the retry policy", "change", attributes={"kind": "docs"})["task"]
        drive(bus, t)
        t = bus.add_task("Refactor the parser", "change", attributes={"kind": "code"})["task"]
        drive(bus, t, verdicts={"correctness": "fail"})  # rework until the rounds run out: escalated
        t = bus.add_task(
            "Rotate the production keys", "change", attributes={"kind": "code", "environment": "production"}
        )["task"]
        drive(bus, t, verdicts={"approval": "reject"})
        p = bus.add_task(
            "Ship",
            "ops",
            attributes={"environment": "production", "credential": "github", "service": "github"},
        )["task"]
        bus.act("credential.use", "ops-claude", p)  # needs a human
        bus.approve(p, "alice", action="credential.use", note="in the window")
        bus.act("credential.use", "ops-claude", p, {"service": "github"})  # approved allow
        bus.act("credential.use", "ops-claude", p, {"service": "jira"})  # RED: reuse
        bus.act("deploy.production", "ops-claude", p, {"environment": "dev"})  # the floor stays production
        record(
            bus,
            cfg,
            "scenarios",
            "the straight path, rework to escalation, a rejected approval, and "
            "actions decided every way (tests/engine/replay.py)",
        )


def _demo(root: Path) -> None:
    """The README's main job, through the real CLI."""
    from org.bus import Bus
    from org.config.loader import load_org
    from tests.helpers import run_org

    r = run_org("demo", "--json", root=root, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    cfg = load_org(root)
    with Bus.open(None, root=root, config=cfg) as bus:
        record(bus, cfg, "demo", "`org demo` (the README's main job), through the real CLI")


def main(argv: list[str]) -> int:
    for make in [_scenarios, _demo] if "--demo" in argv else [_scenarios]:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            for d in ("lanes", "gates", "adrs"):
                shutil.copytree(REPO / d, root / d, ignore=shutil.ignore_patterns(".index*", "__pycache__"))
            make(root)
    print(f"wrote {sorted(p.name for p in HISTORIES.glob('*.json'))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
