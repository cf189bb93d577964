"""org run and org demo: the built-in lane agents at work (litellm and the bus load inside the commands)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from org.cli._common import JsonFlag, emit, err, exit_quickly, load_config, opts

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("demo")(demo)


def _limits(values: list[str] | None):
    from org.agents.pacing import parse_limits
    from org.errors import UsageError

    try:
        return parse_limits(",".join(values or []))
    except ValueError as exc:
        raise UsageError(f"--limit: {exc}") from None


def _human_tokens(cfg, o):
    def prepare() -> None:
        from org.identity.bootstrap import first_use_tokens
        from org.identity.guard import Guard

        with Guard.open(o.db_url(), root=cfg.root, config=cfg) as door:
            first_use_tokens(
                door
            )  # a fresh database: the humans' own files, before the agents' tokens (ADR 0058)

    return prepare


def _supervise(
    cfg,
    o,
    prepare,
    handoff: bool = False,
    stand_ins=None,
    say=None,
    lanes=None,
    local_config=None,
    limits=None,
) -> bool:
    """In the user's process: do the humans' part, then run this very command as the agent host (no secrets
    in its environment) beside a credential broker (and the demo's stand-in services, `stand_ins()`); True
    when that happened (its exit code is ours). A served lane that requires a sandbox refuses first."""
    from org.agents.host import in_agent_host, run_isolation, supervise

    if in_agent_host():
        return False
    isolation = run_isolation(cfg, lanes, lambda s: err(f"org: {s}"))
    from org.agents.clis.presence import check_run

    check_run(cfg, lanes, lambda s: err(f"org: warning: {s}"))  # a missing CLI refuses now, never mid-run
    code = supervise(
        cfg,
        cfg.root,
        o.db_url(),
        sys.argv[1:],
        prepare,
        handoff,
        stand_ins=stand_ins() if stand_ins else None,
        say=say,
        local_config=local_config,
        limits=limits,
        isolation=isolation,
    )
    if code:
        raise typer.Exit(code)
    return True


def run(
    lane: Annotated[
        list[str] | None, typer.Option("--lane", help="Serve only this agent lane (repeatable).")
    ] = None,
    watch: Annotated[
        bool, typer.Option("--watch", help="Keep running and wait for new work (Ctrl-C stops).")
    ] = False,
    max_jobs: Annotated[
        int | None, typer.Option("--max-jobs", min=1, help="Stop after this many jobs.")
    ] = None,
    limit: Annotated[
        list[str] | None,
        typer.Option(
            "--limit",
            help="A provider's shared rate budget, PROVIDER=RPM[/TPM], e.g. anthropic=50/40000 (repeatable).",
            show_default=False,
        ),
    ] = None,
    lease: Annotated[
        float, typer.Option("--lease", min=10, help="Lease seconds per job (heartbeats extend it).")
    ] = 300,
    json_: JsonFlag = False,
) -> None:
    """Run the built-in agents on the bus's jobs until no agent work is left (or --watch)."""
    from org.agents.demo import cost_fields, cost_text
    from org.agents.jobwork import call_text
    from org.agents.runner import RunOptions
    from org.agents.session import AgentSession
    from org.errors import UsageError

    o = opts(json_)
    cfg = load_config(o.org_root())
    agent_lanes = [n for n, ln in cfg.lanes.items() if ln.kind == "agent"]
    for n in lane or []:
        if n not in agent_lanes:
            raise UsageError(f"'{n}' is not an agent lane (agent lanes: {', '.join(agent_lanes)})")
    lim = _limits(limit)
    from org.agents.demo import stand_ins_in_db
    from org.agents.endpoints import check_keys
    from org.agents.host import in_agent_host

    if not in_agent_host():  # the agent host holds no key: the supervisor's gateway does
        check_keys(cfg, lanes=lane)

    if _supervise(
        cfg,
        o,
        _human_tokens(cfg, o),
        stand_ins=lambda: stand_ins_in_db(cfg, o.db_url(), o.as_),
        say=lambda s: err(f"org run: {s}"),
        lanes=lane,
        limits=lim,
    ):
        exit_quickly()  # the agent host, the broker and the gateway are done and closed
        return

    def note(kind: str, text: str) -> None:
        err(f"org run: {text}")

    def on_job(j) -> None:
        if o.json:
            return
        what = f"{j.task or 'job'} {j.gate or ''}".strip()
        cost = f" ${j.cost_usd:.4f}" if j.calls else ""
        extra = f" - {j.detail}" if j.detail and j.status != "submitted" else ""
        err(f"  {what:24} {j.actor:12} {j.status:9} {j.verdict or '':7}{cost}{extra}")
        for a in j.actions:
            if a.get("call"):
                err(f"  {'':24} {call_text(a['call'])}")

    with AgentSession(cfg, o.db_url(), note=note, limits=lim, human_files=False) as s:
        places = sorted(set(s.where().values()))
        err(
            f"org run: {len(s.where())} agents in {len(lane or agent_lanes)} lane(s); calls go to {', '.join(places)}"
            + f" through the model gateway ({s.gateway_url})"
            + ("; Ctrl-C stops" if watch else "")
        )
        d = s.dispatcher(
            RunOptions(
                lanes=tuple(lane or ()), until_idle=not watch, lease_s=lease, max_jobs=max_jobs, pipeline=True
            ),
            on_job=on_job,
        )
        report = d.run()
        port = s.port()
        try:
            tok = port.any_token()
            done_tasks = [
                t
                for t in port.door.list_tasks(tok, status="done", limit=10_000)
                if t["updated_at"] >= report.started
            ]
            waiting = [
                t
                for t in port.door.list_tasks(tok, status="active", limit=10_000)
                if t.get("pending_approvals")
            ]
            # a successful outcome: done, and for a task in a repository merged and not reverted (issue 13)
            succeeded = [
                t
                for t in done_tasks
                if not (t.get("attributes") or {}).get("repo")
                or port.door.task(tok, t["task"]).get("success")
            ]
        finally:
            port.close()
    done = len(done_tasks)
    data = {
        "ok": True,
        "stopped_by": report.stopped_by,
        "jobs": report.jobs,
        "outcomes": report.outcomes,
        "by_lane": report.by_lane,
        "calls": report.calls,
        "tokens_in": report.tokens_in,
        "tokens_out": report.tokens_out,
        "unpriced_calls": report.unpriced_calls,
        **cost_fields(report.cost_usd, report.calls, report.unpriced_calls, len(succeeded)),
        "tasks_done": done,
        "tasks_succeeded": len(succeeded),
        "awaiting_approval": [t["task"] for t in waiting],
        "failures": report.failures,
        "budget": report.budget,
        "credential_calls": [
            {"task": a["task"], "actor": a["actor"], **a["call"]} for a in report.actions if a.get("call")
        ],
        "benched": report.benched,
        "pacer": report.pacer,
        "wall_s": round(report.wall_s, 2),
    }

    def human() -> str:
        per = (
            f", ${data['cost_per_success_usd']:.4f} per successful outcome"
            if data["cost_per_success_usd"] is not None
            else ", cost per successful outcome unknown"
            if succeeded
            else ""
        )
        out = [
            f"{report.jobs} job(s) in {report.wall_s:.1f}s ({report.stopped_by}); {report.calls} model calls, "
            f"{cost_text(data['cost_usd'], report.unpriced_calls)}{per}; {done} task(s) done"
            + (f" ({len(succeeded)} successful)" if len(succeeded) != done else "")
        ]
        if report.unpriced_calls:
            out.append(
                f"{report.unpriced_calls} call(s) unpriced: their models are not in litellm's cost map "
                "(add them to models.yaml)"
            )
        if waiting:
            out.append(
                f"awaiting a human: {', '.join(t['task'] for t in waiting)} (org tui, or org approve TASK --as HUMAN)"
            )
        for f in report.failures[:10]:
            out.append(f"not delivered: {f['task']} {f['gate']} by {f['actor']}: {f['detail']}")
        return "\n".join(out)

    emit(data, human)
    exit_quickly()  # the session is closed, everything is committed: skip tearing litellm's modules down


def demo(
    json_: JsonFlag = False,
    prepared: Annotated[
        str | None,
        typer.Option(
            "--prepared",
            hidden=True,
            help="(internal) the humans' part, done: its JSON, or '-' to read it on stdin.",
        ),
    ] = None,
) -> None:
    """The org at work on a realistic mix of tasks, told live (fresh database; the earlier one is moved aside)."""
    import json

    from org.agents.demo import prepare_demo, render_summary, run_demo

    o = opts(json_)
    cfg = load_config(o.org_root())
    from org.agents.endpoints import check_keys
    from org.agents.host import in_agent_host

    if not in_agent_host():  # the agent host holds no key: the supervisor's gateway does
        check_keys(cfg)
    out = sys.stderr if o.json else sys.stdout

    def prepare() -> dict:
        return prepare_demo(cfg, o.db_url(), lambda s="": print(s, file=out, flush=True))

    from org.agents.demo import demo_local_config, demo_stand_ins

    if _supervise(
        cfg,
        o,
        prepare,
        handoff=True,
        stand_ins=lambda: demo_stand_ins(cfg),
        local_config=demo_local_config(),
    ):
        exit_quickly()
        return
    if (
        prepared == "-"
    ):  # the agent host: the supervisor files the tasks meanwhile (its gateway calls the models)
        from org.errors import UsageError

        prepared = sys.stdin.readline()
        if not prepared.strip():
            raise UsageError("org demo: the supervisor handed over no demo state")
    res = run_demo(cfg, o.db_url(), out=out, quiet=False, prepared=json.loads(prepared) if prepared else None)
    emit({"ok": True, **res.summary()}, lambda: render_summary(res, cfg))
    exit_quickly()
