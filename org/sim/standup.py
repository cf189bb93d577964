"""The hivemind standup (issue 21 item 6): agent workspaces wake on a cadence and spend an energy budget
earned by last cycle's useful work to flag blockers and ask each other for help. A mixin of World.

At every standup each agent workspace wakes and reads the board (one model call of `wake_tokens`). Its
energy is `energy_per_merge` tokens for every task it authored that finished done since the last standup
with no defect left in it (merged, not reverted: a defect that escapes is a revert waiting to happen), and
it spends that energy, `flag_tokens` per message and at most `max_messages` messages, in this order:

1. flags: a job of its own work that has waited in a lane's queue longer than `stale_after` (a blocker) is
   flagged, and the lane takes flagged jobs first (oldest flag first);
2. asks: for its own open task that failed a review this round, it asks an idle member of its lane of
   another model family for help; the helper spends `help_time` and one call of `help_tokens` looking at
   the work with its own eyes (its detection chances) and the author fixes what it found (the author's
   fix chance) before the next review; with no idle member of another family the ask goes unanswered;
3. chatter: energy left over is spent on messages that flag nothing (the noise a busy board makes).

Every message is a model call under the sender's rate budget and price list (a standup waits for the
budget like any call: its reservation delays the calls behind it), so standups cost money and, under a
shared limit, throughput. None of it goes through the engine: a flag reorders a lane's queue and help
changes the work's defects, never a gate's state. With no `standup` section nothing here runs.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import TYPE_CHECKING

from org.sim.defects import look, rework
from org.sim.entities import Job, Lane, Task, Worker

if TYPE_CHECKING:
    from org.sim.loop import Loop
    from org.sim.metrics import Recorder
    from org.sim.models import Scenario, Standup

__all__ = ["Standups"]


class Standups:
    """World's standup methods; they use World's loop, rec, lanes, workers, open tasks and queues."""

    if TYPE_CHECKING:  # World's, declared for the type checker
        spec: Scenario
        loop: Loop
        rec: Recorder
        workers: dict[str, Worker]
        lanes: dict[str, Lane]
        open: dict[str, Task]

        def _kill(self, job: Job) -> None: ...
        def _queue(self, job: Job) -> None: ...
        def _dispatch(self, lane: Lane) -> None: ...

    def _standup_init(self) -> None:
        su = self.spec.standup
        self.su: Standup | None = su if su is not None and su.every else None
        self.useful: Counter[str] = (
            Counter()
        )  # worker -> tasks it authored that finished clean since the last one
        self.su_stats: Counter[str] = Counter()
        self.su_helped: dict[int, int] = {}  # task number -> the round it was last helped in
        self.su_helping: dict[str, float] = {}  # helper id -> since
        self.su_flags = 0
        self.su_usd = 0.0
        self.rng_standup = random.Random(f"{self.spec.seed}:standup")

    def _standup_start(self) -> None:
        if self.su is not None and self.su.every:
            self.loop.at(self.su.every, self._standup)

    def _standup_done_task(self, task: Task) -> None:
        """A task finished done: its authors earn energy when nothing escaped with it."""
        if self.su is not None and not task.defects:
            for a in task.state.authors:
                self.useful[a] += 1

    def _standup_send(self, w: Worker, tokens: float, what: str) -> None:
        """One standup message (a model call of `tokens`) by `w`, under its rate budget and prices."""
        now = self.loop.now
        rec = self.rec
        inside = now >= rec.t0
        if w.bucket is not None:
            w.bucket.reserve(now, tokens)
        usd = (w.usd_call + tokens * w.usd_token) if w.pool is not None else 0.0
        if inside:
            s = self.su_stats
            s[what] += 1
            s["calls"] += 1
            s["tokens"] += int(tokens)
            rec.usd += usd
            self.su_usd += usd
            if w.stats is not None:
                w.stats.calls += 1
                w.stats.tokens += tokens
                w.stats.usd += usd

    def _standup(self, _arg: object = None) -> None:
        su = self.su
        assert su is not None and su.every
        now = self.loop.now
        inside = now >= self.rec.t0
        if inside:
            self.su_stats["standups"] += 1
        agents = [w for w in self.workers.values() if not w.human]
        blocked: dict[str, list[Job]] = {}
        for lane in self.lanes.values():
            for n, _seq, job in lane.queue:
                if n >= 0 and now - job.ready_at > su.stale_after:
                    for a in sorted(job.task.state.authors):
                        blocked.setdefault(a, []).append(job)
        asks: dict[str, list[Task]] = {}
        for task in self.open.values():
            st = task.state
            if st.rounds > 0 and self.su_helped.get(task.n) != st.rounds and st.revisions:
                asks.setdefault(st.revisions[-1][2], []).append(task)
        flagged: set[int] = set()
        useful, self.useful = self.useful, Counter()
        for w in agents:
            self._standup_send(w, su.wake_tokens, "wakes")
            energy = su.energy_per_merge * useful.get(w.id, 0)
            sent = 0
            for job in sorted(blocked.get(w.id, ()), key=lambda j: j.ready_at):
                if energy < su.flag_tokens or sent >= su.max_messages:
                    break
                if id(job) in flagged or job not in job.task.queued:
                    continue
                flagged.add(id(job))
                energy -= su.flag_tokens
                sent += 1
                self._standup_send(w, su.flag_tokens, "flags")
                self._standup_flag(job)
            for task in asks.get(w.id, ()):
                if energy < su.flag_tokens or sent >= su.max_messages:
                    break
                energy -= su.flag_tokens
                sent += 1
                self.su_helped[task.n] = task.state.rounds
                self._standup_send(w, su.flag_tokens, "asks")
                self._standup_ask(w, task)
            while energy >= su.flag_tokens and sent < su.max_messages:
                energy -= su.flag_tokens
                sent += 1
                self._standup_send(w, su.flag_tokens, "chatter")
        self.loop.after(su.every, self._standup)

    def _standup_flag(self, job: Job) -> None:
        """The lane takes a flagged job before any unflagged one (flags in the order they were raised)."""
        self._kill(job)
        self.su_flags += 1
        job.key = (-1, self.su_flags)
        self._queue(job)
        self._dispatch(self.lanes[job.lane])

    def _standup_ask(self, w: Worker, task: Task) -> None:
        lane = self.lanes[w.lane]
        helpers = [h for h in lane.idle if h.family != w.family and h.profile is not None]
        if not helpers:
            if self.loop.now >= self.rec.t0:
                self.su_stats["unanswered"] += 1
            return
        h = helpers[self.rng_standup.randrange(len(helpers))]
        lane.idle.remove(h)
        self.su_helping[h.id] = self.loop.now
        su = self.su
        assert su is not None
        self._standup_send(h, su.help_tokens, "helps")
        self.loop.after(su.help_time, self._standup_helped, (h, w, task))

    def _standup_helped(self, arg: tuple[Worker, Worker, Task]) -> None:
        h, w, task = arg
        now = self.loop.now
        since = self.su_helping.pop(h.id)
        self.rec.busy_time(h.lane, since, now)
        if task.closed is None and h.profile is not None:  # (helpers are agents: they have a profile)
            found = look(task.defects, h.profile.detect, h.family, None, self.rng_standup)
            if found:
                before = len(task.defects)
                task.defects = rework(task.defects, w.profile.fix if w.profile else 1.0, self.rng_standup)
                if now >= self.rec.t0:
                    self.su_stats["defects_fixed"] += before - len(task.defects)
        lane = self.lanes[h.lane]
        if h.on_duty and h.job is None:
            lane.idle.append(h)
            self._dispatch(lane)

    def _standup_summary(self, end: float) -> dict[str, float] | None:
        su = self.su
        if su is None or not su.every:
            return None
        for hid, since in self.su_helping.items():
            self.rec.busy_time(self.workers[hid].lane, since, end)
        s = self.su_stats
        return {
            "every_hours": round(su.every / 3600.0, 4),
            "standups": s["standups"],
            "wakes": s["wakes"],
            "flags": s["flags"],
            "asks": s["asks"],
            "helps": s["helps"],
            "unanswered": s["unanswered"],
            "defects_fixed": s["defects_fixed"],
            "chatter": s["chatter"],
            "calls": s["calls"],
            "tokens": s["tokens"],
            "usd": round(self.su_usd, 4),
        }
