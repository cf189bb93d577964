"""opencode: `opencode run --format json`, the prompt on stdin, the gateway as an OpenAI-compatible provider.

    opencode run --format json -m org/MODEL          (OPENCODE_CONFIG_CONTENT: the provider and permissions)

Out (JSONL): {"type", "timestamp", "sessionID", "part": {...}} with types step_start, text (part.text),
tool_use (part.tool, part.callID, part.state.{status, input, output}), step_finish (part.reason, part.tokens,
part.cost) and error. A step_finish whose reason is not "tool-calls" ends the run. `opencode run` has no
permission protocol (it auto-approves what its config allows): web fetches are denied in its config, and the
sandbox, the gateway and the diff guard are the controls. Its `part.cost` is its own estimate, never counted.
"""

from __future__ import annotations

import json

from org.agents.clis.adapter import Adapter, Ask, Launch, Reply, Session
from org.agents.clis.events import Event

__all__ = ["OpenCode"]

_STOP = {"stop": "end_turn", "end_turn": "end_turn", "length": "max_turns", "error": "error"}


class OpenCodeSession(Session):
    def opening(self) -> bytes:
        return self.launch.prompt.encode()

    def keep_stdin(self) -> bool:
        return False

    def feed(self, line: str) -> list[Event | Ask | Reply]:
        doc = self.json_line(line)
        if doc is None:
            return [Event("message", line.strip())] if line.strip() else []
        t = doc.get("type")
        part: dict = doc["part"] if isinstance(doc.get("part"), dict) else {}
        if t == "step_start":
            if getattr(self, "_started", False):
                return []
            self._started = True
            return [Event("started", data={"session": str(doc.get("sessionID") or "")})]
        if t == "text":
            return [Event("message", str(part.get("text") or ""))]
        if t == "tool_use":
            state: dict = part["state"] if isinstance(part.get("state"), dict) else {}
            call, tool = str(part.get("callID") or ""), str(part.get("tool") or "")
            out: list[Event | Ask | Reply] = [
                Event(
                    "tool_call",
                    json.dumps(state.get("input"), sort_keys=True, default=str),
                    tool=tool,
                    call=call,
                )
            ]
            status = state.get("status")
            if status in ("completed", "error"):
                text = state.get("output") if status == "completed" else state.get("error")
                out.append(
                    Event(
                        "tool_result",
                        str(text or ""),
                        call=call,
                        data={"error": True} if status == "error" else {},
                    )
                )
            return out
        if t == "step_finish":
            reason = str(part.get("reason") or "")
            rep = {k: part[k] for k in ("tokens", "cost") if k in part}
            out = [Event("usage", data={"reported": rep, "counted": False})] if rep else []
            if reason != "tool-calls":
                self.done = True
                self.vendor_stop = reason
                self.stop = _STOP.get(reason, "error")
            return out
        if t == "error":
            err = doc.get("error") or part
            self.stop, self.vendor_stop = "error", "error"
            self.error = str(err.get("message") if isinstance(err, dict) else err)[:500]
            self.done = True
        return []


class OpenCode(Adapter):
    name = "opencode"
    executable = "opencode"
    tested = ("1.18.33", "1.4.7")  # 1.18.33 recorded (tests/data/clis/opencode/recorded.jsonl)
    protocol = None
    output = "JSONL (run --format json)"

    def argv(self, exe: str, launch: Launch) -> list[str]:
        return [exe, "run", "--format", "json", "-m", f"org/{launch.model}"]

    def env(self, launch: Launch) -> dict[str, str]:
        config = {
            "$schema": "https://opencode.ai/config.json",
            "provider": {
                "org": {
                    "npm": "@ai-sdk/openai-compatible",
                    "name": "org gateway",
                    "options": {"baseURL": "{env:OPENAI_BASE_URL}", "apiKey": "{env:OPENAI_API_KEY}"},
                    "models": {launch.model: {"name": launch.model}},
                }
            },
            "model": f"org/{launch.model}",
            "permission": {"edit": "allow", "bash": "allow", "webfetch": "deny"},
            "autoupdate": False,
            "share": "disabled",
        }
        return {"OPENCODE_CONFIG_CONTENT": json.dumps(config)}

    def session(self, launch: Launch) -> Session:
        return OpenCodeSession(self, launch)
