"""The evidence for one request as Rich renderables: what changed, reviews, rule checks, ADRs, cost."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

__all__ = ["render_evidence", "VERDICT_STYLE"]

VERDICT_STYLE = {
    "pass": "green",
    "approve": "green",
    "allow": "green",
    "fail": "red",
    "reject": "red",
    "deny": "red",
    "changes": "yellow",
    "needs_approval": "yellow",
}
MAX_CHANGE_LINES = 40


def _heading(text: str) -> Text:
    return Text(f"\n{text}", style="bold underline")


def _diff(text: str) -> Text:
    """A unified diff coloured line by line (foreground only, so it reads in dark and light themes)."""
    out = Text()
    for line in text.splitlines():
        style = (
            "bold"
            if line.startswith(("diff ", "--- ", "+++ "))
            else "green"
            if line.startswith("+")
            else "red"
            if line.startswith("-")
            else "cyan"
            if line.startswith("@@")
            else ""
        )
        out.append(line + "\n", style=style)
    out.rstrip()
    return out


def _plan(content: str) -> Text | None:
    """An ops plan (JSON with 'actions') as numbered lines a person reads, or None when it is not one."""
    import json

    try:
        doc = json.loads(content)
    except ValueError:
        return None
    actions = doc.get("actions") if isinstance(doc, dict) else None
    if not isinstance(actions, list):
        return None
    out = Text()
    if doc.get("summary") or doc.get("goal"):
        out.append(f"{doc.get('summary') or doc.get('goal')}\n", style="bold")
    for i, a in enumerate(actions, 1):
        a = a if isinstance(a, dict) else {"action": str(a)}
        out.append(f"{i}. ", style="bold")
        out.append(str(a.get("action") or "-"), style="bold")
        attrs = a.get("attributes") or {}
        if attrs:
            out.append("  " + ", ".join(f"{k}={v}" for k, v in attrs.items()))
        call = a.get("call")
        if isinstance(call, dict):
            out.append(
                f"\n   calls {call.get('credential') or call.get('service') or '-'}: "
                f"{call.get('method') or 'GET'} {call.get('path') or '/'}",
                style="cyan",
            )
        elif "call" in a:
            out.append("\n   names no call (execution will block and escalate)", style="yellow")
        for k in ("version", "why", "rollback"):
            if a.get(k):
                out.append(f"\n   {k}: {a[k]}", style="dim")
        out.append("\n")
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
        plan = None if is_diff else _plan(content)
        if is_diff:
            parts.append(_diff(shown))
        elif plan is not None:
            parts.append(plan)
        else:
            parts.append(Text(shown))
        more = len(lines) - MAX_CHANGE_LINES
        tail = f"… {more} more lines; " if more > 0 else ""
        sha = str(work.get("content_sha256") or "")[:12]
        parts.append(
            Text(f"{tail}{work.get('content_bytes', len(content))} bytes, sha256 {sha}", style="dim")
        )
    for f in work.get("findings") or []:
        parts.append(Text(f"finding: {f}", style="yellow"))
    return Group(*parts) if parts else Text("delivered without a note or content", style="dim")


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0)) if c != 0x09}


def _visible(line: str) -> str:
    """An agent's line, safe for a terminal: control characters (escape sequences) shown as \\xNN."""
    return line.translate(_CONTROL)


def revision_diff(
    rev: dict | None, view: dict | None = None, max_lines: int = MAX_CHANGE_LINES
) -> RenderableType:
    """A repository task's current revision: the commit against its base, size, tests, merge or revert, and the
    real diff org read from git (control characters made visible: the text is an agent's)."""
    if not rev:
        return Text("no revision checked yet", style="dim")
    view = view or {}
    parts: list[RenderableType] = [
        Text(
            f"commit {str(rev.get('commit'))[:12]} against base {str(rev.get('base'))[:12]}: "
            f"{rev.get('files')} files, +{rev.get('added')} -{rev.get('removed')}",
            style="bold",
        )
    ]
    tests = (view.get("tests_evidence") or {}).get("tests") or {}
    if tests:
        ok = bool(tests.get("ok"))
        parts.append(
            Text(
                f"tests {'passed' if ok else 'failed'} on {str(tests.get('commit'))[:12]} "
                f"(exit {tests.get('exit_code')}, {tests.get('sandbox')})",
                style="green" if ok else "red",
            )
        )
    if view.get("merged_evidence"):
        parts.append(Text(f"merged as {str(view['merged_evidence'].get('commit'))[:12]}", style="green"))
    if view.get("reverted_evidence"):
        parts.append(
            Text(f"REVERTED by {str(view['reverted_evidence'].get('commit'))[:12]}", style="bold red")
        )
    lines = [_visible(x) for x in str(rev.get("patch") or "").splitlines()]
    if lines:
        parts.append(_diff("\n".join(lines[:max_lines])))
    more = len(lines) - max_lines
    if more > 0 or rev.get("patch_truncated"):
        parts.append(
            Text(
                f"… {max(more, 0)} more lines; patch sha256 {str(rev.get('patch_sha256') or '')[:12]}",
                style="dim",
            )
        )
    return Group(*parts)


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
    if ev.get(
        "tier_reason"
    ):  # the real reason the task is at this tier, on top (the rule that classified it)
        out.append(Text(f"tier {tier} because {ev['tier_reason']}", style="bold" if tier == "high" else ""))
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
        out.append(
            Text(
                f"authors: {', '.join(ev['authors'])} ({', '.join(ev.get('author_families') or [])})",
                style="dim",
            )
        )
    if req.get("stale"):
        out.append(
            Text("STALE: the task moved to a newer revision; the requester must ask again", style="bold red")
        )
    if req.get("can_decide") is False:
        out.append(
            Text("you are an author or the requester of this work: you may not decide it", style="bold red")
        )

    out.append(_heading("What changed"))
    if ev.get("revision_evidence"):  # a repository task: the real diff of the bound commit, not a description
        out.append(revision_diff(ev["revision_evidence"], ev))
    else:
        out.append(_change(ev.get("latest_work")))

    out.append(_heading("Reviews"))
    reviews = ev.get("reviews") or []
    for r in reviews:
        v = str(r.get("verdict") or "")
        line = Text()
        line.append(f"{r.get('gate') or '-'}: ", style="bold")
        line.append(f"{r.get('actor') or '-'} ({r.get('family') or '-'}) ")
        line.append(v, style=VERDICT_STYLE.get(v, ""))
        line.append(
            "  counts" if r.get("counts") else "  does not count",
            style="dim" if r.get("counts") else "yellow",
        )
        out.append(line)
        if r.get("why"):
            out.append(Text(f"  {r['why']}", style="dim"))
    if not reviews:
        out.append(Text("no reviews (this tier or workflow requires none)", style="dim"))

    out.append(_heading("Rule checks"))
    checks = ev.get("rule_checks") or []
    for r in checks:
        eff = str(r.get("effect") or "")
        line = Text()
        line.append(r["id"], style="bold")
        if eff:
            line.append(f" {eff}", style=VERDICT_STYLE.get(eff, ""))
        else:  # a classify rule (it set the tier) has no allow/deny: say where it matched
            line.append(f" matched at {r.get('event') or 'this task'}", style="dim")
        line.append(f"  {r.get('source') or 'built in'}", style="cyan")
        if eff in ("deny", "needs_approval") and r.get(
            "actor"
        ):  # who tried it (a RED denial names the actor)
            line.append(f"  by {r['actor']}" + (f" at {r['gate']}" if r.get("gate") else ""), style="bold")
        out.append(line)
        if r.get("reason"):
            out.append(Text(f"  {r['reason']}", style="dim"))
    if not checks:
        out.append(Text("no rule matched this task's actions", style="dim"))
    layered = (ev.get("policy_source") or {}).get("values") or {}
    for path, where in layered.items():  # what the repository's and the task's layers tightened (ADR 0120)
        line = Text()
        line.append(f"policy {path}", style="bold")
        line.append(f"  {where}", style="cyan")
        out.append(line)

    out.append(_heading("ADRs cited"))
    adrs = ev.get("adrs") or {}
    if adrs:
        titles = ev.get("adr_titles") or {}
        for n, why in adrs.items():
            line = Text(f"ADR-{int(n):04d} ", style="bold")
            line.append(titles.get(n, "(not in adrs/)"))
            out.append(line)
            out.append(Text(f"  {why if why.startswith('cited') else 'via ' + why}", style="dim"))
        out.append(Text("5: the ADRs screen reads them", style="dim"))
    else:
        out.append(Text("none", style="dim"))

    out.append(_heading("Cost so far"))
    spent = float(ev.get("spent_usd") or 0.0)
    budget = ev.get("budget_usd")
    cost = Text(f"${spent:.4f}")
    if budget:
        cost.append(f" of ${budget:.2f} budget ({spent / budget:.0%})", style="red" if spent > budget else "")
    if ev.get("unpriced_calls"):
        cost.append(f" + {ev['unpriced_calls']} unpriced call(s), cost unknown", style="yellow")
    cost.append(
        f" · {ev.get('calls', 0)} model calls, {ev.get('tokens', 0):,} tokens · {ev.get('trace_len', 0)} events"
    )
    out.append(cost)
    return Group(*out)
