"""Each adapter against its vendor's recorded transcript, byte for byte and without a process: every line the
fake CLI would print is fed to the adapter's session, every byte the session writes back is what the fake
reads (its answers to permission requests included), and the events are org's one event model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from org.agents.clis.adapter import Ask, Launch, Reply
from org.agents.clis.adapters import ADAPTERS
from org.agents.clis.events import Event
from tests.agents.clis.conftest import DATA


class Replay:
    """The fake CLI's steps against a session in this process (tests/data/clis/fake_cli.py's semantics)."""

    def __init__(self, runtime: str, transcript: str, permit, member=None) -> None:
        self.adapter = ADAPTERS[runtime](member)
        self.session = self.adapter.session(
            Launch(
                Path("/ws"),
                "Add a greeting",
                "openai/gpt-5",
                prompt_file=Path("/p/prompt.md"),
                marker="ORG-DONE",
            )
        )
        self.permit = permit
        self.inbox: list[bytes] = []  # what the CLI reads on its stdin, line by line
        self.events: list[Event] = []
        self.asks: list[tuple[Ask, bool]] = []
        lines = (DATA / transcript).read_text().splitlines()
        self.steps = [json.loads(ln) for ln in lines[1:] if ln.strip()]
        first = self.session.opening()
        if first:
            self.inbox += (
                [ln + b"\n" for ln in first.split(b"\n") if ln]
                if runtime not in ("opencode", "command")
                else [first]
            )
        self.last: dict = {}

    def feed(self, line: str) -> None:
        for item in self.session.feed(line):
            if isinstance(item, Event):
                self.events.append(item)
            elif isinstance(item, Reply):
                self.inbox.append(item.data)
            else:
                allowed, reason, _ = self.permit(item)
                self.asks.append((item, allowed))
                self.inbox.append(self.session.answer(item, allowed, reason))

    def run(self, steps=None) -> None:
        for step in self.steps if steps is None else steps:
            if "out" in step:
                x = step["out"]
                if x == "$id" or (isinstance(x, dict) and x.get("id") == "$id"):
                    x = {**x, "id": self.last.get("id")}
                self.feed(x if isinstance(x, str) else json.dumps(x))
            elif "read" in step:
                assert self.inbox, "the CLI waits for an answer the adapter never wrote"
                self.last = json.loads(self.inbox.pop(0))
            elif "expect" in step:
                doc = self.last
                for k in step["expect"]:
                    doc = doc.get(k) if isinstance(doc, dict) else None
                self.run(step.get("then" if doc == step["equals"] else "else") or [])

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


def allow_edits(ask):
    ok = ask.kind in ("edit", "shell", "read") and not any(p.startswith(("..", "/")) for p in ask.paths)
    return ok, "allowed" if ok else "refused by the test's policy", {}


def test_claude_stream_json_and_its_permission_prompts():
    r = Replay("claude", "claude/edit.jsonl", allow_edits)
    r.run()
    first = json.loads(Replay("claude", "claude/edit.jsonl", allow_edits).inbox[0])
    assert first == {"type": "user", "message": {"role": "user", "content": "Add a greeting"}}
    assert [(a.tool, a.kind, ok) for a, ok in r.asks] == [
        ("Write", "edit", True),
        ("WebFetch", "other", False),
        ("Edit", "edit", False),
    ]
    assert r.asks[1][0].action == "web.fetch"
    assert r.kinds() == [
        "started",
        "message",
        "tool_call",
        "usage",
        "tool_result",
        "tool_call",
        "usage",
        "tool_result",
        "tool_call",
        "usage",
        "tool_result",
        "message",
        "usage",
        "message",
        "usage",
    ]
    results = [e for e in r.events if e.kind == "tool_result"]
    assert [bool(e.data.get("error")) for e in results] == [False, True, True]
    assert results[0].call == "toolu_01"
    assert all(e.data.get("counted") is False for e in r.events if e.kind == "usage")  # never counted
    assert r.session.done and r.session.finish(0).data == {
        "stop_reason": "end_turn",
        "exit_code": 0,
        "vendor": "success",
    }


def test_claude_answers_are_its_control_protocol_byte_for_byte():
    r = Replay("claude", "claude/edit.jsonl", allow_edits)
    r.run()
    ask, _ = r.asks[0]
    allow = r.session.answer(ask, True, "ok")
    assert allow == (
        b'{"type": "control_response", "response": {"subtype": "success", "request_id": "req-1", "response": '
        b'{"behavior": "allow", "updatedInput": {"file_path": "src/greeting.py", "content": "def greet(name):\\n    '
        b"return f'hello {name}'\\n\"}}}}\n"
    )
    deny = json.loads(r.session.answer(r.asks[1][0], False, "web.fetch is outside this job token's scope"))
    assert deny["response"]["response"] == {
        "behavior": "deny",
        "message": "org refused this: web.fetch is outside this job token's scope",
    }


def test_claude_max_turns_is_its_stop_reason():
    r = Replay("claude", "claude/max_turns.jsonl", allow_edits)
    r.run()
    fin = r.session.finish(1)
    assert fin.data["stop_reason"] == "max_turns" and fin.data["vendor"] == "error_max_turns"


def test_codex_app_server_handshake_approvals_and_items():
    r = Replay("codex", "codex/edit.jsonl", allow_edits)
    r.run()
    assert [(a.tool, a.kind, ok) for a, ok in r.asks] == [
        ("commandExecution", "shell", True),
        ("fileChange", "edit", True),
        ("fileChange", "edit", False),
    ]
    assert r.asks[1][0].paths == ["src/greeting.py"] and r.asks[2][0].paths == ["/etc/hosts"]
    assert r.kinds() == [
        "started",
        "tool_call",
        "tool_result",
        "tool_call",
        "tool_result",
        "tool_call",
        "tool_result",
        "message",
        "usage",
    ]
    assert r.events[2].text == "1 passed in 0.01s\n" and r.events[2].data["exit_code"] == 0
    assert r.events[6].data == {"status": "declined", "error": True}
    assert r.session.done and r.session.finish(0).data["stop_reason"] == "end_turn"


def test_codex_requests_and_answers_byte_for_byte():
    r = Replay("codex", "codex/edit.jsonl", allow_edits)
    assert r.inbox == [
        b'{"id": 1, "method": "initialize", "params": {"clientInfo": {"name": "org", "title": "org", "version": "1"}}}\n'
    ]
    r.run()
    a, _ = r.asks[0]
    assert r.session.answer(a, True, "") == b'{"id": 0, "result": {"decision": "accept"}}\n'
    assert (
        r.session.answer(r.asks[2][0], False, "outside") == b'{"id": 2, "result": {"decision": "decline"}}\n'
    )
    unknown = r.session.feed(json.dumps({"id": 9, "method": "tool/requestUserInput", "params": {}}))
    (ask,) = unknown
    assert isinstance(ask, Ask) and ask.kind == "other"
    assert json.loads(r.session.answer(ask, False, "no")) == {
        "id": 9,
        "error": {"code": -32601, "message": "org refused this: no"},
    }


def test_codex_argv_names_the_gateway_only_through_its_environment():
    argv = ADAPTERS["codex"]().argv("/opt/codex/bin/codex", Launch(Path("/ws"), "p", "openai/gpt-5"))
    assert (
        argv[:2] == ["/bin/sh", "-c"] and "$OPENAI_BASE_URL" in argv[2] and argv[3] == "/opt/codex/bin/codex"
    )
    assert "app-server" in argv and 'model="openai/gpt-5"' in argv
    assert not any("orgg_" in a or a.startswith(("OPENAI_API_KEY=", "ANTHROPIC_API_KEY=")) for a in argv)


def test_opencode_jsonl():
    r = Replay("opencode", "opencode/edit.jsonl", allow_edits)
    r.run()
    assert r.inbox == [b"Add a greeting"]  # the prompt on stdin, nothing on the command line
    assert r.kinds() == ["started", "message", "tool_call", "tool_result", "usage", "message", "usage"]
    assert r.events[2].tool == "write" and r.session.finish(0).data["stop_reason"] == "end_turn"
    env = ADAPTERS["opencode"]().env(Launch(Path("/ws"), "p", "openai/gpt-5"))
    conf = json.loads(env["OPENCODE_CONFIG_CONTENT"])
    assert conf["provider"]["org"]["options"]["baseURL"] == "{env:OPENAI_BASE_URL}"
    assert conf["permission"]["webfetch"] == "deny"


def test_aider_text():
    r = Replay("aider", "aider/edit.jsonl", allow_edits)
    r.run()
    tail = r.session.tail()
    kinds = r.kinds() + [e.kind for e in tail]
    assert kinds == ["message", "usage", "tool_call", "tool_result"]
    assert r.events[2].text == "src/greeting.py"
    argv = ADAPTERS["aider"]().argv("aider", r.session.launch)
    assert "--yes-always" in argv and "--no-auto-commits" in argv and "openai/openai/gpt-5" in argv
    assert "--message-file" in argv and "Add a greeting" not in argv


def test_mini_swe_agent_text():
    r = Replay("mini-swe-agent", "mini/edit.jsonl", allow_edits)
    r.run()
    kinds = r.kinds() + [e.kind for e in r.session.tail()]
    assert kinds[:4] == ["started", "message", "tool_call", "tool_result"]
    calls = [e for e in r.events if e.kind == "tool_call"]
    assert calls[0].text.startswith("cat >> src/greeting.py") and calls[-1].text.startswith("echo COMPLETE")


def test_command_marker_and_its_absence():
    member = type(
        "M",
        (),
        {"command": type("C", (), {"run": "mycli --model {model} --in {workspace}", "done": "ORG-DONE"})()},
    )()
    a = ADAPTERS["command"](member)
    assert a.argv("/x/mycli", Launch(Path("/ws"), "p", "openai/gpt-5")) == [
        "/x/mycli",
        "--model",
        "openai/gpt-5",
        "--in",
        "/ws",
    ]
    r = Replay("command", "command/edit.jsonl", allow_edits, member)
    r.run()
    assert r.session.done and r.session.finish(0).data["stop_reason"] == "end_turn"
    r = Replay("command", "command/no_marker.jsonl", allow_edits, member)
    r.run()
    assert r.session.finish(0).data["stop_reason"] == "no_marker"


@pytest.mark.parametrize(
    "line",
    [
        "",
        "not json",
        "[1, 2]",
        '{"type": 5}',
        '{"type": "assistant", "message": 7}',
        '{"type": "assistant", "message": {"content": [1, {"type": "tool_use"}]}}',
        '{"type": "control_request", "request": [1]}',
        '{"type": "result", "subtype": 5}',
        '{"id": 1, "result": 7}',
        '{"id": 1, "error": "x"}',
        '{"method": "item/started", "params": {"item": 5}}',
        '{"method": "turn/completed", "params": 3}',
        '{"type": "tool_use", "part": {"state": 4}}',
        '{"type": "step_finish", "part": []}',
        "\x00" * 10,
    ],
)
@pytest.mark.parametrize("runtime", ["claude", "codex", "opencode"])
def test_garbage_lines_never_break_a_session(runtime, line):
    r = Replay(runtime, f"{'codex' if runtime == 'codex' else runtime}/edit.jsonl", allow_edits)
    for item in r.session.feed(line):
        assert isinstance(item, Event | Ask | Reply)
