"""Render a workflow's gate graph as text, Mermaid or Graphviz dot (optionally for one tier)."""

from __future__ import annotations

from org.config.loader import OrgConfig
from org.engine.graph import plan_for

__all__ = ["render_graph"]


def render_graph(cfg: OrgConfig, workflow: str, tier: str | None, fmt: str) -> str:
    wf = cfg.workflows[workflow]
    tiers = [tier] if tier else [t.id for t in cfg.risk.tiers]
    plans = {t: plan_for(wf, t) for t in tiers}
    order = plans[tiers[0]].order

    def status(gate: str, t: str) -> str:
        if wf.gates[gate].kind == "terminal":
            return "end"
        return "skip" if gate in plans[t].skipped else "req"

    if fmt == "mermaid":
        lines = ["flowchart TD", "  start((start))"]
        for g in order:
            spec = wf.gates[g]
            label = f"{g}<br/>{spec.kind}" + (f" · {spec.lane}" if spec.lane else "")
            if tier:
                label += f"<br/>{status(g, tier)}"
            shape = (
                f"(({g}))"
                if spec.kind == "terminal"
                else (f"{{{{{label}}}}}" if spec.kind == "check" else f'["{label}"]')
            )
            lines.append(f"  {g}{shape}")
        for g in order:
            spec = wf.gates[g]
            for d in spec.after or ["start"]:
                lines.append(f"  {d} --> {g}")
            if spec.on_fail:
                lines.append(f"  {g} -. rework .-> {spec.on_fail}")
        if tier:
            for g, _ in plans[tier].skipped.items():
                lines.append(f"  style {g} stroke-dasharray: 5 5")
        return "\n".join(lines)
    if fmt == "dot":
        lines = [f'digraph "{workflow}" {{', "  rankdir=LR;", "  start [shape=circle];"]
        for g in order:
            spec = wf.gates[g]
            shape = {"terminal": "doublecircle", "check": "diamond", "approval": "house"}.get(
                spec.kind, "box"
            )
            style = ", style=dashed" if tier and g in plans[tier].skipped else ""
            label = f"{g}\\n{spec.kind}" + (f" / {spec.lane}" if spec.lane else "")
            lines.append(f'  "{g}" [shape={shape}, label="{label}"{style}];')
        for g in order:
            spec = wf.gates[g]
            for d in spec.after or ["start"]:
                lines.append(f'  "{d}" -> "{g}";')
            if spec.on_fail:
                lines.append(f'  "{g}" -> "{spec.on_fail}" [style=dotted, label="rework"];')
        lines.append("}")
        return "\n".join(lines)

    def after_of(g: str) -> str:
        spec = wf.gates[g]
        text = ", ".join(spec.after) or "start"
        if len(spec.after) > 1:
            text += " (join)"
        if spec.on_fail:
            text += f"; fail -> {spec.on_fail}"
        return text

    wg = max(6, *(len(g) for g in order)) + 2
    wa = max(7, *(len(after_of(g)) for g in order)) + 2
    head = f"workflow {workflow}" + (f": {wf.description}" if wf.description else "")
    lines = [
        head,
        "  "
        + "gate".ljust(wg)
        + "kind".ljust(10)
        + "lane".ljust(10)
        + "after".ljust(wa)
        + "".join(t.ljust(8) for t in tiers).rstrip(),
    ]
    for g in order:
        spec = wf.gates[g]
        lines.append(
            "  "
            + g.ljust(wg)
            + spec.kind.ljust(10)
            + (spec.lane or "-").ljust(10)
            + after_of(g).ljust(wa)
            + "".join(status(g, t).ljust(8) for t in tiers).rstrip()
        )
    lines.append(
        f"  limits: max {wf.limits.max_rework_rounds} rework round(s); escalate after "
        f"{wf.limits.no_progress_seconds}s without progress"
        + (f"; budget ${wf.limits.budget_usd:g} per task" if wf.limits.budget_usd is not None else "")
    )
    return "\n".join(lines)
