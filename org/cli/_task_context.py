"""`org explain --task`: what `act` would answer on the task, run by act's own code and rolled back."""

from __future__ import annotations

__all__ = ["rehearse"]


def rehearse(opts, cfg, task: str, action: str, actor: str, attributes: dict) -> dict:
    """act's answer ({task, decision, exit_code, approval}) for ACTOR taking ACTION on TASK now: the pause
    checks, the task's pinned policy, its approvals, authors and rejections, all as `org act` would meet
    them, in a transaction that is rolled back."""
    from org.bus import Bus

    with Bus.open(opts.db, root=opts.org_root(), config=cfg) as bus:
        return bus.rehearse_act(action, actor, task, attributes)
