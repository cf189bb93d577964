"""org job show|release|fail: the holder of a job reads its handover again, hands it back or gives up (thin:
the handover is org.agents.handover, the door org.identity.guard.Guard)."""

from __future__ import annotations

from typing import Annotated

import typer

from org.cli._common import JobTokenOpt, JsonFlag, emit, opts
from org.cli._globals import sub_app

__all__ = ["register"]

job_app = sub_app("job", "A job you hold: show its handover again, release it, or fail it with a reason.")
JobArg = Annotated[str, typer.Argument(help="Job id (from your claim).")]
NoteOpt = Annotated[str, typer.Option("--note", help="Why (recorded with the job and shown to humans).")]


def register(app: typer.Typer) -> None:
    app.add_typer(job_app, name="job")


def _note(note: str) -> str:
    from org.errors import UsageError

    text = " ".join(note.split())
    if not text:
        raise UsageError("--note says why (it is recorded with the job)")
    return text[:2000]


@job_app.command("show")
def show(job: JobArg, token: JobTokenOpt = None, json_: JsonFlag = False) -> None:
    """The handover of a job you hold, again: task, tier, gate, workspace, diff, findings, ADRs, boundaries."""
    from org.agents.handover import handover
    from org.cli.bus_cmds import open_door, render_handover

    o = opts(json_)
    with open_door(o) as door:
        h = handover(door, token, job)
    emit({"ok": True, **h}, lambda: "\n".join(render_handover(h)))


@job_app.command("release")
def release(job: JobArg, note: NoteOpt = "", token: JobTokenOpt = None, json_: JsonFlag = False) -> None:
    """Hand the job back to the queue now (another member, or you later, may claim it)."""
    from org.cli.bus_cmds import open_door

    o = opts(json_)
    why = _note(note)
    with open_door(o) as door:
        r = door.release(token, job, reason=why)
    emit({"ok": True, **r}, f"job {r.get('job', job)} released: {why}")


@job_app.command("fail")
def fail(job: JobArg, note: NoteOpt = "", token: JobTokenOpt = None, json_: JsonFlag = False) -> None:
    """Give up on the job with a reason: it is parked and its task escalates to a human."""
    from org.cli.bus_cmds import open_door

    o = opts(json_)
    why = _note(note)
    with open_door(o) as door:
        r = door.fail(token, job, reason=why)
    emit({"ok": True, **r}, f"job {r.get('job', job)} failed: {why} (the task waits for a human)")
