"""Each adapter against its CLI's REAL output, recorded by tests/data/clis/record.py from the installed CLI (its
version and command in the transcript's first line): every line the CLI printed is fed to the adapter's session,
every byte the session writes back must be exactly what org wrote to the real CLI at that point ("sent"), and the
events are org's one event model. The same files are what the fake CLIs replay (tests/data/clis/fake_cli.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from org.agents.clis.adapter import Ask, Launch, Reply
from org.agents.clis.adapters import ADAPTERS
from org.agents.clis.events import Event
from tests.agents.clis.conftest import DATA

RECORDED = sorted(
    p.relative_to(DATA).as_posix()
    for pat in ("*/recorded.jsonl", "*/permission.jsonl")
    for p in DATA.glob(pat)
) + ["claude/api_error.jsonl"]


def load(name: str) -> tuple[dict, list[dict]]:
    head, *steps = (json.loads(ln) for ln in (DATA / name).read_text().splitlines() if ln.strip())
    return head, steps


def replay(name: str) -> tuple[dict, list[Event], list[Ask], list[tuple[str, bytes]]]:
    """(header, events, asks, [(what the recording says org sent, what the adapter sends now)])."""
    head, steps = load(name)
    rec = head["recorded"]
    runtime = name.split("/")[0]
    launch = Launch(Path(f"/tmp/org-rec/{runtime}-repo"), rec["prompt"], rec["model"].split(" (")[0])
    session = ADAPTERS[runtime]().session(launch)
    inbox: list[bytes] = []
    first = session.opening()
    if first:
        inbox += first.splitlines(keepends=True)
    events: list[Event] = []
    asks: list[Ask] = []
    pairs: list[tuple[str, bytes]] = []
    for step in steps:
        if "sent" in step:
            pairs.append((step["sent"], inbox.pop(0) if inbox else b""))
        elif "out" in step:
            assert isinstance(step["out"], str), "a recorded line is kept as the CLI printed it"
            for item in session.feed(step["out"]):
                if isinstance(item, Event):
                    events.append(item)
                elif isinstance(item, Reply):
                    inbox += item.data.splitlines(keepends=True)
                else:
                    asks.append(item)
                    inbox += session.answer(item, True, "allowed by the recorder").splitlines(keepends=True)
    finished = next((s["exit"] for s in steps if "exit" in s), None)
    if finished is not None:
        events.append(session.finish(finished))
    return head, events, asks, pairs


@pytest.mark.parametrize("name", RECORDED)
def test_a_recording_names_its_cli_version_and_command(name):
    head, steps = load(name)
    rec = head["recorded"]
    assert head["version"] and rec["by"].startswith("tests/data/clis/record.py")
    assert rec["argv"] and rec["prompt"]
    assert "orgg_" not in json.dumps(rec["argv"])  # the gateway token never in a transcript
    text = (DATA / name).read_text()
    assert "orgg_RECORDED" in text or "orgg_" not in text
    assert all(set(s) & {"out", "err", "read", "read_until_eof", "exit"} for s in steps)


@pytest.mark.parametrize("name", [n for n in RECORDED if n != "claude/api_error.jsonl"])
def test_the_adapter_writes_byte_for_byte_what_org_wrote_to_the_real_cli(name):
    _head, _events, _asks, pairs = replay(name)
    assert pairs, "a recording holds what org wrote (its prompt at least)"
    for recorded, now in pairs:
        assert now.decode() == recorded


def test_real_codex_app_server_handshake_and_usage():
    head, events, _asks, pairs = replay("codex/recorded.jsonl")
    assert head["version"].startswith("codex-cli ")
    methods = [json.loads(s).get("method") for s, _ in pairs]
    assert methods == ["initialize", "initialized", "thread/start", "turn/start"]
    kinds = [e.kind for e in events]
    assert kinds[0] == "started" and events[0].data["thread"]  # the thread id codex gave
    assert "usage" in kinds
    assert all(e.data.get("counted") is False for e in events if e.kind == "usage")


def test_real_opencode_jsonl_steps_tools_and_usage():
    head, events, _asks, pairs = replay("opencode/recorded.jsonl")
    assert pairs == [(head["recorded"]["prompt"], head["recorded"]["prompt"].encode())]
    kinds = [e.kind for e in events]
    assert kinds[0] == "started" and kinds.count("started") == 1
    assert {"tool_call", "tool_result", "usage"} <= set(kinds)
    usage = [e.data["reported"] for e in events if e.kind == "usage"]
    assert all("tokens" in u for u in usage)


def test_real_claude_stream_json():
    head, events, _asks, pairs = replay("claude/recorded.jsonl")
    assert head["version"].endswith("(Claude Code)")
    assert json.loads(pairs[0][0]) == {
        "type": "user",
        "message": {"role": "user", "content": head["recorded"]["prompt"]},
    }
    kinds = [e.kind for e in events]
    assert kinds[0] == "started" and events[0].data["session_id"]


def test_real_claude_api_error_is_an_error_stop_not_a_success():
    # Claude Code says subtype "success" with is_error true when its API call failed (recorded: the gateway's
    # 400 before it took Claude Code's system messages): org reads it as an error, never as a finished turn
    _head, events, _asks, _pairs = replay("claude/api_error.jsonl")
    fin = events[-1]
    assert fin.kind == "finished" and fin.data["stop_reason"] != "end_turn"
    assert "API Error: 400" in fin.text


def test_real_claude_permission_request_is_an_ask_and_its_answer_is_what_claude_took():
    # record.py --scripted: the model called Write; Claude Code 2.1.197 asked can_use_tool on stdio
    _head, events, asks, pairs = replay("claude/permission.jsonl")
    assert [(a.kind, a.tool) for a in asks] == [("edit", "Write")]
    assert asks[0].paths == ["/tmp/org-rec/claude-repo/hello.txt"]
    answer = json.loads(pairs[1][0])
    assert answer["type"] == "control_response" and answer["response"]["response"]["behavior"] == "allow"
    kinds = [e.kind for e in events]
    assert (
        kinds.index("tool_call") < kinds.index("tool_result") and events[-1].data["stop_reason"] == "end_turn"
    )


def test_real_codex_approval_request_is_an_ask_and_its_decision_is_what_codex_took():
    _head, events, asks, pairs = replay("codex/permission.jsonl")
    assert [(a.kind, a.tool) for a in asks] == [("shell", "commandExecution")]
    assert "echo hello > hello.txt" in asks[0].input["command"]
    assert json.loads(pairs[-1][0]) == {"id": 0, "result": {"decision": "accept"}}
    assert [e.text for e in events if e.kind == "message"] == ["Done: hello.txt written."]
    assert events[-1].data["stop_reason"] == "end_turn"


def test_real_opencode_finishes_on_its_stop_step():
    _head, events, asks, _pairs = replay("opencode/permission.jsonl")
    assert not asks and events[-1].data["stop_reason"] == "end_turn"
    assert "Done: hello.txt written." in [e.text for e in events if e.kind == "message"]


@pytest.mark.parametrize(
    "name", ["claude/permission.jsonl", "codex/permission.jsonl", "opencode/permission.jsonl"]
)
def test_the_fake_cli_replays_a_recording_byte_for_byte(name, tmp_path):
    import subprocess

    from tests.agents.clis.conftest import install_fake

    exe = install_fake(tmp_path, name.split("/")[0], DATA / name)
    _head, steps = load(name)
    given = "".join(s["sent"] for s in steps if "sent" in s)
    r = subprocess.run([str(exe)], input=given.encode(), capture_output=True, timeout=60, cwd=tmp_path)
    assert r.stdout.decode() == "".join(s["out"] + "\n" for s in steps if "out" in s)
    assert r.stderr.decode() == "".join(s["err"] + "\n" for s in steps if "err" in s)
    assert r.returncode == next(s["exit"] for s in steps if "exit" in s)
