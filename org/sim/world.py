"""The simulated org: tasks flow through org.engine while simulated agents and humans pull the jobs.

Every step a live task takes goes through the same engine calls here: `flow.start_task` when work
arrives, `flow.eligibility` when a member looks for a job it may take (separation of duties,
cross-vendor review), `policy.decide` before an action a stream names, `flow.submit` with the
revision the reviewer saw (a stale one is refused with Conflict), `flow.escalate_if_over_budget`
after each job and `flow.escalate_if_stalled` for work nobody may do. The simulator only decides
what the engine cannot know: how long work takes, which defects it carries, who sees them, and
when the rate budget lets a call through.
"""

from __future__ import annotations

import gc
import random
from bisect import bisect_left, insort
from typing import Any

from org.config.loader import OrgConfig
from org.engine import flow
from org.engine.policy import decide
from org.engine.state import fold
from org.errors import Conflict, Denied
from org.sim.behaviour import focus_for, pool_for, profile_for
from org.sim.calendar import Calendar
from org.sim.calls import ModelCalls
from org.sim.defects import inject, look, rework
from org.sim.entities import Job, Lane, Task, Worker
from org.sim.loop import Loop
from org.sim.metrics import PoolStats, Recorder
from org.sim.models import Scenario
from org.sim.pacing import Bucket
from org.sim.series import SAMPLES, Series
from org.sim.standup import Standups
from org.sim.transitions import Replayed, Transitions, digest, effects

__all__ = ["World"]


class World(ModelCalls, Standups):
    def __init__(self, spec: Scenario, cfg: OrgConfig, keep: bool = False, memo: bool = True) -> None:
        self.spec, self.cfg = spec, cfg
        self.transitions = Transitions(cfg, enabled=memo)
        self.finished: list[Task] | None = [] if keep else None  # closed tasks, for inspection
        self.loop = Loop()
        seed = spec.seed
        self.rng_mix = random.Random(f"{seed}:mix")
        self.rng_defects = random.Random(f"{seed}:defects")
        self.rng_look = random.Random(f"{seed}:look")
        self.rec = Recorder(spec.warmup, spec.duration)
        self.paced = spec.pacing.mode == "paced"
        self.retry = spec.pacing.retry
        self.cal = Calendar(spec.humans.hours, spec.humans.days)
        self.human_time = spec.humans.review_time.sampler()
        self.lanes = {n: Lane(n, ln.kind == "human", ln.concurrency) for n, ln in cfg.lanes.items()}
        self.workers: dict[str, Worker] = {}
        shared: dict[str, Bucket] = {}
        profiles: dict = {}
        for a in cfg.actors.values():
            w = Worker(a, random.Random(f"{seed}:worker:{a.id}"))
            if not a.is_human:
                key = (a.model, w.family)
                if key not in profiles:
                    profiles[key] = profile_for(spec.behaviour, a.model or "", w.family)
                w.profile = profiles[key]
                hit = pool_for(spec.providers, a.model or "")
                if hit is not None:
                    name, pool = hit
                    stats = self.rec.pools.get(name)
                    if stats is None:
                        stats = self.rec.pools[name] = PoolStats(pool.rpm, pool.tpm, 0)
                    if pool.per_agent:
                        bucket = Bucket(pool.rpm, pool.tpm, pool.burst, spec.pacing.target)
                        stats.budgets += 1
                    else:
                        bucket = shared.get(name)
                        if bucket is None:
                            bucket = shared[name] = Bucket(pool.rpm, pool.tpm, pool.burst, spec.pacing.target)
                        stats.budgets = 1
                    w.pool, w.stats, w.bucket = pool, stats, bucket if bucket.limited else None
                    w.usd_call, w.usd_token = pool.usd_per_call, pool.usd_per_mtok / 1e6
            self.workers[a.id] = w
            lane = w.ln = self.lanes[a.lane]
            lane.members.append(w)
            if a.is_human and not self.cal.always:
                w.on_duty = False
            else:
                lane.idle.append(w)
        for ln in self.lanes.values():
            ln.ids = tuple(w.id for w in ln.members)
        self.streams = spec.workload.streams
        self.actions = {(i, g): act for i, s in enumerate(self.streams) for g, act in s.actions.items()}
        load = spec.workload.load
        # one arrival stream of draws per stream of work: changing one stream's rate leaves the others'
        # arrivals exactly as they were (common random numbers for paired comparisons)
        self.rng_arrivals = [
            random.Random(f"{seed}:arrivals" + (f":{s.name}" if i else ""))
            for i, s in enumerate(self.streams)
        ]
        self.rates = [s.rate_per_second * load for s in self.streams]
        self.weights = [s.weight or s.per_hour or (s.per_day or 0) / 24 or 1.0 for s in self.streams]
        self.focus = {
            (w, g): focus_for(spec.behaviour, w, g) for w, wf in cfg.workflows.items() for g in wf.gates
        }
        # (kind, quorum, lane) of every gate, read once: the config does not change during a run
        self.gate_specs = {
            (w, g): (gs.kind, gs.quorum, gs.lane)
            for w, wf in cfg.workflows.items()
            for g, gs in wf.gates.items()
        }
        self.open: dict[str, Task] = {}
        self.count = 0
        self.jobs = 0
        self.budget_escalation = spec.engine.budget_escalation
        inf = float("inf")
        self.budget_of = {
            n: inf if wf.limits.budget_usd is None else wf.limits.budget_usd
            for n, wf in cfg.workflows.items()
        }
        self.series = Series(spec.duration / SAMPLES, self.lanes, self.rec)
        self._eligible: dict[tuple, Any] = {}
        self.closed_total = 0
        self._standup_init()

    # ---- arrivals ---------------------------------------------------------------------------
    def _start_arrivals(self) -> None:
        if self.spec.workload.backlog:
            for _ in range(max(1, round(self.spec.workload.backlog * self.spec.workload.load))):
                self._new_task(None)
            return
        for i, rate in enumerate(self.rates):
            self.loop.at(self.rng_arrivals[i].expovariate(rate), self._arrive, i)

    def _arrive(self, i: int) -> None:
        self._new_task(i)
        self.loop.after(self.rng_arrivals[i].expovariate(self.rates[i]), self._arrive, i)

    def _new_task(self, i: int | None) -> None:
        if i is None:
            i = self.rng_mix.choices(range(len(self.streams)), self.weights)[0]
        s = self.streams[i]
        self.count += 1
        tid = f"T{self.count:06d}"
        now = self.loop.now
        task = Task(tid, self.count, i, now, s.workflow)
        events = self.transitions.start(task, s.name, s.workflow, s.attributes, s.tier)
        self.rec.engine_calls += 1
        self._moved(task)
        self.open[tid] = task
        rec = self.rec
        rec.wip.add(now, 1)
        rec.arrivals_total += 1
        if now >= rec.t0:
            rec.arrivals += 1
            rec.open_since[tid] = now
        self._apply(task, events)

    # ---- jobs and dispatch ------------------------------------------------------------------
    def _enqueue(self, task: Task, gate: str) -> None:
        queued = task.queued
        if queued:
            for j in [j for j in queued if j.gate == gate]:
                self._kill(j)
        kind, quorum, lane = self.gate_specs[(task.workflow, gate)]
        slots = 1
        if kind in ("review", "approval"):
            slots = max(1, quorum - task.facts.counted[gate])
        now = self.loop.now
        for _ in range(slots):
            self.jobs += 1
            self._queue(Job((task.n, self.jobs), task, gate, kind, lane, now))
        ln = self.lanes[lane]
        self._dispatch(ln)
        if ln.idle:
            for j in queued:
                if j.gate == gate:
                    self._nobody_may(task, gate, ln)
                    return

    def _nobody_may(self, task: Task, gate: str, lane: Lane) -> None:
        """A job the lane's idle members all refused: when no member at all may take it (e.g. the gate's
        action is denied on this task to everyone), the engine's no-progress check escalates it later."""
        st = task.state
        refusals = []
        for w in lane.members:
            self.rec.engine_calls += 1
            el = flow.eligibility(self.cfg, st, w.id, gate)
            if el.ok:
                return
            refusals.append(el)
        rules = sorted({el.rule for el in refusals if el.rule})
        self.rec.denied[f"{gate}: nobody in {lane.name} may take it ({', '.join(rules) or 'no rule'})"] += 1
        wf = self.cfg.workflows[st.workflow]
        self.loop.after(wf.limits.no_progress_seconds + 1.0, self._stalled, (task, self.loop.now))

    def _queue(self, job: Job) -> None:
        ln = self.lanes[job.lane]
        insort(ln.queue, (*job.key, job))
        job.task.queued.append(job)
        stat = ln.stat
        if stat is None:  # made at the lane's first job, as the recorder made it (its order is the report's)
            stat = ln.stat = self.rec.queue(ln.name)
        stat.add(self.loop.now, 1)

    def _kill(self, job: Job) -> None:
        """Take a job out of its lane's queue (picked up, or no longer wanted)."""
        ln = self.lanes[job.lane]
        q = ln.queue
        del q[bisect_left(q, job.key)]  # (n, seq) sorts just before (n, seq, job)
        job.task.queued.remove(job)
        ln.stat.add(self.loop.now, -1)  # (queued before: its stat is set)

    def _dispatch(self, lane: Lane) -> None:
        """Idle members take queued jobs: the first idle member (in idle order) takes the first job (oldest
        task first) it may take, again and again until nobody idle may take a queued job, the queue is empty
        or the lane is at its concurrency. (The hot path: the scan is inlined here, not a call per member.)

        Eligibility is a pure function of the (fixed) config, the task's state, the member and the gate; a
        state changes only through World._moved, which counts it in task.v, so an answer is reused until the
        task moves on (idle members rescan the same queue at every dispatch). A review or approval job: the
        lane's eligible members, asked once for all of them (by shape, ADR 0305); work: this member, asked alone,
        as the first idle builder usually may take it.

        Within one call no task's state changes and the queue only shrinks, so a member that found nothing to
        take finds nothing later in the same call: after a member takes a job the scan goes on from the member
        after it (the members before it would refuse again), not from the first."""
        idle, queue = lane.idle, lane.queue
        if not idle or not queue:  # (most calls: nobody idle, or nothing queued)
            return
        known, rec = self._eligible, self.rec
        may, who_may = self.transitions.may, self.transitions.who
        first = 0
        while idle and queue and lane.running < lane.cap:
            for i in range(first, len(idle)):
                w = idle[i]
                wid = w.id
                asked = 0
                for _, _, job in queue:
                    task = job.task
                    if job.kind == "work":
                        key = (task.n, task.v, wid, job.gate)
                        ok = known.get(key)
                        if ok is None:
                            asked += 1
                            ok = known[key] = may(task, wid, job.gate)
                    else:
                        rkey = (task.n, task.v, job.gate)
                        who = known.get(rkey)
                        if who is None:
                            asked += 1
                            who = known[rkey] = who_may(task, job.gate, lane.ids)
                        ok = wid in who
                    if ok:
                        rec.engine_calls += asked
                        self._kill(job)
                        del idle[i]
                        self._start(w, job)
                        first = i
                        break
                else:
                    rec.engine_calls += asked
                    if len(known) > 200_000:
                        known.clear()
                    continue
                break  # a member took a job: scan again from the member after it
            else:
                return

    def _start(self, w: Worker, job: Job) -> None:
        now = self.loop.now
        w.ln.running += 1
        w.job, w.start = job, now
        rec = self.rec
        if now >= rec.t0:
            rec.waits[w.lane].append(now - job.ready_at)
        task = job.task
        action = self.actions.get((task.stream, job.gate))
        if action:
            st = task.state
            wf = self.cfg.workflows[st.workflow]
            approvals = [
                r.actor
                for g, gs in st.gates.items()
                if wf.gates[g].kind == "approval"
                for r in st.counting_reviews(g)
            ]
            rec.engine_calls += 1
            d = decide(self.cfg, w.id, action, st.attributes, approvals=approvals, authors=st.authors)
            if not d.allowed:
                rec.denied[f"{action}: {d.outcome} ({', '.join(d.rule_ids) or 'no rule'})"] += 1
                self._free(w)
                self.loop.after(wf.limits.no_progress_seconds + 1.0, self._stalled, (task, now))
                return
        rev = task.facts.revision
        w.rev = None if rev is None else task.ext[rev]
        if w.human:
            self.loop.at(self.cal.finish(now, self.human_time(w.rng)), self._complete, w)
            return
        kp = w.kp = w.profile.work if job.kind == "work" else w.profile.review
        n = max(1, int(round(kp.calls(w.rng))))
        w.calls_left, w.seg = n, kp.time(w.rng) / n
        self._call(w)

    # ---- results go through the engine ------------------------------------------------------
    def _complete(self, w: Worker) -> None:
        job = w.job
        task, gate, kind = job.task, job.gate, job.kind
        rec = self.rec
        now = self.loop.now
        verdict, found, findings, alarm = "pass", [], None, False
        if kind == "review":
            found = look(
                task.defects, w.profile.detect, w.family, self.focus[(task.workflow, gate)], self.rng_look
            )
            if found:
                verdict, findings = "changes", [{"class": d.cls} for d in found]
            elif w.profile.false_alarm and self.rng_look.random() < w.profile.false_alarm:
                verdict, alarm = "changes", True
        elif kind == "approval":
            found = look(task.defects, self.spec.humans.detect, "human", None, self.rng_look)
            if found and self.spec.humans.reject_on_defect:
                verdict = "reject"
            else:
                for d in found:
                    d.found = False
                verdict, found = "approve", []
        try:  # the engine hands back the task's state with the events folded in (it would be folded next anyway)
            work = kind == "work"  # only work has content (a review's revision is the one it saw)
            rounds = task.facts.rounds
            events = self.transitions.submit(
                task,
                rounds,
                w.id,
                gate,
                verdict,
                None if work else w.rev,
                f"{task.id}:{gate}:{rounds}:{w.id}:{now:.3f}" if work else "",
                findings,
            )
        except (Conflict, Denied):
            rec.stale += 1
            for d in found:
                d.found = False
            self._free(w)
            self._dispatch(w.ln)
            return
        finally:
            rec.engine_calls += 1
        self._moved(task)
        if now >= rec.t0:
            for d in found:
                rec.catches[f"{task.workflow}.{gate}"][d.cls] += 1
            if alarm:
                rec.false_alarms += 1
            if w.human:
                rec.human_jobs += 1
                if verdict == "approve":
                    rec.approvals += 1
                else:
                    rec.rejections += 1
        self._free(w)
        self._apply(task, events)
        if self.budget_escalation and task.closed is None and task.spent > self.budget_of[task.workflow]:
            # the engine's brake fires only on a spend over the workflow's budget_usd (a simulation makes no
            # unpriced calls): below it the state is not read, nor folded (tests/sim/test_shapes.py holds the
            # engine to that)
            rec.engine_calls += 1
            st = task.state
            extra = flow.escalate_if_over_budget(self.cfg, st, task.spent)
            if extra:
                fold(extra, st)
                task.sig = None  # moved outside the transition memo: its shape is read again when needed
                self._moved(task)
                self._apply(task, extra)
        self._dispatch(w.ln)

    def _free(self, w: Worker) -> None:
        lane = w.ln
        lane.running -= 1
        now = self.loop.now
        if w.human:
            rec = self.rec
            a, b = max(w.start, rec.t0), min(now, rec.t1)
            if b > a:
                rec.busy[w.lane] += self.cal.open_seconds(a, b)
        else:
            self.rec.busy_time(w.lane, w.start, now)
        w.job = None
        if w.on_duty:
            lane.idle.append(w)

    def _apply(self, task: Task, events: list | Replayed) -> None:
        if type(events) is Replayed:
            ops, ready, names = events.effects()
        else:
            ops, ready = effects(digest(events))
            names = None
        f = task.facts
        for op in ops:
            kind = op[0]
            if kind == "work":
                actor = op[1] if names is None or op[1] is None else names[op[1]]
                author = self.workers.get(actor or "")
                if author is not None and author.profile is not None:
                    new = inject(task.defects, author.profile, author.family, f.rounds > 0, self.rng_defects)
                    if new and self.loop.now >= self.rec.t0:
                        for d in new:
                            self.rec.injected[d.cls] += 1
            elif kind == "rework":
                reset = op[1]
                for j in [j for j in task.queued if j.gate in reset]:
                    self._kill(j)
                last = None if f.last_author is None else self.workers.get(task.ext[f.last_author])
                fix = last.profile.fix if last is not None and last.profile is not None else 1.0
                task.defects = rework(task.defects, fix, self.rng_defects)
            else:
                self._close(task, op[1], op[2])
                return
        statuses = f.statuses
        for g in ready:
            if statuses[g] == "ready":
                self._enqueue(task, g)

    def _moved(self, task: Task) -> None:
        """The task's state changed (a transition, an escalation): read its facts, and count the change (the
        eligibility answers kept in dispatch are per task and change)."""
        task.v += 1
        self.transitions.look(task)

    def _stalled(self, arg: tuple[Task, float]) -> None:
        task, since = arg
        if task.closed is None:
            self.rec.engine_calls += 1
            events = flow.escalate_if_stalled(self.cfg, task.state, self.loop.now - since)
            if events:
                fold(events, task.state)
                task.sig = None
                self._moved(task)
                self._apply(task, events)

    def _close(self, task: Task, outcome: str, kind: Any) -> None:
        now = self.loop.now
        task.closed = now
        self.closed_total += 1
        for j in list(task.queued):
            self._kill(j)
        del self.open[task.id]
        if self.finished is not None:
            self.finished.append(task)
        rec = self.rec
        rec.wip.add(now, -1)
        if rec.open_since.pop(task.id, None) is not None:
            rec.sojourn.append(now - task.created)
        if outcome == "done" and self.su is not None:
            self._standup_done_task(task)
        if now >= rec.t0:
            rec.outcomes[outcome] += 1
            if outcome == "done":
                rec.cycle.append(now - task.created)
                rec.cycle_by_tier[task.facts.tier].append(now - task.created)
                rec.rounds.append(task.facts.rounds)
                rec.done_by_stream[self.streams[task.stream].name] += 1
                for d in task.defects:
                    rec.escaped[d.cls] += 1
            elif outcome == "escalated":
                rec.escalations[kind] += 1
        if self.spec.workload.backlog:
            if now > task.created:
                self._new_task(None)
            else:  # closed the moment it opened (e.g. nobody eligible): do not spin
                self.loop.after(60.0, self._new_task, None)

    # ---- humans' working hours ----------------------------------------------------------------
    def _shift_start(self, w: Worker) -> None:
        w.on_duty = True
        lane = self.lanes[w.lane]
        if w.job is None:
            lane.idle.append(w)
        self.loop.at(self.cal.close_after(self.loop.now), self._shift_end, w)
        self._dispatch(lane)

    def _shift_end(self, w: Worker) -> None:
        w.on_duty = False
        lane = self.lanes[w.lane]
        if w in lane.idle:
            lane.idle.remove(w)
        self.loop.at(self.cal.next_open(self.loop.now), self._shift_start, w)

    # ---- run ----------------------------------------------------------------------------------
    def _sample(self, _arg=None) -> None:
        self.series.sample(self.loop.now, self.closed_total)
        self.loop.after(self.series.step, self._sample)

    def run(self, progress=None) -> dict:
        self.loop.at(self.series.step, self._sample)
        for w in self.workers.values():
            if w.human and not self.cal.always:
                self.loop.at(self.cal.next_open(0.0), self._shift_start, w)
        self._start_arrivals()
        self._standup_start()
        end = self.spec.duration
        # the cyclic collector waits for the run's end (ADR 0321): the run makes no reference cycles
        # (tests/sim/test_collector.py), while each full collection would scan the memo's and metrics' heap again.
        # What earlier runs left (a dropped World is cyclic garbage) is reclaimed first, or runs in a row (sweeps,
        # compares, replications) would keep every earlier one.
        collecting = gc.isenabled()
        if collecting:
            gc.collect()
        gc.disable()
        try:
            self.loop.run(end, progress)
        finally:
            if collecting:
                if not gc.get_freeze_count():  # (a caller's frozen objects stay frozen: no trick then)
                    # what the run made goes to the oldest generation as it is (no scan now: the next full
                    # collection, at the next run's start or later, looks at it once)
                    try:
                        gc.freeze()
                    finally:
                        gc.unfreeze()
                gc.enable()
        rec = self.rec
        for w in self.workers.values():
            if w.job is not None:
                if w.human:
                    a, b = max(w.start, rec.t0), end
                    if b > a:
                        rec.busy[w.lane] += self.cal.open_seconds(a, b)
                else:
                    rec.busy_time(w.lane, w.start, end)
        rec.wip.add(end, 0)
        for q in rec.queues.values():
            q.add(end, 0)
        standup = self._standup_summary(
            end
        )  # (adds the helpers' time still running to their lanes' busy time)
        lanes = {n: len(ln.members) for n, ln in self.lanes.items()}
        out = rec.summary(
            lanes=lanes,
            human_lanes={n for n, ln in self.lanes.items() if ln.human},
            open_seconds=self.cal.open_seconds,
            days=end,
        )
        out["events"] = self.loop.events - len(self.series.t)  # samples are not part of the org's work
        out["series"] = self.series.to_dict()
        out["engine_calls"] = rec.engine_calls
        out["open_at_end"] = len(self.open)
        if standup is not None:
            out["standup"] = standup
        return out
