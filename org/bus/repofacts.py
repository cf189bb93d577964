"""What the bus knows about a task's repository work: the task's repository under its pinned policy,
who holds its open jobs and approvals, and the workspace/revision/merge facts recorded as events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from org.bus.context import Ctx, TaskRow, task_key
from org.bus.store import Tx
from org.config.loader import OrgConfig
from org.engine.state import TaskState
from org.errors import UsageError

__all__ = ["TaskRepo", "task_repo_of", "record_fact", "holds", "WORKSPACE_EVENTS"]

WORKSPACE_EVENTS = ("workspace.created", "workspace.removed", "revision.committed", "revision.denied",
                    "tests.ran", "merge.done", "merge.conflict", "outcome.tests_passed", "outcome.tests_failed",
                    "outcome.merged", "outcome.merge_conflict", "outcome.reverted")


@dataclass(frozen=True)
class TaskRepo:
    """A task with its repository, read in one transaction under the policy the task pinned."""

    row: TaskRow
    cfg: OrgConfig
    state: TaskState
    repo: str

    @property
    def spec(self):
        return self.cfg.repos[self.repo]


def task_repo_of(ctx: Ctx, tx: Tx, task: str, *, lock: bool = False) -> TaskRepo:
    """The task's repository and pinned policy; UsageError when the task has none."""
    row = ctx.task_row(tx, task_key(task), lock=lock)
    cfg = ctx.pinned(tx, row.config_hash)
    repo = row.attributes.get("repo")
    if not repo:
        raise UsageError(f"{row.key} does not work in a repository (it was filed without --repo)")
    if repo not in cfg.repos:
        raise UsageError(f"{row.key} names repository '{repo}', which its pinned policy does not define")
    return TaskRepo(row=row, cfg=cfg, state=ctx.state(tx, row), repo=str(repo))


def holds(tx: Tx, task: str) -> list[str]:
    """What still refers to the task's workspace: live leases and pending approvals (reasons, empty: none)."""
    out = []
    n = tx.x("SELECT COUNT(*) FROM jobs WHERE task = :k AND status = 'leased'", {"k": task}).scalar() or 0
    if n:
        out.append(f"{n} job(s) leased")
    n = tx.x("SELECT COUNT(*) FROM approvals WHERE task = :k AND status = 'pending'", {"k": task}).scalar() or 0
    if n:
        out.append(f"{n} approval(s) pending")
    return out


def record_fact(ctx: Ctx, tx: Tx, type_: str, task: str, *, actor: str | None = None, gate: str | None = None,
                decision: str | None = None, rules: list[str] | tuple[str, ...] = (), data: dict[str, Any] | None = None,
                cfg: OrgConfig | None = None) -> None:
    """Record a workspace fact (an audit event; the engine's fold ignores these types)."""
    if type_ not in WORKSPACE_EVENTS:
        raise ValueError(f"not a workspace event: {type_}")
    lane, fam = ctx.actor_info(cfg, actor)
    ctx.record(tx, type_, task=task, actor=actor, lane=lane, family=fam, gate=gate, decision=decision, rules=rules,
               config_hash=cfg.config_hash if cfg else None, data=data or {})
