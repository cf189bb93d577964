"""Workspaces of tasks, joined with the bus: open (make) one, show one, and clean up through decide().

`bus` here is the door's data-plane side (org.identity.workdoor.WorkspaceDoor, from Guard.workspaces: one
authenticated principal), or the raw Bus in the bus's own tests: the same methods, never its database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from org.bus.repofacts import TaskRepo
from org.errors import Denied, NotFound
from org.workspaces.repo import Repository

__all__ = [
    "repository",
    "room_reads",
    "open_workspace",
    "show_workspace",
    "gc_workspaces",
    "check_revision",
    "revision_patch",
    "revision_reader",
    "scan_outcomes",
    "outcomes_report",
    "GC_ACTION",
]

GC_ACTION = "workspace.gc"


def repository(bus: Any, tr: TaskRepo) -> Repository:
    """The task's repository under its pinned policy (paths rooted at the org's folder)."""
    root = bus.root
    if root is None:
        from org.errors import UsageError

        raise UsageError("workspaces need the org's folder (pass --root or run inside an org)")
    return Repository(root, tr.repo, tr.spec, tr.cfg.workspaces_dir)


def room_reads(cfg: Any, repo: str, task: str) -> list[Path]:
    """What a job's room of `task` must read, besides its workspace, for git to work there (a coding CLI lists
    and diffs files with git): the task's own object store and the target's history (ADR 0290), never org's
    mirror (other tasks' revisions). Computed from the org's layout, never read from the workspace (its
    alternates file is the agent's to write: org rewrites it to name the task's store)."""
    spec = cfg.repos.get(repo)
    if spec is None or cfg.root is None:
        return []
    r = Repository(Path(cfg.root), repo, spec, cfg.workspaces_dir)
    if not r.mirror.is_dir():
        return []
    return [p for p in r.room_objects(task) if p.is_dir()]


def _task(bus: Any, task: str) -> TaskRepo:
    return bus.repo_task(task)


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
        bus.record_fact(
            "workspace.created",
            tr.row.key,
            actor=actor,
            cfg=tr.cfg,
            data={
                "repo": tr.repo,
                "branch": ws.branch,
                "base": ws.base,
                "head": ws.accepted,
                "path": str(ws.path),
                "again": before is not None,
            },
        )
    return {**ws.to_json(), "created": made}


def show_workspace(bus: Any, task: str) -> dict:
    """Path, branch, base and heads of the task's workspace, its saved attempts and what holds it."""
    tr = _task(bus, task)
    repo = repository(bus, tr)
    ws = repo.show(tr.row.key)
    held = bus.workspace_holds(tr.row.key)
    return {
        **ws.to_json(),
        "task_status": tr.row.status,
        "target": tr.spec.target,
        "attempts": [{"ref": r, "commit": c} for r, c in repo.attempts(tr.row.key)],
        "held_by": held,
    }


def revision_patch(bus: Any, task: str, revision: str, *, limit: int = 64 * 1024) -> dict:
    """The real diff of a revision of the task (a commit in org's mirror) against where it meets the target,
    read from git with context lines, for a reviewer: {revision, base, files, patch, truncated, unseen} (unseen:
    the files whose content the whole patch does not show, binary or a submodule commit)."""
    import re

    from org.workspaces.diffguard import MAX_SHOWN_FILES, unseen_files
    from org.workspaces.git import git

    if not re.fullmatch(r"[0-9a-f]{7,64}", revision or ""):
        raise NotFound(f"'{revision}' is not a commit of {task}")
    repo = repository(bus, _task(bus, task))
    ok = git(["cat-file", "-e", f"{revision}^{{commit}}"], git_dir=repo.mirror, check=False)
    if ok.returncode != 0:
        raise NotFound(f"revision {revision[:12]} of {task} is not in org's mirror of '{repo.name}'")
    target = repo.rev(repo.tracking_ref) if repo.has_ref(repo.tracking_ref) else repo.rev(repo.target_ref)
    base = repo.g("merge-base", revision, target, check=False).strip() or f"{revision}~1"
    files = repo.g("diff", "--name-only", "--no-renames", base, revision, "--").split()
    patch = repo.g(
        "diff", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames", base, revision, "--"
    )
    return {
        "revision": revision,
        "base": base,
        "files": files[:MAX_SHOWN_FILES],
        "patch": patch[:limit],
        "truncated": len(patch) > limit,
        "unseen": unseen_files(patch),
    }


def revision_reader(bus: Any, task: str, revision: str) -> Any:
    """A read-only view of the task's repository at `revision` (org.workspaces.atrevision), for its reviewer."""
    from org.workspaces.atrevision import RevisionReader
    from org.workspaces.git import git

    repo = repository(bus, _task(bus, task))
    ok = git(["cat-file", "-e", f"{revision}^{{commit}}"], git_dir=repo.mirror, check=False)
    if ok.returncode != 0:
        raise NotFound(f"revision {revision[:12]} of {task} is not in org's mirror of '{repo.name}'")
    return RevisionReader(repo.mirror, revision)


def gc_workspaces(bus: Any, actor: str, *, dry_run: bool = False) -> list[dict]:
    """Remove the workspace folders of closed tasks (done or rejected) that nothing holds; each removal is an
    action `workspace.gc` decided for `actor` like any other, and every head is saved under
    refs/org/attempts/T-N/K first. Open or escalated tasks, leased jobs and pending approvals keep theirs."""
    cfg = bus.config(required=True)
    out: list[dict] = []
    for name in sorted(cfg.repos):
        probe = Repository(bus.root, name, cfg.repos[name], cfg.workspaces_dir)
        for key in probe.tasks():
            if not (probe.path_of(key).exists() or probe.path_of(key).is_symlink()):
                continue
            try:
                tr = _task(bus, key)
            except NotFound:
                out.append(
                    {"task": key, "repo": name, "removed": False, "why": "no such task in this database"}
                )
                continue
            why = []
            if tr.row.status not in ("done", "rejected"):
                why.append(f"task is {tr.row.status}")
            why += bus.workspace_holds(key)
            repo = repository(bus, tr)
            if tr.row.status == "done" and not repo.is_merged(key):
                why.append("its branch has commits the target does not")
            if why:
                out.append({"task": key, "repo": name, "removed": False, "why": "; ".join(why)})
                continue
            if dry_run:
                out.append({"task": key, "repo": name, "removed": False, "why": "dry run: would remove"})
                continue
            try:
                d = bus.act(GC_ACTION, actor, key)
            except Denied as exc:  # the door's act rules (an agent acts only with a job token on the task)
                out.append({"task": key, "repo": name, "removed": False, "why": f"deny: {exc.message}"})
                continue
            if d["decision"]["outcome"] != "allow":
                out.append(
                    {
                        "task": key,
                        "repo": name,
                        "removed": False,
                        "why": f"{d['decision']['outcome']}: {d['decision'].get('reason')}",
                        "rules": [r["id"] for r in d["decision"].get("rules") or []],
                    }
                )
                continue
            res = repo.remove(key)
            bus.record_fact(
                "workspace.removed",
                tr.row.key,
                actor=actor,
                cfg=tr.cfg,
                data={"repo": tr.repo, "path": res["removed"], "saved": res["saved"]},
            )
            out.append({"task": key, "repo": name, "removed": True, "saved": res["saved"]})
    return out


def check_revision(bus: Any, job: int, actor: str, *, commit: str | None = None) -> dict | None:
    """Before a work job of a repository task is submitted: take its commit (or commit the workspace's
    changes for `actor`), read the real diff from git, run the diff guard, and record the result. A
    finding is a denial (exit 4, recorded with its rules and sources; the job stays leased for a fix).
    Returns the checked revision (commit, base, diff summary, patch) or None for a job that has none. Before
    an agent's passing review of a repository task: it must have been shown the whole change (_seen_whole)."""
    import hashlib

    from org.engine.risk import repo_path_rules
    from org.workspaces.diffguard import PATCH_KEEP, check_diff, read_diff
    from org.workspaces.revisions import accept, collect

    j = bus.repo_job(job)
    if j["kind"] not in ("work", "review") or not j["task"] or not j["repo"]:
        return None
    tr = _task(bus, j["task"])
    who = tr.cfg.actors.get(actor)
    human = bool(who and who.is_human)
    # the rails are the job's lane's: a human working an agent lane's job (taken over in its workspace, ADR
    # 0177) meets the agents' diff guard (a protected path is refused, not routed to a second human)
    lane = tr.cfg.lanes.get(j.get("lane") or "")
    human = human and (lane is None or lane.kind == "human")
    if j["kind"] == "review":
        if not human:
            _seen_whole(bus, tr, j, actor)
        return None
    repo = repository(bus, tr)
    with repo.lock():
        sha, base = collect(repo, tr.row.key, actor=actor, gate=j["gate"], commit=commit)
        diff = read_diff(repo.mirror, base, sha)
        findings = check_diff(diff, tr.spec, tr.repo, tr.cfg.source, human=human, secrets=bus.secrets_in)
        summary = diff.summary()
        if findings:
            _deny(bus, tr, j, job, actor, sha, base, summary, findings)
        # the paths reach the engine with the submission: a tier they need above the task's is raised there
        # (task.tier_raised, the new tier's gates required; ADR 0135); here they are the evidence
        raises = repo_path_rules(tr.cfg, tr.repo, tuple(diff.paths), human=human)
        saved = accept(repo, tr.row.key, sha)
    patch = diff.patch
    out = {
        "job": job,
        "commit": sha,
        "base": base,
        "gate": j["gate"],
        **{k: summary[k] for k in ("files", "lines", "added", "removed", "binary", "changes")},
        "paths": diff.paths,  # all of them: the engine re-classifies the tier by them (ADR 0135)
        "patch": patch[:PATCH_KEEP],
        "patch_truncated": len(patch) > PATCH_KEEP,
        "patch_sha256": hashlib.sha256(patch.encode()).hexdigest(),
        "saved": saved,
        "path_risk": [{"tier": t, "rule": r, "reason": why, "source": src} for t, r, why, src in raises],
    }
    bus.record_fact(
        "revision.committed",
        tr.row.key,
        actor=actor,
        gate=j["gate"],
        decision="allow",
        rules=[r for _t, r, _w, _s in raises],
        cfg=tr.cfg,
        data=out,
    )
    return out


def _seen_whole(bus: Any, tr: TaskRepo, j: dict, actor: str) -> None:
    """An agent passing a review of a repository task must have been shown the whole change (its handover
    carries the diff org reads here, org.identity.jobfacts): a truncated diff or content no diff shows (a binary
    file where the repository welcomes them) is refused (exit 4, rule_ids.UNSEEN_CONTENT); the task needs a
    reviewer who can look beyond the diff. 'changes' and 'fail' are not checked."""
    from org.engine import rule_ids
    from org.workspaces.diffguard import shown_partly

    gate = tr.state.gates.get(j["gate"])
    bound = (gate.bound if gate is not None else None) or tr.state.revision
    if not bound:
        return
    try:
        why = shown_partly(revision_patch(bus, tr.row.key, bound))
    except NotFound as exc:
        why = [exc.message]
    if why:
        raise Denied(
            f"{actor} may not pass revision {bound[:12]} of {tr.row.key}: it was not shown the whole change ("
            + "; ".join(why)
            + "); submit 'changes' or 'fail' naming what you could not see, or leave it to a human",
            rule=rule_ids.UNSEEN_CONTENT,
        )


def _outcome_events(bus: Any) -> list[dict]:
    return bus.outcome_events()


def scan_outcomes(bus: Any) -> list[dict]:
    """Find reverts of merged tasks on each repository's target and record `outcome.reverted` once per task."""
    from org.bus.repofacts import PIPELINE
    from org.workspaces.outcomes import find_reverts

    cfg = bus.config(required=True)
    events = _outcome_events(bus)
    repo_of = {
        e["task"]: (e.get("data") or {}).get("attributes", {}).get("repo")
        for e in events
        if e["type"] == "task.created"
    }
    merged: dict[str, dict[str, dict]] = {}
    done = {e["task"] for e in events if e["type"] == "outcome.reverted"}
    for e in events:
        if e["type"] == "outcome.merged" and e["task"] not in done and repo_of.get(e["task"]) in cfg.repos:
            merged.setdefault(repo_of[e["task"]], {})[e["task"]] = e.get("data") or {}
    found = []
    for name, tasks in sorted(merged.items()):
        repo = Repository(bus.root, name, cfg.repos[name], cfg.workspaces_dir)
        with repo.lock():
            repo.sync()
        for hit in find_reverts(repo.mirror, repo.tracking_ref, tasks):
            bus.record_fact(
                "outcome.reverted",
                hit["task"],
                actor=PIPELINE,
                cfg=cfg,
                data={"commit": hit["commit"], "reverted": hit["reverted"], "repo": name},
            )
            found.append({**hit, "repo": name})
    return found


def outcomes_report(bus: Any, by: str) -> list[dict]:
    """org outcomes: per lane, member, family, workflow or tier (org.workspaces.outcomes.report)."""
    from org.errors import UsageError
    from org.workspaces.outcomes import BY, report

    if by not in BY:
        raise UsageError(f"--by is one of {', '.join(BY)}, not '{by}'")
    cfg = bus.config(required=True)
    actors = {a.id: (a.lane, a.family or "human") for a in cfg.actors.values()}
    cost = {r["task"]: float(r.get("cost_usd") or 0.0) for r in bus.spend(by="task") if r.get("task")}
    return report(_outcome_events(bus), actors, cost, by)


def _deny(
    bus: Any, tr: TaskRepo, j: dict, job: int, actor: str, sha: str, base: str, summary: dict, findings: list
) -> None:
    """Record the guard's denial of a revision and raise it (exit 4)."""
    rules = sorted({f.rule for f in findings})
    bus.record_fact(
        "revision.denied",
        tr.row.key,
        actor=actor,
        gate=j["gate"],
        decision="deny",
        rules=rules,
        cfg=tr.cfg,
        data={
            "job": job,
            "commit": sha,
            "base": base,
            "files": summary["files"],
            "lines": summary["lines"],
            "findings": [f.to_json() for f in findings],
        },
    )
    raise Denied(
        "the diff guard refused this revision: "
        + "; ".join(f"{f.rule}: {f.reason} ({f.source})" for f in findings),
        rule=findings[0].rule,
        rules=rules,
        findings=[f.to_json() for f in findings],
    )
