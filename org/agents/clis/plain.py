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


# aider keeps its repo map's cache in the repository's root (.aider.tags.cache.v4, SQLite; no option moves it):
# removed in the room when aider ends, unless the repository tracks it, so org does not commit it (ADR 0240)
AIDER_AFTER = (
    '"$@"; rc=$?; for d in ./.aider.tags.cache.v*; do '
    'if [ -d "$d" ] && [ ! -L "$d" ] && [ -z "$(git ls-files -- "$d")" ]; then rm -rf -- "$d"; fi; done; exit $rc'
)


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
    """mini-swe-agent 2.4.6's output: the prompt it was given (System:, User:; its examples hold ```bash fences
    that are no actions), then per step a header `mini-swe-agent (step N, $C):`, the model's text, each action
    in a fence (bare with tool calls, ```mswea_bash_command in text mode), then `Tool:` (or not) with
    `<returncode>` (the code on its line or the next), `<output>` and the output, up to a rule line; `Exit:` and
    the submission at the end. Read from real runs (tests/data/clis/mini/live.jsonl)."""

    _STEP = re.compile(r"^mini-swe-agent \(step (?P<step>\d+), \$[\d.]+\):")
    _FENCE = re.compile(r"^```[\w-]*\s*$")
    _CODE = re.compile(r"^<returncode>\s*(?P<code>-?\d+)?")

    def __init__(self, adapter: Adapter, launch: Launch) -> None:
        super().__init__(adapter, launch)
        self._mode = "prompt"  # prompt | text | action | result | exit
        self._action: list[str] = []
        self._output: list[str] = []
        self._code: int | None = None
        self._want_code = False
        self._steps = 0
        self._started = False

    def _result(self) -> list[Event | Ask | Reply]:
        if self._mode != "result":
            return []
        self._mode = "text"
        skip = ("<output>", "</output>", "<exception_info>", "</exception_info>")
        text = "\n".join(x for x in self._output if x.strip() not in skip).strip()
        self._output = []
        data = {"exit_code": self._code} if self._code is not None else {}
        return [Event("tool_result", text, tool="bash", call=f"step-{self._steps}", data=data)]

    def feed(self, line: str) -> list[Event | Ask | Reply]:
        text = line.rstrip("\n")
        bare = text.strip()
        if "Provider List:" in text:  # litellm's notice about a model it has no price for
            return []
        m = self._STEP.match(bare)
        if m:
            out = self._result() + self._flush()
            self._steps, self._mode = int(m.group("step")), "text"
            if not self._started:
                self._started = True
                out.append(Event("started", data={"cli": "mini-swe-agent"}))
            return out
        if self._mode == "prompt":  # the prompt it echoes: text, never actions
            return super().feed(line)
        if bare == "Exit:":
            out = self._result() + self._flush()
            self._mode = "exit"
            return out
        if self._mode == "action":
            if bare == "```":
                self._mode = "text"
                call = Event("tool_call", "\n".join(self._action), tool="bash", call=f"step-{self._steps}")
                self._action = []
                return [call]
            self._action.append(text)
            return []
        if self._mode == "result":
            c = self._CODE.match(bare)
            if c and not self._output:
                self._code = int(c.group("code")) if c.group("code") else None
                self._want_code = c.group("code") is None
                return []
            if self._want_code and bare.lstrip("-").isdigit():
                self._code, self._want_code = int(bare), False
                return []
            if bare.startswith("────"):
                return self._result()
            self._output.append(text)
            return []
        if self._mode == "text" and self._FENCE.match(bare):
            out = self._flush()
            self._mode, self._action = "action", []
            return out
        c = self._CODE.match(bare)
        if self._mode == "text" and (bare == "Tool:" or c):
            out = self._flush()
            self._mode, self._output, self._code = "result", [], None
            if c:
                self._code = int(c.group("code")) if c.group("code") else None
                self._want_code = c.group("code") is None
            else:
                self._want_code = True
            return out
        if bare.startswith("────"):
            return self._flush()
        return super().feed(line)

    def tail(self) -> list[Event]:
        return [e for e in self._result() + self._flush() if isinstance(e, Event)]


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
            "/bin/sh",
            "-c",
            AIDER_AFTER,
            "aider",
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
            "--chat-history-file",
            "/dev/null",
            "--input-history-file",
            "/dev/null",
        ]

    def env(self, launch: Launch) -> dict[str, str]:
        return {
            "LITELLM_LOCAL_MODEL_COST_MAP": "True"
        }  # no fetch of litellm's price list (there is no network)

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
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
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
