"""The door as the built-in agents of one run hold it: one Guard per worker thread and the run's tokens.

A worker's calls go through org.identity.guard.Guard, the one authenticated door: a claim with the member's
own (short-lived, in-memory) principal token returns a job token, and the submission, heartbeats, actions,
usage, a release or a failure report use that job token; reads use the member's principal token. Errors
are the org.errors tree, raised (NotFound: nothing to claim, Paused, Denied, Conflict); the helpers below
are reads the dispatcher composes, not another door.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # a job's worker in its room uses these helpers without the bus (org.agents.worker)
    from org.identity.guard import Guard

__all__ = [
    "AgentDoor",
    "open_door",
    "last_findings",
    "holding_switch",
    "open_agent_work",
    "open_agent_work_by_lane",
]


@dataclass
class AgentDoor:
    """One worker's door and the run's principal tokens (actor -> token)."""

    door: Guard
    tokens: dict[str, str]

    def token(self, actor: str) -> str | None:
        """The actor's principal token in this run (None: refused by the door like any missing token)."""
        return self.tokens.get(actor)

    def any_token(self) -> str | None:
        """A token of this run for its run-level calls (sweeps, wake-ups, counts): the first agent's."""
        return self.tokens[min(self.tokens)] if self.tokens else None

    def run_call(self, op: str, *args: Any, **kw: Any) -> Any:
        """A run-level call (`door.<op>(token, ...)`: sweeps, wake-ups, counts) with the first of the run's
        tokens whose principal is not paused: a paused member's own token is refused (exit 7), and the run
        goes on for the others. Raises Paused when every member is paused."""
        from org.errors import Paused

        refused: Paused | None = None
        tokens: list[str | None] = [self.tokens[a] for a in sorted(self.tokens)] or [None]
        for token in tokens:
            try:
                return getattr(self.door, op)(token, *args, **kw)
            except Paused as exc:
                if exc.detail.get("scope") != "actor":
                    raise
                refused = exc
        assert refused is not None
        raise refused

    def close(self) -> None:
        self.door.close()


# The built-in agents' work runs in the agent host when it has no rooms (no bubblewrap, or a library caller
# without a run's bus socket; ADR 0143): every event it causes records isolation "none". With rooms (ADR 0171)
# the agents act only from their rooms, through the bus socket, and this door is the dispatcher's (org's side).
HOST_ISOLATION = "none"


def open_door(
    url: str | None, root: Path, cfg: Any, tokens: dict[str, str], isolation: str | None = HOST_ISOLATION
) -> AgentDoor:
    from org.identity.guard import Guard

    return AgentDoor(Guard.open(url, root=root, config=cfg, isolation=isolation), tokens)


def last_findings(port: AgentDoor, actor: str, task: str) -> list[dict]:
    """The findings of the reviews (and a human's request for changes) that sent the task back, from the event
    log (latest round; org.bus.findings)."""
    from org.bus import SENT_BACK, last_review_findings

    evs = port.door.events_since(port.token(actor), 0, task=task, types=SENT_BACK, limit=10_000)
    return last_review_findings(evs)


def holding_switch(port: AgentDoor, actor: str, lane: str, task: str | None) -> str | None:
    """The active switch that stops this actor now, if any (checked between steps; org.engine.pauses decides)."""
    from org.engine.pauses import describe, pausing_switch
    from org.errors import Paused

    switches = None
    for token in [port.token(actor)] + [t for a, t in sorted(port.tokens.items()) if a != actor]:
        try:  # a paused actor's own token is refused: read with another of the run's
            switches = port.door.switches(token, active_only=True)
            break
        except Paused as exc:
            refused = exc
    if switches is None:
        return f"{refused.detail['scope']} {refused.detail['target']}"
    hit = pausing_switch(switches, port.door.config(), task=task, actors=[actor], lanes=[lane])
    return describe(hit[1]) if hit else None


def open_agent_work(port: AgentDoor, lanes: list[str]) -> tuple[int, int]:
    """(queued, leased) jobs of these lanes across all active tasks."""
    per = open_agent_work_by_lane(port, lanes)
    return sum(q for q, _ in per.values()), sum(le for _, le in per.values())


def open_agent_work_by_lane(port: AgentDoor, lanes: list[str]) -> dict[str, tuple[int, int]]:
    """Per lane: (queued, leased) jobs across all active tasks."""
    out: dict[str, tuple[int, int]] = {}
    for lane in lanes:
        queued = leased = 0
        for t in port.run_call("list_tasks", status="active", lane=lane, limit=10_000):
            for w in t.get("waiting_on", []):
                if w["lane"] == lane:
                    queued += w["status"] == "queued"
                    leased += w["status"] == "leased"
        out[lane] = (queued, leased)
    return out
