"""The OpenTelemetry side of org.telemetry: the only module that imports the SDK, loaded on the first span of a
process that has an OTLP endpoint. One tracer provider per process, a batch processor with a bounded queue and
short timeouts in front of the OTLP/HTTP exporter, and counters of the spans that did not make it.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from org.telemetry import MAX_CONTENT, TERMINAL_EVENTS, ids

__all__ = ["job", "tool", "chat", "event", "current_traceparent", "stats", "flush", "count_dropped"]

QUEUE = 2048  # spans waiting for export; beyond it the oldest are dropped (and counted)
BATCH = 512
DELAY_MS = 500  # the export thread's wake-up interval
EXPORT_TIMEOUT_S = 2.0  # one export request, retries included (unless OTEL_EXPORTER_OTLP_*TIMEOUT says)
EXIT_TIMEOUT_S = 3.0  # what a process's exit waits for its last spans

_lock = threading.Lock()
_state: dict[str, Any] = {}
_counts = {"ended": 0, "exported": 0, "dropped": 0}


class _Ids(RandomIdGenerator):
    """Random ids, except the ids a span of a task's trace must have (org.telemetry.ids), set for one start."""

    def __init__(self) -> None:
        self.forced = threading.local()

    def generate_trace_id(self) -> int:
        t = getattr(self.forced, "trace", None)
        if t:
            self.forced.trace = None
            return int(t)
        return super().generate_trace_id()

    def generate_span_id(self) -> int:
        s = getattr(self.forced, "span", None)
        if s:
            self.forced.span = None
            return int(s)
        return super().generate_span_id()


class _Counting(SpanExporter):
    """The OTLP exporter, counting what it delivered and what it could not (never raising)."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner

    def export(self, spans: Any) -> SpanExportResult:
        n = len(spans)
        try:
            res = self.inner.export(spans)
        except Exception:
            res = SpanExportResult.FAILURE
        with _lock:
            _counts["exported" if res == SpanExportResult.SUCCESS else "dropped"] += n
        return res

    def shutdown(self, timeout_millis: float = 0, **_kw: Any) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class _Bounded(SpanProcessor):
    """The batch processor, counting the spans it drops because its queue is full."""

    def __init__(self, inner: BatchSpanProcessor) -> None:
        self.inner = inner

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        self.inner.on_start(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        with _lock:
            _counts["ended"] += 1
            waiting = _counts["ended"] - _counts["exported"] - _counts["dropped"]
            if waiting > QUEUE:  # the processor drops the oldest span to queue this one
                _counts["dropped"] += 1
        self.inner.on_end(span)

    def shutdown(self) -> None:
        inner = getattr(self.inner, "_batch_processor", None)  # its own shutdown waits up to 30 s
        if inner is not None and hasattr(inner, "shutdown"):
            inner.shutdown(timeout_millis=int(EXIT_TIMEOUT_S * 1000))
        else:
            self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


def _timeout() -> float:
    for var in ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"):
        with contextlib.suppress(ValueError):
            if os.environ.get(var):
                return float(os.environ[var]) / (1000 if float(os.environ[var]) > 100 else 1)
    return EXPORT_TIMEOUT_S


def _tracer() -> trace.Tracer:
    got = _state.get("tracer")
    if got is not None:
        return got
    with _lock:
        if "tracer" not in _state:
            ident = _Ids()
            resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME") or "org"})
            provider = TracerProvider(resource=resource, id_generator=ident, shutdown_on_exit=False)
            batch = BatchSpanProcessor(
                _Counting(OTLPSpanExporter(timeout=_timeout())),
                max_queue_size=QUEUE,
                schedule_delay_millis=DELAY_MS,
                max_export_batch_size=BATCH,
            )
            provider.add_span_processor(_Bounded(batch))
            # the exporter's own retry and failure messages would land in every command's stderr: the spans it
            # could not deliver are counted instead, and said once at exit
            logging.getLogger("opentelemetry.exporter.otlp.proto.http").setLevel(logging.CRITICAL)
            logging.getLogger("opentelemetry.sdk._shared_internal").setLevel(logging.CRITICAL)
            atexit.register(close)
            _state.update(provider=provider, ids=ident, tracer=provider.get_tracer("org.telemetry"))
    return _state["tracer"]


def close() -> None:
    """Shut the exporter down (its last spans, within EXIT_TIMEOUT_S) and say once how many were lost."""
    provider = _state.pop("provider", None)
    if provider is None:
        return
    provider.shutdown()
    lost = stats()["dropped"]
    if lost:
        where = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get(
            "OTEL_EXPORTER_OTLP_ENDPOINT"
        )
        sys.stderr.write(f"org: {lost} trace span(s) could not be exported to {where}\n")


def _start(name: str, parent: Any, *, trace_id: int = 0, span_id: int = 0, **kw: Any) -> trace.Span:
    tracer = _tracer()
    ident: _Ids = _state["ids"]
    ident.forced.trace, ident.forced.span = trace_id or None, span_id or None
    try:
        return tracer.start_span(name, context=parent, **kw)
    finally:
        ident.forced.trace = ident.forced.span = None


def _remote(trace_id: int, span_id: int) -> Any:
    sc = SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))
    return trace.set_span_in_context(NonRecordingSpan(sc), otel_context.Context())


def _task_parent(task: str | None, job: int | None = None) -> Any:
    if not task:
        return otel_context.Context()  # a trace of its own
    tid = ids.trace_id(task)
    return _remote(tid, ids.job_span_id(task, job) if job is not None else ids.root_span_id(task))


def _attrs(d: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if v is None or v == "" or v == []:
            continue
        if isinstance(v, bool | int | float | str):
            out[k] = v
        elif isinstance(v, list | tuple) and all(isinstance(x, str) for x in v):
            out[k] = list(v)
        else:
            out[k] = json.dumps(v, sort_keys=True, default=str)
    return out


def _sources(policy_source: Any) -> list[str]:
    """What a lower policy layer set, each `path: layer FILE:LINE` (org.config.provenance.policy_source's block;
    under the org's layer alone it is empty: the config hash names every source)."""
    if not isinstance(policy_source, dict) or not isinstance(policy_source.get("values"), dict):
        return []
    return [f"{path}: {where}" for path, where in sorted(policy_source["values"].items())]


class _Handle:
    def __init__(self, span: trace.Span, redact: Callable[[Any], Any] | None = None) -> None:
        self.span = span
        self.redact = redact

    def set(self, **attrs: Any) -> None:
        self.span.set_attributes(_attrs(attrs))

    def _fail(self, why: str) -> None:
        self.span.set_attribute("error.type", why)
        self.span.set_status(Status(StatusCode.ERROR, why))

    def outcome(self, o: Any) -> None:
        """A job's outcome (org.agents.jobwork.JobOutcome)."""
        if o is None:
            return
        self.set(
            **{
                "org.outcome": o.status,
                "org.verdict": o.verdict,
                "org.failure": o.failure,
                "org.model_calls": o.calls,
                "gen_ai.usage.input_tokens": o.tokens_in,
                "gen_ai.usage.output_tokens": o.tokens_out,
                "org.cost_usd": o.cost_usd,
            }
        )
        if o.failure or o.status in ("failed", "refused"):
            self._fail(o.failure or o.status)

    def result(self, r: Any) -> None:
        """A tool call's result (org.agents.tools.ToolResult): its status, the decision and rules of an action
        it asked for, and its text only with the capture flag (redacted)."""
        status = str(getattr(r, "result", "") or "")
        self.set(
            **{
                "org.tool.result": status,
                "org.decision": getattr(r, "decision", None),
                "org.rule_ids": [str(x) for x in getattr(r, "rules", None) or []],
            }
        )
        if self.redact is not None:
            self.set(**{"gen_ai.tool.call.result": _content(self.redact, getattr(r, "text", ""))})
        if status != "ok":
            self.span.set_attribute("error.type", status or "error")

    def usage(self, res: Any) -> None:
        """A model call's result (org.agents.llm.CallResult) as the gateway counted it."""
        self.set(
            **{
                "gen_ai.usage.input_tokens": res.prompt_tokens,
                "gen_ai.usage.output_tokens": res.completion_tokens,
                "gen_ai.response.finish_reasons": [res.finish_reason] if res.finish_reason else None,
                "org.cost_usd": res.cost_usd,
                "org.outcome": res.outcome,
            }
        )
        if not res.ok:
            self._fail(res.outcome or "error")


def _content(redact: Callable[[Any], Any], value: Any) -> str:
    try:
        scrubbed = redact(value)
    except Exception:
        return "[not captured: redaction failed]"
    text = scrubbed if isinstance(scrubbed, str) else json.dumps(scrubbed, sort_keys=True, default=str)
    return text[:MAX_CONTENT]


@contextlib.contextmanager
def _current(span: trace.Span, handle: _Handle) -> Iterator[_Handle]:
    token = otel_context.attach(trace.set_span_in_context(span))
    try:
        yield handle
    except BaseException as exc:
        # ERROR and error.type only: an exception's text (a provider's error, a tool's command line) can hold
        # a credential; it leaves only with the capture flag (a handle with a redactor), redacted like events
        handle._fail(type(exc).__name__)
        if handle.redact is not None:
            span.add_event(
                "exception",
                {
                    "exception.type": type(exc).__name__,
                    "exception.message": _content(handle.redact, str(exc)),
                },
            )
        raise
    finally:
        otel_context.detach(token)
        span.end()


def job(claim: Any, actor: str, model: str | None) -> Any:
    task, job_id = getattr(claim, "task", None), getattr(claim, "job", None)
    span = _start(
        f"invoke_agent {actor}",
        _task_parent(task),
        span_id=ids.job_span_id(task, job_id) if task and job_id is not None else 0,
        kind=SpanKind.INTERNAL,
        attributes=_attrs(
            {
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.id": actor,
                "gen_ai.agent.name": actor,
                "gen_ai.conversation.id": task,
                "gen_ai.request.model": model,
                "org.job": job_id,
                "org.job.kind": getattr(claim, "kind", None),
                "org.lane": getattr(claim, "lane", None),
                "org.gate": getattr(claim, "gate", None),
                "org.tier": getattr(claim, "tier", None),
                "org.workflow": getattr(claim, "workflow", None),
                "org.round": getattr(claim, "round", None),
                "org.config_hash": getattr(claim, "config_hash", None),
                "org.policy_sources": _sources(getattr(claim, "policy_source", None)),
            }
        ),
    )
    return _current(span, _Handle(span))


def tool(name: str, args: Any, call_id: str | None, redact: Callable[[Any], Any] | None) -> Any:
    span = _start(
        f"execute_tool {name}",
        None,  # the current context: the job's span
        kind=SpanKind.INTERNAL,
        attributes=_attrs(
            {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": name,
                "gen_ai.tool.type": "function",
                "gen_ai.tool.call.id": call_id,
                "gen_ai.tool.call.arguments": _content(redact, args) if redact is not None else None,
            }
        ),
    )
    return _current(span, _Handle(span, redact))


def tool_record(rec: dict, redact: Callable[[Any], Any] | None) -> None:
    """One tool call recorded in a job's room (org.telemetry.recording_tools) as its `execute_tool` span, a
    child of the current span (the job's), with the times it was recorded with."""
    name = str(rec.get("name") or "")
    start, end = int(rec.get("start_ns") or 0) or None, int(rec.get("end_ns") or 0) or None
    span = _start(
        f"execute_tool {name}",
        None,
        kind=SpanKind.INTERNAL,
        start_time=start,
        attributes=_attrs(
            {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": name,
                "gen_ai.tool.type": "function",
                "gen_ai.tool.call.id": rec.get("id"),
                "gen_ai.tool.call.arguments": _content(redact, rec.get("args"))
                if redact is not None and "args" in rec
                else None,
            }
        ),
    )
    handle = _Handle(span, redact)
    try:
        if "result" in rec:
            handle.result(
                SimpleNamespace(
                    result=rec.get("result"),
                    decision=rec.get("decision"),
                    rules=rec.get("rules") or [],
                    text=rec.get("text", ""),
                )
            )
        if rec.get("error"):
            handle._fail(str(rec["error"]))
    finally:
        span.end(end_time=end)


def chat(grant: Any, model: str, provider: str | None) -> Any:
    task, job_id = getattr(grant, "task", None), getattr(grant, "job", None)
    span = _start(
        f"chat {model}",
        _task_parent(task, job_id),
        kind=SpanKind.CLIENT,
        attributes=_attrs(
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": model,
                "gen_ai.provider.name": provider,
                "gen_ai.conversation.id": task,
                "gen_ai.agent.id": getattr(grant, "actor", None),
                "org.job": job_id,
                "org.lane": getattr(grant, "lane", None),
                "org.gate": getattr(grant, "gate", None),
                "org.workflow": getattr(grant, "workflow", None),
            }
        ),
    )
    return _current(span, _Handle(span))


def event(ev: dict, when: float, task: dict | None) -> None:
    key = ev.get("task")
    end_ns = int(when * 1e9)
    data = ev.get("data") or {}
    if ev.get("type") in TERMINAL_EVENTS and key:
        start = (task or {}).get("created_at")
        span = _start(
            f"org.task {(task or {}).get('workflow') or key}",
            _task_parent(None),
            trace_id=ids.trace_id(key),
            span_id=ids.root_span_id(key),
            kind=SpanKind.INTERNAL,
            start_time=int(float(start) * 1e9) if start else end_ns,
            attributes=_attrs(
                {
                    "gen_ai.conversation.id": key,
                    "org.task": key,
                    "org.status": str(ev["type"]).split(".", 1)[1],
                    "org.workflow": (task or {}).get("workflow"),
                    "org.tier": (task or {}).get("tier"),
                    "org.config_hash": ev.get("config_hash"),
                    "org.actor": ev.get("actor"),
                }
            ),
        )
        if ev["type"] == "task.rejected":
            span.set_status(Status(StatusCode.ERROR, "rejected"))
        span.end(end_time=end_ns)
    if ev.get("decision"):
        current = trace.get_current_span().get_span_context()
        if key and current.is_valid and current.trace_id == ids.trace_id(key):
            parent = None  # the job (or tool call) that caused it
        else:
            parent = _task_parent(key, ev.get("job"))
        span = _start(
            f"org.decide {data.get('action') or ev.get('type')}",
            parent,
            kind=SpanKind.INTERNAL,
            start_time=end_ns,
            attributes=_attrs(
                {
                    "gen_ai.conversation.id": key,
                    "org.event": ev.get("type"),
                    "org.action": data.get("action"),
                    "org.decision": ev.get("decision"),
                    "org.rule_ids": [str(r) for r in ev.get("rules") or []],
                    "org.actor": ev.get("actor"),
                    "org.lane": ev.get("lane"),
                    "org.gate": ev.get("gate"),
                    "org.job": ev.get("job"),
                    "org.config_hash": ev.get("config_hash"),
                    "org.policy_sources": _sources(data.get("policy_source")),
                    "org.reason": data.get("reason"),
                }
            ),
        )
        if ev.get("decision") == "deny":
            span.set_attribute("error.type", "denied")
        span.end(end_time=end_ns)


def prepare() -> None:
    _tracer()


def current_traceparent() -> str | None:
    sc = trace.get_current_span().get_span_context()
    return ids.traceparent(sc.trace_id, sc.span_id) if sc.is_valid else None


def count_dropped(n: int) -> None:
    with _lock:
        _counts["dropped"] += n


def stats() -> dict[str, int]:
    with _lock:
        return dict(_counts)


def flush(timeout_s: float = 5.0) -> bool:
    provider = _state.get("provider")
    return bool(provider and provider.force_flush(int(timeout_s * 1000)))
