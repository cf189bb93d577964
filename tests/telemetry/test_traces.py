"""A task's life as one OpenTelemetry trace (ADR 0195), as a real OTLP/HTTP receiver on loopback decodes it
(protobuf): `org run` on a starter org with the local model, every process of the run (the supervisor with the
gateway, the agent host, the broker) exporting into the task's trace; a receiver that is down or slow never
fails the work and the lost spans are counted; tool content only with the flag, redacted; and without an
endpoint, no OpenTelemetry import at all."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap

import pytest

from org.bus import Bus
from org.telemetry import ids
from tests.helpers import REPO, run_org
from tests.telemetry.receiver import Receiver


@pytest.fixture
def receiver():
    rx = Receiver().start()
    try:
        yield rx
    finally:
        rx.stop()


def _docs_task(root) -> str:
    with Bus.open(f"sqlite:///{root / '.org' / 'org.db'}", root=root) as bus:
        return bus.add_task("Document the retry policy", "change", attributes={"kind": "docs"})["task"]


def _run(root, endpoint: str | None, **env: str) -> subprocess.CompletedProcess:
    e = {"ORG_MODELS": "local", "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint or "", **env}
    return run_org("run", "--json", root=root, env=e, timeout=300)


@pytest.mark.slow
def test_a_task_is_one_trace_across_the_processes_of_the_run(org_copy, receiver):
    task = _docs_task(org_copy)
    p = _run(org_copy, receiver.url)
    assert p.returncode == 0, p.stderr[-2000:]
    with Bus.open(f"sqlite:///{org_copy / '.org' / 'org.db'}", root=org_copy) as bus:
        assert bus.task(task)["status"] == "done"
    spans = [s for s in receiver.spans() if s["attrs"].get("gen_ai.conversation.id") == task]
    trace = f"{ids.trace_id(task):032x}"
    assert spans and {s["trace"] for s in spans} == {trace}
    # nothing of the task's trace lies outside it, and every parent is a span of the trace
    everything = [s for s in receiver.spans() if s["trace"] == trace]
    assert everything == spans
    by_id = {s["id"]: s for s in spans}
    assert len(by_id) == len(spans)  # no span id used twice
    roots = [s for s in spans if s["parent"] is None]
    assert len(roots) == 1, sorted((s["name"], s["parent"]) for s in spans)
    root = roots[0]
    assert root["name"] == "org.task change" and root["id"] == f"{ids.root_span_id(task):016x}"
    assert root["attrs"]["org.status"] == "done" and root["attrs"]["org.tier"] and root["start"] < root["end"]
    assert all(s["parent"] in by_id for s in spans if s is not root)

    jobs = [s for s in spans if s["attrs"].get("gen_ai.operation.name") == "invoke_agent"]
    assert len(jobs) >= 2 and all(j["parent"] == root["id"] for j in jobs)
    assert {j["attrs"]["org.lane"] for j in jobs} >= {"builder", "reviewer"}
    for j in jobs:
        a = j["attrs"]
        assert j["name"] == f"invoke_agent {a['gen_ai.agent.id']}" and a["gen_ai.agent.name"]
        assert a["gen_ai.request.model"] and a["org.gate"] and a["org.config_hash"] and a["org.tier"]
        assert a["org.outcome"] == "submitted" and a["gen_ai.usage.input_tokens"] > 0
        assert root["start"] <= j["start"] <= root["end"]  # the last job ends just after the task it finished

    # the model calls, as the gateway counted them, each under the job whose token made it
    chats = [s for s in spans if s["attrs"].get("gen_ai.operation.name") == "chat"]
    assert len(chats) == len(jobs)
    for c in chats:
        job = by_id[c["parent"]]
        assert job in jobs and c["name"] == f"chat {c['attrs']['gen_ai.request.model']}"
        assert c["attrs"]["gen_ai.request.model"] == job["attrs"]["gen_ai.request.model"]
        assert c["attrs"]["gen_ai.usage.input_tokens"] == job["attrs"]["gen_ai.usage.input_tokens"]
        assert c["attrs"]["gen_ai.usage.output_tokens"] == job["attrs"]["gen_ai.usage.output_tokens"] > 0
        assert c["attrs"]["gen_ai.agent.id"] == job["attrs"]["gen_ai.agent.id"]
        assert c["kind"] == 3  # CLIENT

    # the decisions: each a span with its outcome, under the job that caused it or the task
    decisions = [s for s in spans if s["name"].startswith("org.decide ")]
    assert {d["attrs"]["org.event"] for d in decisions} >= {"job.claimed", "job.submitted", "task.done"}
    for d in decisions:
        assert d["attrs"]["org.decision"] and d["attrs"]["org.config_hash"]
        assert d["parent"] == root["id"] or by_id[d["parent"]] in jobs
    claimed = [d for d in decisions if d["attrs"]["org.event"] == "job.claimed"]
    assert {by_id[d["parent"]]["attrs"]["org.job"] for d in claimed} == {j["attrs"]["org.job"] for j in jobs}
    assert not any("gen_ai.tool.call.arguments" in s["attrs"] for s in spans)


def _held_port(listen: bool) -> socket.socket:
    """A loopback port that stays ours for the test (no race): bound only (connections refused: down), or
    listening without ever accepting (connections hang: slow)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    if listen:
        s.listen(1)
    return s


@pytest.mark.slow
@pytest.mark.parametrize("endpoint", ["down", "slow"])
def test_an_endpoint_that_is_down_or_slow_never_fails_the_run(org_copy, endpoint):
    held = _held_port(listen=endpoint == "slow")
    try:
        task = _docs_task(org_copy)
        p = _run(org_copy, f"http://127.0.0.1:{held.getsockname()[1]}")
    finally:
        held.close()
    assert p.returncode == 0, p.stderr[-2000:]
    assert json.loads(p.stdout)["tasks_done"] == 1
    with Bus.open(f"sqlite:///{org_copy / '.org' / 'org.db'}", root=org_copy) as bus:
        assert bus.task(task)["status"] == "done"
    assert "trace span(s) could not be exported" in p.stderr  # counted and said once, no exporter noise
    assert "Traceback" not in p.stderr and "Transient error" not in p.stderr


# -- the hooks in one process: content, redaction, counting, and no import without an endpoint ------------

_HOOKS = textwrap.dedent(
    """
    import json, os, sys
    from types import SimpleNamespace as N
    from org import telemetry
    from org.bus import Redactor
    from org.runtime.sandbox import Sandbox
    import org.agents.runner, org.agents.toolloop, org.gateway.server  # noqa: F401

    secret = os.environ["SERVICE_TOKEN"]
    redact = Redactor.for_credentials({"svc": N(env="SERVICE_TOKEN", file=None)}).value
    claim = N(task="T-9", job=4, lane="builder", gate="implement", kind="work", tier="high", workflow="change",
              round=0, config_hash="abc", policy_source={"values": {"limits.max_rework_rounds": "repo app.yaml:3"}})
    def child_traceparent():  # what a process org starts in the sandbox is handed
        box = Sandbox(os.getcwd(), isolated=False, python=False)
        probe = "import os; print(os.environ.get('TRACEPARENT'))"
        return box.run([sys.executable, "-I", "-c", probe]).stdout.decode().strip()

    outside = child_traceparent()
    with telemetry.job_span(claim, "build-x", model="openai/gpt-5", redact=redact) as job:
        parent = telemetry.traceparent()
        inside = child_traceparent()
        with telemetry.tool_span("write_file", {"path": "a.py", "text": "KEY=" + secret, "password": "hunter22x"},
                                 "call-1") as tool:
            tool.result(N(result="ok", text="wrote a.py with " + secret, decision="allow", rules=["R-1"]))
        job.outcome(N(status="submitted", verdict=None, failure=None, calls=1, tokens_in=10, tokens_out=5,
                      cost_usd=0.01))
    grant = N(task="T-9", job=4, actor="build-x", lane="builder", gate="implement", workflow="change")
    with telemetry.chat_span(grant, "openai/gpt-5", "openai") as chat:
        chat.usage(N(prompt_tokens=10, completion_tokens=5, finish_reason="stop", cost_usd=0.01, outcome="ok",
                     ok=True))
    telemetry.on_event({"type": "action.decided", "task": "T-9", "decision": "deny", "rules": ["R-7"],
                        "job": None, "config_hash": "abc", "data": {"action": "deploy.production"}}, 2.0, None)
    telemetry.flush(10)
    print(json.dumps({"otel": sorted(m for m in sys.modules if m.startswith("opentelemetry"))[:3],
                      "traceparent": parent, "child": [outside, inside], "stats": telemetry.stats()}))
    """
)


def _hooks(endpoint: str, script: str = _HOOKS, **env: str) -> dict:
    import os

    e = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "ORG_OTEL_"))},
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "SERVICE_TOKEN": "svc-5ecret-value-0123456789",
        **env,
    }
    p = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=e, cwd=str(REPO), timeout=120
    )
    assert p.returncode == 0, p.stderr[-2000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_without_an_endpoint_nothing_is_traced_and_opentelemetry_is_never_imported(receiver):
    off = _hooks("")
    assert off["otel"] == [] and off["traceparent"] is None and receiver.spans() == []
    assert off["child"] == ["None", "None"]  # nothing handed to a sandboxed process either
    on = _hooks(receiver.url)  # the same script with an endpoint: the check above can fail
    assert on["otel"] and on["traceparent"] and receiver.spans()


def test_the_hooks_build_the_tree_and_keep_tool_content_out_unless_asked(receiver):
    got = _hooks(receiver.url)
    spans = {s["name"]: s for s in receiver.spans()}
    assert set(spans) == {
        "invoke_agent build-x",
        "execute_tool write_file",
        "chat openai/gpt-5",
        "org.decide deploy.production",
    }
    job, tool, chat = (
        spans["invoke_agent build-x"],
        spans["execute_tool write_file"],
        spans["chat openai/gpt-5"],
    )
    # what an agent subprocess is handed: the job's span, inside the job only (a CLI's spans join the trace)
    assert (
        got["child"] == ["None", got["traceparent"]]
        and got["traceparent"] == f"00-{job['trace']}-{job['id']}-01"
    )
    assert (
        job["trace"] == f"{ids.trace_id('T-9'):032x}" and job["parent"] == f"{ids.root_span_id('T-9'):016x}"
    )
    assert tool["parent"] == job["id"] and chat["parent"] == job["id"]  # the gateway's span finds its job
    assert spans["org.decide deploy.production"]["parent"] == job["parent"]  # no job: under the task
    assert job["attrs"]["org.policy_sources"] == ["limits.max_rework_rounds: repo app.yaml:3"]
    assert tool["attrs"]["org.decision"] == "allow" and tool["attrs"]["org.rule_ids"] == ["R-1"]
    assert spans["org.decide deploy.production"]["attrs"]["org.rule_ids"] == ["R-7"]
    assert spans["org.decide deploy.production"]["attrs"]["error.type"] == "denied"
    text = json.dumps(receiver.spans())
    assert "gen_ai.tool.call.arguments" not in text and "gen_ai.tool.call.result" not in text
    assert "5ecret" not in text and "hunter22x" not in text and got["stats"]["dropped"] == 0


def test_tool_content_with_the_flag_is_redacted_like_events(receiver):
    _hooks(receiver.url, ORG_OTEL_CAPTURE_CONTENT="1")
    tool = next(s for s in receiver.spans() if s["name"] == "execute_tool write_file")
    args, result = tool["attrs"]["gen_ai.tool.call.arguments"], tool["attrs"]["gen_ai.tool.call.result"]
    assert "a.py" in args and "wrote a.py" in result  # captured...
    text = json.dumps(receiver.spans())
    assert (
        "5ecret" not in text and "hunter22x" not in text
    )  # ...but never a secret: known value, secret field
    assert "[redacted" in args and "[redacted" in result


_FAILING = textwrap.dedent(
    """
    import json, os, sys
    from types import SimpleNamespace as N
    from org import telemetry
    from org.bus import Redactor

    secret = os.environ["SERVICE_TOKEN"]
    redact = Redactor.for_credentials({"svc": N(env="SERVICE_TOKEN", file=None)}).value
    claim = N(task="T-9", job=4, lane="builder", gate="implement", kind="work")
    boom = "curl -H 'Authorization: Bearer " + secret + "' https://x failed"
    try:
        with telemetry.job_span(claim, "build-x", model="openai/gpt-5", redact=redact):
            try:
                with telemetry.tool_span("shell", {"cmd": "x"}, "call-1"):
                    raise RuntimeError(boom)
            except RuntimeError:
                pass
            grant = N(task="T-9", job=4, actor="build-x", lane="builder", gate="implement", workflow="change")
            with telemetry.chat_span(grant, "openai/gpt-5", "openai"):
                raise ValueError("provider said: bad key " + secret)
    except ValueError:
        pass
    telemetry.flush(10)
    print(json.dumps(telemetry.stats()))
    """
)


def test_a_failing_span_exports_its_error_type_and_never_the_exception_s_text(receiver):
    """An exception in a tool, chat or job span (a provider's error text, a tool's command line holding a
    credential) marks the span ERROR with error.type only; without the capture flag no message leaves."""
    _hooks(receiver.url, _FAILING)
    spans = {s["name"]: s for s in receiver.spans()}
    tool, chat, job = spans["execute_tool shell"], spans["chat openai/gpt-5"], spans["invoke_agent build-x"]
    assert tool["attrs"]["error.type"] == "RuntimeError" and chat["attrs"]["error.type"] == "ValueError"
    assert job["attrs"]["error.type"] == "ValueError" and {tool["status"], chat["status"], job["status"]} == {
        2
    }
    text = json.dumps(receiver.spans())
    assert "5ecret" not in text and "curl" not in text and "provider said" not in text


def test_with_the_flag_a_tool_span_s_exception_text_is_redacted_like_events(receiver):
    _hooks(receiver.url, _FAILING, ORG_OTEL_CAPTURE_CONTENT="1")
    spans = {s["name"]: s for s in receiver.spans()}
    (ev,) = [e for e in spans["execute_tool shell"]["events"] if e["name"] == "exception"]
    assert "curl" in ev["attrs"]["exception.message"] and "[redacted" in ev["attrs"]["exception.message"]
    text = json.dumps(receiver.spans())
    assert "5ecret" not in text and "provider said" not in text  # a chat span has no redactor: never its text


def test_spans_an_endpoint_refuses_are_counted_and_the_process_ends(tmp_path):
    held = _held_port(listen=False)
    try:
        got = _hooks(f"http://127.0.0.1:{held.getsockname()[1]}")
    finally:
        held.close()
    assert got["stats"]["exported"] == 0 and got["stats"]["dropped"] == got["stats"]["ended"] == 4


@pytest.mark.slow
def test_a_builder_s_tool_calls_are_spans_of_its_job_with_content_only_when_asked(ws_org, receiver):
    """The tool loop on a real repository (the workspace, the diff guard): each tool call an `execute_tool`
    span under its job, with its decision; the arguments captured with the flag, through the events' redactor."""
    with Bus.open(f"sqlite:///{ws_org / '.org' / 'org.db'}", root=ws_org) as bus:
        task = bus.add_task("Add retries to the webhook sender", "change", by="alice", repo="app")["task"]
    p = _run(ws_org, receiver.url, ORG_OTEL_CAPTURE_CONTENT="1")
    assert p.returncode == 0, p.stderr[-2000:]
    spans = [s for s in receiver.spans() if s["trace"] == f"{ids.trace_id(task):032x}"]
    by_id = {s["id"]: s for s in spans}
    tools = [s for s in spans if s["attrs"].get("gen_ai.operation.name") == "execute_tool"]
    # every tool call under its job's span (a review job's read-only tools under that job: reviewer, security)
    lane = {t["id"]: by_id[t["parent"]]["attrs"].get("org.lane") for t in tools}
    built = {t["attrs"]["gen_ai.tool.name"] for t in tools if lane[t["id"]] == "builder"}
    assert built >= {"write_file", "submit"}
    for t in tools:
        job = by_id[t["parent"]]
        assert job["attrs"]["gen_ai.operation.name"] == "invoke_agent" and lane[t["id"]]
        assert t["name"] == f"execute_tool {t['attrs']['gen_ai.tool.name']}" and t["attrs"]["org.tool.result"]
        assert "gen_ai.tool.call.arguments" in t["attrs"] and "gen_ai.tool.call.result" in t["attrs"]
    writes = [t for t in tools if t["attrs"]["gen_ai.tool.name"] == "write_file"]
    assert writes and all(json.loads(w["attrs"]["gen_ai.tool.call.arguments"])["path"] for w in writes)
    assert all(w["attrs"].get("org.decision") == "allow" for w in writes)
