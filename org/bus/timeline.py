"""Reading the audit log: a task's timeline (who did what, under which rule, with each value's source),
and the global feed `events_since(seq)` for live views."""

from __future__ import annotations

import contextlib
from datetime import datetime

from org.bus.audit import decode_body
from org.bus.context import Ctx, task_key
from org.bus.store import Tx
from org.config.loader import OrgConfig
from org.errors import IntegrityError

__all__ = ["timeline", "events_since", "render_timeline", "summarize"]


def _entry(seq: int, task: str | None, typ: str, body: bytes) -> dict:
    b = decode_body(body)
    if b.get("task") != task or b.get("type") != typ:
        raise IntegrityError(f"event {seq} does not match its columns; run 'org audit verify'")
    return {"seq": seq, **b}


def events_since(
    ctx: Ctx,
    after: int = 0,
    *,
    limit: int = 1000,
    task: str | None = None,
    types: tuple[str, ...] | None = None,
) -> list[dict]:
    """Events with seq > after, oldest first (poll it, or wait with Bus.wait_for_events)."""
    params: dict = {"a": int(after), "lim": max(1, min(int(limit), 100_000))}
    where = "seq > :a"
    if task is not None:
        where += " AND task = :k"
        params["k"] = task_key(task)
    if types:
        where += " AND type IN (" + ", ".join(f":t{i}" for i in range(len(types))) + ")"
        params.update({f"t{i}": t for i, t in enumerate(types)})

    def fn(tx: Tx) -> list[dict]:
        rows = tx.x(
            f"SELECT seq, task, type, body FROM events WHERE {where} ORDER BY seq LIMIT :lim", params
        ).all()
        return [_entry(int(r[0]), r[1], r[2], bytes(r[3])) for r in rows]

    return ctx.store.read(fn)


def timeline(ctx: Ctx, task: str) -> list[dict]:
    """Every event of a task in order, each with the sources of its rules, gate and limits."""
    key = task_key(task)

    def fn(tx: Tx) -> list[dict]:
        row = ctx.task_row(tx, key)
        cfg = ctx.pinned(tx, row.config_hash)
        rows = tx.x("SELECT seq, task, type, body FROM events WHERE task = :k ORDER BY seq", {"k": key}).all()
        out = []
        for r in rows:
            e = _entry(int(r[0]), r[1], r[2], bytes(r[3]))
            e["sources"] = _sources(cfg, row.workflow, e)
            e["summary"] = summarize(e)
            out.append(e)
        return out

    return ctx.store.read(fn)


def _sources(cfg: OrgConfig, workflow: str, e: dict) -> dict:
    d = e.get("data") or {}
    src: dict[str, object] = {}
    if e.get("gate"):
        src["gate"] = d.get("source") or cfg.source(f"gate:{workflow}.{e['gate']}")
    if e.get("actor") and e["actor"] in cfg.actors:
        src["actor"] = cfg.actors[e["actor"]].source
    rules = {}
    for rid in e.get("rules") or []:
        rules[rid] = cfg.source(rid) or "built in"
    for h in d.get("rules") or []:
        if isinstance(h, dict) and h.get("id"):
            rules[h["id"]] = h.get("source") or rules.get(h["id"]) or "built in"
    if rules:
        src["rules"] = rules
    if e["type"] == "task.created":
        src["workflow"] = d.get("workflow_source")
        src["tier"] = d.get("tier_sources")
        src["attributes"] = {
            k: f"--set at task add ({cfg.source('attr:' + k) or 'undeclared'})"
            for k in (d.get("attributes") or {})
        }
    if e["type"] == "task.escalated" or d.get("kind") in ("rework_limit", "no_progress", "budget"):
        src["limits"] = d.get("source") or cfg.source(f"limits:{workflow}")
    if e["type"] == "action.decided":
        src["attributes"] = "task attributes win over --set"
    return {k: v for k, v in src.items() if v}


def _note(d: dict) -> str:
    return f": {d['note']}" if d.get("note") else ""


def summarize(e: dict) -> str:
    d = e.get("data") or {}
    t = e["type"]
    who = e.get("actor") or "engine"
    if t == "task.created":
        return f"{who} started '{d.get('title')}' in {d.get('workflow')}: tier {d.get('tier')} ({d.get('tier_reason')})"
    if t == "gate.ready":
        return f"'{e.get('gate')}' is ready for the {d.get('lane')} lane (round {d.get('round')})"
    if t == "gate.skipped":
        return f"'{e.get('gate')}' skipped: {d.get('reason')}"
    if t in ("gate.passed", "gate.failed"):
        return f"'{e.get('gate')}' {t.split('.')[1]}: {d.get('reason')}"
    if t == "work.submitted":
        return f"{who} delivered '{e.get('gate')}' as revision {d.get('revision')}"
    if t == "review.filed":
        return f"{who} ({d.get('family')}) reviewed revision {d.get('revision')}: {d.get('verdict')} ({d.get('why')})"
    if t == "approval.changes_requested":
        return f"{who} requested changes at '{e.get('gate')}' on revision {d.get('revision')}" + _note(d)
    if t in ("approval.granted", "approval.rejected"):
        return f"{who} {t.split('.')[1]} '{e.get('gate')}' on revision {d.get('revision')}" + (
            f": {d['note']}" if d.get("note") else ""
        )
    if t == "rework.started":
        return f"rework round {d.get('round')} of {d.get('limit')}: back to '{d.get('target')}' after '{d.get('from_gate')}'"
    if t == "task.escalated":
        return f"escalated to a human ({d.get('kind')}): {d.get('reason')}"
    if t == "task.done":
        return f"done on revision {d.get('revision')} (tier {d.get('tier')})"
    if t == "task.tier_raised":
        return (
            f"tier raised {d.get('from')} -> {d.get('tier')} by revision {str(d.get('revision'))[:12]}: "
            f"{d.get('reason')}; now required: {', '.join(d.get('unskipped') or []) or 'no new gate'}"
        )
    if t == "revision.committed":
        return (
            f"{who}'s commit {str(d.get('commit'))[:12]} checked by the diff guard: {d.get('files')} files, "
            f"+{d.get('added')} -{d.get('removed')}"
        )
    if t == "revision.denied":
        return f"the diff guard refused {who}'s commit {str(d.get('commit'))[:12]}: " + "; ".join(
            f"{f.get('rule')}: {f.get('reason')}" for f in d.get("findings") or []
        )
    if t == "outcome.merged":
        return f"org's pipeline merged it as {str(d.get('commit'))[:12]} onto {str(d.get('onto'))[:12]}"
    if t == "outcome.reverted":
        return f"reverted on the target by {str(d.get('commit'))[:12]}"
    if t == "outcome.merge_conflict":
        return f"merge conflict in {', '.join(d.get('conflicts') or [])}"
    if t in ("outcome.tests_passed", "outcome.tests_failed"):
        tst = d.get("tests") or {}
        return f"tests {t.rsplit('_', 1)[1]} on {str(tst.get('commit'))[:12]} (exit {tst.get('exit_code')}, {tst.get('sandbox')})"
    if t == "task.rejected":
        return f"rejected by {who}: {d.get('reason')}"
    if t == "task.resumed":
        return f"{who} resumed the task" + _note(d)
    if t == "job.posted":
        return f"job {e.get('job')} posted for the {e.get('lane')} lane"
    if t == "job.claimed":
        return f"{who} leased job {e.get('job')} (fence {d.get('fence')}, attempt {d.get('attempt')}, until {d.get('expires')})"
    if t == "job.submitted":
        return f"{who} submitted job {e.get('job')}: {e.get('decision')}"
    if t in ("job.cancelled", "job.requeued", "job.dead", "job.released"):
        return (
            f"job {e.get('job')} {t.split('.')[1]}: {d.get('reason') or ('holder ' + str(d.get('holder')))}"
        )
    if t == "tool.called":
        return (
            f"{who} called {d.get('tool')} (job {e.get('job')}): {d.get('result')}, "
            f"{d.get('decision') or 'not decided'}, {d.get('latency_ms')} ms, args sha256 {d.get('args_sha256')}"
            + (f" [{', '.join(d.get('rules') or [])}]" if d.get("rules") else "")
        )
    if t == "action.decided":
        return f"{who} asked to '{d.get('action')}': {e.get('decision')} ({d.get('reason')})"
    if t == "approval.requested":
        return f"approval requested for {d.get('kind')} '{d.get('action') or e.get('gate')}' on revision {d.get('revision')}"
    if t in ("action.approved", "action.rejected"):
        return f"{who} {t.split('.')[1]} '{d.get('action')}'" + _note(d)
    if t in ("switch.paused", "switch.resumed"):
        return f"{who} {t.split('.')[1]} {d.get('scope')} {d.get('target')}" + _note(d)
    if t == "escalation.opened":
        return f"escalation #{d.get('approval')} opened for the {e.get('lane')} lane"
    if t == "credential.used":
        where = "a stand-in " + str(d.get("service")) if d.get("stand_in") else str(d.get("service"))
        return (
            f"the broker called {where} with '{d.get('credential')}' for {who} (job {e.get('job')}): "
            f"{d.get('method')} {d.get('path')} -> {d.get('status')}"
            + (f" {d['excerpt']}" if d.get("excerpt") else "")
        )
    if t == "credential.called":
        return (
            f"the broker makes the approved plan's {d.get('method')} {d.get('path')} with '{d.get('credential')}' "
            f"for {who} (job {e.get('job')})"
        )
    if t in ("credential.refused", "credential.failed"):
        return (
            f"the broker {t.split('.')[1]} '{d.get('credential')}' for {d.get('service')} asked by {who}: "
            f"{d.get('reason') or d.get('error')}"
        )
    return t


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0)) if c != 0x09}


def _visible(line: str) -> str:
    """A line of a diff an agent wrote, safe for a terminal: control characters (escape sequences that could
    rewrite what a person sees) shown as \\xNN."""
    return line.translate(_CONTROL)


DIFF_LINES = 60  # lines of the current revision's diff `org task show` prints (--json has all that is kept)


def revision_text(view: dict, max_lines: int = DIFF_LINES) -> list[str]:
    """A repository task's current revision as people read it: the commit against its base, its size, the
    newest tests, the merge and any revert, then the real diff org read from git (ADR 0091)."""
    ev = view.get("revision_evidence")
    out: list[str] = []
    if not ev:
        return out
    out.append(
        f"  revision {str(ev.get('commit'))[:12]} against base {str(ev.get('base'))[:12]}: {ev.get('files')} "
        f"files, +{ev.get('added')} -{ev.get('removed')} (checked by the diff guard at '{ev.get('gate')}')"
    )
    tests = view.get("tests_evidence") or {}
    if tests.get("tests"):
        tr = tests["tests"]
        ok = "passed" if tr.get("ok") else "failed"
        out.append(
            f"  tests {ok} on {str(tr.get('commit'))[:12]} (exit {tr.get('exit_code')}, {tr.get('sandbox')})"
        )
    merged = view.get("merged_evidence")
    if merged:
        out.append(f"  merged as {str(merged.get('commit'))[:12]} onto {str(merged.get('onto'))[:12]}")
    rev = view.get("reverted_evidence")
    if rev:
        out.append(f"  REVERTED by {str(rev.get('commit'))[:12]}")
    body = (ev.get("patch") or "").splitlines()
    for line in body[:max_lines]:
        out.append(f"    {_visible(line)}")
    more = len(body) - max_lines
    if more > 0 or ev.get("patch_truncated"):
        out.append(
            f"    ... {max(more, 0)} more lines"
            + (" (and more the record keeps only by sha256)" if ev.get("patch_truncated") else "")
            + f" (org task show {view.get('task')} --json has all)"
        )
    return out


def render_timeline(view: dict, entries: list[dict]) -> str:
    """Human text for `org task show`."""
    lines = [
        f"{view['task']}  {view['title']}",
        f"  workflow {view['workflow']} · tier {view['tier']} · status {view['status']} · revision "
        f"{view['revision'] or '-'} · round {view['rounds']} · policy {view['config_hash']}",
    ]
    source = view.get("policy_source") or {}
    for path, where in (source.get("values") or {}).items():  # what the repository's and task's layers set
        lines.append(f"  policy {path} from {where}")
    st = view.get("state") or {}
    if st.get("authors"):
        lines.append(f"  authors {', '.join(st['authors'])} ({', '.join(st.get('author_families') or [])})")
    if view.get("escalation"):
        lines.append(f"  ESCALATED: {view['escalation']}")
    gates = st.get("gates") or {}
    if gates:
        lines.append("  gates: " + ", ".join(f"{g} {s['status']}" for g, s in gates.items()))
    open_jobs = [j for j in view.get("jobs", []) if j["status"] in ("queued", "leased")]
    for j in open_jobs:
        lines.append(
            f"  job {j['job']} {j['gate']} ({j['lane']}) {j['status']}"
            + (f" by {j['leased_by']}" if j["leased_by"] else "")
        )
    for a in view.get("approvals", []):
        if a["status"] == "pending":
            lines.append(
                f"  pending #{a['approval']} {a['kind']} {a['subject']} (revision {a['revision'] or '-'})"
            )
    if view.get("budget_usd") is not None:
        n = view.get("unpriced_calls") or 0
        lines.append(
            f"  spent ${view.get('spent_usd', 0):.4f} of ${view['budget_usd']:.2f}"
            + (f" + {n} unpriced call{'s' if n != 1 else ''} of unknown cost" if n else "")
        )
    lines += revision_text(view)
    lines.append("")
    for e in entries:
        ts = e.get("ts", "")
        with contextlib.suppress(ValueError):
            ts = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").strftime("%H:%M:%S")
        who = e.get("actor") or "engine"
        lane = "/".join(x for x in (e.get("lane"), e.get("family")) if x)
        lines.append(f"#{e['seq']:<6} {ts}  {who}{f' ({lane})' if lane else ''}  {e['type']}")
        lines.append(f"         {e['summary']}")
        src = e.get("sources") or {}
        for rid, where in (src.get("rules") or {}).items():
            lines.append(f"         rule {rid} at {where}")
        for k in ("gate", "workflow", "limits"):
            if src.get(k):
                lines.append(f"         {k} from {src[k]}")
        if src.get("tier"):
            lines.append(f"         tier from {', '.join(x for x in src['tier'] if x)}")
        if isinstance(src.get("attributes"), dict):
            for k, where in src["attributes"].items():
                lines.append(
                    f"         attribute {k}={(e.get('data') or {}).get('attributes', {}).get(k)!r} from {where}"
                )
    return "\n".join(lines)
