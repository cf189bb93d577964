"""The adapters by runtime name: what a member's `runtime:` starts."""

from __future__ import annotations

from typing import Any

from org.agents.clis.adapter import Adapter
from org.agents.clis.claude import Claude
from org.agents.clis.codex import Codex
from org.agents.clis.opencode import OpenCode
from org.agents.clis.plain import Aider, Command, MiniSweAgent

__all__ = ["ADAPTERS", "adapter_for", "runtime_of"]

ADAPTERS: dict[str, type[Adapter]] = {
    a.name: a for a in (Claude, Codex, Aider, OpenCode, MiniSweAgent, Command)
}


def runtime_of(member: Any) -> str:
    """A member's runtime: its `runtime:`, builtin when it says none."""
    return getattr(member, "runtime", None) or "builtin"


def adapter_for(member: Any) -> Adapter | None:
    """The adapter of a member's CLI; None for org's built-in agent."""
    cls = ADAPTERS.get(runtime_of(member))
    return cls(member) if cls is not None else None
