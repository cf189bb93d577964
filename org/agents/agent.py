"""A lane agent: one member of an agent lane doing one job through its model, with structured output.

    work(item) -> AgentResult
        build the role prompt -> paced model call -> parse into the role's pydantic model;
        a malformed reply gets one repair prompt, then the job fails with a clear reason.
Never raises for model or provider trouble: the result says what happened, with every call made.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from org.agents.endpoints import Endpoint
from org.agents.llm import CallResult, complete
from org.agents.outputs import MalformedOutput, parse_output
from org.agents.pacing import Pacer
from org.agents.prompts import Redactor, Role, WorkItem, build_messages, output_model, repair_messages

__all__ = ["AgentResult", "LaneAgent", "estimate_tokens"]

COMPLETION_ESTIMATE = 1024  # tokens reserved for the reply before the call; settled with actual usage


def estimate_tokens(messages: list[dict]) -> int:
    chars = sum(len(str(m.get("content") or "")) for m in messages)
    return math.ceil(chars / 4) + COMPLETION_ESTIMATE


@dataclass
class AgentResult:
    ok: bool
    output: Any = None  # the parsed pydantic model
    calls: list[CallResult] = field(default_factory=list)
    failure: str | None = None  # malformed | rate_limited | quota_exhausted | unavailable | auth | error
    error: str = ""
    repaired: bool = False
    role: str = ""

    @property
    def cost_usd(self) -> float | None:
        costs = [c.cost_usd for c in self.calls if c.status == 200]
        return None if any(c is None for c in costs) else sum(c for c in costs if c is not None)


class LaneAgent:
    """A member of an agent lane, bound to where its calls go (a provider or the local model)."""

    def __init__(
        self,
        actor: str,
        lane: Any,
        endpoint: Endpoint,
        pacer: Pacer | None = None,
        redact: Redactor | None = None,
        max_tokens: int | None = None,
    ) -> None:
        self.actor = actor
        self.lane = lane
        self.endpoint = endpoint
        self.pacer = pacer
        self.redact = redact or Redactor()
        self.max_tokens = max_tokens

    def _call(self, messages: list[dict], extra: dict | None = None) -> CallResult:
        ep = self.endpoint

        def once() -> CallResult:
            return complete(
                ep.model,
                messages,
                called=ep.called,
                api_base=ep.api_base,
                api_key=ep.api_key,
                provider=ep.budget_key,
                served_by=ep.served_by,
                max_tokens=self.max_tokens,
                timeout_s=ep.timeout_s,
                extra=extra,
            )

        if self.pacer is None:
            return once()
        return self.pacer.call(ep.budget_key, estimate_tokens(messages), once)

    def call_with_tools(self, messages: list[dict], tools: list[dict]) -> CallResult:
        """One paced model call offering `tools` (the tool loop's turn, org.agents.toolloop)."""
        return self._call(messages, extra={"tools": tools})

    def work(self, item: WorkItem, role: Role) -> AgentResult:
        model = output_model(role)
        messages = build_messages(self.actor, self.lane, role, item, self.redact)
        result = AgentResult(ok=False, role=role)
        want_rev = item.revision if item.gate_kind == "review" else None
        for attempt in range(2):
            res = self._call(messages)
            result.calls.append(res)
            if not res.ok:
                result.failure, result.error = res.outcome, res.error or res.outcome
                return result
            try:
                result.output = parse_output(model, res.content, revision=want_rev)
            except MalformedOutput as exc:
                if attempt == 0:
                    messages = repair_messages(messages, res.content, exc.problems, role, self.redact)
                    continue
                result.failure = "malformed"
                result.error = (
                    f"{self.actor} ({self.endpoint.model}) answered malformed {model.__name__} twice "
                    f"(the second after a repair prompt): {exc}"
                )
                return result
            result.ok = True
            result.repaired = attempt == 1
            return result
        return result  # pragma: no cover
