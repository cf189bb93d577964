"""Plans and their execution: a work gate plans actions (ops: plan), a later work gate that declares
`carries_out: plan` carries the approved plan out (ops: execute). The plan's content ends with an
`actions: [...]` line (JSON, written by org.agents.jobwork); for `credential.use` it names the service call
(method, path, body) the credential broker may make at the executing gate, and no other (ADR 0064).

Shared by the built-in agent (what it asks for) and the credential broker (what it allows): the broker is
the trust boundary, the agent only avoids asking for what would be refused.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = [
    "ACTIONS_PREFIX",
    "builds",
    "carries_out_plan",
    "gate_actions",
    "executes_actions",
    "plan_gate",
    "planned_actions",
    "planned_calls",
    "body_text",
    "same_call",
    "call_key",
]

ACTIONS_PREFIX = "actions: "


def _gate(cfg: Any, workflow: str | None, gate: str | None) -> Any:
    wf = cfg.workflows.get(workflow) if cfg is not None and workflow else None
    return wf.gates.get(gate) if wf is not None and gate else None


def builds(lane: Any) -> bool:
    """A lane whose work gates deliver content (code, docs) rather than operational plans."""
    may = set(getattr(lane, "may", []) or [])
    return getattr(lane, "lane", None) == "builder" or "code.write" in may or "docs.write" in may


def carries_out_plan(cfg: Any, workflow: str | None, gate: str | None) -> bool:
    """Does this gate carry out an approved plan: a work gate that declares `carries_out: <plan gate>` (ADR 0070).
    Its credential calls are the plan's, no others, and it keeps the plan's revision."""
    spec = _gate(cfg, workflow, gate)
    return spec is not None and spec.kind == "work" and spec.carries_out is not None


def gate_actions(cfg: Any, workflow: str | None, gate: str | None, plan: str | None) -> frozenset[str]:
    """The actions a job at `gate` takes, in their one spelling (ADR 0110): the action its kind implies (a work
    gate's `action:`, a review gate's review.file, an approval gate's approve) and, at a gate that carries out
    an approved plan, the actions that plan names (`plan`: the plan gate's work on the revision the controls
    passed on). Nothing else its lane may do: an operator planning a deploy does not deploy. An unknown
    workflow or gate takes none."""
    from org.config.actions import canonical_action

    spec = _gate(cfg, workflow, gate)
    if spec is None:
        return frozenset()
    names = [spec.implied_action] if spec.implied_action else []
    if carries_out_plan(cfg, workflow, gate):
        names += [a.get("action") for a in planned_actions(plan)]
    return frozenset(c for c in map(canonical_action, names) if c is not None)


def executes_actions(cfg: Any, workflow: str | None, gate: str | None) -> bool:
    """A work gate that carries out an approved plan executes its actions; any other work gate only proposes
    them (dry-run decisions in its plan). An unknown workflow or gate counts as executing (the stricter reading)."""
    spec = _gate(cfg, workflow, gate)
    return True if spec is None else carries_out_plan(cfg, workflow, gate)


def plan_gate(cfg: Any, workflow: str | None, gate: str | None) -> str | None:
    """The work gate whose plan `gate` carries out (None: it carries out none)."""
    spec = _gate(cfg, workflow, gate)
    return spec.carries_out if spec is not None and spec.kind == "work" else None


def planned_actions(content: str | None) -> list[dict[str, Any]]:
    """The actions a plan's content names (its last `actions: ` line); [] when none or malformed."""
    for line in reversed((content or "").splitlines()):
        if not line.startswith(ACTIONS_PREFIX):
            continue
        try:
            items = json.loads(line[len(ACTIONS_PREFIX) :])
        except ValueError:
            return []
        return [a for a in items if isinstance(a, dict)] if isinstance(items, list) else []
    return []


def body_text(body: Any) -> str | None:
    """A call's body as sent: an object as sorted JSON, text as is, nothing (or "") as None."""
    if isinstance(body, dict | list):
        return json.dumps(body, sort_keys=True)
    return body if isinstance(body, str) and body != "" else None


def planned_calls(
    content: str | None, credential: str, service: str, defaults: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The service calls ({method, path, body}) the plan names for `credential` on `service`, each once, in
    order; an action's missing credential or service is the task's (`defaults`)."""
    d = defaults or {}
    out: list[dict[str, Any]] = []
    for a in planned_actions(content):
        given = a.get("attributes")
        attrs: dict[str, Any] = given if isinstance(given, dict) else {}
        call = a.get("call")
        if a.get("action") != "credential.use" or not isinstance(call, dict):
            continue
        if (attrs.get("credential", d.get("credential")), attrs.get("service", d.get("service"))) != (
            credential,
            service,
        ):
            continue
        c = {
            "method": str(call.get("method") or "GET").upper(),
            "path": str(call.get("path") or "/"),
            "body": body_text(call.get("body")),
        }
        if not any(same_call(c, x) for x in out):
            out.append(c)
    return out


def _body_value(body: str | None) -> Any:
    if body is None:
        return None
    try:
        return ("json", json.loads(body))
    except ValueError:
        return ("text", body)


def same_call(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """The same request: method, path exactly, and the body (as JSON when both are JSON, else as text)."""
    return (
        str(a.get("method")).upper() == str(b.get("method")).upper()
        and a.get("path") == b.get("path")
        and _body_value(body_text(a.get("body"))) == _body_value(body_text(b.get("body")))
    )


def call_key(call: dict[str, Any]) -> str:
    """A fingerprint of a planned call (recorded when the broker makes it, so a job makes it at most once)."""
    v = _body_value(body_text(call.get("body")))
    raw = json.dumps([str(call.get("method")).upper(), call.get("path"), v], sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:32]
