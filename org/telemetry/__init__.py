"""OpenTelemetry traces of org's work (ADR 0195): a root span per task, `invoke_agent` per job, `chat` per model
call (at the gateway, where calls are counted), `execute_tool` per tool call and a span per recorded decision,
following the GenAI semantic conventions, plus `org.*` attributes.

Exported over OTLP/HTTP only when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) is set; otherwise
every hook here is a no-op and OpenTelemetry is never imported (org.telemetry.otel alone imports it). Tool
arguments and results are exported only with `ORG_OTEL_CAPTURE_CONTENT=1`, and then redacted like events.
Export runs in a background thread with a bounded queue and short timeouts: it never blocks or fails the work;
spans it could not deliver are counted (`stats()`).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

__all__ = [
    "enabled",
    "capture_content",
    "job_span",
    "tool_span",
    "recording_tools",
    "emit_tool_records",
    "chat_span",
    "on_event",
    "traceparent",
    "prepare",
    "stats",
    "flush",
    "close",
    "TERMINAL_EVENTS",
]

ENDPOINT_VARS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
CONTENT_VAR = "ORG_OTEL_CAPTURE_CONTENT"
TERMINAL_EVENTS = ("task.done", "task.rejected")  # the events that end a task's root span
MAX_CONTENT = 4000  # characters of a tool's arguments or result in a span (with the capture flag)

# how a job's tool spans redact what they capture: set by job_span for the thread running the job
_REDACT: contextvars.ContextVar[Callable[[Any], Any] | None] = contextvars.ContextVar(
    "org_otel_redact", default=None
)

# a job worked in a room (org.agents.worker: no network, no exporter) records its tool calls instead; the
# dispatcher emits them as the job's `execute_tool` spans (emit_tool_records). Bounded: records and content.
MAX_RECORDS = 500
MAX_RECORD_CONTENT = (
    4 * MAX_CONTENT
)  # raw characters a record carries (redacted and cut to MAX_CONTENT later)
MAX_RECORDS_CONTENT = 2_000_000  # raw characters all of a job's records carry; past it, no more content
SPENT = "[not captured: the job's span content budget was spent]"
_RECORD: contextvars.ContextVar[_Records | None] = contextvars.ContextVar("org_otel_record", default=None)


class _Records:
    def __init__(self, capture: bool) -> None:
        self.capture, self.items, self.dropped, self.left = capture, [], 0, MAX_RECORDS_CONTENT  # type: ignore[var-annotated]

    def take(self, value: Any) -> Any:
        """`value` bounded (_raw), charged to the job's content budget (SPENT once it is spent)."""
        import json

        raw = _raw(value)
        n = len(raw) if isinstance(raw, str) else len(json.dumps(raw, default=str))
        if n > self.left:
            self.left = 0
            return SPENT
        self.left -= n
        return raw


def _raw(value: Any) -> Any:
    """`value` as it may cross the worker's channel: itself when small enough as JSON, else its text cut."""
    import json

    try:
        text = json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = str(value)
    if len(text) <= MAX_RECORD_CONTENT:
        return value if not isinstance(value, str) else value[:MAX_RECORD_CONTENT]
    return (value if isinstance(value, str) else text)[:MAX_RECORD_CONTENT]


class _Recorder:
    """The span handle of a tool call recorded in a room: what the dispatcher's span will say."""

    def __init__(self, rec: dict, recs: _Records) -> None:
        self.rec, self.recs = rec, recs

    def set(self, **_attrs: Any) -> None:
        return None

    def outcome(self, _o: Any) -> None:
        return None

    def usage(self, _res: Any) -> None:
        return None

    def result(self, r: Any) -> None:
        self.rec["result"] = str(getattr(r, "result", "") or "")
        self.rec["decision"] = getattr(r, "decision", None)
        self.rec["rules"] = [str(x) for x in getattr(r, "rules", None) or []]
        if self.recs.capture:
            self.rec["text"] = self.recs.take(str(getattr(r, "text", "") or ""))


@contextlib.contextmanager
def recording_tools(capture: bool) -> Iterator[list[dict]]:
    """Record this thread's tool calls (at most MAX_RECORDS; arguments and results only with `capture`)
    instead of exporting them; yields the list of records, filled as the calls end."""
    recs = _Records(capture)
    token = _RECORD.set(recs)
    try:
        yield recs.items
    finally:
        _RECORD.reset(token)


def emit_tool_records(records: Any) -> None:
    """The `execute_tool` spans of a job's recorded tool calls (recording_tools, from its room), children of
    the span current in this thread (the job's `invoke_agent`), redacted like tool_span's. Never raises."""
    if not enabled() or not isinstance(records, list):
        return
    from org.telemetry import otel

    redact = _REDACT.get() if capture_content() else None
    for rec in records[:MAX_RECORDS]:
        try:
            otel.tool_record(rec, redact)
        except Exception:  # export must never fail the work
            otel.count_dropped(1)


def enabled(environ: Any = None) -> bool:
    """True when traces are to be exported (an OTLP endpoint is set and the SDK is not disabled)."""
    env = os.environ if environ is None else environ
    if str(env.get("OTEL_SDK_DISABLED", "")).lower() == "true":
        return False
    return any(env.get(v) for v in ENDPOINT_VARS)


def capture_content() -> bool:
    """Tool arguments and results go in spans only when asked for (`ORG_OTEL_CAPTURE_CONTENT=1`)."""
    return os.environ.get(CONTENT_VAR, "") == "1"


class _Off:
    """The span handle when tracing is off: every call does nothing."""

    def set(self, **_attrs: Any) -> None:
        return None

    def outcome(self, _o: Any) -> None:
        return None

    def result(self, _r: Any) -> None:
        return None

    def usage(self, _res: Any) -> None:
        return None


OFF = _Off()


@contextlib.contextmanager
def job_span(
    claim: Any, actor: str, *, model: str | None = None, redact: Callable[[Any], Any] | None = None
) -> Iterator[Any]:
    """The `invoke_agent` span of one job (current for the thread while it runs: its tool spans and the
    decisions it causes are its children). `redact` scrubs captured tool content like events."""
    if not enabled():
        yield OFF
        return
    from org.telemetry import otel

    token = _REDACT.set(redact)
    try:
        with otel.job(claim, actor, model) as span:
            yield span
    finally:
        _REDACT.reset(token)


@contextlib.contextmanager
def tool_span(name: str, args: Any, call_id: str | None = None) -> Iterator[Any]:
    """The `execute_tool` span of one tool call; arguments and result only with the capture flag, redacted."""
    recs = _RECORD.get()
    if recs is not None:
        if len(recs.items) >= MAX_RECORDS:
            recs.dropped += 1
            yield OFF
            return
        rec: dict[str, Any] = {"name": str(name), "id": call_id, "start_ns": time.time_ns()}
        if recs.capture:
            rec["args"] = recs.take(args)
        try:
            yield _Recorder(rec, recs)
        except BaseException as exc:
            rec["error"] = type(exc).__name__
            raise
        finally:
            rec["end_ns"] = time.time_ns()
            recs.items.append(rec)
        return
    if not enabled():
        yield OFF
        return
    from org.telemetry import otel

    redact = _REDACT.get() if capture_content() else None
    with otel.tool(name, args, call_id, redact) as span:
        yield span


@contextlib.contextmanager
def chat_span(grant: Any, model: str, provider: str | None = None) -> Iterator[Any]:
    """The `chat` span of one model call at the gateway, a child of its job's span (named by the grant)."""
    if not enabled():
        yield OFF
        return
    from org.telemetry import otel

    with otel.chat(grant, model, provider) as span:
        yield span


def on_event(ev: dict, when: float | None = None, task: dict | None = None) -> None:
    """A committed audit event: a decision becomes a span; a task's end closes its root span (`task`: the
    task's created_at, workflow and tier). Never raises."""
    if not enabled():
        return
    try:
        from org.telemetry import otel

        otel.event(ev, time.time() if when is None else when, task)
    except Exception:  # export must never fail the work
        from org.telemetry import otel

        otel.count_dropped(1)


def prepare() -> None:
    """Load OpenTelemetry and set the exporter up now (a long-running process, before its first job), so no
    job pays for it; a no-op when tracing is off."""
    if enabled():
        from org.telemetry import otel

        otel.prepare()


def traceparent() -> str | None:
    """The W3C `traceparent` of the span current in this thread (for an agent subprocess's environment), or
    None when tracing is off or no span is current."""
    if not enabled():
        return None
    from org.telemetry import otel

    return otel.current_traceparent()


def stats() -> dict[str, int]:
    """Spans ended, exported and dropped (queue full, endpoint down or slow) in this process."""
    if "org.telemetry.otel" not in __import__("sys").modules:
        return {"ended": 0, "exported": 0, "dropped": 0}
    from org.telemetry import otel

    return otel.stats()


def close() -> None:
    """Export what is left and say what was lost, before a quick exit that skips `atexit` (org.cli.main)."""
    if "org.telemetry.otel" in __import__("sys").modules:
        from org.telemetry import otel

        otel.close()


def flush(timeout_s: float = 5.0) -> bool:
    """Export what is queued (tests; the end of a run). False if tracing is off or it did not finish."""
    if "org.telemetry.otel" not in __import__("sys").modules:
        return False
    from org.telemetry import otel

    return otel.flush(timeout_s)
