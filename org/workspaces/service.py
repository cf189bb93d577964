"""Workspaces of tasks, joined with the bus: open (make) one, show one, and clean up through decide()."""

from __future__ import annotations

from typing import Any

from org.bus.repofacts import TaskRepo, holds, record_fact, task_repo_of
from org.errors import NotFound
from org.workspaces.repo import Repository

__all__ = ["repository", "open_workspace", "show_workspace", "gc_workspaces", "GC_ACTION"]

GC_ACTION = "workspace.gc"


def repository(bus: Any, tr: TaskRepo) -> Repository:
    """The task's repository under its pinned policy (paths rooted at the org's folder)."""
    root = bus.ctx.root
    if root is None:
        from org.errors import UsageError

        raise UsageError("workspaces need the org's folder (pass --root or run inside an org)")
    return Repository(root, tr.repo, tr.spec, tr.cfg.workspaces_dir)


def _task(bus: Any, task: str) -> TaskRepo:
    return bus.ctx.store.read(lambda tx: task_repo_of(bus.ctx, tx, task))


def open_workspace(bus: Any, task: str, *, actor: str | None = None) -> dict:
    """Make the task's workspace if it has none (branch org/T-N from the target's head); record it."""
    tr = _task(bus, task)
    repo = repository(bus, tr)
    try:
        before = repo.show(tr.row.key)
    except NotFound:
        before = None
    ws = repo.create(tr.row.key)
    made = before is None or not before.exists
    if made:
        def fn(tx) -> None:
            record_fact(bus.ctx, tx, "workspace.created", tr.row.key, actor=actor, cfg=tr.cfg,
                        data={"repo": tr.repo, "branch": ws.branch, "base": ws.base, "head": ws.accepted,
                              "path": str(ws.path), "again": before is not None})

        bus.ctx.write(fn)
    return {**ws.to_json(), "created": made}


def show_workspace(bus: Any, task: str) -> dict:
    """Path, branch, base and heads of the task's workspace, its saved attempts and what holds it."""
    tr = _task(bus, task)
    repo = repository(bus, tr)
    ws = repo.show(tr.row.key)
    held = bus.ctx.store.read(lambda tx: holds(tx, tr.row.key))
    return {**ws.to_json(), "task_status": tr.row.status, "target": tr.spec.target,
            "attempts": [{"ref": r, "commit": c} for r, c in repo.attempts(tr.row.key)], "held_by": held}


def gc_workspaces(bus: Any, actor: str, *, dry_run: bool = False) -> list[dict]:
    """Remove the workspace folders of closed tasks (done or rejected) that nothing holds; each removal is an
    action `workspace.gc` decided for `actor` like any other, and every head is saved under
    refs/org/attempts/T-N/K first. Open or escalated tasks, leased jobs and pending approvals keep theirs."""
    cfg = bus.config(required=True)
    out: list[dict] = []
    for name in sorted(cfg.repos):
        probe = Repository(bus.ctx.root, name, cfg.repos[name], cfg.workspaces_dir)
        for key in probe.tasks():
            if not (probe.path_of(key).exists() or probe.path_of(key).is_symlink()):
                continue
            try:
                tr = _task(bus, key)
            except NotFound:
                out.append({"task": key, "repo": name, "removed": False, "why": "no such task in this database"})
                continue
            why = []
            if tr.row.status not in ("done", "rejected"):
                why.append(f"task is {tr.row.status}")
            why += bus.ctx.store.read(lambda tx, k=key: holds(tx, k))
            repo = repository(bus, tr)
            if tr.row.status == "done" and not repo.is_merged(key):
                why.append("its branch has commits the target does not")
            if why:
                out.append({"task": key, "repo": name, "removed": False, "why": "; ".join(why)})
                continue
            if dry_run:
                out.append({"task": key, "repo": name, "removed": False, "why": "dry run: would remove"})
                continue
            d = bus.act(GC_ACTION, actor, key)
            if d["decision"]["outcome"] != "allow":
                out.append({"task": key, "repo": name, "removed": False,
                            "why": f"{d['decision']['outcome']}: {d['decision'].get('reason')}",
                            "rules": [r["id"] for r in d["decision"].get("rules") or []]})
                continue
            res = repo.remove(key)

            def fn(tx, res=res, tr=tr) -> None:
                record_fact(bus.ctx, tx, "workspace.removed", tr.row.key, actor=actor, cfg=tr.cfg,
                            data={"repo": tr.repo, "path": res["removed"], "saved": res["saved"]})

            bus.ctx.write(fn)
            out.append({"task": key, "repo": name, "removed": True, "saved": res["saved"]})
    return out
