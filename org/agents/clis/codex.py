"""Codex: `codex app-server`, JSON-RPC over stdio (the "jsonrpc" header omitted), its approvals answered
by decide().

    codex app-server -c model_provider="org" -c model_providers.org.base_url="$OPENAI_BASE_URL"
                     -c model_providers.org.env_key="OPENAI_API_KEY" -c model_providers.org.wire_api="responses"
                     -c shell_environment_policy.inherit="core" ...

    -> initialize {clientInfo}                 <- result
    -> initialized (notification), thread/start {cwd, model, approvalPolicy: untrusted, sandbox: workspace-write}
                                               <- result {thread: {id}}
    -> turn/start {threadId, input: [{type: text, text: PROMPT}]}
    <- item/started|item/completed {item: agentMessage | commandExecution | fileChange | mcpToolCall | ...}
    <- thread/tokenUsage/updated, turn/completed {turn: {status: completed | failed | interrupted}}
    <- item/commandExecution/requestApproval, item/fileChange/requestApproval (requests: org answers
       {"decision": "accept" | "decline"})

Codex ignores OPENAI_BASE_URL in app-server paths, so the gateway is named in its provider config; the gateway
speaks the Responses API current Codex needs. Its shell tool inherits only the core environment.
"""

from __future__ import annotations

import json
from typing import Any

from org.agents.clis.adapter import EDIT, OTHER, SHELL, Adapter, Ask, Launch, Reply, Session
from org.agents.clis.events import Event

__all__ = ["Codex"]

_STOP = {"completed": "end_turn", "failed": "error", "interrupted": "stopped"}


def _line(doc: dict) -> bytes:
    return (json.dumps(doc) + "\n").encode()


class CodexSession(Session):
    def __init__(self, adapter: Adapter, launch: Launch) -> None:
        super().__init__(adapter, launch)
        self._next = 1
        self._pending: dict[int, str] = {}
        self._changes: dict[str, list[str]] = {}  # fileChange item id -> the paths it changes
        self.thread: str | None = None

    def _request(self, method: str, params: dict) -> bytes:
        rid = self._next
        self._next += 1
        self._pending[rid] = method
        return _line({"id": rid, "method": method, "params": params})

    def opening(self) -> bytes:
        return self._request("initialize", {"clientInfo": {"name": "org", "title": "org", "version": "1"}})

    def feed(self, line: str) -> list[Event | Ask | Reply]:
        doc = self.json_line(line)
        if doc is None:
            return [Event("message", line.strip())] if line.strip() else []
        if "method" in doc and "id" in doc:  # a request from the server: an approval, or something unknown
            return self._server_request(doc)
        if "id" in doc:  # the answer to one of ours
            return self._response(doc)
        return self._notification(str(doc.get("method") or ""), self.obj(doc.get("params")))

    def _response(self, doc: dict) -> list[Event | Ask | Reply]:
        rid = doc.get("id")
        method = self._pending.pop(rid, None) if isinstance(rid, int) else None
        if "error" in doc:
            err = doc.get("error") or {}
            self.done, self.stop = True, "error"
            self.error = (
                f"{method or 'request'} failed: {err.get('message') if isinstance(err, dict) else err}"
            )
            return []
        result = self.obj(doc.get("result"))
        if method == "initialize":
            params = {
                "cwd": str(self.launch.workspace),
                "model": self.launch.model,
                "approvalPolicy": "untrusted",
                "sandbox": "workspace-write",
            }
            return [Reply(_line({"method": "initialized"})), Reply(self._request("thread/start", params))]
        if method == "thread/start":
            self.thread = str(
                ((result.get("thread") or {}) if isinstance(result, dict) else {}).get("id") or ""
            )
            turn = {"threadId": self.thread, "input": [{"type": "text", "text": self.launch.prompt}]}
            return [Event("started", data={"thread": self.thread}), Reply(self._request("turn/start", turn))]
        return []

    def _server_request(self, doc: dict) -> list[Event | Ask | Reply]:
        method, params = str(doc.get("method")), self.obj(doc.get("params"))
        if method == "item/commandExecution/requestApproval":
            cmd = params.get("command")
            return [
                Ask(SHELL, "commandExecution", {"command": cmd, "cwd": params.get("cwd")}, ref=doc.get("id"))
            ]
        if method == "item/fileChange/requestApproval":
            paths = self._changes.get(str(params.get("itemId")), [])
            return [Ask(EDIT, "fileChange", {"reason": params.get("reason")}, list(paths), ref=doc.get("id"))]
        # anything else it asks (user input, an MCP elicitation): refused, and said
        return [
            Ask(OTHER, method, params, ref=doc.get("id"), action="tool." + method.replace("/", ".").lower()),
        ]

    def _notification(self, method: str, p: dict) -> list[Event | Ask | Reply]:
        item: dict = p["item"] if isinstance(p.get("item"), dict) else {}
        itype = item.get("type")
        iid = str(item.get("id") or "")
        if method == "item/started":
            if itype == "commandExecution":
                return [Event("tool_call", _cmd(item.get("command")), tool="shell", call=iid)]
            if itype == "fileChange":
                paths = [str(c.get("path")) for c in item.get("changes") or [] if isinstance(c, dict)]
                self._changes[iid] = paths
                return [Event("tool_call", ", ".join(paths), tool="edit", call=iid)]
            if itype == "mcpToolCall":
                tool = f"{item.get('server')}.{item.get('tool')}"
                return [
                    Event("tool_call", json.dumps(item.get("arguments"), default=str), tool=tool, call=iid)
                ]
            return []
        if method == "item/completed":
            if itype == "agentMessage":
                return [Event("message", str(item.get("text") or ""))]
            if itype in ("commandExecution", "fileChange", "mcpToolCall"):
                status = str(item.get("status") or "")
                text = item.get("aggregatedOutput") if itype == "commandExecution" else status
                data: dict[str, Any] = {"status": status}
                if item.get("exitCode") is not None:
                    data["exit_code"] = item.get("exitCode")
                if status in ("failed", "declined"):
                    data["error"] = True
                return [Event("tool_result", str(text or ""), call=iid, data=data)]
            return []
        if method == "thread/tokenUsage/updated":
            return [Event("usage", data={"reported": p.get("tokenUsage") or p, "counted": False})]
        if method == "turn/completed":
            turn = self.obj(p.get("turn"))
            self.done = True
            self.vendor_stop = str(turn.get("status") or "")
            self.stop = _STOP.get(self.vendor_stop, "error")
            if turn.get("error"):
                err = turn["error"]
                self.error = str(err.get("message") if isinstance(err, dict) else err)
            return []
        if method == "error":
            self.error = str((p.get("error") or {}).get("message") if isinstance(p.get("error"), dict) else p)
        return []

    def answer(self, ask: Ask, allowed: bool, reason: str) -> bytes:
        if ask.kind == OTHER and not ask.tool.endswith("requestApproval"):
            return _line({"id": ask.ref, "error": {"code": -32601, "message": f"org refused this: {reason}"}})
        return _line({"id": ask.ref, "result": {"decision": "accept" if allowed else "decline"}})


def _cmd(command: Any) -> str:
    return " ".join(str(c) for c in command) if isinstance(command, list) else str(command or "")


class Codex(Adapter):
    name = "codex"
    executable = "codex"
    tested = ("0.171.0", "0.124.0")  # 0.171.0 recorded (tests/data/clis/codex/recorded.jsonl)
    protocol = "codex app-server approvals (item/*/requestApproval)"
    output = "JSON-RPC over stdio"

    def argv(self, exe: str, launch: Launch) -> list[str]:
        conf = {
            "model_provider": '"org"',
            "model_providers.org.name": '"org"',
            "model_providers.org.env_key": '"OPENAI_API_KEY"',
            "model_providers.org.wire_api": '"responses"',
            "model": json.dumps(launch.model),
            "shell_environment_policy.inherit": '"core"',
            "shell_environment_policy.ignore_default_excludes": "false",
            "check_for_update_on_startup": "false",
        }
        args = ["app-server"]
        for k, v in conf.items():
            args += ["-c", f"{k}={v}"]
        # Codex takes its provider's base URL from its config only: the relay's address is known once it
        # listens, so a shell (no user input in it) adds it from $OPENAI_BASE_URL and execs Codex.
        script = 'exec "$0" "$@" -c "model_providers.org.base_url=\\"$OPENAI_BASE_URL\\""'
        return ["/bin/sh", "-c", script, exe, *args]

    def session(self, launch: Launch) -> Session:
        return CodexSession(self, launch)
