"""Shared rate budgets in the database: a BudgetStore on the bus's token-bucket table, so every `org run`
process (and every host sharing a PostgreSQL bus) paces against the same per-provider budget.

The bus's reserve never blocks: it takes tokens or says how long until they are there. Here one thread
per process and bucket polls at exactly that interval while the others queue behind it in order, so a
process adds one writer per bucket, not one per waiting agent. A provider block (a 429 cooldown, an
exhausted quota) is written into the shared bucket as debt, so other processes wait it out too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from org.agents.pacing import Block, MemoryBudgetStore

__all__ = ["SqlBudgetStore"]


class SqlBudgetStore:
    """BudgetStore over the bus's budgets through the door (budget / reserve / settle with a run's token).
    `open_door()`: an org.agents.busport.AgentDoor (each thread gets its own)."""

    def __init__(self, open_door: Callable[[], Any]) -> None:
        self._open = open_door
        self._local = threading.local()
        self._lock = threading.Lock()
        self._shape: dict[str, tuple[float, float]] = {}  # key -> (rate, capacity) configured by this process
        self._gates: dict[str, threading.Lock] = {}
        self._blocks = MemoryBudgetStore()
        self._buses: list[Any] = []

    def _port(self) -> Any:
        bus = getattr(self._local, "bus", None)
        if bus is None:
            bus = self._local.bus = self._open()
            with self._lock:
                self._buses.append(bus)
        return bus

    def _call(self, op: str, *args: Any, **kw: Any) -> Any:
        port = self._port()
        return getattr(port.door, op)(port.any_token(), *args, **kw)

    def close(self) -> None:
        with self._lock:
            buses, self._buses = self._buses, []
        for b in buses:
            b.close()

    def _ensure(self, key: str, rate: float, capacity: float) -> threading.Lock:
        with self._lock:
            gate = self._gates.setdefault(key, threading.Lock())
            known = self._shape.get(key)
        if known is None or abs(known[0] - rate) > 1e-9 or abs(known[1] - capacity) > 1e-9:
            self._call("budget", key, capacity=capacity, refill_per_s=rate)
            with self._lock:
                self._shape[key] = (rate, capacity)
        return gate

    def acquire(
        self,
        key: str,
        amount: float,
        rate: float,
        capacity: float,
        now: float,
        max_wait: float,
        sleep: Callable[[float], None],
    ) -> float | None:
        gate = self._ensure(key, rate, capacity)
        amount = min(amount, capacity)
        t0 = time.time()
        with gate:  # one poller per bucket in this process; the rest wait their turn here
            while True:
                r = self._call("reserve", key, amount)
                waited = time.time() - t0
                if r.ok:
                    return waited
                if waited + r.retry_after_s > max_wait:
                    return None
                sleep(r.retry_after_s)

    def settle(self, key: str, delta: float, rate: float, capacity: float, now: float) -> None:
        if not delta:
            return
        self._ensure(key, rate, capacity)
        if delta > 0:
            self._call(
                "settle", (key, 0.0), used=delta
            )  # used more than reserved: the bucket may go into debt
        else:
            self._call("settle", (key, -delta), used=0.0)

    def block(self, key: str, until: float, kind: str, reason: str = "") -> None:
        self._blocks.block(key, until, kind, reason)
        with self._lock:
            shaped = [(k, rc) for k, rc in self._shape.items() if k.startswith(f"{key}:")]
        for k, (rate, _cap) in shaped:
            seconds = max(0.0, until - time.time())
            if seconds and rate:
                self._call("settle", (k, 0.0), used=seconds * rate)  # debt everyone else waits out too

    def blocked(self, key: str, now: float) -> Block | None:
        return self._blocks.blocked(key, now)
