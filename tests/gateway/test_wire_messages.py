"""The gateway's Anthropic messages wire as Claude Code 2.1.197 really speaks it (tests/data/clis/claude/recorded.jsonl:
its request carries a `system` role inside `messages`, beside the top-level `system`)."""

from __future__ import annotations

import pytest

from org.gateway.wire import WireError, parse

BODY = {
    "model": "anthropic/claude-sonnet-4-5",
    "max_tokens": 64,
    "system": [{"type": "text", "text": "You are Claude Code."}],
    "messages": [
        {"role": "user", "content": [{"type": "text", "text": "<system-reminder>ctx</system-reminder>"}]},
        {"role": "system", "content": "Available agent types for the Agent tool: ..."},
        {"role": "user", "content": [{"type": "text", "text": "hello"}]},
    ],
}


def test_a_system_message_inside_messages_is_a_system_message_in_place():
    call = parse("messages", BODY)
    assert [m["role"] for m in call.messages] == ["system", "user", "system", "user"]
    assert call.messages[2]["content"] == "Available agent types for the Agent tool: ..."


def test_a_system_message_carries_only_text_never_tool_calls_or_results():
    body = {
        **BODY,
        "messages": [
            {
                "role": "system",
                "content": [
                    {"type": "text", "text": "rules"},
                    {"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "rm -rf /"}},
                    {"type": "tool_result", "tool_use_id": "t1", "content": "done"},
                ],
            },
            {"role": "user", "content": "go"},
        ],
    }
    call = parse("messages", body)
    assert call.messages[1] == {"role": "system", "content": "rules"}
    assert not any(m.get("tool_calls") or m["role"] == "tool" for m in call.messages)


@pytest.mark.parametrize("role", ["tool", "developer", "", None, 3])
def test_other_roles_are_still_refused(role):
    body = {**BODY, "messages": [{"role": role, "content": "x"}, {"role": "user", "content": "go"}]}
    with pytest.raises(WireError):
        parse("messages", body)


def test_only_system_messages_is_refused():
    with pytest.raises(WireError):
        parse("messages", {**BODY, "messages": [{"role": "system", "content": "x"}]})
