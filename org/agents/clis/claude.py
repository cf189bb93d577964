"""Claude Code: `claude -p` with stream-json both ways and its permission prompt tool on stdio.

    claude -p --verbose --output-format stream-json --input-format stream-json
           --permission-prompt-tool stdio --model MODEL --disallowedTools AskUserQuestion --strict-mcp-config

Out (NDJSON): system/init, assistant (text and tool_use blocks, usage), user (tool_result blocks), result
(subtype success | error_max_turns | error_max_budget_usd | error_during_execution), and `control_request`
with subtype can_use_tool for every tool its permission mode does not allow by itself. In: the prompt as a
`user` message, then a `control_response` per request: {"behavior": "allow", "updatedInput": ...} or
{"behavior": "deny", "message": ...}: org's decide() answers, never an auto-allow. Its base URL is
ANTHROPIC_BASE_URL (the gateway speaks Anthropic messages), its key ANTHROPIC_API_KEY (the job's gateway
token). Its `total_cost_usd` is its own estimate and is never counted.
"""

from __future__ import annotations

import json
from typing import Any

from org.agents.clis.adapter import EDIT, OTHER, READ, SHELL, Adapter, Ask, Launch, Reply, Session
from org.agents.clis.events import Event

__all__ = ["Claude"]

_KIND = {
    "Edit": EDIT,
    "MultiEdit": EDIT,
    "Write": EDIT,
    "NotebookEdit": EDIT,
    "Bash": SHELL,
    "BashOutput": SHELL,
    "KillShell": SHELL,
    "Read": READ,
    "Glob": READ,
    "Grep": READ,
    "LS": READ,
    "TodoWrite": READ,
}
_ACTION = {"WebFetch": "web.fetch", "WebSearch": "web.search"}
_STOP = {
    "success": "end_turn",
    "error_max_turns": "max_turns",
    "error_max_budget_usd": "budget",
    "error_during_execution": "error",
}


def _paths(tool_input: Any) -> list[str]:
    if not isinstance(tool_input, dict):
        return []
    return [str(tool_input[k]) for k in ("file_path", "notebook_path", "path") if tool_input.get(k)]


class ClaudeSession(Session):
    def opening(self) -> bytes:
        msg = {"type": "user", "message": {"role": "user", "content": self.launch.prompt}}
        return (json.dumps(msg) + "\n").encode()

    def feed(self, line: str) -> list[Event | Ask | Reply]:
        doc = self.json_line(line)
        if doc is None:
            return [Event("message", line.strip())] if line.strip() else []
        t = doc.get("type")
        if t == "system" and doc.get("subtype") == "init":
            return [
                Event(
                    "started",
                    data={
                        k: doc[k]
                        for k in ("session_id", "model", "permissionMode", "claude_code_version", "cwd")
                        if k in doc
                    },
                )
            ]
        if t == "assistant":
            msg = self.obj(doc.get("message"))
            out: list[Event | Ask | Reply] = []
            for block in msg.get("content") or []:
                if not isinstance(block, dict):
                    continue
                if block.get("type") == "text" and block.get("text"):
                    out.append(Event("message", block["text"]))
                elif block.get("type") == "tool_use":
                    out.append(
                        Event(
                            "tool_call",
                            json.dumps(block.get("input"), sort_keys=True),
                            tool=str(block.get("name") or ""),
                            call=str(block.get("id") or ""),
                        )
                    )
            if msg.get("usage"):
                out.append(Event("usage", data={"reported": msg["usage"], "counted": False}))
            return out
        if t == "user":
            out = []
            content = self.obj(doc.get("message")).get("content")
            for block in content if isinstance(content, list) else []:
                if isinstance(block, dict) and block.get("type") == "tool_result":
                    text = block.get("content")
                    if isinstance(text, list):
                        text = "\n".join(str(b.get("text", "")) for b in text if isinstance(b, dict))
                    out.append(
                        Event(
                            "tool_result",
                            str(text or ""),
                            call=str(block.get("tool_use_id") or ""),
                            data={"error": True} if block.get("is_error") else {},
                        )
                    )
            return out
        if t == "control_request":
            req = self.obj(doc.get("request"))
            if req.get("subtype") != "can_use_tool":
                # an unknown control request is refused (the CLI hears an error, nothing happens)
                return [Reply(self._control_error(doc.get("request_id"), "not supported by org"))]
            tool = str(req.get("tool_name") or "")
            kind = _KIND.get(tool, OTHER)
            action = _ACTION.get(tool) or ("tool." + "".join(c if c.isalnum() else "_" for c in tool.lower()))
            return [
                Ask(
                    kind,
                    tool,
                    req.get("input"),
                    _paths(req.get("input")),
                    ref=(doc.get("request_id"), req.get("input")),
                    action=action if kind == OTHER else None,
                )
            ]
        if t == "result":
            self.done = True
            self.vendor_stop = str(doc.get("subtype") or "")
            self.stop = _STOP.get(self.vendor_stop, "error")
            if doc.get("is_error") and self.stop == "end_turn":
                self.stop = "error"
            if self.stop != "end_turn":
                self.error = str(doc.get("result") or self.vendor_stop)
            out = (
                [Event("message", str(doc["result"]))]
                if doc.get("result") and not doc.get("is_error")
                else []
            )
            rep = {k: doc[k] for k in ("usage", "total_cost_usd", "num_turns") if k in doc}
            if rep:
                out.append(Event("usage", data={"reported": rep, "counted": False}))
            return out
        return []

    def answer(self, ask: Ask, allowed: bool, reason: str) -> bytes:
        request_id, tool_input = ask.ref
        inner = (
            {"behavior": "allow", "updatedInput": tool_input if isinstance(tool_input, dict) else {}}
            if allowed
            else {"behavior": "deny", "message": f"org refused this: {reason}"}
        )
        resp = {
            "type": "control_response",
            "response": {"subtype": "success", "request_id": request_id, "response": inner},
        }
        return (json.dumps(resp) + "\n").encode()

    @staticmethod
    def _control_error(request_id: Any, why: str) -> bytes:
        resp = {
            "type": "control_response",
            "response": {"subtype": "error", "request_id": request_id, "error": why},
        }
        return (json.dumps(resp) + "\n").encode()


class Claude(Adapter):
    name = "claude"
    executable = "claude"
    tested = ("2.1.197", "2.1.119")  # 2.1.197 recorded (tests/data/clis/claude/recorded.jsonl)
    protocol = "claude-permission-prompt-tool (stdio control_request can_use_tool)"
    output = "stream-json (NDJSON)"

    def argv(self, exe: str, launch: Launch) -> list[str]:
        return [
            exe,
            "-p",
            "--verbose",
            "--output-format",
            "stream-json",
            "--input-format",
            "stream-json",
            "--permission-prompt-tool",
            "stdio",
            "--model",
            launch.model,
            "--disallowedTools",
            "AskUserQuestion",
            "--strict-mcp-config",
        ]

    def env(self, launch: Launch) -> dict[str, str]:
        return {
            "DISABLE_AUTOUPDATER": "1",
            "DISABLE_TELEMETRY": "1",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        }

    def session(self, launch: Launch) -> Session:
        return ClaudeSession(self, launch)
