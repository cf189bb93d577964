"""Helpers for the TUI tests: a fixed clock, a small deterministic story on a real SQLite bus, waiting in Pilot."""

from __future__ import annotations

import asyncio

__all__ = ["Clock", "T0", "story", "advance", "settle", "wait_for", "lane_version", "plain"]

T0 = 1_790_000_000.0  # a fixed instant: event times and ages are the same on every run

WORK = {
    "implement": "diff --git a/app/login.py b/app/login.py\n--- a/app/login.py\n+++ b/app/login.py\n"
    "@@ -10,7 +10,9 @@ def login(user, password):\n-    if user.password == password:\n"
    "+    if not user.active:\n+        return None\n+    if check_hash(user.password_hash, password):\n"
    "         return session_for(user)\n",
    "spec": "Deactivated users must not log in; compare password hashes in constant time.",
    "plan": "Deploy release 2026.11.3 to production with the deploy-key credential via the pipeline.",
}
WORKERS = {
    "builder": "build-claude",
    "reviewer": "rev-gpt",
    "security": "sec-gemini",
    "operator": "ops-claude",
}


class Clock:
    """A clock the test moves by hand (each bus transaction reads it once)."""

    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def advance(
    bus, task: str, clock: Clock, *, stop_lanes=("approver",), step: float = 90.0, usage: bool = True
) -> dict:
    """Claim and submit the task's queued jobs (passing) until it waits on a lane in stop_lanes or closes."""
    for _ in range(30):
        view = bus.task(task)
        jobs = [j for j in view["jobs"] if j["status"] == "queued"]
        if view["status"] != "active" or not jobs or jobs[0]["lane"] in stop_lanes:
            return view
        j = jobs[0]
        actor = "rev-gemini" if j["gate"] == "design" else WORKERS[j["lane"]]
        clock.t += step
        c = bus.claim(j["lane"], actor)
        if usage:
            model = bus.config().actors[actor].model
            bus.record_usage(
                actor,
                model,
                tokens_in=1200,
                tokens_out=340,
                cost_usd=0.0125,
                latency_ms=2100,
                task=task,
                job=c.job,
                gate=c.gate,
                ts=clock.t,
            )
        clock.t += step
        bus.submit(
            c.job,
            c.token,
            "pass",
            content=WORK.get(c.gate, f"{c.gate} done by {actor}"),
            note=f"{c.gate}: looks right to {actor}" if c.kind == "review" else "",
        )
    return bus.task(task)


def story(bus, clock: Clock) -> dict:
    """T-1 high-tier change waiting for approval; T-2 high-tier ops plan waiting for approval; T-3 a docs change,
    done; T-4 a medium change being implemented (leased); T-5 a low change queued. Returns the keys."""
    t1 = bus.add_task(
        "Block deactivated users at login",
        "change",
        by="bob",  # alice decides it: on the high tier whoever filed a task does not (ADR 0111)
        attributes={"environment": "production", "kind": "code"},
    )["task"]
    advance(bus, t1, clock)
    clock.t += 600
    t2 = bus.add_task(
        "Deploy release 2026.11.3",
        "ops",
        by="alice",  # and bob decides this one
        attributes={
            "environment": "production",
            "kind": "deploy",
            "credential": "deploy-key",
            "service": "deploy",
        },
    )["task"]
    advance(bus, t2, clock)
    clock.t += 60
    t3 = bus.add_task("Fix typo in README", "change", by="alice", attributes={"kind": "docs"})["task"]
    advance(bus, t3, clock, usage=False)
    clock.t += 60
    t4 = bus.add_task("Rate-limit the search API", "change", by="bob", attributes={"kind": "code"})["task"]
    advance(bus, t4, clock, stop_lanes=("builder",))
    clock.t += 30
    bus.claim("builder", "build-gpt", lease_seconds=600)
    clock.t += 30
    t5 = bus.add_task(
        "Rebuild the dev environment",
        "ops",
        by="bob",
        attributes={"environment": "dev", "disposable": True, "kind": "env", "irreversible": False},
    )["task"]
    clock.t += 120
    return {"high_change": t1, "high_ops": t2, "done": t3, "leased": t4, "queued": t5}


def lane_version(bus, lane: str) -> int:
    """The lane's wake-up counter (what a waiting claim in that lane watches on SQLite)."""
    return int(
        bus.store.read(
            lambda tx: tx.x("SELECT version FROM lane_signals WHERE lane = :l", {"l": lane}).scalar() or 0
        )
    )


async def settle(pilot, rounds: int = 3) -> None:
    """Let workers finish and the screen repaint."""
    for _ in range(rounds):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def wait_for(pilot, cond, timeout: float = 5.0) -> bool:
    """Poll cond() while the app runs (its own live polling must do the work)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if cond():
            return True
        await pilot.pause(0.05)
    return bool(cond())


def plain(widget) -> str:
    """A Static's content as plain text (Rich renderables rendered at 160 columns)."""
    import io

    from rich.console import Console

    c = Console(width=160, file=io.StringIO(), record=True, color_system=None)
    c.print(widget.content)
    return c.export_text()
