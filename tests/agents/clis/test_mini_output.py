"""mini-swe-agent's output read into the one event model, from a recording of the real 2.4.6 (tool calls: each
action in a bare fence, `Tool:` and the return code on the next line; tests/data/clis/mini/live.jsonl, recorded
in a live run against the local model) and from its text mode (```mswea_bash_command, mini/edit.jsonl). The
prompt mini echoes first holds ```bash examples: they are no actions."""

from __future__ import annotations

import json
from pathlib import Path

from org.agents.clis.adapter import Launch
from org.agents.clis.plain import MiniSession, MiniSweAgent

DATA = Path(__file__).resolve().parents[2] / "data" / "clis" / "mini"


def _events(name: str) -> list:
    session = MiniSession(MiniSweAgent(), Launch(Path("/tmp"), "prompt", "openai/gpt-5"))
    out = []
    for line in (DATA / name).read_text().splitlines():
        step = json.loads(line)
        if isinstance(step.get("out"), str):
            out += session.feed(step["out"] + "\n")
    return out + session.tail()


def test_the_real_tool_call_output_gives_each_action_and_its_result_and_no_prompt_example():
    evs = _events("live.jsonl")
    calls = [e.text for e in evs if e.kind == "tool_call"]
    assert calls[0] == "git ls-files" and calls[1] == "cat webhooks/sender.py"
    assert calls[2].startswith("mkdir -p webhooks && cat > webhooks/sender.py <<'ORG_EOF_")
    assert calls[3] == "python3 -m unittest discover -s tests -t ."
    assert calls[4] == "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT" and len(calls) == 5
    results = [e for e in evs if e.kind == "tool_result"]
    assert [r.data.get("exit_code") for r in results] == [0, 0, 0, 0, -1]
    assert "webhooks/sender.py" in results[0].text and "Ran 4 tests" in results[3].text
    assert [e.kind for e in evs].count("started") == 1
    assert not any("Provider List" in e.text for e in evs)
    assert not any("newfile.py" in e.text for e in evs if e.kind != "message")  # the prompt's example
    assert [e.call for e in evs if e.kind == "tool_call"] == [f"step-{i}" for i in range(1, 6)]


def test_the_text_mode_output_reads_the_same_way():
    evs = _events("edit.jsonl")
    calls = [e for e in evs if e.kind == "tool_call"]
    assert [c.text.splitlines()[0] for c in calls] == [
        "cat >> src/greeting.py <<'EOF'",
        "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT",
    ]
    assert [e.data.get("exit_code") for e in evs if e.kind == "tool_result"] == [0]
