"""The statuses a bus row holds, one vocabulary per table: a task's (the engine's fold), a job's and an approval
request's, as Literals for the type checker and tuples for the code (tests/bus/test_statuses.py holds every
status the bus's SQL names to them)."""

from __future__ import annotations

from typing import Literal, get_args

from org.engine.state import GateStatus, TaskStatus

__all__ = [
    "TaskStatus",
    "GateStatus",
    "JobStatus",
    "ApprovalStatus",
    "TASK_STATUSES",
    "JOB_STATUSES",
    "APPROVAL_STATUSES",
    "JOB_OPEN",
]

# queued: waits for a claim; leased: a holder works on it; done: submitted; cancelled: its gate no longer
# needs it (rework, a decided task); dead: given up (failed, or out of attempts)
JobStatus = Literal["queued", "leased", "done", "cancelled", "dead"]
# pending: waits for a human; granted / rejected: decided; stale: a new revision made it moot; cancelled: its
# task closed first; changes: a human sent the work back (org request-changes)
ApprovalStatus = Literal["pending", "granted", "rejected", "stale", "cancelled", "changes"]

TASK_STATUSES: tuple[TaskStatus, ...] = get_args(TaskStatus)
JOB_STATUSES: tuple[JobStatus, ...] = get_args(JobStatus)
APPROVAL_STATUSES: tuple[ApprovalStatus, ...] = get_args(ApprovalStatus)
JOB_OPEN: tuple[JobStatus, ...] = ("queued", "leased")
