"""A CLI's permission request answered by org's policy engine: decide() through the bus's `act`, with the
job token, never an auto-allow.

    edit, shell, read   -> the gate's action (what the job was claimed to do, e.g. code.write), as the
                           built-in builder's tools are decided (ADR 0146); the sandbox confines them
    anything else       -> its own action (web.fetch, web.search, tool.<name>): outside a job token's scope
                           (ADR 0110), so refused, and recorded
    a path outside the workspace -> refused before anything is decided
    needs a human's approval     -> refused (a CLI cannot wait for one); the request is recorded
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from org.agents.clis.adapter import OTHER, Ask
from org.config.actions import canonical_action
from org.errors import OrgError

__all__ = ["permit_with", "outside"]


def outside(workspace: Path, paths: list[str]) -> list[str]:
    """The paths (absolute, or relative to the workspace) that lead out of it, symbolic links followed."""
    root = Path(os.path.realpath(workspace))
    out = []
    for p in paths:
        full = Path(p) if os.path.isabs(p) else root / p
        real = Path(os.path.realpath(full))
        if real != root and root not in real.parents:
            out.append(p)
    return out


def permit_with(door: Any, token: str, actor: str, task: str, gate_action: str, workspace: Path) -> Any:
    """permit(ask) -> (allowed, reason, details) for one job (org.agents.clis.driver.Permit)."""

    def permit(ask: Ask) -> tuple[bool, str, dict]:
        away = outside(workspace, ask.paths)
        if away:
            return False, f"{', '.join(away)} is outside its workspace", {"action": None, "rules": []}
        action = gate_action if ask.kind != OTHER else canonical_action(ask.action or "") or "tool.unknown"
        try:
            d = door.act(token, action, actor, task, {})["decision"]
        except OrgError as exc:  # outside the token's scope, the lease is over, a pause: not allowed
            return False, exc.message, {"action": action, "rules": []}
        rules = [r.get("id") if isinstance(r, dict) else r for r in d.get("rules", [])]
        outcome = d.get("outcome")
        reason = str(d.get("reason") or outcome or "")
        if outcome == "needs_approval":
            reason = f"needs a human's approval ({reason}); a CLI cannot wait for one"
        return outcome == "allow", reason, {"action": action, "rules": rules, "decision": outcome}

    return permit
