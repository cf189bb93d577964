"""Role prompts for lane agents: the task, the lane's purpose and may / may-not, the accepted ADRs that
bind the work (cited by id), and the output schema; plus the repair prompt for a malformed reply.
Secrets never enter a prompt: every message passes through a redactor that knows the org's secrets.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from org.agents.outputs import BuilderOutput, PlanOutput, ReviewVerdict, SecurityVerdict, schema_text
from org.engine.plans import builds

__all__ = ["WorkItem", "Role", "role_of", "output_model", "build_messages", "repair_messages", "Redactor"]

Role = str  # builder | operator | reviewer | security


@dataclass
class WorkItem:
    """Everything an agent is told about one job. Built by the dispatcher from the bus and the config."""

    job: str
    task: str
    title: str
    workflow: str
    gate: str
    gate_kind: str  # work | review
    gate_description: str
    lane: str
    tier: str
    attributes: dict[str, Any] = field(default_factory=dict)
    round: int = 0
    revision: str | None = None  # the revision under review (reviews)
    work: str = ""  # the work under review, or the previous delivery being reworked
    work_summary: str = ""
    findings: list[dict] = field(default_factory=list)  # findings to address (rework)
    plan: str = ""  # the plan or spec an earlier work gate of the lane produced
    adr_ids: list[int] = field(default_factory=list)
    adr_text: str = ""
    policy: dict[str, str] = field(default_factory=dict)  # value -> "layer FILE:LINE" the lower layers set
    partial: str = ""  # why a reviewer cannot see the whole change (a cut diff): it may not pass it
    files: list[str] = field(default_factory=list)  # the paths the revision under review changes (repository)
    tests: dict = field(default_factory=dict)  # the tests gate's result on that revision (repository)


def role_of(lane: Any, gate_kind: str) -> Role:
    """The built-in agent for a lane's job, from config alone: review gates of a lane that may veto or
    scan are security reviews; other reviews are correctness reviews; work gates of a lane that may
    write code are builds, others are operational plans."""
    may = set(getattr(lane, "may", []) or [])
    if gate_kind == "review":
        return (
            "security"
            if (lane.lane == "security" or "security.veto" in may or "scan.run" in may)
            else "reviewer"
        )
    return "builder" if builds(lane) else "operator"


_MODELS = {
    "builder": BuilderOutput,
    "operator": PlanOutput,
    "reviewer": ReviewVerdict,
    "security": SecurityVerdict,
}


def output_model(role: Role) -> type:
    return _MODELS[role]


_ROLE_TEXT = {
    "builder": (
        "Deliver the change as a unified diff on your own branch. Keep it small and focused. If review "
        "findings are listed, address every one of them."
    ),
    "operator": (
        "Plan the operational action exactly: what, where, with which credential (by name). At an "
        "execute gate, carry out the approved plan and list the actions you take. Every action is "
        "checked by the org's policy."
    ),
    "reviewer": (
        "Review the work for correctness and fit with the accepted ADRs. Do not rewrite it. Answer "
        "'pass' only if it is right as it stands; otherwise 'changes' (fixable, send it back) or 'fail', "
        "each with findings. Name the revision you reviewed."
    ),
    "security": (
        "Review the work for security: secrets, transport security, credentials used beyond their "
        "service, host changes outside the pipeline. You may ask to take actions (named, with "
        "attributes); they pass through the same RED rules that bind everyone. Name the revision."
    ),
}


class Redactor:
    """Replaces every known secret value (credentials' env vars and files, provider API keys) with a
    placeholder. Built once per run; applied to every prompt and every recorded text."""

    _KEY_NAMES = re.compile(r"(API_KEY|_TOKEN|_SECRET|SECRET_|PASSWORD)", re.I)

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        from org.bus import Redactor as Values

        # in any letter case and the encodings a secret is echoed in (org.bus.redact.variants)
        self._values = Values(unnamed={s for s in secrets if s and len(s) >= 6})

    @classmethod
    def for_org(cls, cfg: Any, environ: dict[str, str] | None = None) -> Redactor:
        env = os.environ if environ is None else environ
        values: list[str] = []
        for spec in getattr(cfg, "credentials", {}).values():
            if spec.env and env.get(spec.env):
                values.append(env[spec.env])
            if spec.file:
                p = Path(spec.file)
                p = p if p.is_absolute() else Path(cfg.root) / p
                with contextlib.suppress(OSError):
                    values.append(p.read_text().strip())
        values += [v for k, v in env.items() if cls._KEY_NAMES.search(k) and len(v) >= 12]
        return cls(values)

    def __call__(self, text: str) -> str:
        return self._values.values(text)


def _system(actor: str, lane: Any, role: Role, item: WorkItem) -> str:
    model = _MODELS[role]
    lines = [
        f"You are {actor}, an agent in the {lane.lane} lane of an engineering org run by org.",
        f"Your lane's purpose: {lane.purpose}",
        f"Your lane may: {', '.join(lane.may) or '(nothing)'}.",
        f"Your lane may never: {', '.join(lane.may_not) or '(nothing listed)'}.",
        "Every action anyone takes, you included, passes the org's policy: RED rules deny for everyone and no "
        "approval overrides them. Name credentials by name; you never see a secret and must never ask for one.",
        "",
        _ROLE_TEXT[role],
        "",
    ]
    if item.adr_text.strip():
        lines += [
            "Accepted decisions (ADRs) that bind this work; cite the ones you rely on by number in "
            "adrs_cited (e.g. 4 for ADR-0004):",
            item.adr_text.strip(),
            "",
        ]
    else:
        lines += ["No accepted ADRs were found for this work.", ""]
    lines += [
        f"Answer with exactly one JSON object of type {model.__name__} and nothing else (no prose, no code "
        "fences). It must validate against this JSON Schema:",
        schema_text(model),
    ]
    return "\n".join(lines)


def _user(item: WorkItem) -> str:
    lines = [
        f"Task {item.task}: {item.title}",
        f"Workflow: {item.workflow}",
        f"Gate: {item.gate} ({item.gate_kind}){': ' + item.gate_description if item.gate_description else ''}",
        f"Risk tier: {item.tier}",
        f"Attributes: {json.dumps(item.attributes, sort_keys=True, default=str)}",
        f"Round: {item.round}{' (rework)' if item.round else ''}",
    ]
    if item.policy:
        lines.append("Policy this task runs under, tightened by its repository or its filer (value: source):")
        lines += [f"- {path}: {where}" for path, where in sorted(item.policy.items())]
    if item.gate_kind == "review" and item.revision:
        lines.append(f"Revision under review: {item.revision}")
    if item.findings:
        lines.append("Findings to address from the last review:")
        lines += [
            f"- [{f.get('severity', 'info')}] {f.get('text', '')}"
            + (f" ({f['file']})" if f.get("file") else "")
            for f in item.findings
        ]
    if item.plan:
        lines += ["The plan or spec this work follows:", item.plan]
    if item.work:
        what = f"revision {item.revision}" if item.revision else "previous delivery"
        lines += [f"----- BEGIN WORK ({what}) -----"]
        if item.work_summary:
            lines.append(f"Summary: {item.work_summary}")
        lines += [item.work.rstrip("\n"), "----- END WORK -----"]
    return "\n".join(lines)


def build_messages(
    actor: str, lane: Any, role: Role, item: WorkItem, redact: Redactor | None = None
) -> list[dict]:
    """The chat messages for one job, redacted."""
    r = redact or Redactor()
    return [
        {"role": "system", "content": r(_system(actor, lane, role, item))},
        {"role": "user", "content": r(_user(item))},
    ]


def repair_messages(
    messages: list[dict], reply: str, problems: list[str], role: Role, redact: Redactor | None = None
) -> list[dict]:
    """The conversation again, with the bad reply and what to fix: one chance to repair."""
    r = redact or Redactor()
    model = _MODELS[role]
    ask = (
        "Your reply could not be used: " + "; ".join(problems) + ". "
        f"Answer again with exactly one JSON object of type {model.__name__} that validates against the schema "
        "above. No prose, no code fences."
    )
    return [*messages, {"role": "assistant", "content": r(reply[:4000])}, {"role": "user", "content": r(ask)}]
