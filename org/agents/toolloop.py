"""A built-in agent's work loop with tools: ask the model, carry out the tool calls it answers with
(org.agents.tools), hand back the results, until it submits or a hard stop ends it: turns, tokens, wall
time, no progress (the same call again and again, or turns without a change or a test run). A reply that is
not a usable tool call gets one repair prompt; the second in a row fails the job (one repair, then fail).
The built-in reviewer drives the same loop with its own tools and an `Answer`: a reply without a tool call is
its verdict (org.agents.review). Never raises for model trouble: the result says what happened, with every
call made.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from org import telemetry
from org.agents.outputs import MalformedOutput
from org.agents.tools import TOOL_SPECS, WorkspaceTools

__all__ = ["Limits", "LoopResult", "Answer", "run_tools", "REPAIR"]

REPAIR = "Your reply could not be used"
MAX_TOOL_TEXT = 12_000  # characters of one tool result handed back to the model


@dataclass(frozen=True)
class Limits:
    max_turns: int = 24
    max_tokens: int = 400_000
    wall_s: float = 600.0
    no_progress_turns: int | None = 8  # turns without a file changed or a test run (None: not checked)
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
    output: Any = None  # with an Answer: what its `parse` read from the reply without a tool call
    repaired: bool = False  # with an Answer: the answer was repaired once


@dataclass(frozen=True)
class Answer:
    """A loop that ends with an answer (a reviewer's verdict) rather than a submit call: a reply without a tool
    call is read by `parse`; one it refuses (MalformedOutput) gets the prompt `repair(messages, reply,
    problems)` makes, and the second fails the loop (one repair, then fail). A tool call that cannot be read
    is carried out as an unknown tool: the refusal is said to the model."""

    parse: Callable[[str], Any]
    repair: Callable[[list[dict], str, list[str]], list[dict]]
    what: str = "verdict"  # what the answer is, in the hard stop's and the failure's words


def run_tools(
    call_model: Callable[[list[dict], list[dict]], Any],
    messages: list[dict],
    tools: WorkspaceTools,
    limits: Limits = Limits(),
    clock: Callable[[], float] = time.monotonic,
    *,
    specs: list[dict] = TOOL_SPECS,
    answer: Answer | None = None,
) -> LoopResult:
    """`call_model(messages, specs)` -> org.agents.llm.CallResult (its `message` holds the tool calls).
    Without `answer` the loop ends with a successful submit call; with one, with the answer it reads."""
    out = LoopResult(ok=False)
    start = clock()
    seen: Counter[str] = Counter()
    last_progress = 0
    repairs = 0  # replies in a row without a usable tool call
    answer_repairs = 0  # answers that did not parse
    msgs = list(messages)
    goal = f"a {answer.what}" if answer is not None else "a submission"
    while True:
        stop = _hard_stop(out, limits, clock() - start, last_progress, goal)
        if stop:
            out.failure, out.error = "hard_stop", stop
            return out
        out.turns += 1
        res = call_model(msgs, specs)
        out.calls.append(res)
        if not res.ok:
            out.failure, out.error = res.outcome, res.error or res.outcome
            return out
        out.tokens += res.total_tokens
        msg = res.message or {"role": "assistant", "content": res.content}
        calls = msg.get("tool_calls") or []
        if answer is not None and not calls:
            content = str(msg.get("content") or "")
            try:
                out.output = answer.parse(content)
            except MalformedOutput as exc:
                answer_repairs += 1
                if answer_repairs > 1:
                    out.failure = "malformed"
                    out.error = (
                        f"the {answer.what} was malformed twice (the second after a repair prompt): "
                        + "; ".join(exc.problems)
                    )[:600]
                    return out
                msgs = answer.repair(msgs, content, exc.problems)
                continue
            out.ok, out.repaired = True, answer_repairs > 0
            return out
        parsed = [_parse(c) for c in calls]
        if answer is None and (not calls or any(p is None for p in parsed)):
            repairs += 1
            if repairs > 1:
                out.failure = "malformed"
                out.error = "the model answered twice in a row without a usable tool call (the second after a repair prompt)"
                return out
            msgs += [
                {"role": "assistant", "content": str(msg.get("content") or "")[:2000]},
                {
                    "role": "user",
                    "content": f"{REPAIR}: answer with one of the tools ({', '.join(t['function']['name'] for t in specs)}), "
                    "arguments as a JSON object; call submit when the work is done.",
                },
            ]
            continue
        repairs = 0
        msgs.append({"role": "assistant", "content": msg.get("content"), "tool_calls": calls})
        for c, p in zip(calls, parsed, strict=True):
            name, args = p or (
                "(unreadable)",
                None,
            )  # refused by the tools as an unknown tool (with an Answer)
            call_id = c.get("id") if isinstance(c, dict) else None
            tools.budget_s = limits.wall_s - (clock() - start)  # no call outlasts the wall time left
            with telemetry.tool_span(name, args, call_id) as span:
                r = tools.call(name, args)
                span.result(r)
            seen[f"{name}:{r.digest}"] += 1
            if r.changed or name == "run_tests":
                last_progress = out.turns
            msgs.append({"role": "tool", "tool_call_id": call_id or name, "content": r.text[:MAX_TOOL_TEXT]})
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


def _hard_stop(out: LoopResult, limits: Limits, elapsed: float, last_progress: int, goal: str) -> str:
    if out.turns >= limits.max_turns:
        return f"turn limit: {out.turns} model turns without {goal}"
    if out.tokens >= limits.max_tokens:
        return f"token limit: {out.tokens} tokens used (limit {limits.max_tokens})"
    if elapsed >= limits.wall_s:
        return f"wall-time limit: {elapsed:.0f} s (limit {limits.wall_s:.0f} s)"
    if limits.no_progress_turns is not None and out.turns - last_progress >= limits.no_progress_turns:
        return f"no progress: {out.turns - last_progress} turns without a change or a test run"
    return ""
