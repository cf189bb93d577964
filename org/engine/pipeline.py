"""The pipeline's results in the flow: a `check: tests` gate and the merge at the terminal gate are run by
org's pipeline (org.workspaces), not by a lane; their outcomes enter the task here. Pure, like the flow."""

from __future__ import annotations

from typing import Any

from org.config.loader import OrgConfig
from org.engine import memo, rule_ids
from org.engine.flow import ExtraCheck, _advance, _event, _finish, _pinned, _rework, _stamp
from org.engine.state import Event, TaskState, fold
from org.errors import Conflict

__all__ = ["pipeline_result", "pipeline_gates"]


def pipeline_gates(cfg: OrgConfig, state: TaskState) -> list[tuple[str, str, str | None]]:
    """(gate, "tests" | "merge", revision) for each gate waiting for the pipeline."""
    out: list[tuple[str, str, str | None]] = []
    if not state.open:
        return out
    specs = memo.gates(cfg, state.workflow)
    for name, gs in state.gates.items():
        if gs.status != "ready":
            continue
        spec = specs[name]
        if spec.kind == "check" and spec.check == "tests":
            out.append((name, "tests", gs.bound))
        elif spec.kind == "terminal":
            out.append((name, "merge", gs.bound))
    return out


def pipeline_result(
    cfg: OrgConfig,
    state: TaskState,
    gate: str,
    ok: bool,
    *,
    revision: str | None,
    reason: str,
    data: dict[str, Any] | None = None,
    rules: list[str] | None = None,
    extra_check: ExtraCheck | None = None,
) -> list[Event]:
    """The pipeline's result at `gate` (tests ran / merge done) for `revision`. Passing tests pass the gate;
    a merge passes the terminal gate after the terminal re-check and finishes the task. A failure (tests
    failed, a conflict, a failing merge result) fails the gate and sends the work back to the nearest work
    gate (rework rounds count as for a failed review). A result for another revision is stale (Conflict)."""
    _pinned(cfg, state)
    waiting = {g: (kind, rev) for g, kind, rev in pipeline_gates(cfg, state)}
    if gate not in waiting:
        raise Conflict(
            f"'{gate}' of {state.id} is not waiting for the pipeline", rule=rule_ids.GATE_NOT_READY
        )
    kind, bound = waiting[gate]
    if revision != bound:
        raise Conflict(
            f"the pipeline's result is for revision {revision}, but '{gate}' is bound to {bound}",
            rule=rule_ids.STALE_REVISION,
        )
    t = state.id
    extra = dict(data or {})
    if ok:
        if kind == "merge":
            evs = _finish(cfg, state, merged=True)  # the terminal re-check, again, on the task as it stands
            if evs and evs[-1].type == "task.done":
                evs[-1].data.update(extra)
                evs[0].data["reason"] = f"terminal re-check held; {reason}"
            return _stamp(cfg, evs)
        evs = [
            _event("gate.passed", t, {"gate": gate, "revision": revision, "reason": reason, **extra}, None)
        ]
        after = fold(evs, state.copy())
        return _stamp(cfg, evs + _advance(cfg, after, extra_check))
    evs = [
        _event(
            "gate.failed",
            t,
            {"gate": gate, "revision": revision, "reason": reason, "rules": rules or [], **extra},
            None,
        )
    ]
    evs += _rework(cfg, state, gate)
    after = fold(evs, state.copy())
    if evs[-1].type == "task.escalated":
        return _stamp(cfg, evs)
    return _stamp(cfg, evs + _advance(cfg, after, extra_check))
