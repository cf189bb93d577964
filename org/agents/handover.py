"""The agent contract: what a claim hands over to any agent, built-in or external (`org claim --json`,
`org job show`, and the same through the Python API below). The door's job facts (org.identity.jobfacts:
task, tier and why, the gate and what it asks, the lane's boundaries, workspace, bound revision and its real
diff, the work before, the last review's findings) plus the relevant accepted ADRs with their constraints,
the job token and the commands that finish the job.

    from org.identity.guard import Guard
    from org.agents.handover import claim_job
    with Guard.open(root=".") as door:
        job = claim_job(door, my_token, "builder", "build-gpt")   # None: nothing to claim
        ... work in job["workspace"]["path"] ...
        door.submit(job["token"], job["job"], "pass", note="done")
"""

from __future__ import annotations

import re
from typing import Any

from org.errors import NotFound

__all__ = ["handover", "claim_job", "next_steps"]


def handover(door: Any, job_token: str | None, job: int | str, *, cfg: Any = None) -> dict:
    """The handover of a job the token holds (the same every time it is asked while the lease lives)."""
    workspaces: Any = None
    if not getattr(door, "remote", False):  # the bus socket's server composes it where the org is
        from org.workspaces import service

        workspaces = service

    facts = door.job_facts(job_token, job, workspaces=workspaces)
    if "adrs" in facts:  # over the bus socket: the server handed over the whole of it
        return facts
    from org.identity.guard import Guard

    out = {**facts, "token": job_token}
    out["adrs"] = _adrs(door, cfg, facts) if isinstance(door, Guard) else []
    out["next"] = next_steps(out)
    return out


def claim_job(
    door: Any,
    token: str | None,
    lane: str,
    as_: str | None,
    *,
    lease_seconds: float = 300.0,
    wait_seconds: float = 0.0,
) -> dict | None:
    """Claim the next job of `lane` and hand it over; None when there is nothing to claim."""
    try:
        c, job_token = door.claim(token, lane, as_, lease_seconds=lease_seconds, wait_seconds=wait_seconds)
    except NotFound:
        return None
    return {**c.to_json(), **handover(door, job_token, c.job)}


def next_steps(h: dict) -> list[str]:
    """The commands that finish the job, written out for this job."""
    j, kind = h["job"], h.get("kind")
    tok = "--token $JOB_TOKEN"
    steps = []
    ws = h.get("workspace") or {}
    if kind == "work" and ws.get("path"):
        steps.append(f"cd {ws['path']}  # edit and commit here (or leave the changes: submit commits them)")
    if kind == "review":
        rev = h.get("revision") or "REVISION"
        steps.append(f"org submit {j} {tok} --verdict pass|changes|fail --revision {rev} --note TEXT")
    elif kind == "approval":
        steps.append(f"org approve {h.get('task')} --note TEXT  # humans only")
    else:
        steps.append(f"org submit {j} {tok} --verdict pass --note TEXT")
    steps += [
        f"org heartbeat {j} {tok}  # extend the lease",
        f"org job release {j} {tok} --note WHY  # hand it back",
        f"org job fail {j} {tok} --note WHY  # give up: the task escalates to a human",
    ]
    return steps


def _adrs(door: Any, cfg: Any, facts: dict) -> list[dict]:
    """The accepted ADRs relevant to the job (ranked by org.adrs, plus those the gate and rules cite), each
    with its constraints."""
    if not facts.get("task") or door.root is None:
        return []
    from org.agents.adrctx import AdrSource

    cfg = cfg or door.config()
    if cfg is None:
        return []
    diff = facts.get("diff") or {}
    files = tuple(diff.get("files") or re.findall(r"^\+\+\+ b/(\S+)", diff.get("patch") or "", re.M))
    ctx = AdrSource(door.root, cfg).for_job(
        facts["task"],
        facts.get("workflow") or "",
        facts.get("gate") or "",
        facts.get("lane") or "",
        facts.get("attributes") or {},
        facts.get("title") or "",
        files,
        scope=(facts.get("policy_source") or {}).get("adr_scope"),
    )
    return [dict(r) for r in ctx.refs]
