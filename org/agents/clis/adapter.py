"""What an adapter is: how to start one coding CLI non-interactively, what to tell it, and how to read it.

An adapter is a class with a `name` (the member's `runtime:`), the `executable` it looks for, the CLI
versions it was `tested` with, its `protocol` (the permission protocol it answers, or None when the CLI has
none and runs with its confirmations off), and:

    argv(exe, launch)   -> the command line (run under org.runtime.relay, which points the CLI's base-URL and
                           key variables at the gateway with the job's gateway token)
    env(launch)         -> other variables it needs; never a key (the sandbox refuses one anyway)
    session(launch)     -> a Session: the parser of one run

A Session turns the CLI's stdout, line by line, into org's events (org.agents.clis.events), permission
requests (Ask) and bytes to write back (Reply): `opening()` is what goes to its stdin first, `feed(line)`
reads one line, `answer(ask, allowed, reason)` is the reply to a permission request in the CLI's own
protocol, `done` says the CLI finished its turn (its stdin is closed so it exits), and `finish(code)` is the
`finished` event with the stop reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from org.agents.clis.events import Event

__all__ = ["Adapter", "Ask", "Launch", "Reply", "Session", "TextSession", "EDIT", "SHELL", "READ", "OTHER"]

# What a permission request asks for, as org reads it (org.agents.clis.permits maps it to an action).
EDIT, SHELL, READ, OTHER = "edit", "shell", "read", "other"


@dataclass(frozen=True)
class Launch:
    """One run of a CLI: where, on what, with which model. `model`: the model string the gateway serves the
    member (its `model:`); `prompt`: the handover as text; `prompt_file`: the same in a file the CLI may read
    (for CLIs that take the prompt only as a file); `marker`: a command CLI's completion marker."""

    workspace: Path
    prompt: str
    model: str
    prompt_file: Path | None = None
    command: str | None = None
    marker: str | None = None


@dataclass
class Ask:
    """A permission request the CLI made: `kind` (edit, shell, read, other), the vendor's tool name, its
    input, the paths it names, and the vendor's id of the request (for the reply)."""

    kind: str
    tool: str
    input: Any = None
    paths: list[str] = field(default_factory=list)
    ref: Any = None
    action: str | None = None  # for kind 'other': the org action it stands for (e.g. web.fetch)

    def describe(self) -> str:
        what = self.input.get("command") if isinstance(self.input, dict) else None
        return (
            f"{self.tool}"
            + (f": {what}" if what else "")
            + (f" ({', '.join(self.paths)})" if self.paths else "")
        )


@dataclass(frozen=True)
class Reply:
    """Bytes the CLI gets on its stdin (the next step of its protocol)."""

    data: bytes


class Session:
    """The parser of one CLI run (subclassed per CLI)."""

    def __init__(self, adapter: Adapter, launch: Launch) -> None:
        self.adapter = adapter
        self.launch = launch
        self.done = False  # the CLI finished its turn: close its stdin
        self.vendor_stop: str | None = None  # the CLI's own word for how it ended
        self.stop: str | None = None  # the stop reason (events.STOP_REASONS) it reported, if any
        self.error = ""

    def opening(self) -> bytes | None:
        """What goes to the CLI's stdin first; None: its stdin is closed at once (nothing to say)."""
        return None

    def keep_stdin(self) -> bool:
        """Does the CLI read its stdin for the whole run (a protocol), or only the opening?"""
        return self.adapter.protocol is not None

    def feed(self, line: str) -> list[Event | Ask | Reply]:
        raise NotImplementedError

    def answer(self, ask: Ask, allowed: bool, reason: str) -> bytes | None:
        """The reply to a permission request in the CLI's protocol (adapters with a protocol override it)."""
        return None

    def finish(self, returncode: int) -> Event:
        """The `finished` event: the stop reason from what the CLI reported and how it exited."""
        stop = self.stop
        if stop is None:
            stop = "end_turn" if returncode == 0 else "exit_nonzero"
        elif stop == "end_turn" and returncode != 0:
            stop = "exit_nonzero"
        data: dict[str, Any] = {"stop_reason": stop, "exit_code": returncode}
        if self.vendor_stop:
            data["vendor"] = self.vendor_stop
        return Event("finished", self.error, data=data)

    @staticmethod
    def obj(x: Any) -> dict:
        """`x` when it is a JSON object, else {} (a CLI's output is read, never trusted to be well formed)."""
        return x if isinstance(x, dict) else {}

    @staticmethod
    def json_line(line: str) -> dict | None:
        try:
            doc = json.loads(line)
        except ValueError:
            return None
        return doc if isinstance(doc, dict) else None


class TextSession(Session):
    """A CLI that writes text for people: lines gathered into `message` events (a few lines each), lines the
    adapter recognises (`patterns`: regex -> event kind) as their own events, the rest counted."""

    patterns: ClassVar[Sequence[tuple[re.Pattern[str], str]]] = ()
    chunk_lines = 20

    def __init__(self, adapter: Adapter, launch: Launch) -> None:
        super().__init__(adapter, launch)
        self._lines: list[str] = []

    def _flush(self) -> list[Event | Ask | Reply]:
        text = "\n".join(self._lines).strip()
        self._lines = []
        return [Event("message", text)] if text else []

    def feed(self, line: str) -> list[Event | Ask | Reply]:
        out: list[Event | Ask | Reply] = []
        for rx, kind in self.patterns:
            m = rx.search(line)
            if m:
                out = self._flush()
                out += self.recognised(kind, m, line)
                return out
        self._lines.append(line.rstrip())
        if len(self._lines) >= self.chunk_lines:
            out = self._flush()
        return out

    def recognised(self, kind: str, m: re.Match[str], line: str) -> list[Event | Ask | Reply]:
        return [Event(kind, line.strip())]

    def finish(self, returncode: int) -> Event:
        return super().finish(returncode)

    def tail(self) -> list[Event]:
        """What is left unsaid when the output ends."""
        return [e for e in self._flush() if isinstance(e, Event)]


class Adapter:
    """One coding CLI (subclassed per CLI; see the module docstring)."""

    name: ClassVar[str] = ""
    executable: ClassVar[str] = ""
    tested: ClassVar[tuple[str, ...]] = ()  # versions of the CLI this adapter was tested with
    version_args: ClassVar[tuple[str, ...]] = ("--version",)
    protocol: ClassVar[str | None] = None  # the permission protocol it answers through decide()
    output: ClassVar[str] = ""  # what it reads: stream-json, JSON-RPC, JSONL, text
    notes: ClassVar[str] = ""  # what a lane's documentation should say about it

    def __init__(self, member: Any = None) -> None:
        self.member = member

    def command_name(self) -> str:
        return self.executable

    def argv(self, exe: str, launch: Launch) -> list[str]:
        raise NotImplementedError

    def env(self, launch: Launch) -> dict[str, str]:
        """Variables the CLI needs besides the gateway's: the relay it runs under (org.runtime.relay) sets
        OPENAI_BASE_URL / OPENAI_API_BASE / ANTHROPIC_BASE_URL to the gateway and OPENAI_API_KEY /
        ANTHROPIC_API_KEY to the job's gateway token; nothing here may hold a key."""
        return {}

    def session(self, launch: Launch) -> Session:
        raise NotImplementedError

    @staticmethod
    def called(model: str) -> str:
        """The model name for a litellm-based CLI: `openai/` + the member's model, so the gateway receives
        the member's model string as it is (what its allowlist names)."""
        return f"openai/{model}"

    def describe(self) -> dict:
        return {
            "runtime": self.name,
            "executable": self.command_name(),
            "tested": list(self.tested),
            "protocol": self.protocol,
            "output": self.output,
            "controls": self.notes
            or (
                "permission requests answered by decide()"
                if self.protocol
                else "no permission protocol: confirmations off; the sandbox, the model gateway and the "
                "diff guard are the controls"
            ),
        }
