"""What a run looked like over time: periodic samples of work in progress, throughput, cycle time,
queues and busy members, with the steady-state checks read from them (MSER-5 warm-up, growth)."""

from __future__ import annotations

from org.sim.units import HOUR

__all__ = ["SAMPLES", "Series", "mser5", "growing"]

SAMPLES = 240  # samples per run: enough for a chart and for MSER-5, cheap next to the run


class Series:
    """Samples taken by the world every `step` seconds of virtual time (whole run, warm-up included)."""

    def __init__(self, step: float, lanes: dict, rec) -> None:
        self.step = step
        self.lanes = lanes  # name -> Lane (its running count and members are read)
        self.rec = rec  # the Recorder: its whole-run integrals of work in progress and queues
        self.t: list[float] = []
        self.wip: list[float] = []
        self.done: list[int] = []
        self.cycle: list[float | None] = []
        self.queues: dict[str, list[float]] = {n: [] for n in lanes}
        self.busy: dict[str, list[float]] = {n: [] for n in lanes}
        self._closed = 0
        self._cycles = 0
        self._areas: dict = {}
        self._last = 0.0

    def _mean(self, key, integral, now: float) -> float:
        a = integral.area_to(now)
        prev = self._areas.get(key, 0.0)
        self._areas[key] = a
        return round((a - prev) / (now - self._last), 4) if now > self._last else 0.0

    def sample(self, now: float, closed: int) -> None:
        """Record the time averages since the last sample (work in progress, queues), the tasks closed
        and the mean cycle time of those finished since, and the share of each lane's members busy now."""
        rec = self.rec
        self.t.append(now)
        self.wip.append(self._mean("wip", rec.wip, now))
        self.done.append(closed - self._closed)
        self._closed = closed
        cycle = rec.cycle
        new = cycle[self._cycles :]
        self._cycles = len(cycle)
        self.cycle.append(round(sum(new) / len(new) / HOUR, 4) if new else None)
        for name, lane in self.lanes.items():
            self.queues[name].append(self._mean(name, rec.queue(name), now))
            n = len(lane.members)
            self.busy[name].append(round(lane.running / n, 4) if n else 0.0)
        self._last = now

    def to_dict(self) -> dict:
        return {
            "step_hours": round(self.step / HOUR, 4),
            "t_hours": [round(t / HOUR, 3) for t in self.t],
            "wip": self.wip,
            "done": self.done,
            "cycle_hours": self.cycle,
            "queues": self.queues,
            "busy": self.busy,
        }


def mser5(xs: list[float]) -> tuple[int, bool]:
    """MSER-5 truncation point (White 1997): batch the series in fives and cut the first d batches
    that minimise the standard error of the rest. Returns (samples to cut, whether the best cut fell
    in the second half, i.e. the run is too short to show a steady state)."""
    batches = [sum(xs[i : i + 5]) / 5 for i in range(0, len(xs) - len(xs) % 5, 5)]
    n = len(batches)
    if n < 4:
        return 0, True
    best, best_d = None, 0
    for d in range(0, n // 2 + 1):
        rest = batches[d:]
        m = sum(rest) / len(rest)
        score = sum((x - m) ** 2 for x in rest) / len(rest) ** 2
        if best is None or score < best - 1e-12:
            best, best_d = score, d
    return best_d * 5, best_d >= n // 2


def growing(xs: list[float], floor: float = 2.0) -> bool:
    """True when the last fifth of a series sits clearly above its second fifth (a queue that keeps
    growing): more than 1.5x and `floor` above it, and still rising in the last tenth."""
    n = len(xs)
    if n < 10:
        return False
    k = n // 5
    second = sum(xs[k : 2 * k]) / k
    last = sum(xs[-k:]) / k
    tail = sum(xs[-(k // 2 or 1) :]) / (k // 2 or 1)
    return last > 1.5 * second + floor and tail >= last
