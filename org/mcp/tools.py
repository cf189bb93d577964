"""The MCP toolsets and what each tool does, over the agents' bus socket (no SDK, no database here).

A Desk serves the callers of one MCP server: it authenticates each call's principal token with the door
(`whoami` over the socket: a forged, revoked, expired or paused token is refused there, recorded as the door
records it), works out the tools the caller's lanes use, and runs the tool with the caller's token. A claim's
job token stays on the desk (keyed by the principal token that claimed it), never in a tool's result: the
agent names its job, the desk presents the job token to the door. Jobs still held when the server stops are
handed back at once (`release`), as the bus socket does with a claim it could not deliver.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from org.errors import Denied, NotFound, OrgError, UsageError

__all__ = ["TOOLSETS", "NEVER", "Desk", "Caller", "offered", "scrub"]

# toolset -> its tools (the names); a caller is offered a toolset's tools only as below
TOOLSETS: dict[str, tuple[str, ...]] = {
    "context": ("whoami",),
    "work": (
        "work_ready",
        "work_show",
        "work_claim",
        "work_heartbeat",
        "work_release",
        "work_fail",
        "work_submit",
        "work_comment",
        "work_events",
    ),
    "review": ("review_queue", "review_diff", "review_submit"),
    "policy": ("policy_check", "config_show"),
    "decisions": ("adr_list", "adr_get", "adr_search"),
}
READS = frozenset(
    {"whoami", "work_show", "work_events", "policy_check", "config_show", "adr_list", "adr_get", "adr_search"}
)
HOLDING = frozenset({"work_claim", "work_heartbeat", "work_release", "work_fail", "work_comment"})
WORKING = frozenset({"work_ready", "work_submit"})
REVIEWING = frozenset({"review_queue", "review_diff", "review_submit"})
# what no agent is ever offered over MCP, whatever its lane (humans and the pipeline do these elsewhere)
NEVER = ("approve", "reject", "request_changes", "merge", "pause", "resume", "token", "credential", "sweep")

HANDED_BACK = "the MCP server that claimed it stopped (its job token went with it)"


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def scrub(doc: Any) -> Any:
    """A handover without the job token (and the CLI commands that would need it): the desk holds it."""
    if isinstance(doc, dict):
        return {k: scrub(v) for k, v in doc.items() if k not in ("token", "job_token", "next")}
    if isinstance(doc, list):
        return [scrub(v) for v in doc]
    return doc


def offered(who: dict) -> frozenset[str]:
    """The tools a principal's lanes use: reads for every agent; claiming and its job's tools for a lane that
    holds work or review gates; submitting work for work gates; the review tools for review gates."""
    kinds = {g["kind"] for ln in who.get("lanes") or () if ln.get("kind") == "agent" for g in ln["gates"]}
    out = set(READS)
    if kinds & {"work", "review"}:
        out |= HOLDING
    if "work" in kinds:
        out |= WORKING
    if "review" in kinds:
        out |= REVIEWING
    return frozenset(out)


class Caller:
    """One authenticated caller: its principal token, who the door says it is, and the tools it may call."""

    def __init__(self, token: str, who: dict) -> None:
        self.token, self.who = token, who
        self.actor: str = who["principal"]
        self.tools = offered(who)

    def lanes(self, kind: str) -> list[str]:
        return [
            ln["lane"]
            for ln in self.who.get("lanes") or ()
            if ln.get("kind") == "agent" and any(g["kind"] == kind for g in ln["gates"])
        ]


class Desk:
    """The tools of one MCP server over one bus client (org.runtime.busclient.BusClient, or anything with the
    door's agent operations). `root`: the org's folder, for the ADRs and the config's sources (files, never
    the database); None where the server has none (then those tools say so)."""

    def __init__(self, door: Any, *, root: Path | None = None) -> None:
        self.door = door
        self.root = root
        self._jobs: dict[tuple[str, int], str] = {}  # (principal token's hash, job) -> job token
        self._lock = threading.Lock()
        self._index: Any = None
        self._closed = False  # handed back: a claim that completes now is released at once

    # -- who calls ------------------------------------------------------------------------------------
    def caller(self, token: str | None, tool: str) -> Caller:
        """Authenticate `token` with the door and check that `tool` is one its lanes use (Denied otherwise)."""
        if not token:
            raise Denied(
                "authentication required: the MCP server takes your principal token from ORG_TOKEN (stdio) "
                "or an 'Authorization: Bearer orgp_...' header (HTTP), never from a tool argument"
            )
        who = self.door.whoami(token)
        if who.get("via") != "principal":
            raise Denied(
                "the MCP server takes a principal token (orgp_...), not a job token: it claims jobs and holds "
                "their tokens itself"
            )
        if who.get("kind") != "agent":
            raise Denied(
                f"{who.get('principal')} is a human: the MCP server serves agents (a human's token never "
                "reaches an agent; humans use the TUI and the CLI)"
            )
        c = Caller(token, who)
        if tool not in c.tools:
            lanes = ", ".join(ln["lane"] for ln in who.get("lanes") or ()) or "no lane"
            raise Denied(f"'{tool}' is not offered to {c.actor} ({lanes}): its lanes do not use it")
        return c

    # -- held jobs ------------------------------------------------------------------------------------
    def _job_token(self, c: Caller, job: int) -> str:
        with self._lock:
            jt = self._jobs.get((_key(c.token), int(job)))
        if jt is None:
            raise NotFound(
                f"job {job} is not held by {c.actor} through this MCP server (claim it with work_claim; a job "
                "claimed elsewhere is finished where it was claimed)"
            )
        return jt

    def _drop(self, c: Caller, job: int) -> None:
        with self._lock:
            self._jobs.pop((_key(c.token), int(job)), None)

    def _held_by(self, c: Caller) -> list[int]:
        mine = _key(c.token)
        with self._lock:
            return sorted(j for k, j in self._jobs if k == mine)

    def held(self) -> list[int]:
        with self._lock:
            return sorted(j for _k, j in self._jobs)

    def hand_back(self, reason: str = HANDED_BACK) -> int:
        """Release every job still held (the server is stopping); how many were handed back."""
        with self._lock:
            jobs, self._jobs, self._closed = dict(self._jobs), {}, True
        n = 0
        for (_k, job), jt in jobs.items():
            try:
                self.door.release(jt, job, reason=reason)
                n += 1
            except OrgError:
                pass  # its lease already ended: the sweeper has it, or it was finished
        return n

    def close(self, reason: str = HANDED_BACK) -> int:
        """The server is stopping: hand back the jobs still held and remove the ADR index's own temp folder."""
        n = self.hand_back(reason)
        with self._lock:
            index, self._index = self._index, None
        if index is not None:
            import shutil

            shutil.rmtree(index.parent, ignore_errors=True)
        return n

    # -- context --------------------------------------------------------------------------------------
    def whoami(self, c: Caller) -> dict:
        may = sorted({a for ln in c.who["lanes"] for a in ln["may"]})
        may_not = sorted({a for ln in c.who["lanes"] for a in ln["may_not"]})
        return {
            "principal": c.actor,
            "kind": c.who["kind"],
            "lanes": c.who["lanes"],
            "may": may,
            "may_not": may_not,
            "tools": sorted(c.tools),
            "never": list(NEVER),
            "held_jobs": self._held_by(c),
        }

    # -- work -----------------------------------------------------------------------------------------
    def _queue(self, c: Caller, lanes: Iterable[str], limit: int) -> list[dict]:
        out: list[dict] = []
        for lane in lanes:
            for t in self.door.list_tasks(c.token, lane=lane, status="active", limit=limit):
                for w in t.get("waiting_on") or ():
                    if w["lane"] == lane and w["status"] == "queued":
                        out.append(
                            {
                                "task": t["task"],
                                "title": t["title"],
                                "workflow": t["workflow"],
                                "tier": t["tier"],
                                "gate": w["gate"],
                                "lane": lane,
                            }
                        )
        return out[:limit]

    def work_ready(self, c: Caller, limit: int) -> dict:
        lanes = c.lanes("work")
        return {"lanes": lanes, "ready": self._queue(c, lanes, limit)}

    def review_queue(self, c: Caller, limit: int) -> dict:
        lanes = c.lanes("review")
        return {"lanes": lanes, "queue": self._queue(c, lanes, limit)}

    def work_show(self, c: Caller, task: str, timeline: bool) -> dict:
        out = {"task": self.door.task(c.token, task)}
        if timeline:
            out["timeline"] = self.door.timeline(c.token, task)
        return out

    def work_claim(self, c: Caller, lane: str | None, lease_seconds: float) -> dict:
        mine = c.lanes("work") + c.lanes("review")
        if lane is None:
            if len(set(mine)) != 1:
                raise UsageError(
                    f"{c.actor} works in {', '.join(sorted(set(mine))) or 'no lane that claims'}: name the lane"
                )
            lane = mine[0]
        claim, job_token = self.door.claim(c.token, lane, None, lease_seconds=lease_seconds)
        job = int(claim.job)
        with self._lock:
            closed = self._closed
            if not closed:
                self._jobs[(_key(c.token), job)] = job_token
        if closed:  # the server stopped while this claim was on its way: nobody will finish it
            self.door.release(job_token, job, reason=HANDED_BACK)
            raise NotFound("the MCP server is stopping: the job it had just claimed was handed back")
        try:
            facts = self.door.job_facts(job_token, job)
        except OrgError as exc:  # the claim stands (the job is held); the handover can be asked again
            facts = {"error": exc.kind, "message": exc.message}
        return {**scrub(claim.to_json()), "handover": scrub(facts), "job_token": "held by the MCP server"}

    def work_heartbeat(self, c: Caller, job: int, lease_seconds: float | None) -> dict:
        return self.door.heartbeat(self._job_token(c, job), job, lease_seconds=lease_seconds)

    def _ending(self, c: Caller, job: int, call: Any) -> dict:
        jt = self._job_token(c, job)
        out = call(jt)
        self._drop(c, job)
        return out

    def work_release(self, c: Caller, job: int, reason: str) -> dict:
        return self._ending(c, job, lambda jt: self.door.release(jt, job, reason=reason))

    def work_fail(self, c: Caller, job: int, reason: str) -> dict:
        return self._ending(c, job, lambda jt: self.door.fail(jt, job, reason=reason))

    def work_submit(
        self, c: Caller, job: int, verdict: str, note: str, content: str | None, commit: str | None
    ) -> dict:
        return self._ending(
            c,
            job,
            lambda jt: self.door.submit(jt, job, verdict, note=note, content=content or "", commit=commit),
        )

    def work_comment(self, c: Caller, job: int, body: str) -> dict:
        return self.door.comment(self._job_token(c, job), job, body)

    def work_events(self, c: Caller, task: str | None, after: int, limit: int) -> dict:
        events = self.door.events_since(c.token, after, limit=limit, task=task)
        return {"events": events, "last": max((e.get("seq") or 0 for e in events), default=after)}

    # -- review ---------------------------------------------------------------------------------------
    def review_diff(self, c: Caller, job: int) -> dict:
        facts = scrub(self.door.job_facts(self._job_token(c, job), job))
        if facts.get("kind") != "review":
            raise UsageError(f"job {job} is a {facts.get('kind')} job, not a review")
        keep = ("job", "task", "title", "gate", "revision", "diff", "work", "tests", "asks", "boundaries")
        return {k: facts.get(k) for k in keep}

    def review_submit(
        self, c: Caller, job: int, verdict: str, revision: str, note: str, findings: list[dict]
    ) -> dict:
        """The door refuses a review naming any revision but the one bound to its gate now (exit 5)."""
        if not revision.strip():
            raise UsageError("a review names the revision it reviewed (review_diff gives it)")
        return self._ending(
            c,
            job,
            lambda jt: self.door.submit(
                jt, job, verdict, note=note, revision=revision, findings=findings or None
            ),
        )

    # -- policy ---------------------------------------------------------------------------------------
    def policy_check(self, c: Caller, action: str, task: str, attributes: dict | None) -> dict:
        return self.door.rehearse_act(c.token, action, c.actor, task, attributes)

    def _root(self) -> Path:
        if self.root is None:
            raise NotFound(
                "this MCP server has no org folder (lanes/, gates/, adrs/): start it with --root or ORG_ROOT"
            )
        return self.root

    def config_show(self, c: Caller, prefix: str | None) -> dict:
        from org.config.loader import load_org
        from org.config.provenance import values

        cfg = load_org(self._root())
        vals = [v.to_json() for v in values(cfg) if not prefix or v.path.startswith(prefix)]
        return {"config_hash": cfg.config_hash, "values": vals}

    # -- decisions ------------------------------------------------------------------------------------
    def adr_list(self, c: Caller, status: str | None, tag: str | None) -> dict:
        from org.adrs.parse import load_adrs

        rows = []
        for _n, a in sorted(load_adrs(self._root()).adrs.items()):
            d = a.to_json()
            if (status is None or d["status"] == status) and (tag is None or tag in d["tags"]):
                rows.append({k: d[k] for k in ("number", "id", "title", "status", "date", "tags", "path")})
        return {"adrs": rows}

    def adr_get(self, c: Caller, number: int) -> dict:
        from org.adrs.lifecycle import get_adr
        from org.adrs.parse import load_adrs

        return {"adr": get_adr(load_adrs(self._root()), number).to_json(body=True)}

    def adr_search(self, c: Caller, query: str, limit: int) -> dict:
        import tempfile

        from org.adrs.index import AdrIndex

        root = self._root()
        with contextlib.ExitStack() as stack:
            with self._lock:
                if self._closed:  # answered while the server closes: an index of the call's own, gone with it
                    path = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="org-mcp-adrs-")))
                    path = path / "adrs.index"
                else:
                    if self._index is None:  # the server's own index file: the org folder may be read-only
                        self._index = Path(tempfile.mkdtemp(prefix="org-mcp-adrs-")) / "adrs.index"
                    path = self._index
            with AdrIndex(root, path) as idx:
                idx.sync()
                hits = idx.search(query, limit=limit)
        return {"hits": [h.to_json() for h in hits]}
