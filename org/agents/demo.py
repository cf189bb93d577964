"""`org demo`: the org at work on a realistic mix, told live from the event log, in well under a minute.

On the current org and its default SQLite database, started afresh (an earlier database is moved
aside, and the user is told where), and on a real git repository: the sample webhook service the starter
org's gates/repos.yaml names (org.agents.demorepo), made afresh. Five tasks: a code change, a docs edit and a
production deploy in that repository (the `code` workflow: real diffs, the repository's own tests on each
commit, reviews of the commit, a merge by org's pipeline at done), a disposable dev-environment rebuild and a
credential-bearing action (a Jira ticket). The built-in agents work them with tools against the local model
(or the real providers when their keys are set), whose builders carry scripted defects (an off-by-one the
repository's tests catch, TLS verification switched off that security catches, a broken link a reviewer
catches): cross-vendor reviews, changes sent back and fixed, the light path, the security agent's overreach
denied by the RED rules, production work left waiting for a human. Ends with a summary and what to do next.
The same story every run: the same tasks, attempts, findings and denials (only ids, hashes and times vary).

The demo stands in the external services its credential-bearing task calls the way it stands in the
models (org.agents.standin): the broker is pointed at a stand-in Jira on loopback for the demo's own tasks
(recognised by the idempotency keys they were filed with), in this run and in an `org run` on the same
database, so approving the Jira task and running the agents files a ticket through the broker.
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from org.errors import UsageError

__all__ = [
    "DEMO_TASKS",
    "DEMO_SEED",
    "DemoResult",
    "prepare_demo",
    "run_demo",
    "fresh_database",
    "render_summary",
    "demo_key",
    "demo_stand_ins",
    "demo_local_config",
    "stand_ins_in_db",
]

# (label, title, workflow, attributes); the `code` workflow's tasks work in the sample repository
DEMO_TASKS: tuple[tuple[str, str, str, dict], ...] = (
    ("code change", "Add retry with backoff to the webhook sender", "code", {"kind": "code"}),
    ("docs edit", "Document the webhook retry policy", "code", {"kind": "docs"}),
    (
        "production deploy",
        "Deploy release 2.4.1 to production",
        "code",
        {"kind": "deploy"},  # production by its paths: deploy/** raises the tier to high (gates/repos.yaml)
    ),
    (
        "dev rebuild",
        "Rebuild the disposable dev environment",
        "ops",
        # a disposable environment is rebuilt, never lost: said, since silence on a fact a rule reads is read
        # at its worst (ADR 0168) and would put a human on the light path
        {"kind": "env", "environment": "dev", "disposable": True, "irreversible": False},
    ),
    (
        "credential action",
        "File the release ticket in Jira",
        "ops",
        {"kind": "ops", "environment": "staging", "credential": "jira", "service": "jira"},
    ),
)


def demo_key(label: str) -> str:
    """The idempotency key the demo files a task with (how the broker's stand-ins recognise its tasks)."""
    return f"demo:{label}"


def demo_stand_ins(cfg: Any) -> dict[str, list[str]]:
    """{credential: idempotency keys} of the demo's tasks whose credential's service has a stand-in
    (org.agents.standin): the demo stands in those services the way it stands in the models."""
    from org.agents.standin import SERVICES

    out: dict[str, list[str]] = {}
    for label, _title, _wf, attrs in DEMO_TASKS:
        spec = cfg.credentials.get(str(attrs.get("credential")))
        if spec is not None and spec.service in SERVICES and attrs.get("service") == spec.service:
            out.setdefault(str(attrs["credential"]), []).append(demo_key(label))
    return out


def stand_ins_in_db(cfg: Any, db_url: str, as_: str | None = None) -> dict[str, list[str]]:
    """The demo's stand-ins that `org run` needs on this database: those of the demo's tasks it holds (none
    on a database the demo did not fill, and none for tasks of your own). Read through the door as the human
    `as_` (default: the org's first human whose own token file is on this account); a caller no human's token
    speaks for learns nothing (no stand-ins), and each refusal is in the audit log."""
    from org.bus import sqlite_path
    from org.errors import Denied, Paused
    from org.identity.guard import Guard

    want = demo_stand_ins(cfg)
    if not want:
        return {}
    path = sqlite_path(db_url) if db_url.startswith("sqlite") else None
    if db_url.startswith("sqlite") and (path is None or not path.exists()):
        return {}
    humans = [as_] if as_ else [a.id for a in cfg.actors.values() if a.is_human]
    keys: set[str] = set()
    with Guard.open(db_url, root=cfg.root, config=cfg) as door:
        for human in humans:
            try:
                keys = door.active_keys(None, "demo:", as_=human)
                break
            except (Denied, Paused):  # no file here, a stale one, or a paused human: the next
                continue
    return {c: [k for k in ks if k in keys] for c, ks in want.items() if keys & set(ks)}


_CREDENTIAL_TITLE = next(title for label, title, _wf, _a in DEMO_TASKS if label == "credential action")
# The local model's seed and its builders' scripted defects for the demo, one per attempt: the code change's
# first attempt has an off-by-one the repository's tests catch, its second TLS verification switched off that
# security catches, its third is clean; the docs edit's first has a broken link a reviewer catches.
DEMO_SEED = 7
DEMO_DEFECT_RATE = 0.5  # unused while DEMO_DEFECTS is set
DEMO_DEFECTS: dict[str, list[str]] = {"code": ["logic", "security"], "docs": ["docs"], "deploy": []}
DEMO_LATENCY_S = 0.12


@dataclass
class DemoResult:
    db_url: str
    moved_to: str | None
    tasks: list[dict]
    report: Any
    wall_s: float
    story: list[str]
    local: bool = True
    repository: str | None = None  # the sample repository's folder (None: the org names none)

    def summary(self) -> dict:
        done = [t for t in self.tasks if t["status"] == "done"]
        # a successful outcome: done, and for a task in a repository merged and not reverted (issue 13)
        succeeded = [t for t in done if t.get("success", True)]
        merged = [t for t in done if t.get("merged")]
        waiting = [t for t in self.tasks if t.get("pending_approvals")]
        blocked = [t for t in self.tasks if t["status"] in ("escalated", "rejected")]
        denied = [a for a in self.report.actions if a["outcome"] == "deny"]
        cost = self.report.cost_usd
        return {
            "database": self.db_url,
            "moved_aside": self.moved_to,
            "wall_s": round(self.wall_s, 2),
            "done": [t["task"] for t in done],
            "awaiting_approval": [t["task"] for t in waiting],
            "blocked": [t["task"] for t in blocked],
            "denied_actions": denied,
            "calls": self.report.calls,
            "unpriced_calls": self.report.unpriced_calls,
            "succeeded": [t["task"] for t in succeeded],
            "merged": [{"task": t["task"], "commit": t["merged"]} for t in merged],
            "repository": self.repository,
            **cost_fields(cost, self.report.calls, self.report.unpriced_calls, len(succeeded)),
            "cost_per_merged_change_usd": (
                round(cost / len(merged), 6) if merged and not self.report.unpriced_calls else None
            ),
            "tasks": [
                {
                    k: t.get(k)
                    for k in ("task", "title", "workflow", "tier", "status", "rounds", "pending_approvals")
                }
                for t in self.tasks
            ],
        }


def cost_fields(cost: float, calls: int, unpriced: int, done: int) -> dict:
    """cost_usd (None when every call was unpriced) and cost_per_success_usd (None when any call was
    unpriced: the true cost is unknown, ADR 0051, never an understated number)."""
    return {
        "cost_usd": None if calls and unpriced >= calls else round(cost, 6),
        "cost_per_success_usd": round(cost / done, 6) if done and not unpriced else None,
    }


def cost_text(cost: float | None, unpriced: int) -> str:
    """ "$X", "$X + N unpriced calls" or "unpriced (N calls)": unknown spend is never shown as $0."""
    calls = f"{unpriced} unpriced call{'s' if unpriced != 1 else ''}"
    if cost is None:
        return f"unpriced ({unpriced} call{'s' if unpriced != 1 else ''})"
    return f"${cost:.4f}" + (f" + {calls}" if unpriced else "")


def fresh_database(root: Path, db_url: str) -> tuple[str, str | None]:
    """Move an existing demo database aside (with its WAL files). Returns (url, where it went)."""
    from org.bus import sqlite_path

    if not db_url.startswith("sqlite"):
        raise UsageError(
            "org demo starts afresh on the org's own SQLite database and never touches a shared one; "
            "run it without --db / ORG_DATABASE_URL"
        )
    path = sqlite_path(db_url)
    if path is None:
        return db_url, None
    if not path.exists():
        return db_url, None
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    dest = path.with_name(f"{path.stem}-before-demo-{stamp}{path.suffix}")
    n = 1
    while dest.exists():
        dest = path.with_name(f"{path.stem}-before-demo-{stamp}-{n}{path.suffix}")
        n += 1
    shutil.move(str(path), str(dest))
    from org.bus import retire_witness

    retire_witness(root, db_url, dest.stem.removeprefix(path.stem + "-"))  # its witnessed heads go with it
    for ext in ("-wal", "-shm"):
        side = Path(str(path) + ext)
        if side.exists():
            shutil.move(str(side), str(dest) + ext)
    return db_url, str(dest)


def _requester(cfg: Any) -> str | None:
    """A human allowed to add tasks (the demo files the work as that person), else nobody in particular."""
    from org.engine.policy import decide

    for a in cfg.actors.values():
        if a.is_human and decide(cfg, a.id, "task.add", {}).allowed:
            return a.id
    return None


def prepare_demo(cfg: Any, db_url: str, say: Any = None) -> dict:
    """The humans' part of the demo: a fresh database, the sample repository made afresh, the humans' own token
    files, and the five tasks filed with a human's own token. Returns what the agents' part needs (JSON-able:
    it may cross a process)."""
    from org.agents.demorepo import DEMO_REPO, reset_sample_repo
    from org.identity.bootstrap import first_use_tokens
    from org.identity.guard import Guard

    url, moved = fresh_database(cfg.root, db_url)
    if moved and say:
        say(f"org demo: starting afresh; the earlier database was moved to {moved}")
    sample = reset_sample_repo(cfg) if "code" in cfg.workflows else None
    if sample is not None and say:
        say(
            f"org demo: a sample repository (a Python webhook service with its own tests) made afresh in {sample}"
        )
    by = _requester(cfg)
    with Guard.open(url, root=cfg.root, config=cfg) as g:
        first_use_tokens(g)
        head = g.head(None, as_=by)
        labels = {}
        for label, title, workflow, attrs in DEMO_TASKS:
            repo = DEMO_REPO if workflow == "code" and sample is not None else None
            wf = (
                workflow if workflow != "code" or repo else "change"
            )  # an org without the sample: no repository
            t = g.add_task(
                None, title, wf, by=by, attributes=attrs, idempotency_key=demo_key(label), repo=repo
            )
            labels[t["task"]] = label
    return {
        "url": url,
        "moved": moved,
        "by": by,
        "head": head,
        "labels": labels,
        "repository": str(sample) if sample else None,
    }


def run_demo(
    cfg: Any,
    db_url: str,
    *,
    out: TextIO | None = None,
    quiet: bool = False,
    env: dict[str, str] | None = None,
    prepared: dict | None = None,
) -> DemoResult:
    """The whole demo in this process, or (with `prepared`, from prepare_demo in the supervisor) the agents' part."""
    out = out or sys.stdout
    t0 = time.monotonic()
    say = (lambda *_a: None) if quiet else (lambda s="": print(s, file=out, flush=True))
    if prepared is None:  # in this process: the broker and the stand-ins too (a supervisor starts its own)
        from org.agents.host import run_services

        start = prepare_demo(cfg, db_url, say)
        with run_services(cfg, cfg.root, start["url"], demo_stand_ins(cfg), wait=True) as (_b, _s, notes):
            return _run_demo(cfg, {**start, "services": notes}, out, quiet, env, say, t0)
    return _run_demo(cfg, prepared, out, quiet, env, say, t0)


def demo_local_config() -> Any:
    """The local model as the demo wants it (seeded, with its defects and latency), wherever it runs: beside
    the supervisor's gateway or this process's own."""
    from org.agents.localmodel import LocalModelConfig

    return LocalModelConfig(
        seed=DEMO_SEED, defect_rate=DEMO_DEFECT_RATE, latency_s=DEMO_LATENCY_S, defects=DEMO_DEFECTS
    )


def _run_demo(
    cfg: Any, start: dict, out: TextIO, quiet: bool, env: dict[str, str] | None, say: Any, t0: float
) -> DemoResult:
    from org.agents.runner import RunOptions
    from org.agents.session import AgentSession
    from org.agents.story import Narrator

    url, moved, by, head = start["url"], start["moved"], start["by"], start["head"]
    labels: dict[str, str] = dict(start["labels"])
    local_cfg = demo_local_config()
    notes: list[str] = []

    def note(kind: str, text: str) -> None:
        notes.append(f"{kind}: {text}")
        if kind in ("budget", "bench", "error", "ledger", "stop"):
            say(f"        !! {text}")

    with AgentSession(cfg, url, note=note, local_config=local_cfg, env=env, human_files=False) as s:
        where = s.where()
        served = sorted(set(where.values()))
        local = "local model" in served
        say(
            f"org demo: {len(cfg.lanes)} lanes, {len(where)} agents; model calls go to "
            + (
                f"the local model through the model gateway on {s.gateway_url} (no API keys found; set ORG_MODELS=real "
                "or provider keys to use real models)"
                if served == ["local model"]
                else ", ".join(served)
            )
        )
        for n in start.get("services") or []:
            say(f"org demo: {n}")
        port = s.port()
        try:
            say(f"\nEnqueued as {by or 'the operator'}:")
            say("")
            narrator = Narrator(port, cfg, labels, out=out, after=head) if not quiet else None
            if narrator:
                narrator.start()
            d = s.dispatcher(RunOptions(until_idle=True, lease_s=120, pipeline=True))
            try:
                report = d.run()
            finally:
                if narrator:
                    narrator.stop()
            views = [port.door.task(port.any_token(), k) for k in labels]
            tasks = [
                v
                | {
                    "pending_approvals": len([a for a in v["approvals"] if a["status"] == "pending"]),
                    "merged": _merged(port, v["task"]),
                }
                for v in views
            ]
        finally:
            port.close()
    res = DemoResult(
        url,
        moved,
        tasks,
        report,
        time.monotonic() - t0,
        narrator.lines if narrator else [],
        local,
        start.get("repository"),
    )
    return res


def _shown(path: str) -> str:
    """A folder as the user types it: relative to the current folder when inside it."""
    import os

    rel = os.path.relpath(path)
    return rel if not rel.startswith("..") else path


def _merged(port: Any, task: str) -> str | None:
    """The commit org's pipeline merged the task as (its outcome.merged fact), or None."""
    evs = port.door.events_since(port.any_token(), 0, task=task, types=("outcome.merged",), limit=10)
    return next(
        (str((e.get("data") or {}).get("commit")) for e in evs if (e.get("data") or {}).get("commit")), None
    )


def render_summary(res: DemoResult, cfg: Any) -> str:
    s = res.summary()
    lines = ["", "Summary"]
    for t in res.tasks:
        state = t["status"]
        if t.get("pending_approvals"):
            state = "awaiting approval"
        lines.append(
            f"  {t['task']:>5}  {state:18} {t['workflow']:7} tier {t['tier']:7} rounds {t['rounds']}  {t['title']}"
        )
    denied = s["denied_actions"]
    lines += [
        "",
        f"  done {len(s['done'])} · awaiting approval {len(s['awaiting_approval'])} · blocked {len(s['blocked'])} · "
        f"actions denied by RED rules {sum(1 for a in denied if any(r.startswith('RED-') for r in a['rules']))}",
        f"  {s['calls']} model calls, {cost_text(s['cost_usd'], s['unpriced_calls'])}"
        + (
            f", ${s['cost_per_merged_change_usd']:.4f} per merged change ({len(s['merged'])} merged: "
            + ", ".join(m["task"] for m in s["merged"])
            + ")"
            if s["cost_per_merged_change_usd"] is not None
            else ""
        )
        + (
            f", ${s['cost_per_success_usd']:.4f} per successful outcome ({len(s['succeeded'])}: done; "
            "in a repository, merged and not reverted)"
            if s["cost_per_success_usd"] is not None
            else ""
        )
        + f" · wall time {s['wall_s']:.1f}s",
    ]
    if res.local:
        lines.append(
            "  (costs are what the calls would cost at the list prices of the models the local model stands in for)"
        )
    humans = [a.id for a in cfg.actors.values() if a.is_human]
    filer = _requester(cfg)  # who filed the demo's tasks: another human approves them (the two-person rule)
    who = next((h for h in humans if h != filer), humans[0] if humans else "HUMAN")
    rows = [
        (
            "org tui",
            f"approve or reject what waits for a human (you act as {' or '.join(humans) or 'a human'})",
        )
    ]
    if s["awaiting_approval"]:
        rows.append((f"org approve {s['awaiting_approval'][0]} --as {who}", "the same from the command line"))
    creds = [t["task"] for t in res.tasks if t.get("pending_approvals") and t["title"] == _CREDENTIAL_TITLE]
    changes = [
        t["task"] for t in res.tasks if t.get("pending_approvals") and (t.get("attributes") or {}).get("repo")
    ]
    carry = [f"{changes[0]} is merged by org's pipeline"] if changes else []
    carry += [f"{creds[0]}'s Jira call goes through the credential broker"] if creds else []
    rows += [
        (
            "org run",
            "let the agents carry on (approved work gets executed" + "".join(f"; {c}" for c in carry) + ")",
        ),
        (
            f"org task show {res.tasks[0]['task'] if res.tasks else 'T-1'} --as {who}",
            "a task's full timeline, every rule with its source",
        ),
    ]
    if res.repository:
        rows.append(
            (f"git -C {_shown(res.repository)} log", "the sample repository: merges with their trailers")
        )
    width = max(len(c) for c, _ in rows) + 3
    lines += ["", "Next:"] + [f"  {c:<{width}}{what}" for c, what in rows]
    return "\n".join(lines)
