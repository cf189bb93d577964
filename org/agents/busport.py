"""The dispatcher's view of the work bus: the few bus calls it makes, in the shape it needs them.

One BusPort per worker thread (a Bus object is not shared between threads). Work calls go through
org.identity's AuthedBus: a claim with the member's own (short-lived, in-memory) principal token
returns a job token, and the submission, heartbeats, actions, a release or a failure report all use
that job token, so every event carries the identity it was made under. Reads go to the bus directly.
The bus owns every SQL statement, every lease and every audit event.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from org.errors import Conflict, Denied, NotFound, OrgError, Paused

__all__ = ["BusPort", "open_bus"]


def open_bus(url: str | None, root: Path, cfg: Any, tokens: dict[str, str] | None = None) -> Any:
    """A Bus; with `tokens` (actor -> principal token), wrapped so work calls authenticate."""
    from org.bus import Bus

    bus = Bus.open(url, root=root, config=cfg)
    if tokens is None:
        return bus
    from org.identity.session import AuthedBus

    return AuthedBus(bus, tokens, human_files=False)


class BusPort:
    """A thin adapter over one org.bus.Bus."""

    def __init__(self, bus: Any) -> None:
        self.bus = bus
        self._waiter: Any = None
        self._waiting_on: set[str] = set()

    def close(self) -> None:
        if self._waiter is not None:
            self._waiter.__exit__(None, None, None)
            self._waiter = None
        self.bus.close()

    def wait_for_work(self, lanes: set[str], timeout: float) -> None:
        """Sleep until work may have appeared in these lanes (a bus wake-up) or `timeout` passes."""
        if self._waiter is None or self._waiting_on != lanes:
            from org.bus.wake import Waiter

            if self._waiter is not None:
                self._waiter.__exit__(None, None, None)
            self._waiter = Waiter(self.bus.store, lanes).__enter__()
            self._waiting_on = set(lanes)
        self._waiter.wait(timeout)

    # -- jobs -------------------------------------------------------------------------------------
    def claim(self, lane: str, actor: str, lease_s: float) -> tuple[Any | None, str]:
        """(claim, "") or (None, why): 'none' when nothing is eligible, 'paused: ...' when a switch holds."""
        try:
            return self.bus.claim(lane, actor, lease_seconds=lease_s), ""
        except NotFound:
            return None, "none"
        except Paused as exc:
            return None, f"paused: {exc.message}"
        except Denied as exc:  # e.g. the member's token was revoked
            return None, f"denied: {exc.message}"

    def heartbeat(self, job: int, token: str, lease_s: float) -> bool:
        try:
            self.bus.heartbeat(job, token, lease_seconds=lease_s)
            return True
        except OrgError:
            return False

    def submit(self, job: int, token: str, verdict: str, **kw: Any) -> dict:
        """The bus's answer, or {"ok": False, "error": kind, "message": ...} when it refused."""
        try:
            return self.bus.submit(job, token, verdict, **kw)
        except (Conflict, Denied, NotFound, Paused) as exc:
            return {"ok": False, "error": exc.kind, "message": exc.message}

    def _as_holder(self, job: int, token: str, command: str, fn: Any) -> bool:
        """Run fn(fencing token) as the holder of `token` (a job token: authenticated, and stamped on
        the events; a bare fencing token when the bus is not wrapped)."""
        guard = getattr(self.bus, "guard", None)
        try:
            if guard is None:
                fn(token)
                return True
            from org.identity.guard import acting

            p = guard.principal(token, command=command, job_ok=True, principal_ok=False)
            if p.job != int(job):
                return False
            with acting(p):
                fn(p.fence_token)
            return True
        except OrgError:
            return False

    def release(self, job: int, token: str, reason: str) -> bool:
        """Give a leased job back to the queue now (graceful stop, a paused actor, a provider out)."""
        return self._as_holder(job, token, "release", lambda fence: self.bus.release(job, fence, reason=reason))

    def fail(self, job: int, token: str, reason: str) -> bool:
        """Park the job and escalate its task to a human, with the reason as a clear event."""
        return self._as_holder(job, token, "fail", lambda fence: self.bus.fail(job, fence, reason=reason))

    def work_result(self, task: str, gate: str | None = None, revision: str | None = None) -> dict:
        """The latest submitted result (note, content, findings) of the task's work, optionally at a gate
        or for a revision; {} when none."""
        try:
            return self.bus.work_result(task, gate=gate, revision=revision) or {}
        except OrgError:
            return {}

    def last_findings(self, task: str) -> list[dict]:
        """The findings of the reviews that sent the task back, from the event log (latest round)."""
        evs = self.bus.events_since(0, task=task, types=("review.filed", "rework.started"), limit=10_000)
        found: list[dict] = []
        for e in evs:
            if e["type"] == "rework.started":
                continue
            d = e.get("data") or {}
            if d.get("verdict") in ("changes", "fail"):
                found.append((d.get("revision"), d.get("findings") or [], e.get("actor")))
        if not found:
            return []
        last_rev = found[-1][0]
        return [f for rev, fs, _ in found if rev == last_rev for f in fs]

    # -- decisions --------------------------------------------------------------------------------
    def act(self, action: str, actor: str, task: str, attributes: dict, token: str | None = None) -> dict:
        """decide() and record, with the job token of the actor's job on the task."""
        try:
            if token is not None and hasattr(self.bus, "guard"):
                return self.bus.act(action, actor, task, attributes, token=token)
            return self.bus.act(action, actor, task, attributes)
        except (Denied, NotFound, Conflict, Paused) as exc:
            return {"decision": {"outcome": "deny", "reason": exc.message, "rules": []}, "exit_code": exc.exit_code,
                    "error": exc.kind}
        except OrgError as exc:  # e.g. an attribute the org does not declare
            return {"decision": {"outcome": "deny", "reason": exc.message, "rules": []}, "exit_code": exc.exit_code,
                    "error": exc.kind}

    def paused(self, actor: str, lane: str, task: str | None) -> str | None:
        """The active switch that stops this actor now, if any (checked between steps)."""
        from org.engine.pauses import describe, pausing_switch

        try:
            hit = pausing_switch(self.bus.switches(active_only=True), self.bus.config(), task=task, actors=[actor],
                                 lanes=[lane])
        except OrgError:
            return None
        return describe(hit[1]) if hit else None

    def pause(self, scope: str, target: str, note: str) -> None:
        with contextlib.suppress(OrgError):
            self.bus.pause(scope, target, note=note)

    # -- ledger -----------------------------------------------------------------------------------
    def record_usage(self, actor: str, model: str, **kw: Any) -> dict:
        return self.bus.record_usage(actor, model, **kw)

    def spent(self, by: str, key: str) -> tuple[float, int, bool]:
        """(priced US dollars, calls of unknown cost, whether a human accepted them) of one actor or lane."""
        r = self.bus.scope_spend(by, key)
        return r["spent_usd"], r["unpriced_calls"], r["unpriced_accepted"]

    def open_agent_work(self, lanes: list[str]) -> tuple[int, int]:
        """(queued, leased) jobs of these lanes across all active tasks."""
        queued = leased = 0
        for lane in lanes:
            for t in self.bus.list_tasks(status="active", lane=lane, limit=10_000):
                for w in t.get("waiting_on", []):
                    if w["lane"] == lane:
                        queued += w["status"] == "queued"
                        leased += w["status"] == "leased"
        return queued, leased
