"""Tasks: start one with its policy pinned, list them with filters, and show one with its jobs and requests."""

from __future__ import annotations

import heapq
import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from org.bus.context import TASK_COLS, Ctx, TaskRow, task_key
from org.bus.driver import apply
from org.bus.schema import TASK_NUMBER
from org.bus.statuses import TASK_STATUSES
from org.bus.store import Tx
from org.bus.switches import check_not_paused
from org.bus.usage import task_spend
from org.config.loader import OrgConfig
from org.config.provenance import policy_source
from org.config.repos import task_repo
from org.engine import flow
from org.engine.attributes import require_attributes
from org.engine.policy import decide
from org.errors import Conflict, Denied, NotFound, UsageError

__all__ = [
    "add_task",
    "add_tasks",
    "check_attributes",
    "list_tasks",
    "task_view",
    "task_summary",
    "jobs_of",
    "approvals_of",
    "approval_rows",
]


def check_attributes(cfg: OrgConfig, attrs: Mapping[str, Any] | None) -> dict[str, Any]:
    """The attributes typed by the engine (org.engine.attributes), or UsageError naming every problem."""
    return require_attributes(cfg, attrs)


def add_task(ctx: Ctx, cfg: OrgConfig, title: str, workflow: str, **filing: Any) -> dict:
    """Start a task (filing: by, attributes, idempotency_key, tier, repo, policy; see Bus.add_task)."""
    key = filing.get("idempotency_key")
    return ctx.write(_filing(ctx, cfg, title, workflow, **filing), retry_unique=bool(key and key.strip()))


def add_tasks(ctx: Ctx, cfg: OrgConfig, tasks: list[Mapping[str, Any]]) -> list[dict]:
    """Start many tasks in one transaction (each one filed exactly as add_task files it: the same checks,
    events and jobs); all of them or, on any error, none."""
    fns = [_filing(ctx, cfg, **spec) for spec in tasks]
    keyed = any(spec.get("idempotency_key") for spec in tasks)
    return ctx.write(lambda tx: [fn(tx) for fn in fns], retry_unique=keyed)


def _filing(
    ctx: Ctx,
    cfg: OrgConfig,
    title: str,
    workflow: str,
    *,
    by: str | None = None,
    attributes: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
    tier: str | None = None,
    repo: str | None = None,
    policy: Mapping[str, Any] | None = None,
) -> Callable[[Tx], dict]:
    """The checks made before the transaction, and the transaction's work that files the task."""
    if not title or not title.strip():
        raise UsageError("a task needs a title")
    if workflow not in cfg.workflows:
        raise NotFound(f"no workflow '{workflow}' (workflows: {', '.join(sorted(cfg.workflows))})")
    attrs = check_attributes(cfg, attributes)
    repo = task_repo(cfg, workflow, repo)
    if repo is not None:
        attrs["repo"] = repo
    if by is not None:
        if by not in cfg.actors:
            raise NotFound(f"no actor '{by}' in this org")
        d = decide(cfg, by, "task.add", {})  # the lane's permission; the task's own gates carry its risk
        if not d.allowed:
            raise Denied(d.reason, rules=d.rule_ids)
    cfg = ctx.cascade(cfg, repo, policy)  # the repository's and the task's layers, only tightening (ADR 0120)
    # what the workflow implies is part of the filing (ADR 0220, 0275): a repeat that leaves it out is the same task
    attrs = flow.workflow_implied(cfg, workflow, attrs)
    key_in = idempotency_key.strip() if idempotency_key else None

    def fn(tx: Tx) -> dict:
        if key_in:
            old = tx.x(
                f"SELECT {TASK_COLS} FROM tasks WHERE idempotency_key = :i", {"i": key_in}
            ).one_or_none()
            if old is not None:
                row = TaskRow.of(old)
                same = (
                    row.workflow == workflow
                    and row.title == ctx.redactor.text(title.strip())
                    and row.attributes == json.loads(json.dumps(ctx.redactor.value(attrs), sort_keys=True))
                )
                if not same:
                    raise Conflict(
                        f"idempotency key '{key_in}' already started {row.key} "
                        f"('{row.title}' in {row.workflow}); nothing was changed",
                        task=row.key,
                    )
                return {**task_summary(row), "created": False, "jobs": jobs_of(tx, row.key)}
        if by is not None:
            check_not_paused(tx, cfg, actor=by)
        ctx.pin(tx, cfg)
        tid = tx.x(
            "INSERT INTO tasks(key, title, workflow, config_hash, created_by, created_at, updated_at, "
            "last_event_at, idempotency_key, attributes, rounds, last_seq, tier, status) VALUES (:k, :ti, :w, "
            ":h, :by, :t, :t, :t, :i, '{}', 0, 0, '', 'active') RETURNING id",
            {
                "k": "pending-" + uuid.uuid4().hex[:20],
                "ti": ctx.redactor.text(title.strip()),
                "w": workflow,
                "h": cfg.config_hash,
                "by": by,
                "t": tx.now,
                "i": key_in,
            },
        ).scalar_one()
        key = f"T-{tid}"
        tx.x("UPDATE tasks SET key = :k WHERE id = :id", {"k": key, "id": tid})
        events = flow.start_task(
            cfg, key, title.strip(), workflow, attrs, by, tier, extra_check=ctx.extra_check
        )
        row = TaskRow(
            tid,
            key,
            title,
            workflow,
            "",
            "active",
            cfg.config_hash,
            by,
            tx.now,
            tx.now,
            tx.now,
            key_in,
            {},
            None,
            0,
            None,
            0,
        )
        st = apply(ctx, tx, cfg, row, None, events, fresh=True)
        out = task_summary(
            TaskRow.of(tx.x(f"SELECT {TASK_COLS} FROM tasks WHERE id = :id", {"id": tid}).one())
        )
        out.update(
            created=True,
            jobs=jobs_of(tx, key),
            tier_reason=events[0].data.get("tier_reason"),
            tier_sources=events[0].data.get("tier_sources"),
            skipped={e.data["gate"]: e.data.get("reason") for e in events if e.type == "gate.skipped"},
            ready=st.ready_gates(),
        )
        return out

    return fn


def task_summary(row: TaskRow) -> dict:
    return {
        "task": row.key,
        "title": row.title,
        "workflow": row.workflow,
        "tier": row.tier,
        "status": row.status,
        "revision": row.revision,
        "rounds": row.rounds,
        "created_by": row.created_by,
        "config_hash": row.config_hash,
        "attributes": row.attributes,
        "escalation": row.escalation,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "idempotency_key": row.idempotency_key,
    }


def jobs_of(tx: Tx, key: str, *, open_only: bool = False) -> list[dict]:
    sql = (
        "SELECT id, gate, lane, kind, status, round, slot, attempts, fence, leased_by, lease_expires, verdict, reason, "
        "posted_at, updated_at FROM jobs WHERE task = :k"
        + (" AND status IN ('queued', 'leased')" if open_only else "")
        + " ORDER BY id"
    )
    cols = (
        "job",
        "gate",
        "lane",
        "kind",
        "status",
        "round",
        "slot",
        "attempts",
        "fence",
        "leased_by",
        "lease_expires",
        "verdict",
        "reason",
        "posted_at",
        "updated_at",
    )
    return [dict(zip(cols, r, strict=True)) for r in tx.x(sql, {"k": key}).all()]


_APPROVAL_COLS = (
    "approval",
    "task",
    "kind",
    "subject",
    "lane",
    "revision",
    "status",
    "requested_by",
    "requested_at",
    "decided_by",
    "decided_at",
    "note",
    "reason",
    "rules",
    "job",
)
_APPROVALS = (
    "SELECT id, task, kind, subject, lane, revision, status, requested_by, requested_at, decided_by, decided_at, "
    "note, reason, rules, job FROM approvals"
)


def approval_rows(tx: Tx, where: str, params: dict) -> list[dict]:
    """The approval requests `where` selects (oldest first), their rules as a list: the one read of the table."""
    out = []
    for r in tx.x(f"{_APPROVALS} WHERE {where} ORDER BY id", params).all():
        d = dict(zip(_APPROVAL_COLS, r, strict=True))
        d["rules"] = json.loads(d["rules"] or "[]")
        out.append(d)
    return out


def approvals_of(tx: Tx, key: str) -> list[dict]:
    """A task's approval requests as its summary shows them (without the task and job columns)."""
    return [
        {k: v for k, v in r.items() if k not in ("task", "job")}
        for r in approval_rows(tx, "task = :k", {"k": key})
    ]


def list_tasks(
    ctx: Ctx,
    *,
    status: str | None = None,
    workflow: str | None = None,
    lane: str | None = None,
    actor: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict]:
    """Tasks newest first. lane: tasks with an open job for that lane; actor: created by it or holding a lease."""
    if status is not None and status not in TASK_STATUSES:
        named = ", ".join(TASK_STATUSES[:-1]) + f" or {TASK_STATUSES[-1]}"
        raise UsageError(f"--status is {named}, not '{status}'")
    where: list[str] = []
    params: dict[str, Any] = {"lim": max(1, min(int(limit), 10_000)), "off": max(0, int(offset))}
    if status:
        where.append("t.status = :st")
        params["st"] = status
    if workflow:
        where.append("t.workflow = :wf")
        params["wf"] = workflow
    if lane:
        where.append(
            "t.key IN (SELECT j.task FROM jobs j WHERE j.lane = :ln AND j.status IN ('queued', 'leased') "
            "AND j.task IS NOT NULL)"
        )
        params["ln"] = lane
    if actor:
        where.append(
            "(t.created_by = :ac OR EXISTS (SELECT 1 FROM jobs j WHERE j.task = t.key AND j.leased_by = :ac))"
        )
        params["ac"] = actor
    cols = ", ".join("t." + c.strip() for c in TASK_COLS.split(","))
    sql = (
        f"SELECT {cols} FROM tasks t"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY t.id DESC LIMIT :lim OFFSET :off"
    )
    page = _page_by_index(status, workflow, lane, actor)

    def fn(tx: Tx) -> list[dict]:
        if page is not None:  # the page's task ids straight from indexes, in the list's order (schema 10)
            upto = {"upto": params["lim"] + params["off"], **params}
            streams = [[int(r[0]) for r in tx.x(sql, upto).all()] for sql in page]  # each newest first
            merged = dict.fromkeys(heapq.merge(*streams, reverse=True))  # one sorted list, each id once
            ids = list(merged)[params["off"] : params["off"] + params["lim"]]
            if not ids:
                return []
            marks = ", ".join(f":i{n}" for n in range(len(ids)))
            found = tx.x(
                f"SELECT {cols} FROM tasks t WHERE t.id IN ({marks}) ORDER BY t.id DESC",
                {f"i{n}": i for n, i in enumerate(ids)},
            ).all()
            rows = [TaskRow.of(r) for r in found]
        else:
            rows = [TaskRow.of(r) for r in tx.x(sql, params).all()]
        if not rows:
            return []
        keys = [r.key for r in rows]
        waiting: dict[str, list[dict]] = {k: [] for k in keys}
        marks = ", ".join(f":k{i}" for i in range(len(keys)))
        kp = {f"k{i}": k for i, k in enumerate(keys)}
        for t, g, ln, st, who in tx.x(
            f"SELECT task, gate, lane, status, leased_by FROM jobs WHERE task IN ({marks}) "
            "AND status IN ('queued', 'leased') ORDER BY id",
            kp,
        ).all():
            waiting[t].append({"gate": g, "lane": ln, "status": st, "holder": who})
        pend: dict[str, int] = dict(
            tx.x(
                f"SELECT task, COUNT(*) FROM approvals WHERE task IN ({marks}) "
                "AND status = 'pending' GROUP BY task",
                kp,
            ).all()
        )
        return [
            {**task_summary(r), "waiting_on": waiting[r.key], "pending_approvals": pend.get(r.key, 0)}
            for r in rows
        ]

    return ctx.store.read(fn)


def _page_by_index(
    status: str | None, workflow: str | None, lane: str | None, actor: str | None
) -> list[str] | None:
    """For --lane alone or --actor alone: statements each giving task ids newest first (up to the page's end), read
    from an index in that order and stopped there, merged by the caller (issue 23 item 4: flat at any number of
    tasks, whether the filter matches most tasks or few). They answer what the general statement answers,
    because a task's key is `T-<id>` (tests/bus/test_list_filters.py). Anything else: None (the general one)."""
    if status is not None or workflow is not None or (lane is None) == (actor is None):
        return None
    if lane is not None:
        return [
            f"SELECT DISTINCT {TASK_NUMBER} AS n FROM jobs WHERE lane = :ln AND status IN ('queued', 'leased') "
            "AND task IS NOT NULL ORDER BY n DESC LIMIT :upto"
        ]
    return [  # made by the actor, and held (or once held) by it: two index streams (a UNION's merge was not flat)
        "SELECT id AS n FROM tasks WHERE created_by = :ac ORDER BY n DESC LIMIT :upto",
        f"SELECT DISTINCT {TASK_NUMBER} AS n FROM jobs WHERE leased_by = :ac AND task IS NOT NULL "
        "ORDER BY n DESC LIMIT :upto",
    ]


def task_view(ctx: Ctx, ref: str | int) -> dict:
    """A task: its summary, folded state, jobs and requests (the timeline is separate)."""
    key = task_key(ref)

    def fn(tx: Tx) -> dict:
        row = ctx.task_row(tx, key)
        cfg = ctx.pinned(tx, row.config_hash)
        st = ctx.state(tx, row)
        return {
            **task_summary(row),
            "state": st.to_json(),
            "jobs": jobs_of(tx, key),
            "approvals": approvals_of(tx, key),
            **dict(zip(("spent_usd", "unpriced_calls"), task_spend(tx, key), strict=True)),
            "budget_usd": cfg.workflows[row.workflow].limits.budget_usd,
            "success": row.status == "done",  # a task without a repository: done is its outcome
            "policy_source": policy_source(cfg),
            **_repo_evidence(tx, row),
        }

    return ctx.store.read(fn)


def _repo_evidence(tx: Tx, row: TaskRow) -> dict:
    """For a task in a repository: the real diff of its newest checked revision (ADR 0091) and its newest tests."""
    if not row.attributes.get("repo"):
        return {}
    from org.bus.repofacts import last_fact

    rev = last_fact(tx, row.key, "revision.committed")
    tests = [last_fact(tx, row.key, t) for t in ("outcome.tests_passed", "outcome.tests_failed")]
    newest = max((t for t in tests if t), key=lambda e: e.get("ts") or "", default=None)
    merged = last_fact(tx, row.key, "outcome.merged")
    reverted = last_fact(tx, row.key, "outcome.reverted")
    return {
        "revision_evidence": (rev or {}).get("data"),
        "tests_evidence": (newest or {}).get("data"),
        "merged_evidence": (merged or {}).get("data"),
        "reverted_evidence": (reverted or {}).get("data"),
        # a successful outcome of a repository task: merged by the pipeline and not reverted since (issue 13)
        "success": row.status == "done" and merged is not None and reverted is None,
    }
