"""What the TUI shows, read from the bus: the inbox with its evidence, the board rows, a task's trace.
Plain functions over the door's reads (`org.identity.guard.Reading`: each call authenticates the human
at the keyboard; no Textual), called from worker threads; `now` is injected."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from org.config.loader import OrgConfig
from org.config.provenance import policy_source
from org.engine.pauses import pausing_switch
from org.errors import OrgError
from org.identity.guard import Reading

__all__ = [
    "age",
    "tier_rank",
    "inbox",
    "evidence",
    "BoardRow",
    "Filters",
    "board_rows",
    "Board",
    "board_update",
    "filter_rows",
    "timeline",
    "pending_count",
    "STATES",
    "adrs_cited",
    "paused_by",
    "task_paused_by",
]

STATES = ("active", "waiting", "paused", "escalated", "done", "rejected")


def age(seconds: float) -> str:
    """'42s', '7m', '3h', '2d': short enough for a column."""
    s = max(0.0, seconds)
    if s < 60:
        return f"{int(s)}s"
    if s < 3600:
        return f"{int(s // 60)}m"
    if s < 86400:
        return f"{int(s // 3600)}h{int(s % 3600 // 60):02d}"
    return f"{int(s // 86400)}d{int(s % 86400 // 3600):02d}"


def tier_rank(cfg: OrgConfig | None, tier: str | None) -> int:
    """Higher is riskier (the order of risk.tiers); unknown tiers rank lowest."""
    if cfg is None or not tier:
        return -1
    try:
        return cfg.tier_index(tier)
    except ValueError:
        return -1


def _epoch(ts: str | None) -> float | None:
    if not ts:
        return None
    try:
        return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


# -- switches -------------------------------------------------------------------------------------
def paused_by(switches: list[dict], cfg: OrgConfig | None, **who) -> str:
    """The label of the switch that stops it (see pausing_switch), or ""."""
    hit = pausing_switch(switches, cfg, **who)
    return hit[0] if hit else ""


def task_paused_by(reads: Reading, view: dict) -> dict | None:
    """The switch that stops this task's open work (from the task's view), with who pulled it, or None."""
    if view.get("status") not in ("active", "escalated"):
        return None
    jobs = [j for j in view.get("jobs") or [] if j.get("status") in ("queued", "leased")]
    hit = pausing_switch(
        reads.switches(),
        reads.config(),
        task=view["task"],
        actors=[j.get("leased_by") or "" for j in jobs],
        lanes=[j["lane"] for j in jobs],
    )
    if hit is None:
        return None
    what, s = hit
    return {"what": what, "switch": s["switch"], "by": s["paused_by"], "note": s.get("note") or ""}


# -- inbox ------------------------------------------------------------------------------------------
def pending_count(reads: Reading, lane: str | None) -> int:
    """Requests this human's lane can settle (cheap: one indexed COUNT)."""
    return reads.pending_count(lane)


def inbox(reads: Reading, human: str, now: float) -> list[dict]:
    """Pending requests for `human`, riskiest tier first, then oldest first."""
    cfg = reads.config()
    items = []
    for p in reads.pending_approvals(human=human):
        ev = p.get("evidence") or {}
        tier = ev.get("tier") or ""
        requester = p.get("requested_by") or ", ".join(ev.get("authors") or []) or "engine"
        items.append(
            {
                **p,
                "tier": tier,
                "workflow": ev.get("workflow") or "",
                "title": ev.get("title") or "",
                "requester": requester,
                "what": p["subject"] if p["kind"] == "gate" else f"{p['kind']} {p['subject']}",
                "age_s": now - float(p["requested_at"]),
                "age": age(now - float(p["requested_at"])),
                "rank": tier_rank(cfg, tier),
            }
        )
    items.sort(key=lambda i: (-i["rank"], i["requested_at"], i["approval"]))
    return items


def adrs_cited(
    cfg: OrgConfig, workflow: str, gates: Iterable[str], rule_ids: Iterable[str]
) -> dict[int, str]:
    """{ADR number: why it is cited}: ADRs behind the task's gates and behind the rules that matched."""
    out: dict[int, str] = {}
    wf = cfg.workflows.get(workflow)
    for g in gates:
        spec = wf.gates.get(g) if wf else None
        for n in spec.adrs if spec else []:
            out.setdefault(n, f"gate {workflow}.{g}")
    by_id = {r.spec.id: r.spec for r in cfg.rules}
    for rid in rule_ids:
        rule = by_id.get(rid)
        if rule is not None and rule.adr:
            out.setdefault(rule.adr, f"rule {rid}")
        elif rid.startswith("ADR-") and rid[4:].isdigit():
            out.setdefault(int(rid[4:]), "ADR constraint check")
    return dict(sorted(out.items()))


ADR_REF = re.compile(r"\bADR-(\d{1,4})\b")


def adrs_in_notes(trace: list[dict], latest_work: dict | None) -> dict[int, str]:
    """{ADR number: who cited it}: ADRs the work and the reviews name in their notes ("cites ADR-0004")."""
    out: dict[int, str] = {}
    for e in trace:
        note = (e.get("data") or {}).get("note")
        if isinstance(note, str):
            for m in ADR_REF.finditer(note):
                out.setdefault(int(m.group(1)), f"{e.get('actor') or 'engine'} at {e.get('gate') or '-'}")
    body = (latest_work or {}).get("content")
    if isinstance(body, str):
        for m in ADR_REF.finditer(body):
            out.setdefault(int(m.group(1)), "the latest work")
    return out


def adr_titles(root, numbers: Iterable[int]) -> dict[int, str]:
    """Titles of these ADRs from adrs/ (missing ones are left out)."""
    numbers = list(numbers)
    if root is None or not numbers:  # nothing cited: no need to parse every ADR file
        return {}
    from org.adrs.parse import load_adrs

    adrs = load_adrs(root)
    return {n: a.title for n in numbers if (a := adrs.get(n)) is not None}


def evidence(reads: Reading, item: dict) -> dict:
    """Everything a person needs to decide one request: what changed, reviews, rule checks, ADRs, cost."""
    task = item["task"]
    ev = dict(item.get("evidence") or {})
    trace = reads.timeline(task) if task else []
    rules: dict[str, dict] = {}
    for e in trace:
        srcs = (e.get("sources") or {}).get("rules") or {}
        hits = {
            h["id"]: h
            for h in ((e.get("data") or {}).get("rules") or [])
            if isinstance(h, dict) and h.get("id")
        }
        for rid in list(e.get("rules") or []) + list(hits):
            h = hits.get(rid, {})
            rules[rid] = {
                "id": rid,
                "effect": h.get("effect") or e.get("decision") or "",
                "source": srcs.get(rid) or h.get("source") or "built in",
                "reason": h.get("reason") or "",
                "event": e["type"],
                "seq": e["seq"],
                "actor": e.get("actor") or "",
                "gate": e.get("gate") or "",
            }
    for rid in item.get("rules") or []:
        rules.setdefault(
            rid,
            {
                "id": rid,
                "effect": "needs_approval",
                "source": "",
                "reason": item.get("reason") or "",
                "event": "approval.requested",
                "seq": 0,
            },
        )
    cfg_hash = ev.get("config_hash")
    cfg = reads.pinned_config(cfg_hash) if cfg_hash else reads.config()
    for r in rules.values():
        if not r["source"] and cfg is not None:
            r["source"] = cfg.source(r["id"]) or "built in"
    gates = {e.get("gate") for e in trace if e.get("gate")}
    if item.get("kind") == "gate":
        gates.add(item["subject"])
    cited = adrs_cited(cfg, ev.get("workflow") or "", sorted(g for g in gates if g), rules) if cfg else {}
    for n, who in adrs_in_notes(trace, ev.get("latest_work")).items():
        cited.setdefault(n, f"cited by {who}")
    cited = dict(sorted(cited.items()))
    calls = usage_rows(reads, task) if task else []
    wf = cfg.workflows.get(ev.get("workflow") or "") if cfg else None
    created = next((e for e in trace if e.get("type") == "task.created"), None)
    why_tier = ((created or {}).get("data") or {}).get("tier_reason") or ""
    tier_src = ", ".join(((created or {}).get("data") or {}).get("tier_sources") or [])
    repo_ev: dict = {}
    if task:
        with contextlib.suppress(OrgError):
            view = reads.task(task)
            repo_ev = {
                k: view.get(k)
                for k in ("revision_evidence", "tests_evidence", "merged_evidence", "reverted_evidence")
                if view.get(k)
            }
    return {
        **ev,
        **repo_ev,
        "request": item,
        "rule_checks": list(rules.values()),
        "adrs": cited,
        "tier_reason": why_tier + (f" ({tier_src})" if why_tier and tier_src else ""),
        "adr_titles": adr_titles(_root(reads), cited),
        "calls": len(calls),
        "tokens": sum(c["tokens_in"] + c["tokens_out"] for c in calls),
        "budget_usd": wf.limits.budget_usd if wf else None,
        "policy_source": policy_source(cfg) if cfg is not None else None,
        "trace_len": len(trace),
    }


# -- board ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BoardRow:
    task: str
    num: int
    title: str
    workflow: str
    tier: str
    status: str
    state: str  # status, or 'waiting' when an active task waits on a human
    gates: str  # the open gates, e.g. "correctness, security"
    paused: str  # what stops it: "task", "lane builder", "actor x", "vendor y", "all", or ""
    lanes: frozenset[str]
    holders: str
    updated_at: float
    created_by: str
    pending: int
    haystack: str = field(repr=False, default="")  # lowercase search key, made once per load
    cells: tuple = field(repr=False, default=())  # what the board shows, made once per load (str, and a time)


def board_rows(reads: Reading) -> list[BoardRow]:
    """Every task with its open gates and lanes (three plain queries; ~10k rows in tens of ms)."""
    return _rows(reads, reads.board())


@dataclass(frozen=True)
class Board:
    """The board as of an audit head: its rows (newest task first) and where each task's row is."""

    head: int
    rows: tuple[BoardRow, ...]
    at: dict[str, int] = field(repr=False, default_factory=dict)


def board_update(reads: Reading, before: Board | None) -> Board:
    """The board now: only the rows of the tasks events touched since `before.head` are made again (and new tasks
    put first); the whole board when there is no `before`, or when something shown on every row changed."""
    b = reads.board(since=None if before is None else before.head)
    fresh = _rows(reads, b)
    if before is None or b["full"]:
        rows = tuple(fresh)
    else:
        old, at = list(before.rows), before.at
        new = []
        for r in fresh:
            i = at.get(r.task)
            if i is None:
                new.append(r)
            else:
                old[i] = r
        gone = set(b["changed"]) - {r.task for r in fresh}  # a task row deleted: not by the bus, but be exact
        if gone:
            old = [r for r in old if r.task not in gone]
        if new and old and min(r.num for r in new) < old[0].num:
            rows = tuple(sorted([*new, *old], key=lambda r: -r.num))
        else:
            rows = tuple(new) + tuple(old)
        if not new and not gone:
            return Board(b["head"], rows, at)
    return Board(b["head"], rows, {r.task: i for i, r in enumerate(rows)})


def _rows(reads: Reading, b: dict) -> list[BoardRow]:
    tasks, jobs, pend, switches = b["tasks"], b["jobs"], b["pending"], b["switches"]
    cfg = reads.config() if switches else None
    open_: dict[str, list[tuple]] = {}
    for t, g, ln, st, who in jobs:
        open_.setdefault(t, []).append((g, ln, st, who))
    out = []
    for tid, key, title, wf, tier, status, upd, by in tasks:
        js = open_.get(key, ())
        gates = ", ".join(dict.fromkeys(j[0] for j in js if j[0]))
        lanes = frozenset(j[1] for j in js)
        holders = ", ".join(dict.fromkeys(j[3] for j in js if j[3]))
        n = int(pend.get(key, 0))
        paused = (
            paused_by(switches, cfg, task=key, actors=[j[3] for j in js], lanes=[j[1] for j in js])
            if switches and status in ("active", "escalated")
            else ""
        )
        state = (
            "paused" if paused and status == "active" else ("waiting" if status == "active" and n else status)
        )
        shown = (
            state
            if not paused
            else (f"paused: {paused}" if state == "paused" else f"{state} (paused: {paused})")
        )
        hay = f"{key} {title} {wf} {tier} {shown} {gates} {' '.join(lanes)} {holders} {by or ''}".lower()
        cells = (
            key,
            title,
            wf,
            tier or "-",
            shown,
            gates or "-",
            holders or ", ".join(sorted(lanes)) or "-",
            float(upd),
        )  # the last is live: the board paints its age
        out.append(
            BoardRow(
                key,
                int(tid),
                title,
                wf,
                tier or "",
                status,
                state,
                gates or "-",
                paused,
                lanes,
                holders,
                float(upd),
                by or "",
                n,
                hay,
                cells,
            )
        )
    return out


@dataclass(frozen=True)
class Filters:
    lane: str | None = None
    state: str | None = None
    tier: str | None = None
    workflow: str | None = None
    text: str = ""

    def describe(self) -> str:
        parts = [
            f"{k}={v}"
            for k, v in (
                ("lane", self.lane),
                ("state", self.state),
                ("tier", self.tier),
                ("workflow", self.workflow),
            )
            if v
        ]
        if self.text:
            parts.append(f"search '{self.text}'")
        return ", ".join(parts) or "no filter"


def filter_rows(rows: list[BoardRow], f: Filters) -> list[BoardRow]:
    words = f.text.lower().split()
    out = []
    for r in rows:
        if f.state and r.state != f.state and not (f.state == "active" and r.state in ("waiting", "paused")):
            continue
        if f.lane and f.lane not in r.lanes:
            continue
        if f.tier and r.tier != f.tier:
            continue
        if f.workflow and r.workflow != f.workflow:
            continue
        if words and not all(w in r.haystack for w in words):
            continue
        out.append(r)
    return out


# -- timeline ---------------------------------------------------------------------------------------
def usage_rows(reads: Reading, task: str) -> list[dict]:
    return reads.task_usage(task)


def _root(reads: Reading):
    """The org's folder (its ADR files)."""
    cfg = reads.config()
    return cfg.root if cfg is not None else None


def timeline(reads: Reading, task: str) -> dict:
    """The task view plus its events and model calls in one time order; every entry has who, what and why."""
    view = reads.task(task)
    entries = []
    for e in reads.timeline(task):
        entries.append(
            {
                "kind": "event",
                "t": _epoch(e.get("ts")) or 0.0,
                "seq": e["seq"],
                "type": e["type"],
                "actor": e.get("actor") or "engine",
                "lane": e.get("lane") or "",
                "family": e.get("family") or "",
                "summary": e.get("summary") or e["type"],
                "decision": e.get("decision") or "",
                "sources": e.get("sources") or {},
                "gate": e.get("gate") or "",
                "data": json.loads(json.dumps(e.get("data") or {}, default=str)),
            }
        )
    for u in usage_rows(reads, task):
        entries.append(
            {
                "kind": "call",
                "t": float(u["ts"]),
                "seq": None,
                "type": "model.call",
                "actor": u["actor"],
                "lane": u["lane"] or "",
                "family": u["family"] or "",
                "summary": f"{u['model']}: {u['tokens_in']} in / {u['tokens_out']} out tokens, "
                + (f"${u['cost_usd']:.4f}" if u["cost_usd"] is not None else "unpriced")
                + f", {u['latency_ms']:.0f} ms ({u['outcome']})",
                "decision": u["outcome"],
                "sources": {},
                "gate": u["gate"] or "",
                "data": u,
            }
        )
    entries.sort(key=lambda x: (x["t"], 0 if x["kind"] == "event" else 1, x["seq"] or 0))
    return {"view": view, "entries": entries}
