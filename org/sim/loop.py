"""The virtual clock: a heap of timed callbacks, run in time order (ties in scheduling order)."""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush

__all__ = ["Loop"]


class Loop:
    """A minimal discrete-event loop. `at(t, fn, arg)` schedules `fn(arg)`; `run(until)` advances
    the clock.

    Deterministic: events at the same time run in the order they were scheduled. No wall clock,
    no threads; a callback schedules what follows it. One argument per callback keeps the hot path
    free of argument packing (pass a tuple when more is needed).
    """

    __slots__ = ("now", "_heap", "_seq", "events")

    def __init__(self) -> None:
        self.now = 0.0
        self._heap: list = []
        self._seq = 0
        self.events = 0

    def at(self, t: float, fn: Callable, arg=None) -> None:
        self._seq += 1
        heappush(self._heap, (t, self._seq, fn, arg))

    def after(self, delay: float, fn: Callable, arg=None) -> None:
        self._seq += 1
        heappush(self._heap, (self.now + delay, self._seq, fn, arg))

    def run(self, until: float, progress: Callable[[float], None] | None = None, every: int = 8192) -> None:
        heap = self._heap
        pop = heappop
        n = self.events
        try:
            while heap and heap[0][0] <= until:
                t, _, fn, arg = pop(heap)
                self.now = t
                fn(arg)
                n += 1
                if progress is not None and not n % every:
                    progress(t / until if until else 1.0)
        finally:
            self.events = n
        self.now = until
