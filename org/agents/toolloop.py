"""A built-in agent's work loop with tools: ask the model, carry out the tool calls it answers with
(org.agents.tools), hand back the results, until it submits or a hard stop ends it: turns, tokens, wall
time, no progress (the same call again and again, or turns without a change or a test run). A reply that is
not a usable tool call gets one repair prompt; the second in a row fails the job (one repair, then fail).
Never raises for model trouble: the result says what happened, with every call made.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from org import telemetry
from org.agents.tools import TOOL_SPECS, WorkspaceTools

__all__ = ["Limits", "LoopResult", "run_tools", "REPAIR"]

REPAIR = "Your reply could not be used"
MAX_TOOL_TEXT = 12_000  # characters of one tool result handed back to the model


@dataclass(frozen=True)
class Limits:
    max_turns: int = 24
    max_tokens: int = 400_000
    wall_s: float = 600.0
    no_progress_turns: int = 8  # turns without a file changed or a test run
    max_repeats: int = 3  # the same call (tool and arguments) this many times


@dataclass
class LoopResult:
    ok: bool
    summary: str = ""
    failure: str | None = None  # model's outcome (rate_limited, ...) | malformed | hard_stop
    error: str = ""
    calls: list[Any] = field(default_factory=list)
    turns: int = 0
    tokens: int = 0


def run_tools(
    call_model: Callable[[list[dict], list[dict]], Any],
    messages: list[dict],
    tools: WorkspaceTools,
    limits: Limits = Limits(),
    clock: Callable[[], float] = time.monotonic,
) -> LoopResult:
    """`call_model(messages, tool_specs)` -> org.agents.llm.CallResult (its `message` holds the tool calls)."""
    out = LoopResult(ok=False)
    start = clock()
    seen: Counter[str] = Counter()
    last_progress = 0
    repairs = 0
    msgs = list(messages)
    while True:
        stop = _hard_stop(out, limits, clock() - start, last_progress)
        if stop:
            out.failure, out.error = "hard_stop", stop
            return out
        out.turns += 1
        res = call_model(msgs, TOOL_SPECS)
        out.calls.append(res)
        if not res.ok:
            out.failure, out.error = res.outcome, res.error or res.outcome
            return out
        out.tokens += res.total_tokens
        msg = res.message or {"role": "assistant", "content": res.content}
        calls = msg.get("tool_calls") or []
        parsed = [_parse(c) for c in calls]
        if not calls or any(p is None for p in parsed):
            repairs += 1
            if repairs > 1:
                out.failure = "malformed"
                out.error = "the model answered twice in a row without a usable tool call (the second after a repair prompt)"
                return out
            msgs += [
                {"role": "assistant", "content": str(msg.get("content") or "")[:2000]},
                {
                    "role": "user",
                    "content": f"{REPAIR}: answer with one of the tools ({', '.join(t['function']['name'] for t in TOOL_SPECS)}), "
                    "arguments as a JSON object; call submit when the work is done.",
                },
            ]
            continue
        repairs = 0
        msgs.append({"role": "assistant", "content": msg.get("content"), "tool_calls": calls})
        for c, (name, args) in zip(calls, parsed, strict=True):  # type: ignore[misc]
            tools.budget_s = limits.wall_s - (clock() - start)  # no call outlasts the wall time left
            with telemetry.tool_span(name, args, c.get("id")) as span:
                r = tools.call(name, args)
                span.result(r)
            seen[f"{name}:{r.digest}"] += 1
            if r.changed or name == "run_tests":
                last_progress = out.turns
            msgs.append(
                {"role": "tool", "tool_call_id": c.get("id") or name, "content": r.text[:MAX_TOOL_TEXT]}
            )
            if name == "submit" and r.result == "ok":
                out.ok, out.summary = True, r.text or "done"
                return out
        worst = max(seen.values(), default=0)
        if worst >= limits.max_repeats:
            out.failure = "hard_stop"
            out.error = f"no progress: the same tool call {worst} times"
            return out


def _parse(call: Any) -> tuple[str, Any] | None:
    try:
        fn = call["function"]
        args = json.loads(fn.get("arguments") or "{}")
        return str(fn["name"]), args
    except (KeyError, TypeError, ValueError):
        return None


def _hard_stop(out: LoopResult, limits: Limits, elapsed: float, last_progress: int) -> str:
    if out.turns >= limits.max_turns:
        return f"turn limit: {out.turns} model turns without a submission"
    if out.tokens >= limits.max_tokens:
        return f"token limit: {out.tokens} tokens used (limit {limits.max_tokens})"
    if elapsed >= limits.wall_s:
        return f"wall-time limit: {elapsed:.0f} s (limit {limits.wall_s:.0f} s)"
    if out.turns - last_progress >= limits.no_progress_turns:
        return f"no progress: {out.turns - last_progress} turns without a change or a test run"
    return ""
