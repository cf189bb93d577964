"""The human at the keyboard: who the TUI acts as, and the token every decision is made with."""

from __future__ import annotations

from dataclasses import dataclass

from org.config.loader import OrgConfig
from org.errors import Denied, NotFound, UsageError

__all__ = ["Principal", "resolve_principal"]


@dataclass(frozen=True)
class Principal:
    """A human member of the org. `token`: their principal token (None: their own token file)."""

    actor: str
    lane: str
    name: str = ""
    token: str | None = None

    @property
    def label(self) -> str:
        return f"{self.actor} ({self.lane})"


def resolve_principal(cfg: OrgConfig, as_: str | None = None, token: str | None = None) -> Principal:
    """`--as NAME`, or the first human of the org. Agents may not sit at the keyboard."""
    humans = [a for a in cfg.actors.values() if a.is_human]
    if as_ is None:
        if not humans:
            raise UsageError("this org has no human lane; add one (lanes/*.yaml with kind: human) to approve work")
        a = humans[0]
    else:
        a = cfg.actors.get(as_)
        if a is None:
            known = ", ".join(h.id for h in humans) or "none"
            raise NotFound(f"no actor '{as_}' in this org (humans: {known})")
        if not a.is_human:
            raise Denied(f"{as_} is an agent; the TUI acts for a human (humans: {', '.join(h.id for h in humans)})",
                         rule="ORG-HUMAN-APPROVAL")
    return Principal(a.id, a.lane, token=token)
