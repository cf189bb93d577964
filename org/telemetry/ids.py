"""A task's trace, named by the task alone: its trace id and the span ids of its root and of each job span,
derived from the task key (and the job id), so every process (the dispatcher, the gateway, the bus of any
CLI call) puts its spans in the one trace of the task without handing a context around. No OpenTelemetry here.
"""

from __future__ import annotations

import hashlib

__all__ = ["trace_id", "root_span_id", "job_span_id", "traceparent"]


def _id(text: str, nbytes: int) -> int:
    n = int.from_bytes(hashlib.sha256(text.encode()).digest()[:nbytes], "big")
    return n or 1  # an all-zero id is invalid in W3C trace context


def trace_id(task: str) -> int:
    """The 128-bit trace id of task `task` (its key)."""
    return _id(f"org-trace:{task}", 16)


def root_span_id(task: str) -> int:
    """The 64-bit id of the task's root span."""
    return _id(f"org-task:{task}", 8)


def job_span_id(task: str, job: int) -> int:
    """The 64-bit id of the `invoke_agent` span of job `job` of the task."""
    return _id(f"org-job:{task}:{job}", 8)


def traceparent(trace: int, span: int) -> str:
    """The W3C `traceparent` value naming span `span` of trace `trace` (sampled)."""
    return f"00-{trace:032x}-{span:016x}-01"
