"""What the holder of a live job is handed over (the agent contract's facts from the bus and the task's
workspace): the job, its task with its tier and why, the gate and what it asks, the lane's boundaries, the
workspace (made for a work job of a repository task), the bound revision with its real diff (read from git
for a repository task), the work before it and the findings of the last review. Reached only through
Guard.job_facts (the door authenticates the job token first); org.agents.handover adds the ADRs.
"""

from __future__ import annotations

from typing import Any

from org.bus.audit import iso
from org.bus.findings import SENT_BACK, last_review_findings
from org.bus.submit import VERDICTS
from org.engine.risk import classify
from org.errors import OrgError

__all__ = ["job_facts", "revision_read", "READS"]

ASKS = {
    "work": "Do the work the task names; submit --verdict pass (your workspace's commit is the revision) or "
    "fail (you could not, with a note).",
    "review": "Review the bound revision (its diff below) without rewriting it; submit --verdict pass, "
    "changes (findings bound to paths and lines) or fail, with --revision set to the revision you reviewed.",
    "approval": "Approve or reject the bound revision with a note (humans only, never an author).",
}


def _job_row(view: dict, job: int) -> dict:
    return next((j for j in view.get("jobs", []) if j["job"] == job), {})


def job_facts(bus: Any, job: int, actor: str, *, workspaces: Any = None) -> dict:
    """The facts above for `job` (held by `actor`); called by the door under the holder's identity.
    `workspaces`: org.workspaces.service (given by the caller, the identity layer does not import the data
    plane), which makes and reads the workspace and the revision's diff."""
    from org.bus.context import task_key
    from org.bus.repofacts import job_of

    j = bus.ctx.store.read(lambda tx: job_of(tx, job))
    task, gate, kind, lane_name = j["task"], j["gate"], j["kind"], j["lane"]
    view = bus.task(task_key(task)) if task else {}
    row = _job_row(view, job)
    rnd, attempts, lease_expires = row.get("round"), row.get("attempts"), row.get("lease_expires")
    out: dict[str, Any] = {
        "job": job,
        "kind": kind,
        "lane": lane_name,
        "gate": gate,
        "round": int(rnd or 0),
        "attempts": int(attempts or 0),
        "lease_expires_at": iso(float(lease_expires))
        if isinstance(lease_expires, int | float)
        else lease_expires,
        "actor": actor,
    }
    if not task:
        return {**out, "task": None}
    key = task_key(task)
    cfg = bus.pinned_config(view["config_hash"]) if view.get("config_hash") else bus.config()
    state = view.get("state") or {}
    bound = ((state.get("gates") or {}).get(gate) or {}).get("bound") or state.get("revision")
    attrs = dict(view.get("attributes") or {})
    tier = view.get("tier") or state.get("tier")
    why = classify(cfg, attrs, tier).to_json() if cfg is not None else {}
    out.update(
        task=key,
        title=view.get("title"),
        workflow=view.get("workflow"),
        status=view.get("status"),
        attributes=attrs,
        tier=tier,
        tier_why={k: why.get(k) for k in ("reason", "rules", "sources")},
        config_hash=view.get("config_hash"),
        policy_source=view.get("policy_source"),  # each value's layer and FILE:LINE (ADR 0120)
        revision=bound,
    )
    wf = cfg.workflows.get(view.get("workflow")) if cfg is not None else None
    spec = wf.gates.get(gate) if wf else None
    out["asks"] = {
        "gate": gate,
        "kind": kind,
        "description": (spec.description or "") if spec else "",
        "verdicts": list(VERDICTS.get(kind, ())),
        "what": ASKS.get(kind, ""),
        "quorum": spec.quorum if spec else 1,
        "cross_vendor": bool(spec.cross_vendor) if spec else False,
        "action": (spec.action if spec and spec.action else None),
        "adrs": list(spec.adrs or []) if spec else [],
    }
    out["boundaries"] = _boundaries(cfg, lane_name, wf, attrs)
    events = bus.events_since(0, task=key, types=SENT_BACK, limit=10_000)  # a human's request for changes too
    out["findings"] = last_review_findings(events) if kind == "work" and out["round"] > 0 else []
    prev = None
    if kind == "work" and out["round"] > 0:
        prev = bus.work_result(key, gate=gate)
    elif kind != "work" and bound:
        prev = bus.work_result(key, revision=bound)
    # a reviewer gets the work, never the author's account of it (a grader that reads why is talked round); in a
    # repository the work is the commit (its diff from git below) and what the author submitted as content is
    # their account (a built-in builder's tool transcript): left out too (ADR 0232)
    keep = (
        ("job", "gate", "actor", "note", "content", "revision")
        if kind == "work"
        else ("job", "gate", "actor", "revision")
        if attrs.get("repo")
        else ("job", "gate", "actor", "content", "revision")
    )
    out["work"] = {k: prev.get(k) for k in keep} if prev else None
    out["workspace"], out["diff"] = None, None
    if attrs.get("repo") and workspaces is not None:
        out["workspace"], out["diff"] = _workspace(workspaces, bus, key, kind, bound, actor)
    elif attrs.get("repo"):
        out["workspace"] = {
            "repo": attrs["repo"],
            "error": "not read (the caller passed no workspaces service)",
        }
    elif kind != "work" and prev:
        out["diff"] = {"revision": bound, "patch": prev.get("content", ""), "from": "submitted content"}
    tests = view.get("tests_evidence")
    out["tests"] = tests if (tests and kind != "work") else None
    return out


def _boundaries(cfg: Any, lane_name: str, wf: Any, attrs: dict) -> dict:
    if cfg is None or lane_name not in cfg.lanes:
        return {}
    lane = cfg.lanes[lane_name]
    b: dict[str, Any] = {
        "lane": lane_name,
        "purpose": lane.purpose,
        "may": [str(a) for a in lane.may],
        "may_not": [str(a) for a in lane.may_not],
        "limits": wf.limits.model_dump(exclude_none=True) if wf else {},
    }
    repo = cfg.repos.get(attrs.get("repo")) if attrs.get("repo") else None
    if repo is not None:
        b["protected"] = list(repo.protected)
        b["golden"] = list(repo.golden)
        b["max_diff"] = repo.max_diff.model_dump() if repo.max_diff else None
        b["test"] = repo.test.run if repo.test else None
    return b


def _workspace(
    service: Any, bus: Any, task: str, kind: str, bound: str | None, actor: str
) -> tuple[dict | None, dict | None]:
    """(workspace, diff) of a repository task: a work job gets its workspace made when missing; a review reads
    the bound revision's diff from git. A workspace or git failure is said, never raised (the job is still
    handed over; the submission's own checks hold)."""
    ws: dict | None
    try:
        w = (
            service.open_workspace(bus, task, actor=actor)
            if kind == "work"
            else service.show_workspace(bus, task)
        )
        ws = {k: w.get(k) for k in ("repo", "path", "branch", "base", "accepted", "head", "exists")}
    except OrgError as exc:
        ws = {"error": exc.message}
    diff = None
    if kind != "work" and bound:
        try:
            diff = {**service.revision_patch(bus, task, bound), "from": "git"}
        except OrgError as exc:
            diff = {"revision": bound, "error": exc.message}
    return ws, diff


READS = ("list", "read", "search")


def revision_read(bus: Any, job: int, what: str, arg: str = "", *, workspaces: Any = None) -> dict:
    """What a review job's holder reads of the revision bound to its gate (never a working tree, never another
    revision: the door names it from the job, ADR 0232): `list` (files under `arg`), `read` (the file `arg`) or
    `search` (lines matching `arg`). `workspaces`: org.workspaces.service, as for job_facts."""
    from org.bus.context import task_key
    from org.bus.repofacts import job_of
    from org.errors import NotFound, UsageError

    if what not in READS:
        raise UsageError(f"a revision is read with one of {', '.join(READS)}, not '{what}'")
    j = bus.ctx.store.read(lambda tx: job_of(tx, job))
    if j["kind"] != "review" or not j["task"]:
        raise UsageError(
            f"job {job} is a {j['kind']} job: only a review job reads its bound revision this way"
        )
    key = task_key(j["task"])
    state = (bus.task(key) or {}).get("state") or {}
    bound = ((state.get("gates") or {}).get(j["gate"]) or {}).get("bound") or state.get("revision")
    if not bound:
        raise NotFound(f"{key} has no revision bound to '{j['gate']}'")
    if workspaces is None:
        raise UsageError("this door reads no repository (no workspaces service was given)")
    reader = workspaces.revision_reader(bus, key, bound)
    if what == "list":
        return {"revision": bound, "path": arg or "", "files": reader.files(arg or "")}
    if what == "read":
        return {"revision": bound, "path": arg, "text": reader.read(arg)}
    return {"revision": bound, "pattern": arg, "hits": reader.search(arg)}
