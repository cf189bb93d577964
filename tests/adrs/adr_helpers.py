"""Helpers for the ADR tests: write ADR files, and stand-ins for the foundation ADRs 4-7."""

from __future__ import annotations

from pathlib import Path

import yaml

PIPELINE_ONLY = {
    "id": "pipeline-only",
    "text": "Host configuration changes go through the pipeline",
    "when": {"attr": "kind", "eq": "config"},
    "require": {"attr": "via", "eq": "pipeline"},
    "rule": "RED-HOST-CONFIG-OUTSIDE-PIPELINE",
}

BODY = """
## Context and Problem Statement

{context}

## Considered Options

* {title}
* Something else

## Decision Outcome

Chosen option: "{title}", because {context}

### Consequences

* Good, because it is settled.
"""


def write_adr(
    root: Path, number: int, title: str, *, slug: str | None = None, context: str = "", **meta
) -> Path:
    """Write adrs/NNNN-slug.md with these front-matter fields (status accepted and a date by default)."""
    from org.adrs.parse import slugify

    fm = {"status": "accepted", "date": "2026-11-21", "deciders": ["tests"], **meta}
    text = "---\n" + yaml.safe_dump(fm, sort_keys=False, default_flow_style=False) + "---\n"
    text += f"# {number}. {title}\n" + BODY.format(
        title=title, context=context or f"we need {title.lower()}."
    )
    path = root / "adrs" / f"{number:04d}-{slug or slugify(title)}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def foundation_adrs(root: Path) -> None:
    """Stand-ins for the foundation ADRs the default org's rules and gates cite (4, 5, 6, 7)."""
    write_adr(
        root,
        4,
        "Reviews come from another model family",
        tags=["review", "policy"],
        gates=["change.correctness"],
        context="a model reviewing its own family's work misses the same bugs.",
    )
    write_adr(
        root,
        5,
        "Humans approve consequential work",
        tags=["approval", "policy"],
        rules=["CONSEQ-IRREVERSIBLE", "CONSEQ-CREDENTIAL", "CONSEQ-PRODUCTION"],
        gates=["change.approval", "ops.approval"],
        context="irreversible actions need a human who is not an author.",
    )
    write_adr(
        root,
        6,
        "A credential serves only its own service",
        tags=["credentials", "security"],
        rules=["RED-CREDENTIAL-REUSE"],
        context="reusing one service's credential for another leaks authority.",
    )
    write_adr(
        root,
        7,
        "Host configuration only through the pipeline",
        tags=["ops", "hosts", "config"],
        rules=["RED-HOST-CONFIG-OUTSIDE-PIPELINE"],
        paths=["infra/**", "hosts/*.yaml"],
        constraints=[PIPELINE_ONLY],
        context="hand-edited host configuration drifts and nobody can reproduce it; the pipeline is the "
        "only path to a host.",
    )


def drive(cfg, events: list, extra_check) -> list:
    """Work every ready gate with the first eligible member until the task closes (all pass/approve)."""
    from org.engine.flow import eligible_members, submit
    from org.engine.state import fold

    events = list(events)
    for _ in range(50):
        state = fold(events)
        if not state.open or not state.ready_gates():
            return events
        gate = state.ready_gates()[0]
        kind = cfg.workflows[state.workflow].gates[gate].kind
        who = eligible_members(cfg, state, gate)[0]
        verdict = {"work": "pass", "review": "pass", "approval": "approve"}[kind]
        events += submit(cfg, state, who, gate, verdict, content=f"{gate} by {who}", extra_check=extra_check)
    raise AssertionError("the task did not close in 50 steps")
