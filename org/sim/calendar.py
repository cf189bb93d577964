"""Working hours on the virtual clock (t = 0 is a Monday at 00:00): when humans are at work."""

from __future__ import annotations

import math

from org.sim.units import DAY

__all__ = ["Calendar"]

_WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Calendar:
    def __init__(
        self, hours: tuple[float, float] = (0.0, 24.0), days: list[str] | tuple[str, ...] = _WEEK
    ) -> None:
        self.start = float(hours[0]) * 3600.0
        self.end = float(hours[1]) * 3600.0
        self.days = frozenset(_WEEK.index(d) for d in days)
        self.always = self.start == 0.0 and self.end == DAY and len(self.days) == 7

    def is_open(self, t: float) -> bool:
        if self.always:
            return True
        d = math.floor(t / DAY)
        s = t - d * DAY
        return (d % 7) in self.days and self.start <= s < self.end

    def next_open(self, t: float) -> float:
        """The earliest working moment at or after t."""
        if self.always:
            return t
        d = math.floor(t / DAY)
        for k in range(9):
            day = d + k
            if (day % 7) in self.days:
                close = day * DAY + self.end
                if t < close:
                    return max(t, day * DAY + self.start)
        raise ValueError("calendar has no working hours")  # pragma: no cover - days is never empty

    def close_after(self, t: float) -> float:
        """End of the working window that contains t (t must be open)."""
        return math.floor(t / DAY) * DAY + self.end

    def finish(self, t: float, work: float) -> float:
        """When `work` seconds of working time, started at t, are done."""
        if self.always:
            return t + work
        t = self.next_open(t)
        while True:
            close = self.close_after(t)
            if work <= close - t:
                return t + work
            work -= close - t
            t = self.next_open(close)

    def open_seconds(self, a: float, b: float) -> float:
        """Working seconds in [a, b)."""
        if b <= a:
            return 0.0
        if self.always:
            return b - a
        total = 0.0
        d0, d1 = math.floor(a / DAY), math.floor(b / DAY)
        for day in range(d0, d1 + 1):
            if (day % 7) in self.days:
                lo = max(a, day * DAY + self.start)
                hi = min(b, day * DAY + self.end)
                if hi > lo:
                    total += hi - lo
        return total
