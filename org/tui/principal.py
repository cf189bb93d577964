"""The human at the keyboard: who the TUI acts as, and the token every decision is made with."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from org.config.loader import Actor, OrgConfig
from org.engine import rule_ids
from org.errors import Denied, NotFound, UsageError

__all__ = ["Principal", "resolve_principal", "authenticate"]


@dataclass(frozen=True)
class Principal:
    """A human member of the org. `token`: their principal token (None: their own token file).
    actor "" means "whoever the token speaks for", not known until the bus exists to check it."""

    actor: str
    lane: str
    name: str = ""
    token: str | None = None
    first_human: str = ""  # who the suggested commands name while actor is not known yet

    @property
    def label(self) -> str:
        if not self.actor:
            return "your token's holder (checked once the bus exists)"
        return f"{self.actor} ({self.lane})"

    @property
    def suggest_as(self) -> str:
        return self.actor or self.first_human


def resolve_principal(cfg: OrgConfig, as_: str | None = None, token: str | None = None) -> Principal:
    """`--as NAME`; else with a token, the token's holder (actor "" until authenticate() checks it); else the
    org's first human (with their own token file). Agents may not sit at the keyboard."""
    humans = [a for a in cfg.actors.values() if a.is_human]
    if as_ is None:
        if not humans:
            raise UsageError(
                "this org has no human lane; add one (lanes/*.yaml with kind: human) to approve work"
            )
        if token:
            return Principal("", "", token=token, first_human=humans[0].id)
        a: Actor = humans[0]
    else:
        found = cfg.actors.get(as_)
        if found is None:
            known = ", ".join(h.id for h in humans) or "none"
            raise NotFound(f"no actor '{as_}' in this org (humans: {known})")
        a = found
        if not a.is_human:
            raise Denied(
                f"{as_} is an agent; the TUI acts for a human (humans: {', '.join(h.id for h in humans)})",
                rule=rule_ids.HUMAN_APPROVAL,
            )
    return Principal(a.id, a.lane, token=token, first_human=humans[0].id if humans else "")


def authenticate(door: Any, principal: Principal) -> Principal:
    """Check the principal's token (or their own token file) at the door (org.identity.guard.Guard), as every
    bus command does: Denied (exit 4) for a wrong or missing token, or an agent's. A token given without --as
    makes its holder the human at the keyboard."""
    p = door.principal(principal.token, as_=principal.actor or None, command="tui", human=True)
    if principal.actor:
        return principal
    cfg = door.config()
    a = cfg.actors.get(p.actor) if cfg is not None else None
    return replace(principal, actor=p.actor, lane=a.lane if a is not None else "")
