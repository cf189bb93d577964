"""The data of the audit events other modules read (the TUI, the timeline, the agents' story, telemetry, the
simulator's history, the workspaces' outcomes), as typed dicts: the bus writes them with these constructors
(mypy checks every key and type), and tests/bus/test_payloads.py validates every event a real bus records
against them (problems(): an unknown key, a missing one or a wrong type). One model per event type: decisions,
approval requests, the task and gate lifecycle (the engine's fold), the job lifecycle, kill switches,
authentication, and the usage row the model gateway hands the ledger.

Keys the envelope adds to any event's data (`policy_source`, ADR 0120) are not part of a payload."""

from __future__ import annotations

from typing import Any, NotRequired

from typing_extensions import TypedDict

from org.bus.statuses import JobStatus

__all__ = [
    "PAYLOADS",
    "ENVELOPE_KEYS",
    "ActionDecided",
    "ActionVerdict",
    "ApprovalRequested",
    "AuthDenied",
    "EscalationOpened",
    "JobCancelled",
    "JobClaimed",
    "JobEnded",
    "JobExpired",
    "JobPosted",
    "JobSubmitted",
    "JobTakenOver",
    "JobAnswer",
    "SwitchChanged",
    "TaskComment",
    "ToolCalled",
    "UsageRow",
    "problems",
]

ENVELOPE_KEYS = frozenset({"policy_source"})


# -- decisions and the requests for people ------------------------------------------------------------
class ActionDecided(TypedDict):
    """`action.decided`: decide()'s answer to an action on a task, with the rules that matched."""

    action: str
    reason: str
    approved_by: str | None
    revision: str | None
    attributes: dict[str, Any]
    rules: list[dict[str, Any]]
    conflicts: NotRequired[Any]
    ignored: NotRequired[Any]


class ActionVerdict(TypedDict):
    """`action.approved` / `action.rejected`: a human's verdict on an action request, bound to what it showed."""

    approval: int
    action: str
    revision: str | None
    note: str
    requested_by: str | None
    attributes: dict[str, Any] | None


class ApprovalRequested(TypedDict):
    """`approval.requested`: a request only a person settles (a gate's approval, or an action's)."""

    approval: int
    kind: str  # gate | action
    revision: str | None
    source: NotRequired[str | None]
    action: NotRequired[str]
    attributes: NotRequired[dict[str, Any]]
    reason: NotRequired[str]
    rules: NotRequired[list[dict[str, Any]]]  # the rules that asked for it, as decide() matched them


class EscalationOpened(TypedDict):
    """`escalation.opened`: the task waits for a human (stuck, over budget, failed, no eligible reviewer)."""

    approval: int
    kind: str
    reason: str | None


# -- the job lifecycle --------------------------------------------------------------------------------
class JobPosted(TypedDict):
    """`job.posted`: a gate's job is queued for its lane."""

    kind: str
    round: int
    slot: int
    revision: str | None
    source: NotRequired[str | None]


class JobClaimed(TypedDict):
    """`job.claimed`: a holder leased the job (the job token's id and fingerprint when a door minted one)."""

    fence: int
    lease_seconds: float
    expires: str | float | None
    attempt: int
    job_token: NotRequired[str]
    job_token_fingerprint: NotRequired[str]


class JobSubmitted(TypedDict):
    """`job.submitted`: the holder's verdict and work are in (its content by hash, never the text)."""

    fence: NotRequired[int]  # a human's decision of a gate's job (approve, reject) holds no lease
    content_sha256: NotRequired[str | None]
    revision: NotRequired[str | None]
    note: NotRequired[str | None]
    lease_holder: NotRequired[str | None]
    via: NotRequired[str]


class JobEnded(TypedDict):
    """`job.released` / `job.failed`: the holder gave the job back, or could not do it."""

    reason: str
    fence: NotRequired[int]


class JobCancelled(TypedDict):
    """`job.cancelled`: its gate no longer needs it (rework, a decided task)."""

    reason: str
    holder: str | None


class JobExpired(TypedDict):
    """`job.requeued` / `job.dead`: the sweeper found its lease expired."""

    holder: str | None
    fence: int
    attempts: int
    max_attempts: int


# `job.taken_over`: a human took the job over in its workspace ("from": the holder before, ADR 0177)
JobTakenOver = TypedDict("JobTakenOver", {"from": str | None, "reason": str, "fence": int, "attempt": int})


class JobAnswer(TypedDict):
    """What the bus answers for a job it changed (release, fail, retry): its id and status now."""

    job: int
    status: JobStatus
    escalated: NotRequired[bool]


# -- switches, authentication, comments ----------------------------------------------------------------
class SwitchChanged(TypedDict):
    """`switch.paused` / `switch.resumed`: a kill switch turned on or off."""

    switch: int
    scope: str
    target: str | None
    note: str
    unpriced_accepted: NotRequired[int]


# `auth.denied`: a token refused (the presented id, never its secret); "as" is the --as it came with
AuthDenied = TypedDict(
    "AuthDenied",
    {"reason": str, "command": str, "as": NotRequired[str | None], "token_id": NotRequired[str | None]},
)


class TaskComment(TypedDict):
    """`task.comment`: a job holder's comment on its task."""

    body: str


class ToolCalled(TypedDict):
    """`tool.called`: one tool call of a job's holder in the tool-call ledger (org.bus.toolcalls, ADR 0231):
    never the arguments, only their digest."""

    tool: str
    args_sha256: str
    result: str
    latency_ms: float
    decision: str
    rules: list[str]


# -- the usage ledger ----------------------------------------------------------------------------------
class UsageRow(TypedDict, total=False):
    """One model call as the gateway hands it to the ledger (Guard.record_usage): the door fixes job, task,
    lane and gate to the job token's own."""

    tokens_in: int
    tokens_out: int
    cost_usd: float | None
    latency_ms: float
    outcome: str
    job: int | None
    task: str | None
    lane: str | None
    gate: str | None
    workflow: str | None


# -- the task and gate lifecycle (the engine's fold; org.engine.state.EVENT_TYPES) ------------------------
class TaskCreated(TypedDict):
    title: str
    workflow: str
    config_hash: str
    tier: str
    tier_reason: str
    tier_rules: list[str]
    tier_sources: list[Any]
    attributes: dict[str, Any]
    gates: list[str]
    required: list[str]
    workflow_source: NotRequired[str | None]
    filer_may_approve: NotRequired[bool]
    repo: NotRequired[str | None]
    policy: NotRequired[dict[str, Any]]
    behind: NotRequired[list[str]]
    idempotency_key: NotRequired[str | None]


class GateEvent(TypedDict):
    """`gate.ready` / `gate.passed` / `gate.failed` / `gate.skipped`."""

    gate: str
    config_hash: NotRequired[str]
    revision: NotRequired[str | None]
    reason: NotRequired[str]
    lane: NotRequired[str | None]
    round: NotRequired[int]
    source: NotRequired[str | None]
    tests: NotRequired[dict[str, Any]]


class Verdict(TypedDict):
    """`work.submitted`, `review.filed` and a human's `approval.*` on a gate."""

    gate: str
    revision: str | None
    config_hash: NotRequired[str]
    family: NotRequired[str | None]
    note: NotRequired[str | None]
    verdict: NotRequired[str]
    counts: NotRequired[bool]
    why: NotRequired[str]
    cross_vendor: NotRequired[bool]
    findings: NotRequired[list[Any]]
    behind: NotRequired[list[str]]
    content_sha256: NotRequired[str | None]


class ReworkStarted(TypedDict):
    config_hash: str
    from_gate: str
    target: str
    round: int
    limit: int
    reset: list[str]


# `task.done` / `task.rejected` / `task.escalated` / `task.resumed` / `task.tier_raised` ("from": the tier before)
TaskEnded = TypedDict(
    "TaskEnded",
    {
        "config_hash": NotRequired[str],
        "reason": NotRequired[str | None],
        "revision": NotRequired[str | None],
        "tier": NotRequired[str],
        "passed": NotRequired[list[str]],
        "skipped": NotRequired[list[str]],
        "gate": NotRequired[str | None],
        "jobs": NotRequired[list[Any]],
        "kind": NotRequired[str],
        "limit": NotRequired[float | int | None],
        "source": NotRequired[str | None],
        "unpriced_calls": NotRequired[int],
        "escalation": NotRequired[str | None],
        "note": NotRequired[str | None],
        "unpriced_accepted": NotRequired[int],
        "from": NotRequired[str],
        "rules": NotRequired[list[str]],
    },
)


PAYLOADS: dict[str, type] = {
    "action.decided": ActionDecided,
    "action.approved": ActionVerdict,
    "action.rejected": ActionVerdict,
    "approval.requested": ApprovalRequested,
    "escalation.opened": EscalationOpened,
    "job.posted": JobPosted,
    "job.claimed": JobClaimed,
    "job.submitted": JobSubmitted,
    "job.released": JobEnded,
    "job.failed": JobEnded,
    "job.cancelled": JobCancelled,
    "job.requeued": JobExpired,
    "job.dead": JobExpired,
    "job.taken_over": JobTakenOver,
    "switch.paused": SwitchChanged,
    "switch.resumed": SwitchChanged,
    "auth.denied": AuthDenied,
    "task.comment": TaskComment,
    "tool.called": ToolCalled,
    "task.created": TaskCreated,
    "gate.ready": GateEvent,
    "gate.passed": GateEvent,
    "gate.failed": GateEvent,
    "gate.skipped": GateEvent,
    "work.submitted": Verdict,
    "review.filed": Verdict,
    "approval.granted": Verdict,
    "approval.rejected": Verdict,
    "approval.changes_requested": Verdict,
    "rework.started": ReworkStarted,
    "task.done": TaskEnded,
    "task.rejected": TaskEnded,
    "task.escalated": TaskEnded,
    "task.resumed": TaskEnded,
    "task.tier_raised": TaskEnded,
}


def problems(event: dict[str, Any]) -> list[str]:
    """What is wrong with one recorded event's data against its payload (unknown keys, missing ones, wrong
    types); [] for a good one or a type with no payload here."""
    model = PAYLOADS.get(event["type"])
    if model is None:
        return []
    from pydantic import TypeAdapter, ValidationError

    data = {k: v for k, v in (event.get("data") or {}).items() if k not in ENVELOPE_KEYS}
    known = model.__required_keys__ | model.__optional_keys__  # type: ignore[attr-defined]
    out = [f"{event['type']}: unknown key '{k}'" for k in sorted(set(data) - known)]
    try:
        TypeAdapter(model).validate_python(data, strict=False)
    except ValidationError as exc:
        out += [f"{event['type']}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    return out
