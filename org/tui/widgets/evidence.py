"""The evidence for one request as Rich renderables: what changed, reviews, rule checks, ADRs, cost."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

__all__ = ["render_evidence", "VERDICT_STYLE"]

VERDICT_STYLE = {"pass": "green", "approve": "green", "allow": "green", "fail": "red", "reject": "red", "deny": "red",
                 "changes": "yellow", "needs_approval": "yellow"}
MAX_CHANGE_LINES = 40


def _heading(text: str) -> Text:
    return Text(f"\n{text}", style="bold underline")


def _diff(text: str) -> Text:
    """A unified diff coloured line by line (foreground only, so it reads in dark and light themes)."""
    out = Text()
    for line in text.splitlines():
        style = ("bold" if line.startswith(("diff ", "--- ", "+++ ")) else "green" if line.startswith("+")
                 else "red" if line.startswith("-") else "cyan" if line.startswith("@@") else "")
        out.append(line + "\n", style=style)
    out.rstrip()
    return out


def _change(work: dict | None) -> RenderableType:
    if not work:
        return Text("no work delivered yet", style="dim")
    parts: list[RenderableType] = []
    if work.get("note"):
        parts.append(Text(str(work["note"])))
    content = str(work.get("content") or "")
    if content:
        lines = content.splitlines()
        shown = "\n".join(lines[:MAX_CHANGE_LINES])
        is_diff = content.lstrip().startswith(("diff ", "--- ", "@@", "Index: ")) or "\n@@ " in content
        if is_diff:
            parts.append(_diff(shown))
        else:
            parts.append(Text(shown))
        more = len(lines) - MAX_CHANGE_LINES
        tail = f"… {more} more lines; " if more > 0 else ""
        sha = str(work.get("content_sha256") or "")[:12]
        parts.append(Text(f"{tail}{work.get('content_bytes', len(content))} bytes, sha256 {sha}", style="dim"))
    for f in work.get("findings") or []:
        parts.append(Text(f"finding: {f}", style="yellow"))
    return Group(*parts) if parts else Text("delivered without a note or content", style="dim")


def render_evidence(ev: dict) -> RenderableType:
    req = ev.get("request") or {}
    out: list[RenderableType] = []
    head = Text()
    head.append(f"{req.get('task') or '-'}  ", style="bold")
    head.append(ev.get("title") or "", style="bold")
    out.append(head)
    facts = Text()
    facts.append(f"{ev.get('workflow') or '-'} · tier ")
    tier = ev.get("tier") or "-"
    facts.append(tier, style="bold red" if tier == "high" else "bold")
    facts.append(f" · revision {ev.get('revision') or '-'} · round {ev.get('rounds', 0)}")
    out.append(facts)
    ask = Text()
    ask.append("asks: ", style="dim")
    ask.append(f"{req.get('kind')} '{req.get('subject')}'", style="bold")
    ask.append(f"  requested by {req.get('requester') or '-'}, {req.get('age', '')} ago")
    out.append(ask)
    if req.get("reason"):
        out.append(Text(f"why: {req['reason']}", style="italic"))
    if ev.get("escalation"):
        out.append(Text(f"escalated: {ev['escalation']}", style="bold yellow"))
    if ev.get("authors"):
        out.append(Text(f"authors: {', '.join(ev['authors'])} ({', '.join(ev.get('author_families') or [])})",
                        style="dim"))
    if req.get("stale"):
        out.append(Text("STALE: the task moved to a newer revision; the requester must ask again", style="bold red"))
    if req.get("can_decide") is False:
        out.append(Text("you are an author or the requester of this work: you may not decide it", style="bold red"))

    out.append(_heading("What changed"))
    out.append(_change(ev.get("latest_work")))

    out.append(_heading("Reviews"))
    reviews = ev.get("reviews") or []
    if reviews:
        t = Table(box=None, show_header=True, header_style="dim", pad_edge=False, expand=True)
        for c in ("gate", "reviewer", "family", "verdict", "counts", "why"):
            t.add_column(c, overflow="fold", ratio=3 if c == "why" else None)
        for r in reviews:
            v = str(r.get("verdict") or "")
            t.add_row(r.get("gate") or "", r.get("actor") or "", r.get("family") or "",
                      Text(v, style=VERDICT_STYLE.get(v, "")), "yes" if r.get("counts") else "no", r.get("why") or "")
        out.append(t)
    else:
        out.append(Text("no reviews (this tier or workflow requires none)", style="dim"))

    out.append(_heading("Rule checks"))
    checks = ev.get("rule_checks") or []
    if checks:
        t = Table(box=None, show_header=True, header_style="dim", pad_edge=False, expand=True)
        for c in ("rule", "effect", "source", "reason"):
            t.add_column(c, overflow="fold", ratio=2 if c in ("source", "reason") else None)
        for r in checks:
            eff = str(r.get("effect") or "")
            t.add_row(r["id"], Text(eff, style=VERDICT_STYLE.get(eff, "")), r.get("source") or "", r.get("reason") or "")
        out.append(t)
    else:
        out.append(Text("no rule matched this task's actions", style="dim"))

    out.append(_heading("ADRs cited"))
    adrs = ev.get("adrs") or {}
    if adrs:
        for n, why in adrs.items():
            out.append(Text(f"ADR-{int(n):04d}  via {why}   (5: ADRs screen to read it)"))
    else:
        out.append(Text("none", style="dim"))

    out.append(_heading("Cost so far"))
    spent = float(ev.get("spent_usd") or 0.0)
    budget = ev.get("budget_usd")
    cost = Text(f"${spent:.4f}")
    if budget:
        cost.append(f" of ${budget:.2f} budget ({spent / budget:.0%})", style="red" if spent > budget else "")
    cost.append(f" · {ev.get('calls', 0)} model calls, {ev.get('tokens', 0):,} tokens · {ev.get('trace_len', 0)} events")
    out.append(cost)
    return Group(*out)
