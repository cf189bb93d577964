"""The live story of a run, told from the bus's event log (the same record tests and auditors read):
one line per thing a person would want to see, without the plumbing (leases, ready gates)."""

from __future__ import annotations

import json
import re
import sys
import threading
from collections.abc import Callable
from typing import Any, TextIO

__all__ = ["Narrator", "line_for", "call_text"]

_SYMBOLS = {
    "new": "+",
    "work": ">",
    "pass": "ok",
    "changes": "<-",
    "rework": "<-",
    "deny": "XX",
    "wait": "..",
    "done": "OK",
    "escalated": "!!",
    "allow": "ok",
    "info": " -",
}
_UNICODE = {
    "new": "●",
    "work": "✎",
    "pass": "✓",
    "changes": "↩",
    "rework": "↻",
    "deny": "⛔",
    "wait": "⏸",
    "done": "✔",
    "escalated": "⚠",
    "allow": "✓",
    "info": "·",
}


def _short(rev: Any) -> str:
    return str(rev)[:8] if rev else "-"


def call_text(c: dict) -> str:
    """One service call made by the broker, as the story, the timeline notes and `org run` tell it:
    'jira POST /rest/api/2/issue -> 201 REL-1 (a stand-in jira, through the broker; ...)'. `c`: credential,
    service, method, path, status, answer (the scrubbed body or its excerpt), stand_in."""
    answer = str(c.get("answer") or "")
    short = ""
    try:
        doc = json.loads(answer)
        short = str(doc.get("key") or doc.get("id") or "") if isinstance(doc, dict) else ""
    except ValueError:
        m = re.search(r'"(?:key|id)":\s*"([^"]{1,40})"', answer)
        short = m.group(1) if m else answer[:60]
    where = "a stand-in " + str(c.get("service")) if c.get("stand_in") else str(c.get("service"))
    return (
        f"{c.get('credential')} {c.get('method')} {c.get('path')} -> {c.get('status')}"
        + (f" {short}" if short else "")
        + f" ({where}, through the broker; the agent never held the secret)"
    )


def _tests_said(tests: dict) -> str:
    """What a test run's output says in a few words: its count line, the first failing test, the verdict."""
    lines = [ln.strip() for ln in str(tests.get("tail") or "").splitlines() if ln.strip()]
    ran = next((ln for ln in reversed(lines) if re.match(r"^Ran \d+ tests?", ln)), "")
    fail = next((ln for ln in lines if ln.startswith(("FAIL: ", "ERROR: "))), "")
    fail = fail.split(" (")[0]
    last = lines[-1] if lines else f"exit {tests.get('exit_code')}"
    return ", ".join(x for x in (ran.split(" in ")[0], fail, last if last != ran else "") if x)


def line_for(
    e: dict, labels: dict[str, str], sources: Callable[[str], str], quiet: frozenset[str] = frozenset()
) -> tuple[str, str] | None:
    """(symbol key, text) for an event worth telling, else None. `quiet`: actions whose allowed decisions are
    plumbing (a work gate's own action, decided for every tool call of a builder working with tools)."""
    d = e.get("data") or {}
    t, who, gate = e["type"], e.get("actor") or "engine", e.get("gate")
    fam = e.get("family") or d.get("family")
    who_f = f"{who} ({fam})" if fam and fam != "human" else who
    if t == "task.created":
        skipped = ""
        return "new", (
            f"{labels.get(e['task'], '')}: '{d.get('title')}' -> {d.get('workflow')} workflow, "
            f"tier {d.get('tier')} ({d.get('tier_reason')}){skipped}"
        )
    if t == "gate.skipped":
        return None
    if t == "task.tier_raised":
        more = ", ".join(d.get("unskipped") or [])
        return "wait", (
            f"tier raised {d.get('from')} -> {d.get('tier')} by revision {_short(d.get('revision'))}'s paths "
            f"({', '.join(d.get('rules') or [])}: {d.get('reason')})"
            + (f"; now required: {more}" if more else "")
        )
    if t == "work.submitted":
        note = (d.get("note") or "").split(". ")[0]
        return "work", f"{gate}: {who_f} delivered revision {_short(d.get('revision'))}" + (
            f" - {note}" if note else ""
        )
    if t == "review.filed":
        v = d.get("verdict")
        f = d.get("findings") or []
        first = f"; {f[0].get('severity')}: {f[0].get('text')}" if f else ""
        how = "counts (" + str(d.get("why", "")).removeprefix("counts: ") + ")" if d.get("counts") else ""
        return ("pass" if v == "pass" else "changes"), (
            f"{gate}: {who_f} reviewed {_short(d.get('revision'))}: {v}{first}" + (f" - {how}" if how else "")
        )
    if t == "rework.started" and d.get("target"):
        return (
            "rework",
            f"sent back to '{d.get('target')}' for rework (round {d.get('round')} of {d.get('limit')})",
        )
    if t == "action.decided":
        outcome = e.get("decision")
        a = d.get("attributes") or {}
        what = str(d.get("action"))
        if a.get("credential"):
            what += f" (credential {a['credential']} for service {a.get('service', '?')})"
        elif a.get("via"):
            what += f" (via {a['via']})"
        if outcome == "deny":
            rules = ", ".join(f"{r} ({sources(r) or 'built in'})" for r in e.get("rules") or [])
            return "deny", f"{who_f} tried {what}: DENIED by {rules}"
        if outcome == "allow" and d.get("action") in quiet and not d.get("approved_by"):
            return None
        if outcome == "needs_approval":
            return "wait", f"{who_f} asked for {what}: needs a human ({', '.join(e.get('rules') or [])})"
        return "allow", f"{who_f} {what}: allowed" + (
            f" (approved by {d['approved_by']})" if d.get("approved_by") else ""
        )
    if t == "credential.used":
        ok = int(d.get("status") or 0) < 400
        return ("allow" if ok else "escalated"), f"{who_f} " + call_text({**d, "answer": d.get("excerpt")})
    if t == "approval.requested":
        if d.get("kind") == "action" or d.get("action"):
            return "wait", (
                f"waiting for a human to approve '{d.get('action')}' on revision {_short(d.get('revision'))}"
            )
        return (
            "wait",
            f"waiting for a human at '{gate or d.get('subject')}' (revision {_short(d.get('revision'))})",
        )
    if t == "gate.passed" and gate == "eligibility":
        return "info", f"{gate}: {d.get('reason')}"
    if t in ("gate.passed", "gate.failed") and isinstance(d.get("tests"), dict):
        ok = t == "gate.passed"
        return ("pass" if ok else "changes"), (
            f"{gate or d.get('gate')}: the repository's tests {'passed' if ok else 'FAILED'} on "
            f"{_short(d['tests'].get('commit') or d.get('revision'))} ({_tests_said(d['tests'])}; org's pipeline)"
        )
    if t == "task.done":
        skipped = ", ".join(d.get("skipped") or [])
        merge = d.get("merge") if isinstance(d.get("merge"), dict) else None
        into = (
            f"; merged by org's pipeline as {_short(merge.get('commit'))}"
            if merge and merge.get("commit")
            else ""
        )
        return "done", f"done on revision {_short(d.get('revision'))}{into}" + (
            f" (skipped: {skipped})" if skipped else ""
        )
    if t == "task.escalated":
        return "escalated", f"escalated to a human ({d.get('kind')}): {d.get('reason')}"
    if t in ("job.released", "job.failed", "job.dead"):
        why = d.get("reason") or ""
        if "dispatcher is stopping" in why or "stopped" in why:
            return None
        return "escalated" if t != "job.released" else "info", f"{gate or 'job'}: {t.split('.')[1]} - {why}"
    if t == "switch.paused":
        return "escalated", f"paused {d.get('scope')} {d.get('target')}: {d.get('note')}"
    return None


class Narrator:
    """Tails the event log and prints the story; run it in a thread while the dispatcher works."""

    def __init__(
        self,
        port: Any,
        cfg: Any,
        labels: dict[str, str] | None = None,
        out: TextIO | None = None,
        after: int = 0,
    ) -> None:
        self.port = port
        self.cfg = cfg
        self.labels = labels or {}
        self.out = out or sys.stdout
        self.after = after
        self.lines: list[str] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        enc = (getattr(self.out, "encoding", None) or "").lower()
        self.symbols = _UNICODE if "utf" in enc else _SYMBOLS
        self.quiet = frozenset(
            g.action
            for wf in cfg.workflows.values()
            for g in wf.gates.values()
            if g.kind == "work" and g.action
        )

    def _source(self, rule: str) -> str:
        return self.cfg.source(rule)

    def drain(self) -> int:
        n = 0
        while True:
            evs = self.port.door.events_since(self.port.any_token(), self.after, limit=500)
            if not evs:
                return n
            for e in evs:
                self.after = e["seq"]
                got = line_for(e, self.labels, self._source, self.quiet)
                if got is None:
                    continue
                sym, text = got
                task = e.get("task") or ""
                line = f"  {task:>5} {self.symbols[sym]:2} {text}"
                self.lines.append(line)
                print(line, file=self.out, flush=True)
                n += 1

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.drain()
            self.port.door.wait_for_events(self.port.any_token(), self.after, 0.2)

    def start(self) -> Narrator:
        self._thread = threading.Thread(target=self._loop, name="org-story", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.drain()
