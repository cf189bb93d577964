"""The bus's tables (SQLModel, in their own registry so other packages' tables never collide)."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import BigInteger, Column, Float, Index, Integer, LargeBinary, String, column, desc, text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from org.bus.schema import (  # changing these tables means a new version and a migration
    SCHEMA_VERSION,
    TASK_NUMBER,
)
from org.bus.statuses import JOB_OPEN

__all__ = [
    "SCHEMA_VERSION",
    "BusTable",
    "Meta",
    "ConfigPin",
    "Task",
    "Job",
    "Lease",
    "EventRow",
    "AuditHead",
    "Approval",
    "Switch",
    "Usage",
    "RateBudget",
    "LaneSignal",
    "TokenRow",
    "AuthFailure",
    "metadata",
    "JOB_OPEN",
    "BigId",
]


class BusTable(SQLModel, registry=registry()):
    """Base of every bus table; its metadata holds only the bus's tables."""


metadata = BusTable.metadata
# 64-bit ids on PostgreSQL; on SQLite an INTEGER PRIMARY KEY is already 64-bit (and the rowid).
BigId = BigInteger().with_variant(Integer, "sqlite")


def _id() -> Any:
    return Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))


class Meta(BusTable, table=True):
    """Key/value facts about the database itself, e.g. schema_version."""

    __tablename__: ClassVar[str] = "bus_meta"
    key: str = Field(primary_key=True, max_length=64)
    value: str


class ConfigPin(BusTable, table=True):
    """The config files' text under their hash: a running task loads its pinned policy from here."""

    __tablename__: ClassVar[str] = "config_pins"
    config_hash: str = Field(primary_key=True, max_length=64)
    files: str  # JSON {relpath: text}
    created_at: float


class Task(BusTable, table=True):
    """One work item in a workflow; its truth is the fold of its events, these columns are a summary."""

    __tablename__: ClassVar[str] = "tasks"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=32)  # "T-12"
    title: str
    workflow: str = Field(max_length=64, index=True)  # task list --workflow (schema 10)
    tier: str = Field(default="", max_length=64)
    status: str = Field(default="active", max_length=16, index=True)  # statuses.TaskStatus
    config_hash: str = Field(max_length=64)
    created_by: str | None = Field(default=None, max_length=128, index=True)  # task list --actor (schema 10)
    created_at: float
    updated_at: float
    last_event_at: float
    idempotency_key: str | None = Field(default=None, unique=True, max_length=200)
    attributes: str = "{}"  # JSON, redacted
    revision: str | None = Field(default=None, max_length=64)
    rounds: int = 0
    escalation: str | None = None
    last_seq: int = 0  # seq of the last engine event (cache key for the folded state)


class Job(BusTable, table=True):
    """One assignment: a gate of a task for a lane (or a plain job). Leased by CAS with a fence."""

    __tablename__: ClassVar[str] = "jobs"
    __table_args__ = (
        # Partial indexes: only the rows each query looks for (queued, leased, task jobs), so closing a job
        # touches as few index entries as possible. The claim order needs no sort.
        Index(
            "ix_jobs_claim",
            "lane",
            desc(column("priority")),
            "id",
            sqlite_where=text("status = 'queued'"),
            postgresql_where=text("status = 'queued'"),
        ),
        Index(
            "ix_jobs_task",
            "task",
            "status",
            sqlite_where=text("task IS NOT NULL"),
            postgresql_where=text("task IS NOT NULL"),
        ),
        Index(  # task list --lane: the open jobs of a lane by task number, newest first (schema 10; 8's ix_jobs_open)
            "ix_jobs_open_num",
            "lane",
            text(TASK_NUMBER),
            sqlite_where=text("status IN ('queued', 'leased') AND task IS NOT NULL"),
            postgresql_where=text("status IN ('queued', 'leased') AND task IS NOT NULL"),
        ),
        Index(  # task list --actor: the jobs an actor holds or held, by task number (schema 10)
            "ix_jobs_holder",
            "leased_by",
            text(TASK_NUMBER),
            sqlite_where=text("leased_by IS NOT NULL AND task IS NOT NULL"),
            postgresql_where=text("leased_by IS NOT NULL AND task IS NOT NULL"),
        ),
        Index(
            "ix_jobs_expiry",
            "lease_expires",
            sqlite_where=text("status = 'leased'"),
            postgresql_where=text("status = 'leased'"),
        ),
    )
    id: int | None = _id()
    task: str | None = Field(default=None, max_length=32)
    gate: str | None = Field(default=None, max_length=64)
    lane: str = Field(max_length=64)
    kind: str = Field(max_length=16)  # work|review|approval|plain
    status: str = Field(default="queued", max_length=16)  # statuses.JobStatus
    priority: int = 0
    round: int = 0
    slot: int = 0
    revision: str | None = Field(default=None, max_length=64)
    excluded: str = "|"  # prefilter hints "|a:ACTOR|f:FAMILY|"; the engine's eligibility decides
    attempts: int = 0
    max_attempts: int = 3
    fence: int = 0
    token: str | None = Field(default=None, max_length=64)
    leased_by: str | None = Field(default=None, max_length=128)
    lease_seconds: float = 0.0
    lease_expires: float | None = None
    posted_at: float
    updated_at: float
    verdict: str | None = Field(default=None, max_length=16)
    result: str | None = None  # JSON, redacted
    payload: str | None = None  # JSON
    reason: str | None = None


class Lease(BusTable, table=True):
    """Every lease ever granted: job, fencing token, holder and how it ended."""

    __tablename__: ClassVar[str] = "leases"
    __table_args__ = (Index("ix_leases_job", "job", "fence"),)
    id: int | None = _id()
    job: int = Field(sa_column=Column(BigInteger, nullable=False))
    fence: int
    actor: str = Field(max_length=128)
    granted_at: float
    expires_at: float
    heartbeat_at: float | None = None
    ended_at: float | None = None
    outcome: str = Field(default="active", max_length=16)  # active|submitted|expired|cancelled|released


class EventRow(BusTable, table=True):
    """The audit log: append-only, hash-chained. hash = sha256(prev hash | task | type | body)."""

    __tablename__: ClassVar[str] = "events"
    __table_args__ = (
        Index(
            "ix_events_task",
            "task",
            "seq",
            sqlite_where=text("task IS NOT NULL"),
            postgresql_where=text("task IS NOT NULL"),
        ),
        Index("ix_events_type", "type", "seq"),  # deciding reads fold few types from the chain (ADR 0166)
    )
    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    task: str | None = Field(default=None, max_length=32)
    type: str = Field(max_length=48)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class AuditHead(BusTable, table=True):
    """The chain's head (last seq and hash), updated in the same transaction as every append."""

    __tablename__: ClassVar[str] = "audit_head"
    id: int = Field(default=1, primary_key=True)
    seq: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Approval(BusTable, table=True):
    """A request for a human: an approval gate, a consequential action, or an escalation."""

    __tablename__: ClassVar[str] = "approvals"
    __table_args__ = (
        Index(
            "ux_approvals_pending",
            "task",
            "kind",
            "subject",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_approvals_status", "status", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    task: str | None = Field(default=None, max_length=32)
    kind: str = Field(max_length=16)  # gate|action|escalation
    subject: str = Field(max_length=128)  # gate name, action, or escalation kind
    lane: str | None = Field(default=None, max_length=64)  # human lane asked; None: any human
    revision: str | None = Field(default=None, max_length=64)
    status: str = Field(default="pending", max_length=16)  # statuses.ApprovalStatus
    requested_by: str | None = Field(default=None, max_length=128)
    requested_at: float
    decided_by: str | None = Field(default=None, max_length=128)
    decided_at: float | None = None
    note: str | None = None
    reason: str = ""
    rules: str = "[]"  # JSON list of rule ids
    job: int | None = Field(default=None, sa_column=Column(BigInteger))


class Switch(BusTable, table=True):
    """A pause at some scope (actor, lane, task, vendor, all); resuming keeps the row for forensics."""

    __tablename__: ClassVar[str] = "switches"
    __table_args__ = (
        Index(
            "ux_switches_active",
            "scope",
            "target",
            unique=True,
            sqlite_where=text("active = 1"),
            postgresql_where=text("active"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=16)
    target: str = Field(max_length=128)
    active: bool = True
    paused_by: str = Field(max_length=128)
    paused_at: float
    note: str | None = None
    resumed_by: str | None = Field(default=None, max_length=128)
    resumed_at: float | None = None
    resume_note: str | None = None


class Usage(BusTable, table=True):
    """The usage ledger: one model call (tokens, cost, latency, outcome) attributed to who and what."""

    __tablename__: ClassVar[str] = "usage"
    __table_args__ = (
        Index("ix_usage_actor", "actor", "ts"),
        Index("ix_usage_lane", "lane", "ts"),
        Index("ix_usage_task", "task", "ts"),
    )
    id: int | None = _id()
    ts: float
    actor: str = Field(max_length=128)
    lane: str | None = Field(default=None, max_length=64)
    task: str | None = Field(default=None, max_length=32)
    workflow: str | None = Field(default=None, max_length=64)
    gate: str | None = Field(default=None, max_length=64)
    job: int | None = Field(default=None, sa_column=Column(BigInteger))
    model: str = Field(default="", sa_column=Column(String(200), nullable=False, default=""))
    vendor: str | None = Field(default=None, max_length=64)
    family: str | None = Field(default=None, max_length=64)
    tokens_in: int = 0
    tokens_out: int = 0
    # US dollars; NULL when the model has no price (unknown, never stored as $0; schema version 2)
    cost_usd: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    latency_ms: float = 0.0
    outcome: str = Field(default="ok", max_length=32)


class RateBudget(BusTable, table=True):
    """A shared token bucket per provider: reserve before a call, settle after it."""

    __tablename__: ClassVar[str] = "rate_budgets"
    provider: str = Field(primary_key=True, max_length=128)
    capacity: float
    tokens: float
    refill_per_s: float
    updated_at: float


class TokenRow(BusTable, table=True):
    """A principal or job token (org.identity.tokens): its public id, the principal it speaks for, a per-token salt
    and the peppered HMAC of its secret (never the secret), expiry and revocation, and for a job token the job,
    fence and scope it was minted for (schema version 3; before, identity kept it beside the bus's tables)."""

    __tablename__: ClassVar[str] = "org_tokens"
    id: str = Field(primary_key=True, max_length=32)
    kind: str = Field(max_length=16)
    principal: str = Field(max_length=128)
    principal_kind: str = Field(max_length=16)
    salt: str = Field(max_length=64)
    hash: str = Field(max_length=128)
    created_at: float
    created_by: str | None = Field(default=None, max_length=128)
    expires_at: float | None = None
    revoked_at: float | None = None
    revoked_by: str | None = Field(default=None, max_length=128)
    note: str | None = None
    job: int | None = Field(default=None, sa_column=Column(BigInteger))
    fence: int | None = None
    fence_token: str | None = Field(default=None, max_length=64)
    task: str | None = Field(default=None, max_length=32)
    gate: str | None = Field(default=None, max_length=64)
    lane: str | None = Field(default=None, max_length=64)
    actions: str | None = None
    __table_args__ = (
        Index("ix_org_tokens_principal", "principal", "kind"),
        Index("ix_org_tokens_job", "job"),
    )


class AuthFailure(BusTable, table=True):
    """Failed authentications per presented token id ("token:<id>") in the current window (org.identity.tokens)."""

    __tablename__: ClassVar[str] = "org_auth_failures"
    key: str = Field(primary_key=True, max_length=200)
    first_at: float
    last_at: float
    failures: int
    __table_args__ = (Index("ix_org_auth_failures_last", "last_at"),)


class LaneSignal(BusTable, table=True):
    """A per-lane change counter bumped when work for the lane appears (SQLite wake-ups poll it)."""

    __tablename__: ClassVar[str] = "lane_signals"
    lane: str = Field(primary_key=True, max_length=64)
    version: int = 0
