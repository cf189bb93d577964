"""The CLIs that write text for people and have no permission protocol: aider, mini-swe-agent, and any other
CLI through a command template. They run with their confirmations off (nobody sits at their terminal): the
sandbox, the model gateway and the diff guard on the resulting commit are the controls.

    aider --model openai/MODEL --message-file PROMPT --yes-always --no-auto-commits --no-check-update
          --no-analytics --no-show-model-warnings --no-pretty --no-stream --no-gitignore
          (OPENAI_API_BASE / OPENAI_API_KEY: the gateway and the job's token)
    mini -m openai/MODEL -t TASK --yolo --exit-immediately      (litellm: OPENAI_API_BASE / OPENAI_API_KEY)
    command: the member's `run:` line, the prompt on stdin; done when a line holds its `done:` marker

Aider prints "Applied edit to FILE" per edit and "Tokens: ..." per call (its own count, never counted);
mini-swe-agent prints each step's bash action and its output.
"""

from __future__ import annotations

import re
import shlex
from typing import Any, ClassVar

from org.agents.clis.adapter import Adapter, Ask, Launch, Reply, Session, TextSession
from org.agents.clis.events import Event

__all__ = ["Aider", "MiniSweAgent", "Command"]


class AiderSession(TextSession):
    patterns = (
        (re.compile(r"^Applied edit to (?P<path>.+?)\s*$"), "tool_result"),
        (re.compile(r"^Tokens: (?P<usage>.+)$"), "usage"),
        (re.compile(r"^Commit [0-9a-f]{7,} "), "tool_result"),
    )

    def recognised(self, kind: str, m: re.Match[str], line: str) -> list[Event | Ask | Reply]:
        if kind == "usage":
            return [Event("usage", data={"reported": m.group("usage").strip(), "counted": False})]
        path = m.groupdict().get("path")
        if path:
            return [Event("tool_call", path, tool="edit"), Event("tool_result", line.strip(), tool="edit")]
        return [Event("tool_result", line.strip(), tool="git")]


class MiniSession(TextSession):
    patterns = (
        (re.compile(r"^mini-swe-agent \(step (?P<step>\d+)"), "step"),
        (re.compile(r"^```(?:bash|mswea_bash_command)\s*$"), "action"),
        (re.compile(r"^<returncode>(?P<code>-?\d+)</returncode>"), "tool_result"),
    )

    def __init__(self, adapter: Adapter, launch: Launch) -> None:
        super().__init__(adapter, launch)
        self._in_action = False
        self._action: list[str] = []
        self._steps = 0

    def feed(self, line: str) -> list[Event | Ask | Reply]:
        if self._in_action:
            if line.strip() == "```":
                self._in_action = False
                self._steps += 1
                return [Event("tool_call", "\n".join(self._action), tool="bash", call=f"step-{self._steps}")]
            self._action.append(line.rstrip("\n"))
            return []
        return super().feed(line)

    def recognised(self, kind: str, m: re.Match[str], line: str) -> list[Event | Ask | Reply]:
        if kind == "step":
            return [] if self._steps else [Event("started", data={"cli": "mini-swe-agent"})]
        if kind == "action":
            self._in_action, self._action = True, []
            return []
        return [
            Event(
                "tool_result",
                line.strip(),
                tool="bash",
                call=f"step-{self._steps}",
                data={"exit_code": int(m.group("code"))} if m.group("code") else {},
            )
        ]


class CommandSession(TextSession):
    def __init__(self, adapter: Adapter, launch: Launch) -> None:
        super().__init__(adapter, launch)
        self.marked = False

    def opening(self) -> bytes:
        return self.launch.prompt.encode()

    def keep_stdin(self) -> bool:
        return False

    def feed(self, line: str) -> list[Event | Ask | Reply]:
        marker = self.launch.marker or ""
        if marker and marker in line:
            self.marked = True
            self.done = True
            out = [e for e in self._flush()]
            return [*out, Event("message", line.strip())]
        return super().feed(line)

    def finish(self, returncode: int) -> Event:
        if not self.marked and returncode == 0:
            self.stop = "no_marker"
            self.error = f"it exited without printing its completion marker {self.launch.marker!r}"
        return super().finish(returncode)


class Aider(Adapter):
    name = "aider"
    executable = "aider"
    tested = ("0.86.2",)
    output = "text (no JSON output)"

    def argv(self, exe: str, launch: Launch) -> list[str]:
        assert launch.prompt_file is not None, "aider reads its prompt from a file"
        return [
            exe,
            "--model",
            self.called(launch.model),
            "--message-file",
            str(launch.prompt_file),
            "--yes-always",
            "--no-auto-commits",
            "--no-dirty-commits",
            "--no-check-update",
            "--no-analytics",
            "--no-show-model-warnings",
            "--no-pretty",
            "--no-stream",
            "--no-gitignore",
            "--no-show-release-notes",
        ]

    def session(self, launch: Launch) -> Session:
        return AiderSession(self, launch)


class MiniSweAgent(Adapter):
    name = "mini-swe-agent"
    executable = "mini"
    tested = ("2.4.6",)
    output = "text (steps with their bash actions)"
    version_args = ("--help",)  # `mini --version` is not offered; the help's banner names no version either

    def argv(self, exe: str, launch: Launch) -> list[str]:
        return [exe, "-m", self.called(launch.model), "-t", launch.prompt, "--yolo", "--exit-immediately"]

    def env(self, launch: Launch) -> dict[str, str]:
        return {
            "MSWEA_CONFIGURED": "true",
            "MSWEA_SILENT_STARTUP": "1",
            "MSWEA_COST_TRACKING": "ignore_errors",  # the gateway counts; an unmapped model is no failure
        }

    def session(self, launch: Launch) -> Session:
        return MiniSession(self, launch)


class Command(Adapter):
    """Any other CLI: the member's command line, the prompt on stdin, its completion marker."""

    name = "command"
    executable = ""
    tested: ClassVar[tuple[str, ...]] = ()  # a command template has no version org knows
    version_args = ()
    output = "text with a completion marker"

    def __init__(self, member: Any = None) -> None:
        super().__init__(member)
        spec = getattr(member, "command", None)
        self.run_line: str = getattr(spec, "run", "") or ""
        self.marker: str = getattr(spec, "done", "") or ""

    def command_name(self) -> str:
        words = shlex.split(self.run_line) if self.run_line else []
        return words[0] if words else ""

    def argv(self, exe: str, launch: Launch) -> list[str]:
        words = shlex.split(self.run_line)
        fields = {"model": launch.model, "workspace": str(launch.workspace)}
        return [exe] + [w.format(**fields) for w in words[1:]]

    def session(self, launch: Launch) -> Session:
        return CommandSession(self, launch)
