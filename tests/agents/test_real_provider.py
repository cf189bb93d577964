"""The same lanes configured for a real provider work on a repository named in gates/repos.yaml (issue 14, done
when): the builder lane's member is a real provider's model name (openai/gpt-4o-mini), its key and base URL
(OPENAI_API_KEY, OPENAI_API_BASE) are in the run's environment, and a loopback HTTP server speaking OpenAI's
chat completions with tool calls stands in for the provider. The run goes through the model gateway (the only
holder of the key), the builder works with tools in the task's workspace, the reviewers review the commit, and
org's pipeline merges it: the provider saw every builder call, with the key, the model's own name and tools."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from org.agents.localmodel import LocalModelConfig, LocalModelServer
from org.agents.runner import RunOptions
from org.agents.session import AgentSession
from org.bus import Bus
from org.config.loader import load_org
from tests.workspaces.gitrepo import sh_git


class Provider:
    """A loopback stand-in for OpenAI: /v1/chat/completions with a bearer key, answered by the deterministic
    local model's brain (the same tool calls a real model would send); every request is kept."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.requests: list[dict] = []
        self.refused = 0
        brain = LocalModelServer(LocalModelConfig(seed=1, defect_rate=0.0))  # never started: its answers only
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args):
                return

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
                if self.headers.get("authorization") != f"Bearer {outer.key}":
                    outer.refused += 1
                    return self._send(401, {"error": {"message": "bad key", "type": "invalid_request_error"}})
                if self.path.rstrip("/") != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": "not found"}})
                outer.requests.append(body)
                status, payload, _headers = brain.handle_chat(body)
                self._send(status, payload)

            def _send(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.mark.slow
def test_the_lanes_on_a_real_provider_do_a_repository_task(ws_org, tmp_path, local_server, monkeypatch):
    builder = ws_org / "lanes" / "builder.yaml"
    text = builder.read_text()
    assert "  - {id: build-claude, model: anthropic/claude-sonnet-4-5}\n" in text
    builder.write_text(
        text.replace("  - {id: build-claude, model: anthropic/claude-sonnet-4-5}\n", "").replace(
            "model: openai/gpt-5}", "model: openai/gpt-4o-mini}"
        )
    )
    key = "sk-test-" + uuid.uuid4().hex
    cfg = load_org(ws_org)
    assert [m.model for m in cfg.lanes["builder"].members] == ["openai/gpt-4o-mini"]
    assert "app" in cfg.repos  # the repository gates/repos.yaml names
    url = f"sqlite:///{tmp_path / 'bus.db'}"
    with Provider(key) as provider:
        env = {
            "ORG_MODELS": "auto",  # members whose provider has a key call it; the others the local model
            "OPENAI_API_KEY": key,
            "OPENAI_API_BASE": provider.url,
            "ORG_LOCAL_MODEL_URL": local_server.url,
        }
        for k, v in env.items():  # the gateway's provider client reads the key and base from its environment
            monkeypatch.setenv(k, v)
        with Bus.open(url, root=ws_org, config=cfg) as bus:
            t = bus.add_task(
                "Add retries to the webhook sender",
                "change",
                by="alice",
                attributes={"kind": "code"},
                repo="app",
            )["task"]
        with AgentSession(cfg, url, env=env) as s:
            rep = s.dispatcher(RunOptions(lease_s=120, pipeline=True)).run()
        with Bus.open(url, root=ws_org, config=cfg) as bus:
            view = bus.task(t)
            usage = bus.store.read(
                lambda tx: tx.x("SELECT actor, model, outcome FROM usage ORDER BY id").all()
            )
            events = bus.events_since(0, limit=100_000, task=t)
    assert view["status"] == "done", (view["status"], view.get("escalation"), rep.failures)
    # the provider served the builder: with the key, the model's own name, tools offered and tool calls used
    assert provider.refused == 0 and provider.requests
    assert {r["model"] for r in provider.requests} == {"gpt-4o-mini"}
    assert all(r.get("tools") for r in provider.requests)
    assert any(
        m.get("tool_calls") for r in provider.requests for m in r["messages"] if m["role"] == "assistant"
    )
    builder_calls = [u for u in usage if u[0] == "build-gpt"]
    assert builder_calls and len(builder_calls) == len(provider.requests)
    assert {u[1] for u in builder_calls} == {"openai/gpt-4o-mini"} and {u[2] for u in builder_calls} == {"ok"}
    # the reviewers (other families, on the local model here) reviewed the commit; org's pipeline merged it
    reviews = [e for e in events if e["type"] == "review.filed"]
    assert reviews and all(e["family"] != "openai" for e in reviews)
    merged = [e for e in events if e["type"] == "outcome.merged"]
    assert merged, [e["type"] for e in events]
    log = sh_git(
        ws_org / ".org" / "repos" / "app.git", "log", "--format=%B", "-1", merged[-1]["data"]["commit"]
    )
    assert f"Org-Task: {t}" in log
    # the key never reached the record
    assert key not in json.dumps(events) and key not in json.dumps(rep.to_json(), default=str)
