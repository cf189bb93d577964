"""A work job of a repository task, done by a built-in builder with tools in the task's workspace: the
handover (org.agents.handover), the tool loop (org.agents.toolloop) with every tool call decided as the
gate's action through the bus's `act`, the ledger, and the submission of the workspace's commit through the
diff guard. A hard stop or a second unusable reply fails the job with its reason (the task escalates to a
human); trouble with the provider releases it. Never raises for model trouble.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from org.agents.agent import AgentResult, LaneAgent
from org.agents.busport import holding_switch
from org.agents.toolloop import Limits, run_tools
from org.agents.tools import WorkspaceTools
from org.errors import OrgError

__all__ = [
    "tool_job",
    "tool_messages",
    "boundary_lines",
    "handover_lines",
    "LIMITS",
    "local_workspaces",
    "gate_decider",
    "settle",
]

LIMITS = Limits()


def boundary_lines(actor: str, lane: Any, h: dict) -> list[str]:
    """Who the agent is and its lane's boundaries, from a job's handover (the built-in builder's and the CLIs')."""
    b = h.get("boundaries") or {}
    return [
        f"You are {actor}, a member of the {lane.lane} lane: {lane.purpose}",
        f"You may: {', '.join(b.get('may') or [])}. You may not: {', '.join(b.get('may_not') or [])}.",
        f"Protected paths (never touch): {', '.join(b.get('protected') or []) or 'none'}. "
        f"Golden paths (never change): {', '.join(b.get('golden') or []) or 'none'}.",
    ]


def handover_lines(h: dict) -> list[str]:
    """The job's handover as lines: task, gate and what it asks, findings to address, ADRs."""
    asks = h.get("asks") or {}
    lines = [
        f"Task {h.get('task')}: {h.get('title')}",
        f"Gate: {h.get('gate')}",
        f"Round: {h.get('round', 0)}",
        f"Attributes: {json.dumps(h.get('attributes') or {}, sort_keys=True)}",
        f"Tier: {h.get('tier')} ({(h.get('tier_why') or {}).get('reason', '')})",
        f"The gate asks: {asks.get('description') or asks.get('what') or ''}",
    ]
    for f in h.get("findings") or []:
        at = ":".join(str(x) for x in (f.get("file"), f.get("line")) if x)
        lines.append(f"Finding to address [{f.get('severity')}] {at}: {f.get('text')}")
    for a in h.get("adrs") or []:
        lines.append(
            f"{a.get('id')}: {a.get('title', '')}" + "".join(f"\n  - {c}" for c in a.get("constraints") or [])
        )
    return lines


def tool_messages(actor: str, lane: Any, h: dict, redact: Any) -> list[dict]:
    """The prompt of a builder working with tools: who it is and its boundaries, then the job's handover
    (task, gate and what it asks, findings to address, ADRs). Lines the local model reads start the user turn."""
    who = boundary_lines(actor, lane, h)
    tools = (
        "You work inside the task's workspace (a git clone) with tools: list_files, read_file, search, "
        "write_file, edit_file, run_tests, submit. Paths are relative to the workspace. Look before you "
        "change; run the tests; call submit with a short summary when the work is done."
    )
    system = "\n".join([who[0], tools, *who[1:]])
    return [
        {"role": "system", "content": redact(system)},
        {"role": "user", "content": redact("\n".join(handover_lines(h)))},
    ]


def local_workspaces(port: Any) -> Any:
    """The workspaces service the door is handed to check a commit or read a revision, or None over the bus
    socket (its server does it)."""
    if getattr(port.door, "remote", False):
        return None
    from org.workspaces import service

    return service


def gate_decider(port: Any, claim: Any, actor: str, action: str) -> Callable[[str, dict], dict]:
    """`decide(tool, args)` for a job's tools: every call decided through the bus's `act` as the gate's action
    (the built-in builder's and reviewer's)."""

    def decide(tool: str, args: dict) -> dict:
        try:
            d = port.door.act(claim.token, action, actor, claim.task, {})["decision"]
        except OrgError as exc:  # the lease ended, a pause, a revoked token: the call does not happen
            return {"outcome": "deny", "reason": exc.message, "rules": []}
        rules = [r.get("id") if isinstance(r, dict) else r for r in d.get("rules", [])]
        return {"outcome": d.get("outcome"), "reason": d.get("reason", ""), "rules": rules}

    return decide


def settle(
    runner: Any, port: Any, claim: Any, actor: str, res: Any, tools: Any, out: Any, access: Any, after: str
) -> bool:
    """After a tool loop (the builder's or the reviewer's): its calls and tool ledger in the job's outcome, the
    budget brakes asked; then True when the job ended here: a hard stop or a second unusable reply fails it
    with its reason, trouble with the provider releases it, and so does a switch holding the actor (`after`
    says what was not submitted). False: the caller submits."""
    out.tools = tools.ledger
    runner._ledger(AgentResult(ok=res.ok, calls=res.calls), out)
    out.budget = runner._budget(port, claim.lane, actor, flush=access.flush if access is not None else None)
    if not res.ok:
        out.failure = res.failure
        if res.failure in ("hard_stop", "malformed"):
            runner._fail(port, claim, out, f"{res.failure}: {res.error}"[:300])
        else:
            runner._release(port, claim, out, f"{res.failure}: {res.error}"[:300])
        return True
    sw = holding_switch(port, actor, claim.lane, claim.task)
    if sw:
        runner._release(port, claim, out, f"paused ({sw}) after {after}")
        return True
    return False


def tool_job(
    runner: Any, port: Any, claim: Any, actor: str, lane: Any, ep: Any, out: Any, access: Any = None
) -> Any:
    from org.agents.handover import handover

    workspaces = local_workspaces(port)
    try:
        h = handover(port.door, claim.token, claim.job, cfg=runner.cfg)
    except OrgError as exc:
        runner._release(port, claim, out, f"could not read the handover: {exc.message}")
        return out
    ws = h.get("workspace") or {}
    if not ws.get("path"):
        return runner._fail(port, claim, out, f"no workspace for {claim.task}: {ws.get('error', 'none')}")
    action = (h.get("asks") or {}).get("action") or "work.submit"

    repo = runner.cfg.repos.get((claim.attributes or {}).get("repo"))
    tools = WorkspaceTools(
        ws["path"],
        test_command=repo.test.run if repo and repo.test else None,
        test_timeout=float(repo.test.timeout) if repo and repo.test else 120.0,
        decide=gate_decider(port, claim, actor, action),
        org_root=runner.cfg.root,  # hidden from the test command like the tests gate hides it
        sandbox="room" if runner.in_room else repo.sandbox if repo else "required",
        record=lambda entry: port.door.record_tool_call(claim.token, claim.job, entry),
    )
    agent = LaneAgent(actor, lane, ep, runner.pacer, runner.redact)
    res = run_tools(agent.call_with_tools, tool_messages(actor, lane, h, runner.redact), tools, LIMITS)
    if settle(runner, port, claim, actor, res, tools, out, access, "the work; the result was not submitted"):
        return out
    ledger = "\n".join(
        f"- {e['tool']} {e['result']} ({e['decision'] or 'not decided'}, {e['latency_ms']:.0f} ms)"
        for e in tools.ledger
    )
    tests = tools.tests
    note = res.summary + (f" [tests: {tests['summary']}]" if tests else "")
    out.verdict = "pass"
    try:
        port.door.submit(
            claim.token,
            claim.job,
            "pass",
            note=note[:2000],
            content=f"tool calls:\n{ledger}",
            workspaces=workspaces,
        )
        out.status = "submitted"
    except OrgError as exc:  # the diff guard refused the change, the lease moved on: said, and failed
        out.detail = f"{exc.kind}: {exc.message}"
        if exc.exit_code == 4:
            return runner._fail(port, claim, out, f"the submission was refused: {exc.message}"[:300])
        out.status = "refused"
    return out
