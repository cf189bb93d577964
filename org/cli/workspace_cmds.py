"""org workspace open|show|gc: the task workspaces org makes (thin: the logic lives in org.workspaces)."""

from __future__ import annotations

from typing import Annotated

import typer

from org.cli._common import JsonFlag, TokenOpt, emit, opts
from org.cli._globals import sub_app
from org.engine import rule_ids
from org.errors import UsageError

__all__ = ["register", "checked_commit"]

ws_app = sub_app("workspace", "Task workspaces: open, show, clean up.")
AsOpt = Annotated[str | None, typer.Option("--as", help="Who acts (must be the token's principal).")]
TaskArg = Annotated[str, typer.Argument(help="Task id, e.g. T-12.")]


pipe_app = sub_app("pipeline", "org's pipeline: the tests gate and the merge at done.")


out_app = sub_app(
    "outcomes",
    "What became of the work: merged, reverted, tests, rework, cost.",
    no_args_is_help=False,
    invoke_without_command=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(ws_app, name="workspace")
    app.add_typer(pipe_app, name="pipeline")
    app.add_typer(out_app, name="outcomes")


def _door(o):
    """The door (closed with it): the workspaces service reaches the bus through Guard.workspaces."""
    from org.cli.bus_cmds import open_door

    return open_door(o)


def _human(w: dict) -> str:
    lines = [
        f"{w['task']} in repository {w['repo']}: {w['path']}" + ("" if w["exists"] else " (folder missing)"),
        f"  branch {w['branch']}, base {w['base'][:12]}, accepted {w['accepted'][:12]}, "
        f"workspace head {(w['head'] or '-')[:12]}",
    ]
    for a in w.get("attempts") or []:
        lines.append(f"  saved {a['ref']} = {a['commit'][:12]}")
    if w.get("held_by"):
        lines.append(f"  held by: {', '.join(w['held_by'])}")
    return "\n".join(lines)


@ws_app.command("open")
def ws_open(
    task: TaskArg,
    as_: AsOpt = None,
    token: TokenOpt = None,
    take: Annotated[
        bool,
        typer.Option(
            "--take",
            help="Take over the task's open work job (a human whose lane may write code): it is leased to "
            "you, the agent's lease ends, its attempts stay; prints your job token for 'org submit'.",
        ),
    ] = False,
    note: Annotated[str, typer.Option("--note", help="Why you take it over (recorded).")] = "",
    shell: Annotated[
        bool, typer.Option("--shell", help="Start your $SHELL in the workspace (ORG_TOKEN: the job token).")
    ] = False,
    json_: JsonFlag = False,
) -> None:
    """Make the task's workspace (branch org/T-N from the target's head) if it has none; print its path.
    With --take a human takes over its work job there on the same rails (ADR 0177)."""
    from org.workspaces.service import open_workspace

    o = opts(json_)
    held: dict = {}
    sh = _shell() if shell else ""  # a shell that cannot start is refused before anything changes
    with _door(o) as g:
        if take:
            g.workspaces(token, as_=as_, command="workspace open").repo_task(task)  # a repository task first
        ws = g.workspaces(token, as_=as_, command="workspace open")
        # the workspace first: a take-over whose workspace then failed would leave the job leased to you
        # under a job token you never saw
        w = open_workspace(ws, task, actor=ws.principal.actor)
        if take:
            c, job_token = g.take_over(token, task, as_, reason=note)
            held = {"job": c.job, "gate": c.gate, "attempt": c.attempts, "job_token": job_token}
    if held:
        w = {**w, "taken_over": held}

    def human() -> str:
        out = ("made " if w["created"] else "") + _human(w)
        if held:
            out += (
                f"\nyou hold job J-{held['job']} ({held['gate']}, attempt {held['attempt']}); work in the folder "
                f"above, then:\n  ORG_TOKEN={held['job_token']} org submit J-{held['job']} --verdict pass "
                "--note '...'"
            )
        return out

    emit({"ok": True, **w}, human)
    if shell:
        import os
        import subprocess

        env = dict(os.environ)
        if held:
            env["ORG_TOKEN"] = held["job_token"]
        try:
            subprocess.run([sh], cwd=w["path"], env=env, check=False)
        except OSError as exc:
            raise UsageError(f"--shell: cannot start {sh} ({exc.strerror or exc})") from None


def _shell() -> str:
    """The shell --shell starts ($SHELL, else /bin/sh), or UsageError (exit 2) when it is not an executable."""
    import os
    import shutil

    sh = os.environ.get("SHELL") or "/bin/sh"
    if shutil.which(sh) is None:
        raise UsageError(f"--shell: $SHELL is {sh}, which is not an executable; set SHELL or drop --shell")
    return sh


@ws_app.command("show")
def ws_show(task: TaskArg, as_: AsOpt = None, token: TokenOpt = None, json_: JsonFlag = False) -> None:
    """The task's workspace: path, branch, base and heads, saved attempts, what holds it."""
    from org.workspaces.service import show_workspace

    o = opts(json_)
    with _door(o) as g:
        w = show_workspace(g.workspaces(token, as_=as_, command="workspace show"), task)
    emit({"ok": True, **w}, lambda: _human(w))


@ws_app.command("gc")
def ws_gc(
    as_: AsOpt = None,
    token: TokenOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be removed.")] = False,
    json_: JsonFlag = False,
) -> None:
    """Remove workspaces of closed tasks nothing holds (each an action 'workspace.gc' through the rules;
    heads saved under refs/org/attempts first)."""
    from org.workspaces.service import gc_workspaces

    o = opts(json_)
    with _door(o) as g:
        ws = g.workspaces(token, as_=as_, command="workspace gc")
        rows = gc_workspaces(ws, ws.principal.actor, dry_run=dry_run)
    emit(
        {"ok": True, "workspaces": rows},
        lambda: (
            "\n".join(
                f"{r['task']} ({r['repo']}): "
                + (
                    "removed" + (f", saved {r['saved']}" if r.get("saved") else "")
                    if r["removed"]
                    else f"kept: {r['why']}"
                )
                for r in rows
            )
            or "no workspaces"
        ),
    )


def checked_commit(g, token: str | None, job: str, verdict: str, commit: str | None) -> str | None:
    """For `org submit`: a passing work job of a repository task is submitted as a commit the diff guard
    checked (org.workspaces.service.check_revision); None for every other job."""
    from org.bus.jobs import job_id
    from org.errors import Denied
    from org.workspaces.service import check_revision

    if verdict.strip().lower() != "pass":
        if commit:
            raise UsageError("--commit goes with --verdict pass (a delivered revision)")
        return None
    ws = g.workspaces(token, command="submit", job_ok=True, principal_ok=False)
    p = ws.principal
    jid = job_id(job)
    if p.job != jid:
        raise Denied(f"this job token is for job {p.job}, not '{job}'", rule=rule_ids.TOKEN_SCOPE)
    res = check_revision(ws, jid, p.actor, commit=commit)
    return res["commit"] if res else None


@pipe_app.command("run")
def pipe_run(
    task: Annotated[str | None, typer.Option("--task", help="Only this task.")] = None,
    as_: AsOpt = None,
    token: TokenOpt = None,
    json_: JsonFlag = False,
) -> None:
    """Run every gate waiting for org's pipeline: tests on the bound commit, merges of finished tasks."""
    from org.workspaces.pipeline import run_pipeline

    o = opts(json_)
    with _door(o) as g:
        rows = run_pipeline(g.workspaces(token, as_=as_, command="pipeline run"), task=task)
    emit(
        {"ok": True, "done": rows},
        lambda: (
            "\n".join(
                f"{r['task']} {r['gate']} ({r['kind']}): {'ok' if r['ok'] else 'failed'} -> task {r['status']}"
                + (f", merged {r['merged'][:12]}" if r.get("merged") else "")
                + (f", conflicts: {', '.join(r['conflicts'])}" if r.get("conflicts") else "")
                for r in rows
            )
            or "nothing waits for the pipeline"
        ),
    )


def _pct(r: dict | None) -> str:
    if not r or r.get("rate") is None:
        return "-"
    lo, hi = r["ci95"]
    return f"{r['rate'] * 100:.0f}% [{lo * 100:.0f}-{hi * 100:.0f}] ({r['k']}/{r['n']})"


def _bar(r: dict | None, width: int = 10) -> str:
    if not r or r.get("rate") is None:
        return " " * width
    n = round(r["rate"] * width)
    return "#" * n + "." * (width - n)


@out_app.callback()
def outcomes(
    ctx: typer.Context,
    by: Annotated[str, typer.Option("--by", help="lane, member, family, workflow or tier.")] = "lane",
    as_: AsOpt = None,
    token: TokenOpt = None,
    json_: JsonFlag = False,
) -> None:
    """Success (merged, not reverted), rework per success, review rejections, test failures, human
    interventions, reverts and cost per success, with 95% Wilson intervals."""
    if ctx.invoked_subcommand is not None:
        return
    from org.workspaces.service import outcomes_report

    o = opts(json_)
    with _door(o) as g:
        rows = outcomes_report(g.workspaces(token, as_=as_, command="outcomes"), by)

    def human() -> str:
        if not rows:
            return "no tasks in repositories yet"
        lines = []
        for r in rows:
            cps = "-" if r["cost_per_success"] is None else f"${r['cost_per_success']:.2f}"
            lines.append(f"{r[by]}: {r['tasks']} task(s)  success {_bar(r['success'])} {_pct(r['success'])}")
            lines.append(
                f"  rework/success {r['rework_per_success'] if r['rework_per_success'] is not None else '-'}"
                f"  review rejections {_pct(r['review_rejection'])}  test failures {_pct(r['test_failure'])}"
            )
            lines.append(
                f"  human interventions {_pct(r['human_intervention'])}  reverts {_pct(r['revert'])}"
                f"  cost/success {cps}"
            )
        return "\n".join(lines)

    emit({"ok": True, "by": by, "rows": rows}, human)


@out_app.command("scan")
def outcomes_scan(as_: AsOpt = None, token: TokenOpt = None, json_: JsonFlag = False) -> None:
    """Find reverts of merged tasks on each repository's target; records outcome.reverted."""
    from org.workspaces.service import scan_outcomes

    o = opts(json_)
    with _door(o) as g:
        found = scan_outcomes(g.workspaces(token, as_=as_, command="outcomes scan"))
    emit(
        {"ok": True, "reverted": found},
        lambda: (
            "\n".join(f"{f['task']}: reverted by {f['commit'][:12]} ({f['repo']})" for f in found)
            or "no new reverts"
        ),
    )
