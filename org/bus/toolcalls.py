"""The tool-call ledger on the chain: one `tool.called` event per tool call a job's holder made (ADR 0231):
tool, a digest of the arguments, result class, latency, decision and rules. Nothing else is taken: an entry
with any other field, free text where a class is asked, a tool org does not offer, a rule id that is no rule of
the job's pinned policy, or a digest that is not one, is refused (exit 2), so a ledger entry never carries
arguments, file contents or secrets."""

from __future__ import annotations

import math
import re
from typing import Any

from org.bus.context import Ctx
from org.bus.jobs import job_id, refuse
from org.bus.payloads import ToolCalled
from org.bus.store import Tx
from org.bus.toolspecs import TOOL_NAMES
from org.engine import rule_ids
from org.errors import UsageError

__all__ = ["record_tool_call", "check_entry", "RESULTS", "DECISIONS"]

RESULTS = ("ok", "denied", "refused", "error", "failed", "timeout")
DECISIONS = ("", "allow", "deny", "needs_approval")
_DIGEST = re.compile(r"^[0-9a-f]{16,64}$")
_RULE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}$")
_FIELDS = {"tool", "args_sha256", "result", "latency_ms", "decision", "rules"}
MAX_LATENCY_MS = 7 * 86400 * 1000.0


def check_entry(entry: Any) -> ToolCalled:
    """The entry as recorded, or UsageError saying what is wrong with it."""
    if not isinstance(entry, dict):
        raise UsageError(
            "a tool-call entry is an object {tool, args_sha256, result, latency_ms, decision, rules}"
        )
    extra = sorted(set(entry) - _FIELDS)
    if extra:
        raise UsageError(f"a tool-call entry holds only {', '.join(sorted(_FIELDS))}; not {', '.join(extra)}")
    tool, digest = entry.get("tool"), entry.get("args_sha256")
    if not isinstance(tool, str) or tool not in TOOL_NAMES:
        raise UsageError(f"tool: one of {', '.join(sorted(TOOL_NAMES))}")
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise UsageError("args_sha256: the hex digest of the arguments (never the arguments)")
    result, decision = entry.get("result"), entry.get("decision", "")
    if result not in RESULTS:
        raise UsageError(f"result: one of {', '.join(RESULTS)}")
    if decision not in DECISIONS:
        raise UsageError(f"decision: one of {', '.join(d or '(empty)' for d in DECISIONS)}")
    latency = entry.get("latency_ms", 0.0)
    if (
        isinstance(latency, bool)
        or not isinstance(latency, (int, float))
        or not math.isfinite(latency)
        or not 0 <= latency <= MAX_LATENCY_MS
    ):
        raise UsageError("latency_ms: a number of milliseconds, at least 0")
    rules = entry.get("rules") or []
    if (
        not isinstance(rules, list)
        or len(rules) > 20
        or not all(isinstance(r, str) and _RULE.fullmatch(r) for r in rules)
    ):
        raise UsageError("rules: at most 20 rule ids")  # and each one of the org's own (record_tool_call)
    return ToolCalled(
        tool=tool,
        args_sha256=digest,
        result=result,
        latency_ms=round(float(latency), 1),
        decision=decision,
        rules=list(rules),
    )


def record_tool_call(ctx: Ctx, job: int | str, token: str, entry: Any) -> dict:
    """A `tool.called` event on the job's task, by the holder of the job's live lease (refused like a
    heartbeat once the lease is lost, exit 5)."""
    jid = job_id(job)
    data = check_entry(entry)

    def fn(tx: Tx) -> dict:
        r = tx.x(
            "SELECT task, gate, lane, leased_by FROM jobs WHERE id = :j AND status = 'leased' AND token = :tok",
            {"j": jid, "tok": token},
        ).one_or_none()
        if r is None:
            refuse(tx, jid, token, "tool-call record")
        row = ctx.task_row(tx, r[0])
        pcfg = ctx.pinned(tx, row.config_hash)
        unknown = [x for x in data["rules"] if x not in rule_ids.known(pcfg)]
        if unknown:  # said by count, never echoed: a made-up "rule id" is where a secret would ride
            raise UsageError(
                f"rules: {len(unknown)} of the entry's rule ids are no rule of the policy {r[0]} runs under "
                "(a ledger entry names the rules its decision named)"
            )
        ctx.record(
            tx,
            "tool.called",
            task=r[0],
            gate=r[1],
            lane=r[2],
            actor=r[3],
            job=jid,
            decision=data["decision"] or None,
            rules=data["rules"],
            config_hash=pcfg.config_hash,
            data=data,
        )
        return {"job": jid, "task": r[0], "recorded": True}

    return ctx.write(fn)
