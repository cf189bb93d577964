"""`org explain --task`: what `act` would answer on the task, run by act's own code and rolled back, read
through the door (org.identity.guard.Guard) with the caller's token."""

from __future__ import annotations

__all__ = ["rehearse"]


def rehearse(
    opts, cfg, task: str, action: str, actor: str, attributes: dict, token: str | None = None
) -> dict:
    """act's answer ({task, decision, exit_code, approval}) for ACTOR taking ACTION on TASK now: the pause
    checks, the task's pinned policy, its approvals, authors and rejections, all as `org act` would meet
    them, in a transaction that is rolled back. The database is read only with a member's token: TOKEN,
    else ACTOR's own file when ACTOR is a human, else the org's first human's (as every read command)."""
    from org.cli.bus_cmds import open_door, reader_as

    with open_door(opts) as door:
        a = cfg.actors.get(actor)
        reader = actor if (not token and a is not None and a.is_human) else reader_as(door, token, None)
        return door.rehearse_act(token, action, actor, task, attributes, as_=reader)
