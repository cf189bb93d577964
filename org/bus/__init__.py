"""org.bus: the durable work bus. The engine decides; the bus persists, enforces concurrency and remembers.

Open one with `Bus.open(url=None, root=None)`: SQLite at `<root>/.org/org.db` by default (WAL,
synchronous=NORMAL, writers queued on an OS file lock, "database is locked" retried inside and never
shown), or PostgreSQL for `postgresql://...` URLs (psycopg 3; claims use FOR UPDATE SKIP LOCKED;
wake-ups use LISTEN/NOTIFY). The schema is versioned (org.bus.schema); a newer database is refused
untouched. Every write is one short transaction, safe from any number of processes.

    from org.bus import Bus
    bus = Bus.open(root=".")                                   # or Bus.open("postgresql://...", root=".")

Tasks (the engine drives them; the policy is pinned when a task starts)
    bus.add_task(title, workflow, by=None, attributes=None, idempotency_key=None, tier=None) -> dict
        pins today's config (hash + file texts), runs flow.start_task, posts one job per ready gate
    bus.list_tasks(status=, workflow=, lane=, actor=, limit=, offset=) -> [dict]   (newest first)
    bus.task(task) -> dict            summary, folded state, jobs, approvals, spend vs budget
    bus.timeline(task) -> [dict]      every event with the file:line sources of its rules, gate, limits

Work (claims are compare-and-swap leases with fencing tokens; exactly one winner)
    bus.claim(lane, actor, lease_seconds=300, wait_seconds=0) -> Claim     (NotFound: exit 3, Paused: 7)
    bus.claim_many(lane, actor, n=, ...) -> [Claim]       Claim: job, token, fence, task, gate, kind, ...
    bus.heartbeat(job, token, lease_seconds=None) -> dict                   (Conflict when it moved on)
    bus.submit(job, token, verdict, note=, content=, revision=, findings=) -> dict
        verdict: work pass|fail, review pass|fail|changes, approval approve|reject; runs flow.submit on
        the pinned policy and posts the next jobs. A stale token is a Conflict and changes nothing; the
        same token and verdict again is an idempotent replay.
    bus.submit_many([{job, token, verdict, ...}]) -> [dict]       (one transaction; per-item results)
    bus.post_jobs(lane, payloads) / bus.retry_job(job, by=)       plain jobs outside any workflow
    bus.sweep() -> dict   requeue expired leases (dead after max_attempts: escalated), escalate tasks
                          with no progress or over budget. Claims also requeue their lane's expired
                          leases, and a Bus sweeps on its own at most every 30 s while claiming.

Decisions and people
    bus.act(action, actor, task, attributes=None) -> {decision, exit_code 0|4|6, approval}
        decide() under the task's pinned policy, recorded as an event; needs_approval opens ONE pending
        request per task and action, bound to the current revision
    bus.approve(task, human, note=, approval=, gate=, action=, revision=)   humans, never authors;
    bus.reject(task, human, note=, ...)      settles an approval gate, an action request or an escalation;
                                             settling an action request wakes the requester's lane
    bus.wait_for_decision(approval, timeout) -> dict   the requester sleeps until a human settles it
    bus.pending_approvals(human=None, task=None, lane=None) -> [dict]      the inbox, with evidence
    bus.pause(scope, target=None, by=None, note=) / bus.resume(...)   scope: actor|lane|task|vendor|all
    bus.switches(active_only=True) -> [dict]

Audit (append-only, hash-chained; see org.bus.audit)
    bus.events_since(seq, limit=1000, task=None, types=None) -> [dict]     for live views
    bus.wait_for_work(lanes, timeout)                                       sleeps until work may be there
    bus.wait_for_events(seq, timeout) -> bool                               blocks until news
    bus.head() -> int
    bus.audit_verify(anchors=None, progress=None, workers=None) -> VerifyReport (ok, broken_seq, problem)

Usage and shared rate budgets
    bus.record_usage(actor, model, tokens_in=, tokens_out=, cost_usd=, latency_ms=, outcome=, task=,
                     job=, lane=, workflow=, gate=) -> dict     (an over-budget task is escalated)
    bus.spend(by="actor"|"lane"|"task"|"workflow"|"model"|"vendor"|"family"|"outcome", **filters)
    bus.brake_over_budget(lane, actor) -> [why]   pauses what the ledger shows over a ceiling (org.bus.brakes)
    bus.budget(provider, capacity=, refill_per_s=); bus.reserve(provider, amount) -> Reservation
        (ok, tokens_left, retry_after_s); bus.settle(reservation, used); bus.budgets()

Identity (org.identity builds on these; the Python API itself stays unauthenticated and trusted)
    An in-process caller holding a Bus can already write the database, so the Bus does not check
    tokens. Every caller outside org.bus and org.identity (the CLI, the TUI, the agents; the agents'
    socket and MCP next) goes through org.identity.guard.Guard, the one authenticated door, which
    reaches only the methods it names (tests/identity/test_door.py enumerates this class). Two hooks serve it:
    bus.claim(..., mint=fn) / bus.claim_many(..., mint=fn)   fn(tx, claims) runs inside the claim's
        transaction (Guard mints each claim's job token there, atomically with the lease, and names it in the
        job.claimed event's data: a claim with a hook never splices its events from one encoded event)
    org.bus.context.AUTH   a ContextVar; while set ({principal, kind, token id, via, job}), every event
        recorded carries it as "auth", so the log shows which token did what (never a secret).

Errors are org.errors classes (exit codes in one place): NotFound 3, Denied 4, Conflict 5,
NeedsApproval 6, Paused/BusBusy 7, IntegrityError 8, UsageError/SchemaTooNew 2. Secrets never reach
the database: every stored text passes org.bus.redact first.
"""

from typing import TYPE_CHECKING

from org.lazy import lazy_names

if TYPE_CHECKING:
    from org.bus.api import Bus, default_url
    from org.bus.audit import VerifyReport
    from org.bus.budgets import Reservation
    from org.bus.claims import AGENT_EVENT_KINDS, Claim
    from org.bus.context import task_key
    from org.bus.findings import SENT_BACK, last_review_findings
    from org.bus.redact import Redactor
    from org.bus.schema import SchemaTooNew
    from org.bus.store import BusBusy, sqlite_path
    from org.bus.switches import vendors_of
    from org.bus.toolspecs import REVIEW_SPECS, TOOL_NAMES, TOOL_SPECS
    from org.bus.usage import UNKNOWN_SPEND
    from org.bus.witness import retire_witness

# Each name is imported where it lives on first use (PEP 562): a process that needs only the redactor (a job's
# worker in its room, org.agents.worker) does not pay for SQLAlchemy.
_HOMES = {
    "Bus": "api",
    "default_url": "api",
    "VerifyReport": "audit",
    "Reservation": "budgets",
    "Claim": "claims",
    "AGENT_EVENT_KINDS": "claims",
    "SENT_BACK": "findings",
    "last_review_findings": "findings",
    "TOOL_NAMES": "toolspecs",
    "TOOL_SPECS": "toolspecs",
    "REVIEW_SPECS": "toolspecs",
    "task_key": "context",
    "Redactor": "redact",
    "SchemaTooNew": "schema",
    "BusBusy": "store",
    "sqlite_path": "store",
    "vendors_of": "switches",
    "UNKNOWN_SPEND": "usage",
    "retire_witness": "witness",
}


__getattr__ = lazy_names("org.bus", _HOMES, globals())


# The bus's public face. The TUI and the agents import only these (the import-linter contract
# "bus-internals" in pyproject.toml): everything else under org.bus is its internals.
__all__ = [
    "AGENT_EVENT_KINDS",
    "SENT_BACK",
    "last_review_findings",
    "TOOL_NAMES",
    "TOOL_SPECS",
    "REVIEW_SPECS",
    "Bus",
    "Claim",
    "Reservation",
    "VerifyReport",
    "SchemaTooNew",
    "BusBusy",
    "default_url",
    "task_key",
    "Redactor",
    "sqlite_path",
    "vendors_of",
    "UNKNOWN_SPEND",
    "retire_witness",
]
