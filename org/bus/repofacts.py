"""What the bus knows about a task's repository work: the task's repository under its pinned policy,
who holds its open jobs and approvals, and the workspace/revision/merge facts recorded as events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from org.bus.audit import decode_body
from org.bus.context import Ctx, TaskRow, task_key
from org.bus.store import Tx
from org.config.loader import OrgConfig
from org.engine import rule_ids
from org.engine.state import TaskState
from org.errors import Denied, NotFound, UsageError

__all__ = [
    "TaskRepo",
    "task_repo_of",
    "record_fact",
    "holds",
    "job_of",
    "last_fact",
    "checked_revision",
    "pipeline_queue",
    "pipeline_apply",
    "merge_facts",
    "outcome_events",
    "PIPELINE",
    "WORKSPACE_EVENTS",
]

PIPELINE = "org:pipeline"  # org's own principal: no lane, no token, bound by every rule (never a member id)

WORKSPACE_EVENTS = (
    "workspace.created",
    "workspace.removed",
    "revision.committed",
    "revision.denied",
    "tests.ran",
    "merge.done",
    "merge.conflict",
    "outcome.tests_passed",
    "outcome.tests_failed",
    "outcome.merged",
    "outcome.merge_conflict",
    "outcome.reverted",
)


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
    n = (
        tx.x("SELECT COUNT(*) FROM approvals WHERE task = :k AND status = 'pending'", {"k": task}).scalar()
        or 0
    )
    if n:
        out.append(f"{n} approval(s) pending")
    return out


def record_fact(
    ctx: Ctx,
    tx: Tx,
    type_: str,
    task: str,
    *,
    actor: str | None = None,
    gate: str | None = None,
    decision: str | None = None,
    rules: list[str] | tuple[str, ...] = (),
    data: dict[str, Any] | None = None,
    cfg: OrgConfig | None = None,
) -> None:
    """Record a workspace fact (an audit event; the engine's fold ignores these types)."""
    if type_ not in WORKSPACE_EVENTS:
        raise ValueError(f"not a workspace event: {type_}")
    lane, fam = ctx.actor_info(cfg, actor)
    ctx.record(
        tx,
        type_,
        task=task,
        actor=actor,
        lane=lane,
        family=fam,
        gate=gate,
        decision=decision,
        rules=rules,
        config_hash=cfg.config_hash if cfg else None,
        data=data or {},
    )


def job_of(tx: Tx, job: int) -> dict:
    """A job's task, gate, kind, status and holder."""
    row = tx.x(
        "SELECT id, task, gate, kind, status, leased_by, lane FROM jobs WHERE id = :j", {"j": job}
    ).one_or_none()
    if row is None:
        raise NotFound(f"no job {job}")
    return dict(zip(("job", "task", "gate", "kind", "status", "leased_by", "lane"), row, strict=True))


def last_fact(tx: Tx, task: str, type_: str) -> dict | None:
    """The newest event of `type_` about `task` (its decoded body), or None."""
    body = tx.x(
        "SELECT body FROM events WHERE task = :k AND type = :t ORDER BY seq DESC LIMIT 1",
        {"k": task, "t": type_},
    ).scalar()
    return decode_body(body) if body is not None else None


def checked_revision(tx: Tx, task: str, job: int, revision: str | None) -> dict:
    """The revision a work job of a repository task submits: the commit org itself checked for this job (the
    newest revision.committed). A revision org did not check, or checked for another job, is refused
    (rule_ids.REVISION_UNCHECKED): nothing an agent says about its diff counts, only what org read from git."""
    ev = last_fact(tx, task, "revision.committed")
    data = (ev or {}).get("data") or {}
    if ev is None or data.get("job") != job:
        raise Denied(
            f"{task} works in a repository: a work submission is a commit org checked first "
            "('org submit' does that; no unchecked revision counts)",
            rule=rule_ids.REVISION_UNCHECKED,
        )
    if revision is not None and revision != data.get("commit"):
        raise Denied(
            f"revision {revision} is not the commit org checked for job {job} ({data.get('commit')})",
            rule=rule_ids.REVISION_UNCHECKED,
        )
    return data


def pipeline_queue(ctx: Ctx, tx: Tx) -> list[dict]:
    """Every gate of an active repository task that waits for the pipeline: {task, gate, kind, revision, repo}."""
    from org.engine.pipeline import pipeline_gates

    out = []
    rows = tx.x(
        "SELECT key FROM tasks WHERE status = 'active' AND attributes LIKE '%\"repo\"%' ORDER BY id"
    ).all()
    for (key,) in rows:
        tr = task_repo_of(ctx, tx, key)
        for gate, kind, rev in pipeline_gates(tr.cfg, tr.state):
            out.append({"task": key, "gate": gate, "kind": kind, "revision": rev, "repo": tr.repo})
    return out


def merge_facts(cfg: OrgConfig, state: TaskState) -> dict:
    """Who reviewed and approved the revision (with families) and the rules that shaped the task: the
    merge commit's trailers."""
    from org.engine import memo
    from org.engine.binding import bound_revision, valid_reviews

    reviewers: list[dict[str, Any]] = []
    approvers: list[dict[str, Any]] = []
    for name, spec in memo.gates(cfg, state.workflow).items():
        if spec.kind not in ("review", "approval") or state.gates[name].status != "passed":
            continue
        for r in valid_reviews(cfg, state, name, bound_revision(cfg, state, name)):
            (approvers if spec.kind == "approval" else reviewers).append(
                {"actor": r.actor, "family": r.family, "gate": name}
            )
    return {
        "reviewers": reviewers,
        "approvers": approvers,
        "tier": state.tier,
        "revision": state.revision,
        "authors": sorted(state.authors),
    }


def pipeline_apply(
    ctx: Ctx,
    task: str,
    gate: str,
    ok: bool,
    *,
    revision: str | None,
    reason: str,
    data: dict | None = None,
    rules: list[str] | None = None,
    facts: Sequence[tuple[str, dict]] = (),
) -> dict:
    """Enter the pipeline's result for `gate` (org.engine.pipeline.pipeline_result) and record its facts, in
    one transaction. Returns the task's status and what the engine did."""
    from org.bus.driver import apply
    from org.engine.pipeline import pipeline_result

    def fn(tx: Tx) -> dict:
        row = ctx.task_row(tx, task, lock=True)
        cfg = ctx.pinned(tx, row.config_hash)
        st = ctx.state(tx, row)
        evs = pipeline_result(
            cfg,
            st,
            gate,
            ok,
            revision=revision,
            reason=reason,
            data=ctx.redactor.value(data or {}),
            rules=rules,
            extra_check=ctx.extra_check,
        )
        for type_, d in facts:
            record_fact(
                ctx,
                tx,
                type_,
                row.key,
                actor=PIPELINE,
                gate=gate,
                decision="allow" if ok else "deny",
                rules=rules or [],
                data=d,
                cfg=cfg,
            )
        st2 = apply(ctx, tx, cfg, row, st, evs)
        return {
            "task": row.key,
            "status": st2.status,
            "events": [e.type for e in evs],
            "ready": st2.ready_gates(),
        }

    return ctx.write(fn)


OUTCOME_SOURCES = (
    "task.created",
    "work.submitted",
    "review.filed",
    "task.escalated",
    "task.resumed",
    "task.done",
    "task.rejected",
    "rework.started",
    "outcome.tests_passed",
    "outcome.tests_failed",
    "outcome.merged",
    "outcome.merge_conflict",
    "outcome.reverted",
)


def outcome_events(tx: Tx) -> list[dict]:
    """Every event `org outcomes` reads, in order (decoded bodies, with their seq)."""
    marks = ", ".join(f"'{t}'" for t in OUTCOME_SOURCES)
    rows = tx.x(
        f"SELECT seq, body FROM events WHERE task IS NOT NULL AND type IN ({marks}) ORDER BY seq"
    ).all()
    return [{**decode_body(body), "seq": seq} for seq, body in rows]
