"""A request's attributes checked against the org's declarations: the one place they are named and typed.

Filing a task, acting on one, explaining a decision and decide() itself all type attributes here (the
value rules are `org.engine.conditions.coerce`), so `--set irreversible=on` is refused alike everywhere
instead of being a high-tier task to one command and a bad attribute to another. Callers only choose
how to show the problems: the bus and the CLI raise `require_attributes`'s UsageError (exit 2), decide()
answers a deny with the same wording (`problem_text`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from org.config.loader import OrgConfig
from org.engine.conditions import BAD, coerce
from org.errors import UsageError

__all__ = ["DERIVED", "ORG_SET", "AttributeProblem", "typed_attributes", "require_attributes", "problem_text"]

# Computed by the engine, never taken from a request ('tier' is the one a request may raise, see policy).
DERIVED = ("credential_service", "action")
# Set by org when a task is filed, never by --set: the task's repository (--repo, checked against gates/repos.yaml).
# The paths a revision changes reach rules as `paths` (org reads them from git; never a request's word).
ORG_SET = ("repo", "paths")


@dataclass(frozen=True)
class AttributeProblem:
    """Why one attribute of a request cannot be used: derived (org computes it), unknown, or a bad value."""

    name: str
    value: Any
    kind: str  # "derived" | "unknown" | "value"


def typed_attributes(
    cfg: OrgConfig, attributes: Mapping[str, Any] | None, *, names: bool = True, org_set: bool = False
) -> tuple[dict[str, Any], list[AttributeProblem]]:
    """(the attributes typed as declared, None dropped; the problems). With `names`, a derived name, a name
    only org sets (unless `org_set`: org itself is filing the task) and, when the org declares any
    attributes, an undeclared one are problems too (a misspelt name would silently escape the rules that
    read it)."""
    out: dict[str, Any] = {}
    problems: list[AttributeProblem] = []
    for k, v in (attributes or {}).items():
        if names and k in DERIVED:
            problems.append(AttributeProblem(k, v, "derived"))
            continue
        if names and k in ORG_SET:
            if not org_set:
                problems.append(AttributeProblem(k, v, "org-set"))
            elif v is not None:
                out[k] = v
            continue
        if v is None:
            continue
        spec = cfg.attributes.get(k)
        if names and spec is not None and spec.source == "org" and not org_set:
            problems.append(AttributeProblem(k, v, "derived"))  # org derives it (ADR 0071), nobody sets it
            continue
        if spec is None and names and cfg.attributes:
            problems.append(AttributeProblem(k, v, "unknown"))
            continue
        c = coerce(spec, v)
        if c is BAD:
            problems.append(AttributeProblem(k, v, "value"))
            continue
        out[k] = c
    return out, problems


def problem_text(cfg: OrgConfig, p: AttributeProblem) -> str:
    """One problem in words, with the file and line that declares the attribute."""
    if p.kind == "derived":
        return f"'{p.name}' is derived by the engine and cannot be set"
    if p.kind == "org-set" and p.name == "paths":
        return "'paths' are the paths a revision changes: org reads them from git, nobody sets them"
    if p.kind == "org-set":
        return f"'{p.name}' is set by --{p.name}, not --set"
    if p.kind == "unknown":
        first = sorted(cfg.attributes)[0]
        return (
            f"unknown attribute '{p.name}' (declared: {', '.join(sorted(cfg.attributes))}; "
            f"see {cfg.source('attr:' + first)})"
        )
    spec = cfg.attributes[p.name]
    want = f"one of {', '.join(spec.values)}" if spec.values is not None else f"a {spec.type}"
    return f"attribute '{p.name}' must be {want}, not {p.value!r} ({cfg.source('attr:' + p.name)})"


def require_attributes(
    cfg: OrgConfig, attributes: Mapping[str, Any] | None, *, org_set: bool = False
) -> dict[str, Any]:
    """The attributes typed, or UsageError (exit 2) naming every problem."""
    out, problems = typed_attributes(cfg, attributes, org_set=org_set)
    if problems:
        raise UsageError("; ".join(problem_text(cfg, p) for p in problems))
    return out
