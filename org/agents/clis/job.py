"""One work job of a repository task done by a coding CLI member: the handover as its prompt, the CLI in the
job's room (org.runtime.job_sandbox: its workspace read-write, the gateway's socket behind the relay, the
job's gateway token its only key), its events on the timeline, its permission requests through decide(), the
gateway's count of its calls, and the workspace's commit submitted through the diff guard like any revision.

A CLI that does not finish its work (a limit, an exit code, an error it reports, no completion marker) fails
the job with the reason (the task escalates to a human); a run that stops or a pause releases it. Never raises
for the CLI's trouble.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from org.agents.busport import holding_switch
from org.agents.clis.adapter import Adapter, Launch
from org.agents.clis.driver import Drive, DriveLimits, drive
from org.agents.clis.events import Event
from org.agents.clis.permits import permit_with
from org.agents.clis.presence import find_cli
from org.errors import OrgError

__all__ = ["cli_job", "prompt_text", "LIMITS", "install_root"]

LIMITS = DriveLimits()
FLUSH_EVERY = 25  # events recorded on the timeline per call to the bus


def prompt_text(actor: str, lane: Any, h: dict, redact: Any, tests: str | None = None) -> str:
    """What the CLI is told: who it is, its boundaries, the job's handover (task, gate and what it asks,
    findings to address, ADRs), and how its work ends. Never the job token: the CLI holds no bus credential."""
    from org.agents.toolwork import boundary_lines, handover_lines

    lines = [
        *boundary_lines(actor, lane, h),
        *handover_lines(h),
        *([f"Tests: {tests}"] if tests else []),  # the repository's test command, as the tests gate runs it
        "",
        "Work in the current directory (the task's workspace, a git clone). Make the change and run the tests. "
        "Do not commit, push or switch branches: org commits what you leave in the workspace and checks it.",
    ]
    return redact("\n".join(lines))


def install_root(exe: str) -> list[Path]:
    """What the room must see of an installed CLI to run it: the folder of its executable and, for one in a
    `bin/` folder (a virtual environment, a node prefix), that prefix; the same for where a link leads."""
    out: list[Path] = []
    for p in {Path(exe).absolute(), Path(os.path.realpath(exe))}:
        folder = p.parent
        root = folder.parent if folder.name == "bin" else folder
        for q in (root, folder):
            if q not in out and str(q) not in (
                "/",
                "/usr",
                "/bin",
                "/usr/bin",
                "/usr/local/bin",
                "/usr/local",
            ):
                out.append(q)
    return out


class _Recorder:
    """The run's events on the job's timeline, in batches (what the bus refuses is counted, not raised)."""

    def __init__(self, port: Any, claim: Any) -> None:
        self.port, self.claim = port, claim
        self.buf: list[dict] = []
        self.recorded = 0
        self.refused = ""

    def __call__(self, e: Event) -> None:
        self.buf.append(e.to_json())
        if len(self.buf) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        if not self.buf or self.refused:
            self.buf = []
            return
        batch, self.buf = self.buf, []
        try:
            self.recorded += self.port.door.agent_events(self.claim.token, self.claim.job, batch)["recorded"]
        except OrgError as exc:  # the lease moved on: the rest is not this job's to record
            self.refused = exc.message


def cli_job(
    runner: Any,
    port: Any,
    claim: Any,
    actor: str,
    lane: Any,
    adapter: Adapter,
    out: Any,
    access: Any,
    *,
    limits: DriveLimits | None = None,
    stopping: Any = None,
) -> Any:
    from org.agents.handover import handover
    from org.workspaces import service as workspaces

    if claim.kind != "work" or not (claim.attributes or {}).get("repo"):
        out.failure = "error"
        runner._release(
            port,
            claim,
            out,
            f"a {adapter.name} member works only work jobs of repository tasks, not {claim.kind} jobs",
        )
        return out
    presence = find_cli(adapter)
    if not presence.installed:  # said at the run's start; a CLI removed since is no reason to fail the task
        out.failure = "error"
        runner._release(port, claim, out, f"{adapter.name}: {presence.problem}")
        return out
    try:
        h = handover(port.door, claim.token, claim.job, cfg=runner.cfg)
    except OrgError as exc:
        runner._release(port, claim, out, f"could not read the handover: {exc.message}")
        return out
    ws = (h.get("workspace") or {}).get("path")
    if not ws:
        return runner._fail(
            port,
            claim,
            out,
            f"no workspace for {claim.task}: {(h.get('workspace') or {}).get('error', 'none')}",
        )
    if not access.socket:
        runner._release(port, claim, out, "the model gateway has no socket to give the room")
        return out
    try:
        room_isolation = _isolation(lane, runner)
    except OrgError as exc:
        runner._release(port, claim, out, exc.message)
        return out
    action = (h.get("asks") or {}).get("action") or "work.submit"
    member = next((m for m in lane.members if m.id == actor), None)
    repo = claim.attributes["repo"]
    spec = runner.cfg.repos.get(repo)
    prompt = prompt_text(
        actor, lane, h, runner.redact, spec.test.run if spec is not None and spec.test else None
    )
    try:  # its own objects (ADR 0290), brought up to date and its alternates pointed at them first
        reads = workspaces.room_reads(runner.cfg, repo, claim.task)
    except OrgError as exc:  # its workspace is unusable (say, a .git an agent left a symlink): no run helps
        return runner._fail(
            port, claim, out, f"the workspace of {claim.task} is unusable: {exc.message}"[:300]
        )
    folder = Path(tempfile.mkdtemp(prefix="org-cli-prompt-"))
    rec = _Recorder(port, claim)
    try:
        pf = folder / "prompt.md"
        pf.write_text(prompt)
        os.chmod(folder, 0o755)  # the room's user reads it (a folder of its own, bound read-only)
        launch = Launch(
            Path(ws),
            prompt,
            member.model if member and member.model else "",
            prompt_file=pf,
            marker=getattr(getattr(member, "command", None), "done", None),
        )
        res = _drive(
            lane,
            adapter,
            launch,
            presence.path or "",
            access,
            room_isolation,
            [folder, *reads],
            limits,
            stopping,
            port,
            claim,
            actor,
            action,
            rec,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    _usage(runner, port, claim, actor, access, out, rec)
    rec.flush()
    out.tools = [dict(p) for p in res.permissions]
    out.detail = res.why()
    if res.stop_reason == "stopped":
        runner._release(port, claim, out, f"{adapter.name}: {res.why()}"[:300])
        return out
    if not res.ok and (sw := holding_switch(port, actor, claim.lane, claim.task)):
        # a kill switch: the gateway refused its next model call, and the CLI gave up; the job goes back
        runner._release(port, claim, out, f"paused ({sw}) while {adapter.name} worked: {res.why()}"[:300])
        return out
    if not res.ok:
        out.failure = "cli"
        return runner._fail(port, claim, out, f"{adapter.name} did not finish: {res.why()}"[:300])
    sw = holding_switch(port, actor, claim.lane, claim.task)
    if sw:
        runner._release(port, claim, out, f"paused ({sw}) after the work; the result was not submitted")
        return out
    last = next((e.text for e in reversed(res.events) if e.kind == "message" and e.text), "")
    denied = [p for p in res.permissions if p["outcome"] != "allow"]
    note = f"{adapter.name}: {last}"[:1500] + (
        f" [{len(denied)} permission request(s) refused]" if denied else ""
    )
    content = "\n".join(
        f"- {e.kind} {e.tool} {e.text[:200]}".rstrip()
        for e in res.events
        if e.kind in ("tool_call", "permission")
    )
    out.verdict = "pass"
    try:
        port.door.submit(
            claim.token,
            claim.job,
            "pass",
            note=note,
            content=f"{adapter.name} session:\n{content}"[:20000],
            workspaces=workspaces,
        )
        out.status = "submitted"
    except OrgError as exc:  # the diff guard refused the change, no new revision, the lease moved on
        out.detail = f"{exc.kind}: {exc.message}"
        out.failure = "cli"
        # failed with the reason (a lease that moved on refuses the fail too, and changes nothing)
        return runner._fail(port, claim, out, f"the submission was refused: {exc.message}"[:300])
    return out


def _isolation(lane: Any, runner: Any = None) -> Any:
    """The room's isolation for this lane's job; that agents run without a sandbox is said once per run
    (runner.note "isolation"), as the built-in host says it at a run's start (org.agents.host.run_isolation)."""
    from org.runtime import resolve

    said: list[str] | None = getattr(runner, "_isolation_said", None)
    if said is None:
        said = []
        if runner is not None:
            runner._isolation_said = said

    def say(text: str) -> None:
        if runner is not None and not said:
            said.append(text)
            runner.note("isolation", text)

    return resolve({lane.lane: lane.isolation}, say=say)


def _drive(
    lane: Any,
    adapter: Adapter,
    launch: Launch,
    exe: str,
    access: Any,
    isolation: Any,
    reads: list[Path],
    limits: DriveLimits | None,
    stopping: Any,
    port: Any,
    claim: Any,
    actor: str,
    action: str,
    rec: _Recorder,
) -> Drive:
    from org.agents.rooms import lane_limits
    from org.runtime import Limits, job_sandbox, relay_argv
    from org.runtime.relay import TOKEN_ENV

    lim = limits or LIMITS
    # the lane's `room:` limits (ADR 0291): its wall time is the driver's, which comes first and says so
    own = lane_limits(lane, Limits(wall_s=lim.wall_s, cpu_s=None, memory_mb=None))
    lim = dataclasses.replace(lim, wall_s=own.wall_s)
    room = job_sandbox(
        launch.workspace,
        sockets={"gateway": access.socket},
        env={TOKEN_ENV: access.token, **adapter.env(launch)},
        limits=dataclasses.replace(own, wall_s=lim.wall_s + 30),
        isolation=isolation,
        read_only=[*install_root(exe), *reads],
        python=True,
    )
    permit = permit_with(port.door, claim.token, actor, claim.task, action, launch.workspace)
    try:
        argv = relay_argv(adapter.argv(exe, launch), socket=room.socket("gateway"))
        rec(
            Event(
                "started", data={"runtime": adapter.name, "isolation": room.isolation, "model": launch.model}
            )
        )
        return drive(adapter, launch, argv, room, permit, rec, lim, stopping)
    finally:
        room.close()


def _usage(runner: Any, port: Any, claim: Any, actor: str, access: Any, out: Any, rec: _Recorder) -> None:
    """The job's model calls as the gateway counted them (never the CLI's report), on the outcome and the
    timeline; then the budget brake, as for the built-in agents."""
    try:
        out.budget = runner._budget(port, claim.lane, actor, flush=access.flush)
    except OrgError as exc:  # e.g. the member was paused while its CLI worked: its token reads nothing now
        runner.note("budget", f"the budget brake was not checked after job {claim.job}: {exc.message}")
    try:
        rows = port.run_call("spend", by="job", task=claim.task)
    except OrgError:
        rows = []
    mine = next((r for r in rows if str(r.get("key")) == str(claim.job)), None)
    if mine is None:
        rec(Event("usage", data={"source": "gateway", "calls": 0}))
        return
    out.calls += mine["calls"]
    out.tokens_in += mine["tokens_in"]
    out.tokens_out += mine["tokens_out"]
    out.cost_usd += mine["cost_usd"] or 0.0
    out.unpriced += mine["unpriced_calls"]
    rec(
        Event(
            "usage",
            data={
                "source": "gateway",
                **{
                    k: mine[k]
                    for k in ("calls", "tokens_in", "tokens_out", "cost_usd", "unpriced_calls", "errors")
                },
            },
        )
    )
