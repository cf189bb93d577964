"""org task, claim, heartbeat, submit, act, approve, reject, pause, resume, inbox, spend, sweep, audit:
the work bus from the command line (thin: the logic lives in org.bus)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from org.cli._common import (
    ActTokenOpt,
    DeprecatedBy,
    JobTokenOpt,
    JsonFlag,
    SetOpt,
    TokenOpt,
    emit,
    err,
    opts,
    parse_sets,
)
from org.cli._globals import sub_app

__all__ = ["register", "open_door", "reader_as"]

task_app = sub_app("task", "Start, list and show tasks.")
audit_app = sub_app("audit", "Check the tamper-evident audit log.")

AsOpt = Annotated[str, typer.Option("--as", help="The actor (must be the token's principal).")]
MAX_FILE = 10 * 1024 * 1024


def register(app: typer.Typer) -> None:
    app.add_typer(task_app, name="task")
    app.add_typer(audit_app, name="audit")
    for name, fn in (
        ("claim", claim),
        ("heartbeat", heartbeat),
        ("submit", submit),
        ("act", act),
        ("approve", approve),
        ("reject", reject),
        ("request-changes", request_changes),
        ("pause", pause),
        ("resume", resume),
        ("inbox", inbox),
        ("spend", spend),
        ("sweep", sweep),
    ):
        app.command(name)(fn)


def open_door(o=None):
    """The authenticated door to the bus of the global --root/--db options (org.identity.guard.Guard): every
    command authenticates before it reads anything. Where ORG_BUS_SOCKET is set (always inside an agent's
    sandbox) the door is the bus socket org serves (org.runtime.busclient): no database is opened and no
    database URL read, and only the agents' operations are offered."""
    import os

    from org.runtime.busclient import SOCKET_ENV, BusClient

    if os.environ.get(SOCKET_ENV):
        return BusClient(os.environ[SOCKET_ENV])
    from org.identity.guard import Guard

    o = o or opts()
    return Guard.open(o.db, root=o.org_root())


def over_socket(door) -> bool:
    from org.runtime.busclient import BusClient

    return isinstance(door, BusClient)


def reader_as(door, token: str | None, as_: str | None) -> str | None:
    """Who reads: --as; with neither a token nor --as, the org's first human (as `org tui` picks), and stderr
    says so. Any member's token may read (the door checks it)."""
    if not token and as_ is None:
        from org.tui.principal import resolve_principal

        cfg = door.config()
        if cfg is not None:
            as_ = resolve_principal(cfg).actor
            err(f"org: acting as {as_}, the org's first human (--as NAME for another, or --token)")
    return as_


def _when(ts: float | None) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ts)) if ts else "-"


# -- tasks ---------------------------------------------------------------------------------------
@task_app.command("add")
def task_add(
    title: Annotated[str, typer.Argument(help="What the task is about.")],
    workflow: Annotated[str, typer.Option("--workflow", "-w", help="Workflow from gates/.")],
    as_: Annotated[
        str | None, typer.Option("--as", help="Who files the task (default: your token's holder).")
    ] = None,
    sets: SetOpt = None,
    idempotency_key: Annotated[str | None, typer.Option("--idempotency-key", help="Repeat-safe key.")] = None,
    tier: Annotated[
        str | None, typer.Option("--tier", help="Ask for a higher risk tier (never lower).")
    ] = None,
    repo: Annotated[
        str | None, typer.Option("--repo", help="The repository (gates/repos.yaml) it works in.")
    ] = None,
    policy: Annotated[
        list[str] | None,
        typer.Option(
            "--policy",
            help="Tighten the task's policy, KEY=VALUE (repeatable), e.g. limits.max_rework_rounds=1; "
            "never loosens (`org config show --task T` shows it).",
            show_default=False,
        ),
    ] = None,
    token: TokenOpt = None,
    by: DeprecatedBy = None,
    json_: JsonFlag = False,
) -> None:
    """Start a task with today's policy pinned (the org's, its repository's .org/policy.yaml and --policy,
    each only tightening); jobs are posted for its first gates."""
    from org.cli._globals import deprecated_by
    from org.config.layers import policy_from_pairs

    o = opts(json_)
    as_ = deprecated_by(as_, by, "task add")
    with open_door(o) as door:
        t = door.add_task(
            token,
            title,
            workflow,
            by=as_,
            attributes=parse_sets(sets),
            idempotency_key=idempotency_key,
            tier=tier,
            repo=repo,
            **({"policy": policy_from_pairs(policy)} if policy else {}),
        )
    out = {"ok": True, **t}

    def human() -> str:
        verb = "started" if t.get("created") else "already exists (same idempotency key)"
        lines = [
            f"{t['task']} {verb}: '{t['title']}' ({t['workflow']}, tier {t['tier']}, status {t['status']})"
        ]
        if t.get("tier_reason"):
            lines.append(
                f"  tier: {t['tier_reason']} ({', '.join(x for x in t.get('tier_sources') or [] if x)})"
            )
        for g, why in (t.get("skipped") or {}).items():
            lines.append(f"  skipped {g}: {why}")
        for j in t.get("jobs", []):
            if j["status"] in ("queued", "leased"):
                lines.append(f"  job {j['job']}: {j['gate']} for the {j['lane']} lane ({j['status']})")
        lines.append(f"  policy pinned: {t['config_hash']}")
        return "\n".join(lines)

    emit(out, human)


@task_app.command("list")
def task_list(
    status: Annotated[
        str | None, typer.Option("--status", help="active, done, escalated or rejected.")
    ] = None,
    workflow: Annotated[
        str | None, typer.Option("--workflow", "-w", help="Only tasks of this workflow.")
    ] = None,
    lane: Annotated[str | None, typer.Option("--lane", help="Tasks with open work for this lane.")] = None,
    actor: Annotated[
        str | None, typer.Option("--actor", help="Tasks filed by or leased to this actor.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many tasks.")] = 50,
    token: TokenOpt = None,
    as_: Annotated[
        str | None,
        typer.Option(
            "--as", help="Who is asking (default: your token's holder, else the org's first human)."
        ),
    ] = None,
    json_: JsonFlag = False,
) -> None:
    """Tasks, newest first, with what each waits on."""
    o = opts(json_)
    with open_door(o) as door:
        as_ = reader_as(door, token, as_)
        rows = door.list_tasks(
            token, as_=as_, status=status, workflow=workflow, lane=lane, actor=actor, limit=limit
        )

    def human() -> str:
        if not rows:
            return "no tasks"
        lines = []
        for t in rows:
            waits = (
                ", ".join(
                    f"{w['gate']}@{w['lane']}" + (f" ({w['holder']})" if w["holder"] else "")
                    for w in t["waiting_on"]
                )
                or "-"
            )
            pend = f"  [{t['pending_approvals']} pending]" if t["pending_approvals"] else ""
            lines.append(
                f"{t['task']:<8} {t['status']:<9} {t['tier']:<7} {t['workflow']:<10} {t['title'][:50]:<50} "
                f"waits: {waits}{pend}"
            )
        return "\n".join(lines)

    emit({"ok": True, "tasks": rows}, human)


@task_app.command("show")
def task_show(
    task: Annotated[str, typer.Argument(help="Task id, e.g. T-12.")],
    token: TokenOpt = None,
    as_: Annotated[
        str | None,
        typer.Option(
            "--as", help="Who is asking (default: your token's holder, else the org's first human)."
        ),
    ] = None,
    json_: JsonFlag = False,
) -> None:
    """The task and its timeline: who did what, under which rule, with each value's source."""
    from org.bus.timeline import render_timeline

    o = opts(json_)
    with open_door(o) as door:
        as_ = reader_as(door, token, as_)
        view = door.task(token, task, as_=as_)
        entries = door.timeline(token, task, as_=as_)
    emit({"ok": True, **view, "timeline": entries}, lambda: render_timeline(view, entries))


# -- work ----------------------------------------------------------------------------------------
def claim(
    lane: Annotated[str, typer.Option("--lane", help="The lane to take work from.")],
    as_: AsOpt,
    lease: Annotated[float, typer.Option("--lease", help="Lease length in seconds.")] = 300.0,
    wait: Annotated[float, typer.Option("--wait", help="Wait up to this many seconds for a job.")] = 0.0,
    token: TokenOpt = None,
    json_: JsonFlag = False,
) -> None:
    """Lease the next job you may take; prints the job token for it (exit 3: nothing to claim, 7: paused)."""
    o = opts(json_)
    from org.agents.handover import handover

    def waiting() -> None:  # once it looked and found nothing: a person at the terminal knows it has not hung
        err(f"org: waiting up to {wait:g} s for a job in lane {lane} (Ctrl-C stops)")

    with open_door(o) as door:
        c, job_token = door.claim(token, lane, as_, lease_seconds=lease, wait_seconds=wait, on_wait=waiting)
        given = handover(door, job_token, c.job)
    # its token is the job token (the bare fencing token never leaves the door)
    out = {"ok": True, **c.to_json(), **given}

    def human() -> str:
        what = f"{c.task} '{c.title}' gate {c.gate} ({c.kind})" if c.task else f"plain job ({c.payload!r})"
        verdicts = {"work": "pass|fail", "review": "pass|fail|changes", "approval": "approve|reject"}.get(
            c.kind, "pass|fail"
        )
        return "\n".join(
            [
                f"job {c.job} for {c.actor}: {what}" + (f", revision {c.revision}" if c.revision else ""),
                f"  job token {job_token} (valid until the lease ends, {_when(c.lease_expires)}; attempt {c.attempts})",
                f"  submit: org submit {c.job} --token {job_token} --verdict {verdicts}",
                *render_handover(given, head=False),
            ]
        )

    emit(out, human)


def render_handover(h: dict, *, head: bool = True) -> list[str]:
    """The handover for a human reader (the --json form has all of it)."""
    lines = []
    if head:
        lines.append(
            f"job {h['job']} ({h.get('kind')}) of {h.get('task')} '{h.get('title')}' at gate {h.get('gate')}"
        )
    if h.get("task"):
        why = (h.get("tier_why") or {}).get("reason") or ""
        lines.append(f"  tier {h.get('tier')}" + (f" ({why})" if why else ""))
        asks = h.get("asks") or {}
        if asks.get("description") or asks.get("what"):
            lines.append(f"  asks: {asks.get('description') or asks.get('what')}")
    ws = h.get("workspace") or {}
    if ws.get("path"):
        lines.append(
            f"  workspace {ws['path']} (branch {ws.get('branch')}, base {(ws.get('base') or '')[:12]})"
        )
    elif ws.get("error"):
        lines.append(f"  workspace: {ws['error']}")
    for f in h.get("findings") or []:
        at = ":".join(str(x) for x in (f.get("file"), f.get("line")) if x)
        lines.append(f"  finding [{f.get('severity', '')}] {at} {f.get('text', '')}".rstrip())
    diff = h.get("diff") or {}
    if diff.get("patch"):
        lines.append(
            f"  diff of {str(diff.get('revision'))[:12]}: {len(diff['patch'].splitlines())} lines (--json)"
        )
    for a in h.get("adrs") or []:
        lines.append(f"  {a.get('id')}: {a.get('title') or a.get('why') or ''}".rstrip())
    return lines


def heartbeat(
    job: Annotated[str, typer.Argument(help="Job id.")],
    token: JobTokenOpt = None,
    lease: Annotated[float | None, typer.Option("--lease", help="New lease length in seconds.")] = None,
    json_: JsonFlag = False,
) -> None:
    """Extend your lease and its job token (exit 5 when it moved on)."""
    o = opts(json_)
    with open_door(o) as door:
        r = door.heartbeat(token, job, lease_seconds=lease)
    emit({"ok": True, **r}, f"job {r['job']}: lease extended until {_when(r['lease_expires'])}")


def submit(
    job: Annotated[str, typer.Argument(help="Job id.")],
    verdict: Annotated[str, typer.Option("--verdict", help="pass, fail, changes, approve or reject.")],
    token: JobTokenOpt = None,
    note: Annotated[str, typer.Option("--note", help="What you did or found.")] = "",
    file: Annotated[Path | None, typer.Option("--file", help="The work product (a diff, a summary).")] = None,
    revision: Annotated[str | None, typer.Option("--revision", help="The revision you reviewed.")] = None,
    commit: Annotated[
        str | None,
        typer.Option(
            "--commit",
            help="Work in a repository: the commit you deliver "
            "(default: your workspace's HEAD plus its uncommitted changes).",
        ),
    ] = None,
    finding: Annotated[
        list[str] | None,
        typer.Option(
            "--finding",
            help="A review finding bound to a place: 'PATH:LINE: what is wrong' (repeat it; "
            "'[high] PATH:LINE: ...' sets the severity: info, low, medium, high, critical).",
        ),
    ] = None,
    json_: JsonFlag = False,
) -> None:
    """Submit your result (exit 5: stale token, nothing changed; 4: not eligible; 7: paused)."""
    from org.errors import UsageError

    o = opts(json_)
    content = ""
    if file is not None:
        from org.inputs import read_bounded

        try:
            content = read_bounded(file, limit=MAX_FILE, what="work product").decode(
                "utf-8", errors="replace"
            )
        except OSError as exc:
            raise UsageError(f"cannot read {file}: {exc.strerror or exc}")
    kw = {"findings": [parse_finding(f) for f in finding]} if finding else {}
    with open_door(o) as door:
        if over_socket(door):  # the server checks the commit (the diff guard) where the repository is
            r = door.submit(
                token, job, verdict, note=note, content=content, revision=revision, commit=commit, **kw
            )
        else:
            from org.cli.workspace_cmds import checked_commit

            revision = checked_commit(door, token, job, verdict, commit) or revision
            r = door.submit(token, job, verdict, note=note, content=content, revision=revision, **kw)

    def human() -> str:
        if not r.get("task"):
            return f"job {r['job']}: {r['verdict']} recorded"
        nxt = ", ".join(r.get("ready") or []) or "-"
        return (
            f"job {r['job']} ({r['task']} {r['gate']}): {r['verdict']}"
            + (" (already recorded)" if r.get("replayed") else "")
            + f"\n  task {r.get('task_status')}, revision {r.get('revision') or '-'}, next: {nxt}"
        )

    emit(r, human)


_FINDING = __import__("re").compile(
    r"\s*(?:\[(info|low|medium|high|critical)\]\s*)?([^:\s][^:]*?)(?::(\d+))?:\s+(\S.*)", __import__("re").S
)


def parse_finding(text: str) -> dict:
    """'[high] src/app.py:12: off by one' -> {severity, file, line, text} (exit 2 when it is not that shape)."""
    from org.errors import UsageError

    m = _FINDING.fullmatch(text)
    if not m or len(text) > 2000:
        raise UsageError(
            f"--finding '{text[:80]}': write it as 'PATH:LINE: what is wrong' (at most 2000 characters)"
        )
    sev, path, line, what = m.groups()
    return {
        "severity": sev or "medium",
        "file": path.strip(),
        "line": int(line) if line else None,
        "text": what.strip(),
    }


# -- decisions and people ------------------------------------------------------------------------
def act(
    action: Annotated[str, typer.Argument(help="The action, e.g. deploy.production.")],
    as_: AsOpt,
    task: Annotated[str, typer.Option("--task", help="The task the action belongs to.")],
    sets: SetOpt = None,
    token: ActTokenOpt = None,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            help="If it needs approval: wait up to this many seconds for a human to decide, then ask again.",
        ),
    ] = 0.0,
    json_: JsonFlag = False,
) -> None:
    """decide() under the task's pinned policy, and record it. Exit 0 allow, 4 deny, 6 needs approval."""
    o = opts(json_)
    with open_door(o) as door:
        r = door.act(token, action, as_, task, parse_sets(sets))
        waits = wait > 0 and r.get("approval") and r["decision"]["outcome"] == "needs_approval"
        if (
            waits and door.wait_for_decision(token, r["approval"], wait, as_=as_)["status"] != "pending"
        ):  # settled: ask again
            r = door.act(token, action, as_, task, parse_sets(sets))
    d = r["decision"]

    def human() -> str:
        lines = [f"{d['outcome'].upper()}: {as_} -> {action} on {r['task']}", f"  {d['reason']}"]
        for h in d["rules"]:
            lines.append(f"  rule {h['id']} ({h['effect']}) at {h['source'] or 'built in'}: {h['reason']}")
        if r.get("approval"):
            lines.append(
                f"  approval request #{r['approval']}"
                + (" opened" if r.get("approval_created") else " already pending")
                + f": org approve {r['task']} --as HUMAN --action {action}"
            )
        lines.append(f"  policy {d['config_hash']} (pinned)")
        return "\n".join(lines)

    emit({"ok": r["exit_code"] == 0, **r}, human)
    if r["exit_code"]:
        if not o.json:
            err(f"org: {d['outcome'].replace('_', ' ')}")
        raise typer.Exit(r["exit_code"])


def _settle(
    fn_name: str,
    task: str,
    as_: str,
    note: str,
    approval: int | None,
    gate: str | None,
    action: str | None,
    revision: str | None,
    token: str | None,
    json_: bool,
) -> None:
    o = opts(json_)
    kw = {"action": action} if fn_name != "request_changes" else {}
    with open_door(o) as door:
        fn = getattr(door, fn_name)
        r = fn(token, task, as_, note=note, approval=approval, gate=gate, revision=revision, **kw)
    past = {"approve": "approved", "reject": "rejected", "request_changes": "requested changes on"}[fn_name]
    emit(
        {"ok": True, **r},
        lambda: (
            f"{as_} {past} {r['kind']} '{r['subject']}' of {r['task']} on revision "
            f"{r.get('revision') or '-'}; task {r.get('task_status')}"
        ),
    )


def approve(
    task: Annotated[str, typer.Argument(help="Task id, e.g. T-12.")],
    as_: AsOpt,
    note: Annotated[str, typer.Option("--note", help="What you checked, for the record.")] = "",
    approval: Annotated[int | None, typer.Option("--id", help="Which pending request, when several.")] = None,
    gate: Annotated[str | None, typer.Option("--gate", help="The approval gate to approve.")] = None,
    action: Annotated[str | None, typer.Option("--action", help="The action request to approve.")] = None,
    revision: Annotated[str | None, typer.Option("--revision", help="The revision you looked at.")] = None,
    token: TokenOpt = None,
    json_: JsonFlag = False,
) -> None:
    """Approve a pending request on a task (humans who are not authors, with their own token); resumes an escalation."""
    _settle("approve", task, as_, note, approval, gate, action, revision, token, json_)


def reject(
    task: Annotated[str, typer.Argument(help="Task id, e.g. T-12.")],
    as_: AsOpt,
    note: Annotated[str, typer.Option("--note", help="Why (required).")],
    approval: Annotated[int | None, typer.Option("--id", help="Which pending request, when several.")] = None,
    gate: Annotated[str | None, typer.Option("--gate", help="The approval gate to reject.")] = None,
    action: Annotated[str | None, typer.Option("--action", help="The action request to reject.")] = None,
    revision: Annotated[str | None, typer.Option("--revision", help="The revision you looked at.")] = None,
    token: TokenOpt = None,
    json_: JsonFlag = False,
) -> None:
    """Reject a pending request on a task with a note (humans who are not authors, with their own token)."""
    _settle("reject", task, as_, note, approval, gate, action, revision, token, json_)


def request_changes(
    task: Annotated[str, typer.Argument(help="Task id, e.g. T-12.")],
    as_: AsOpt,
    note: Annotated[
        str, typer.Option("--note", help="What to change (required); the builder gets it as a finding.")
    ],
    approval: Annotated[int | None, typer.Option("--id", help="Which pending request, when several.")] = None,
    gate: Annotated[
        str | None, typer.Option("--gate", help="The approval gate whose work goes back.")
    ] = None,
    revision: Annotated[str | None, typer.Option("--revision", help="The revision you looked at.")] = None,
    token: TokenOpt = None,
    json_: JsonFlag = False,
) -> None:
    """Send the work at an approval gate back to its builder with a note (a rework round, not a final no)."""
    _settle("request_changes", task, as_, note, approval, gate, None, revision, token, json_)


def _scope(
    actor: str | None, lane: str | None, task: str | None, vendor: str | None, all_: bool
) -> tuple[str, str | None]:
    from org.errors import UsageError

    given: list[tuple[str, str | None]] = [
        (s, v) for s, v in (("actor", actor), ("lane", lane), ("task", task), ("vendor", vendor)) if v
    ]
    if all_:
        given.append(("all", None))
    if len(given) != 1:
        raise UsageError("give exactly one of --actor, --lane, --task, --vendor or --all")
    return given[0]


def _switch(verb: str, actor, lane, task, vendor, all_, note, as_, token, json_) -> None:
    o = opts(json_)
    scope, target = _scope(actor, lane, task, vendor, all_)
    with open_door(o) as door:
        r = getattr(door, verb)(token, scope, target, as_, note=note)
    what = "everything" if scope == "all" else f"{scope} {r['target']}"
    if verb == "pause":
        msg = f"paused {what} (switch #{r['switch']})" if r["changed"] else f"{what} was already paused"
    else:
        msg = f"resumed {what}" if r["changed"] else f"{what} was not paused"
    emit({"ok": True, **r}, msg)


def pause(
    actor: Annotated[
        str | None, typer.Option("--actor", help="Pause this actor (its tokens are refused).")
    ] = None,
    lane: Annotated[str | None, typer.Option("--lane", help="Pause this lane's claims and actions.")] = None,
    task: Annotated[str | None, typer.Option("--task", help="Pause this task.")] = None,
    vendor: Annotated[
        str | None, typer.Option("--vendor", help="Model family, provider or model string.")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Pause everything.")] = False,
    note: Annotated[str, typer.Option("--note", help="Why (shown to whoever meets the pause).")] = "",
    as_: Annotated[
        str | None, typer.Option("--as", help="Who pulls the brake (the token's principal).")
    ] = None,
    token: TokenOpt = None,
    json_: JsonFlag = False,
) -> None:
    """Pause at one scope: the next claim or action there exits 7; every job and lease is kept."""
    _switch("pause", actor, lane, task, vendor, all_, note, as_, token, json_)


def resume(
    actor: Annotated[str | None, typer.Option("--actor", help="Resume this actor.")] = None,
    lane: Annotated[str | None, typer.Option("--lane", help="Resume this lane.")] = None,
    task: Annotated[str | None, typer.Option("--task", help="Resume this task.")] = None,
    vendor: Annotated[
        str | None, typer.Option("--vendor", help="Resume this model family, provider or model.")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Lift the pause of everything.")] = False,
    note: Annotated[str, typer.Option("--note", help="Why, for the record.")] = "",
    as_: Annotated[
        str | None, typer.Option("--as", help="Who releases the brake (the token's principal).")
    ] = None,
    token: TokenOpt = None,
    json_: JsonFlag = False,
) -> None:
    """Lift a pause; waiting workers are woken."""
    _switch("resume", actor, lane, task, vendor, all_, note, as_, token, json_)


def inbox(
    as_: Annotated[str | None, typer.Option("--as", help="Only what this human may decide.")] = None,
    task: Annotated[str | None, typer.Option("--task", help="Only this task's requests.")] = None,
    token: TokenOpt = None,
    json_: JsonFlag = False,
) -> None:
    """Pending approvals and escalations, with the evidence to decide them."""
    o = opts(json_)
    with open_door(o) as door:
        rows = door.pending_approvals(token, as_=reader_as(door, token, as_), human=as_, task=task)

    def human() -> str:
        if not rows:
            return "nothing pending" + (f" for {as_}" if as_ else "")
        return "\n\n".join(_inbox_entry(r, as_) for r in rows)

    emit({"ok": True, "pending": rows}, human)


def _inbox_entry(r: dict, as_: str | None) -> str:
    """One pending request, with enough to decide it from a terminal: what, why, who worked and reviewed it, the
    work itself (its first lines) and the commands that decide it."""
    ev = r.get("evidence") or {}
    lines = [
        f"#{r['approval']} {r['task'] or '-'}  {ev.get('title') or ''}".rstrip(),
        f"  {ev.get('workflow') or '-'}, tier {ev.get('tier', '-')}, revision {ev.get('revision') or '-'}, "
        f"round {ev.get('rounds', 0)}",
        f"  asks: {r['kind']} '{r['subject']}' (requested by {r.get('requested_by') or '-'})",
    ]
    if r.get("reason"):
        lines.append(f"  why: {r['reason']}")
    if ev.get("escalation"):
        lines.append(f"  escalated: {ev['escalation']}")
    if ev.get("authors"):
        lines.append(f"  authors: {', '.join(ev['authors'])} ({', '.join(ev.get('author_families') or [])})")
    for rv in ev.get("reviews", []):
        lines.append(
            f"  review {rv['gate']}: {rv['actor']} ({rv['family']}) {rv['verdict']}"
            + ("" if rv["counts"] else " (does not count)")
            + (f": {rv['why']}" if rv.get("why") else "")
        )
    work = ev.get("latest_work") or {}
    if work.get("note"):
        lines.append(f"  work: {work['note']}")
    content = str(work.get("content") or "")
    if content:
        body = content.splitlines()
        lines += [f"    {ln}" for ln in body[:20]]
        if len(body) > 20:
            lines.append(f"    ... {len(body) - 20} more lines (org task show {r['task']} --json has all)")
    who = as_ or "YOU"
    pick = f" --id {r['approval']}"
    lines.append(
        f"  decide: org approve {r['task']} --as {who}{pick} --note ...   |   "
        f"org reject {r['task']} --as {who}{pick} --note WHY"
        + (
            f"   |   org request-changes {r['task']} --as {who}{pick} --note WHAT"
            if r["kind"] == "gate"
            else ""
        )
    )
    return "\n".join(lines)


def spend(
    by: Annotated[
        str, typer.Option("--by", help="actor, lane, task, workflow, model, vendor, family, outcome.")
    ] = "actor",
    task: Annotated[str | None, typer.Option("--task", help="Only this task's spend.")] = None,
    lane: Annotated[str | None, typer.Option("--lane", help="Only this lane's spend.")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Only this actor's spend.")] = None,
    token: TokenOpt = None,
    as_: Annotated[str | None, typer.Option("--as", help="Who is asking.")] = None,
    json_: JsonFlag = False,
) -> None:
    """Spend from the usage ledger, grouped."""
    o = opts(json_)
    with open_door(o) as door:
        as_ = reader_as(door, token, as_)
        rows = door.spend(token, by, as_=as_, task=task, lane=lane, actor=actor)
    emit(
        {"ok": True, "by": by, "rows": rows},
        lambda: (
            "\n".join(
                f"{str(r['key']):<24} {_cost(r)}  {r['calls']} calls  {r['tokens_in']}+{r['tokens_out']} tokens  "
                f"{r['errors']} errors"
                for r in rows
            )
            or "no usage recorded"
        ),
    )


def _cost(r: dict) -> str:
    """A spend row's cost: dollars of the priced calls, and the unpriced ones named, never as $0."""
    n = r["unpriced_calls"]
    if r["cost_usd"] is None:
        return f"unpriced ({n} call{'s' if n != 1 else ''}, {r['unpriced_tokens']} tokens)"
    return f"${r['cost_usd']:.4f}" + (f" + {n} unpriced call{'s' if n != 1 else ''}" if n else "")


def sweep(
    token: TokenOpt = None,
    as_: Annotated[str | None, typer.Option("--as", help="Who is asking.")] = None,
    json_: JsonFlag = False,
) -> None:
    """Requeue expired leases (parking jobs that keep expiring as dead), escalate stalled or over-budget tasks,
    and delete the rows of job tokens whose lease ended (their ids stay in the audit log)."""
    o = opts(json_)
    with open_door(o) as door:
        r = door.sweep(token, as_=reader_as(door, token, as_))
    emit(
        {"ok": True, **r},
        lambda: (
            f"requeued {len(r['requeued'])}, dead {len(r['dead'])}, stalled "
            f"{len(r['stalled'])}, over budget {len(r['over_budget'])}, "
            f"job tokens removed {r['job_tokens_removed']}"
        ),
    )


# -- audit ---------------------------------------------------------------------------------------
@audit_app.command("verify")
def audit_verify(
    anchor: Annotated[
        list[str] | None, typer.Option("--anchor", help="SEQ:HASH recorded earlier (repeatable).")
    ] = None,
    witness: Annotated[
        Path | None,
        typer.Option(
            "--witness",
            help="File of heads witnessed by earlier verifies (default: in the org's config folder).",
        ),
    ] = None,
    no_witness: Annotated[
        bool, typer.Option("--no-witness", help="Neither check nor record the witness file.")
    ] = False,
    token: TokenOpt = None,
    as_: Annotated[str | None, typer.Option("--as", help="Who is asking.")] = None,
    json_: JsonFlag = False,
) -> None:
    """Walk the hash chain; exit 8 naming the first broken link. Checks every head an earlier verify
    witnessed, then records this one (see org/bus/witness.py)."""
    from org.bus.witness import read_witness, record_witness, witness_path
    from org.errors import IntegrityError, UsageError

    o = opts(json_)
    anchors: dict[int, str] = {}
    for a in anchor or []:
        seq, _, h = a.partition(":")
        if not seq.isdigit() or len(h) != 64:
            raise UsageError(f"--anchor takes SEQ:HASH (64 hex digits), not '{a}'")
        anchors[int(seq)] = h.lower()
    wpath = None if no_witness else (witness or witness_path(o.org_root(), o.db_url()))
    witnessed = read_witness(wpath) if wpath is not None else {}
    for wseq, wh in witnessed.items():
        if anchors.setdefault(wseq, wh) != wh:
            raise UsageError(
                f"--anchor {wseq}:{anchors[wseq]} disagrees with the witness {wpath} ({wseq}:{wh})"
            )
    last = [0.0]

    def progress(n: int) -> None:
        if not o.json and sys.stderr.isatty() and time.monotonic() - last[0] > 0.5:
            last[0] = time.monotonic()
            sys.stderr.write(f"\rverified {n:,} events...")
            sys.stderr.flush()

    with open_door(o) as door:
        as_ = reader_as(door, token, as_)
        rep = door.audit_verify(token, as_=as_, anchors=anchors, progress=progress)
    if last[0]:
        sys.stderr.write("\r" + " " * 40 + "\r")
    wdoc = {"path": str(wpath) if wpath else None, "checked": len(witnessed), "recorded": False}
    if not rep.ok:
        raise IntegrityError(
            f"audit chain broken at event {rep.broken_seq}: {rep.problem}", **rep.to_json(), witness=wdoc
        )
    if wpath is not None:
        try:
            wdoc["recorded"] = record_witness(wpath, rep.head_seq, rep.head_hash)
        except UsageError as exc:  # the chain is fine; say the head could not be witnessed and carry on
            wdoc["error"] = exc.message
            err(f"org: warning: {exc.message}")
    said = (f"; {len(witnessed)} witnessed head(s) held" if witnessed else "") + (
        f"; head witnessed in {wpath}" if wdoc["recorded"] else ""
    )
    emit(
        {**rep.to_json(), "witness": wdoc},
        f"ok: {rep.events:,} events verified in {rep.seconds:.2f} s ({rep.per_second:,.0f}/s); "
        f"head {rep.head_seq} {rep.head_hash}{said}",
    )
