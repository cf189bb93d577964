"""The dispatcher behind `org run`: config-driven routing of bus jobs to the built-in lane agents.

No model decides who does what. Each agent lane gets `lane.concurrency` workers; a worker offers the
lane's members in YAML order (rotating the starting member so work spreads across models) to the bus,
which hands out only a job that member is eligible for (separation of duties, cross-vendor, switches).
Between steps the worker re-checks the kill switches. A member whose provider is out of quota, or who
keeps failing, is benched for a while instead of spinning. Ctrl-C stops claiming, lets calls in flight
finish and submit, and gives back every lease not yet worked; a second Ctrl-C abandons the calls (their
leases are released too, or expire).

With `until_idle`, the run ends when no worker found anything to claim for a moment and no agent job
is leased anywhere (nothing is about to hand work on); what waits for humans stays waiting.

With `pipeline` (org run, org demo), the watcher also runs org's pipeline between claims: a repository
task's tests gate on its bound commit and the merge at done (org.workspaces.pipeline); a pipeline step that
did something counts as activity, so the run does not end while its results hand work on.

With `rooms` (org.agents.rooms, when bubblewrap works: ADR 0171) each claimed job's agent work runs in a
sandbox of its own; this dispatcher is org's side (claims, heartbeats, sweeps, the pipeline, the budget brake).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from org import telemetry
from org.agents.busport import open_agent_work, open_agent_work_by_lane
from org.agents.jobwork import JobOutcome, JobRunner, quietly
from org.agents.pacing import Stopped
from org.errors import Denied, NotFound, Paused

__all__ = ["RunOptions", "RunReport", "Dispatcher"]

PIPELINE_RETRY_S = 5.0  # a pipeline step that raised is tried again after this long
STOP_SLICE_S = 0.1  # how long an idle worker may take to notice that the run stopped
JOIN_S = 30.0  # how long a stopped run waits for its lanes' threads (a room ends within its grace, 5 s)


@dataclass
class RunOptions:
    lanes: tuple[str, ...] = ()  # agent lanes to serve; empty: every agent lane
    until_idle: bool = True
    idle_grace_s: float = 0.5
    lease_s: float = 300.0
    poll_s: float = 1.0  # longest wait between claim attempts while idle (wake-ups come sooner)
    max_jobs: int | None = None
    concurrency: int | None = None  # workers per lane; None: each lane's `concurrency` from its YAML
    pipeline: bool = False  # run org's pipeline (tests gates, merges) between claims (org run, org demo)


@dataclass
class RunReport:
    started: float = 0.0
    wall_s: float = 0.0
    stopped_by: str = ""
    jobs: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    by_lane: dict[str, int] = field(default_factory=dict)
    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    unpriced_calls: int = 0
    model_s: float = 0.0
    actions: list[dict] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)
    budget: list[str] = field(default_factory=list)
    benched: list[str] = field(default_factory=list)
    pacer: dict = field(default_factory=dict)
    elapsed_s: list[float] = field(default_factory=list)  # per job: claim to submission, minus model time

    def add(self, o: JobOutcome) -> None:
        self.jobs += 1
        self.outcomes[o.status] = self.outcomes.get(o.status, 0) + 1
        self.by_lane[o.lane] = self.by_lane.get(o.lane, 0) + 1
        self.calls += o.calls
        self.tokens_in += o.tokens_in
        self.tokens_out += o.tokens_out
        self.cost_usd += o.cost_usd
        self.unpriced_calls += o.unpriced
        self.model_s += o.model_s
        self.actions += [{**a, "task": o.task, "actor": o.actor} for a in o.actions]
        self.budget += o.budget
        if o.status in ("failed", "refused") or (o.status == "released" and o.failure):
            self.failures.append(
                {
                    "job": o.job,
                    "task": o.task,
                    "gate": o.gate,
                    "actor": o.actor,
                    "status": o.status,
                    "detail": o.detail,
                }
            )

    def to_json(self) -> dict:
        return dict(self.__dict__)


class Dispatcher:
    """Runs the agent lanes against the bus until idle or stopped."""

    def __init__(
        self,
        cfg: Any,
        open_port: Callable[[], Any],
        runner: JobRunner,
        options: RunOptions | None = None,
        on_job: Callable[[JobOutcome], None] | None = None,
        pipeline: Callable[[], list[dict]] | None = None,
        rooms: Any = None,
    ) -> None:
        self.cfg = cfg
        self.rooms = rooms  # org.agents.rooms.Rooms: each job's work in a sandbox of its own (None: here)
        self.pipeline = pipeline  # org's pipeline once over everything waiting for it; what it did
        self.open_port = open_port
        self.runner = runner
        self.opts = options or RunOptions()
        self.on_job = on_job or (lambda _o: None)
        self.stop_event = runner.pacer.stop  # one event stops claims and every paced wait
        self.report = RunReport()
        self._lock = threading.Lock()
        self._busy = 0
        self._idle: dict[tuple[str, int], bool] = {}
        self._generation = 0
        self._rr: dict[str, int] = {}
        self._bench: dict[str, tuple[float, str]] = {}  # actor -> (until, why)
        self._inflight: dict[int, tuple[Any, str]] = {}  # job -> (claim, actor)
        self._claim_locks: dict[str, threading.Lock] = {}
        self._empty: dict[str, tuple[float, int]] = {}  # lane -> (when a pass found nothing, generation)
        self._pipe_failed = 0  # the pipeline's steps that raised in a row (one: its retry is awaited)
        self._pipe_said: str | None = None  # the pipeline's trouble last said (said once until a success)
        self.lanes = [
            n
            for n, lane in cfg.lanes.items()
            if lane.kind == "agent" and (not self.opts.lanes or n in self.opts.lanes)
        ]

    # -- control -----------------------------------------------------------------------------------
    def stop(self, why: str = "signal") -> None:
        if not self.report.stopped_by:
            self.report.stopped_by = why
        self.stop_event.set()

    def run(self) -> RunReport:
        """Work until idle or stopped. In the main thread, Ctrl-C (and SIGTERM, which the supervisor passes on
        as it does Ctrl-C) is taken over for the run: the first stops claiming and lets calls in flight finish,
        the second abandons them. Either way the jobs in flight are released with the reason (a SIGTERM left
        to Python's default killed the agent host with its jobs leased)."""
        import signal

        olds: dict[int, Any] = {}
        if threading.current_thread() is threading.main_thread():

            def on_signal(_signum: int, _frame: Any) -> None:
                if self.stop_event.is_set():
                    raise KeyboardInterrupt
                self.stop("signal")
                self.runner.note(
                    "stop",
                    "stopping: no new claims; calls in flight finish and submit "
                    "(Ctrl-C again to abandon them)",
                )

            olds = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            return self._run()
        finally:
            for s, h in olds.items():
                signal.signal(s, h)

    def _run(self) -> RunReport:
        telemetry.prepare()  # the exporter set up before the first claim, not inside the first jobs
        self.report.started = time.time()
        t0 = time.monotonic()
        threads = []
        for lane in self.lanes:
            for i in range(self.opts.concurrency or self.cfg.lanes[lane].concurrency or 1):
                self._idle[(lane, i)] = False
                t = threading.Thread(target=self._worker, args=(lane, i), name=f"org-{lane}-{i}", daemon=True)
                threads.append(t)
        beat = threading.Thread(target=self._heartbeats, name="org-heartbeat", daemon=True)
        try:
            for t in threads:
                t.start()
            beat.start()
            self._watch()
        except KeyboardInterrupt:
            self.report.stopped_by = "abandoned"
        self.stop(self.report.stopped_by or "signal")
        try:
            # bounded: a job's room is ended on stop (org.agents.rooms: SIGTERM, SIGKILL after its grace), a
            # thread still working past JOIN_S is left to _release_inflight (its job released with why)
            end = time.monotonic() + JOIN_S
            for t in threads:
                if t.is_alive():
                    t.join(timeout=max(0.1, end - time.monotonic()))
            for t in threads:
                if t.is_alive():
                    self.runner.note(
                        "error", f"{t.name} did not end within {JOIN_S:g} s of the stop; its job is released"
                    )
            if beat.is_alive():
                beat.join(timeout=5)
        except KeyboardInterrupt:
            self.report.stopped_by = "abandoned"
        self._release_inflight("the dispatcher stopped before this job was finished")
        if self.rooms is not None:
            self.rooms.close()
        self.report.wall_s = time.monotonic() - t0
        self.report.pacer = self.runner.pacer.stats.to_json()
        self.report.benched = [f"{a}: {why}" for a, (_u, why) in self._bench.items()]
        return self.report

    def _watch(self) -> None:
        port = self.open_port()
        try:
            quiet_since: float | None = None
            last_sweep = time.monotonic()
            pipe_after = 0.0
            while not self.stop_event.wait(0.1):
                if time.monotonic() - last_sweep > 30:
                    last_sweep = time.monotonic()
                    port.run_call("sweep")
                if self.pipeline is not None and time.monotonic() >= pipe_after:
                    did, pipe_after = self._pipeline_step()
                    if did:
                        quiet_since = None
                        continue
                if self.opts.max_jobs is not None and self.report.jobs >= self.opts.max_jobs:
                    self.stop("max_jobs")
                    break
                if not self.opts.until_idle:
                    continue
                if self._pipe_failed == 1:  # its retry may still do the work (a merge): not idle until then
                    quiet_since = None
                    continue
                with self._lock:
                    idle = self._busy == 0 and all(self._idle.values())
                    gen = self._generation
                if not idle:
                    quiet_since = None
                    continue
                if quiet_since is None:
                    quiet_since, quiet_gen = time.monotonic(), gen
                    continue
                if gen != quiet_gen:
                    quiet_since = None
                    continue
                if self._nothing_claimable(port, gen):
                    self.stop("idle")
                    break
                if time.monotonic() - quiet_since >= self.opts.idle_grace_s:
                    _queued, leased = open_agent_work(port, self.lanes)
                    if leased == 0:
                        self.stop("idle")
                        break
                    quiet_since = time.monotonic()
        finally:
            port.close()

    def _pipeline_step(self) -> tuple[bool, float]:
        """(did it do anything, when to try next). Trouble (git, a required sandbox missing) is said once per
        message and tried again after a pause; it never stops the run."""
        assert self.pipeline is not None
        try:
            done = self.pipeline()
        except Exception as exc:
            why = f"org's pipeline: {type(exc).__name__}: {getattr(exc, 'message', None) or exc}"[:400]
            if why != self._pipe_said:
                self._pipe_said = why
                self.runner.note("error", why)
            self._pipe_failed += 1
            return False, time.monotonic() + PIPELINE_RETRY_S
        self._pipe_failed = 0
        self._pipe_said = None  # the same trouble coming back later is said again
        if done:
            with self._lock:
                self._generation += 1
        return bool(done), 0.0

    def _nothing_claimable(self, port: Any, gen: int) -> bool:
        """True when this run can claim nothing: no agent job is leased anywhere, and every lane with queued
        work made an empty claim pass that began after the last job here finished (generation `gen`): only a
        job finishing here (which bumps the generation) or another process hands work on. The run then ends
        at once instead of after `idle_grace_s` (issue 20)."""
        with self._lock:
            looked = {lane for lane, (_t, g) in self._empty.items() if g == gen}
        for lane, (queued, leased) in open_agent_work_by_lane(port, self.lanes).items():
            if leased or (queued and lane not in looked):
                return False
        with self._lock:
            return self._generation == gen and self._busy == 0

    # -- workers -----------------------------------------------------------------------------------
    def _worker(self, lane: str, idx: int) -> None:
        port = self.open_port()
        wait = 0.05
        try:
            trouble = 0
            while not self.stop_event.is_set():
                t_claim = time.perf_counter()
                try:
                    got = self._claim(port, lane)
                    trouble = 0
                except Exception as exc:  # the bus is unreachable or broken: say so, back off, keep going
                    trouble += 1
                    self.runner.note(
                        "error", f"{lane} worker could not claim ({type(exc).__name__}: {exc})"[:300]
                    )
                    self.stop_event.wait(min(10.0, 0.5 * 2 ** min(trouble, 5)))
                    if trouble >= 8:
                        self.stop("error")
                    continue
                if got is None:
                    with self._lock:
                        self._idle[(lane, idx)] = True
                    self._wait_for_work(port, lane, wait)
                    wait = min(self.opts.poll_s, wait * 2)
                    continue
                wait = 0.05
                claim, actor = got
                with self._lock:
                    self._idle[(lane, idx)] = False
                    self._busy += 1
                    self._inflight[claim.job] = (claim, actor)
                try:
                    with telemetry.job_span(claim, actor, **self._span_args(actor)) as span:
                        o = self._handle(port, claim, actor)
                        span.outcome(o)
                finally:
                    with self._lock:
                        self._busy -= 1
                        self._generation += 1
                        self._inflight.pop(claim.job, None)
                if o is not None:
                    o.elapsed_s = time.perf_counter() - t_claim
                    with self._lock:
                        self.report.add(o)
                        self.report.elapsed_s.append(o.elapsed_s - o.model_s)
                    self._after(o)
                    self.on_job(o)
        finally:
            with self._lock:
                self._idle[(lane, idx)] = True
            port.close()

    def _span_args(self, actor: str) -> dict:
        """The model and the redaction of a job's span (org.telemetry; only when tracing is on)."""
        if not telemetry.enabled():
            return {}
        ep = self.runner.endpoints.get(actor)
        redact = None
        if telemetry.capture_content():  # tool content in spans is scrubbed like events' data
            from org.bus import Redactor

            redact = Redactor.for_credentials(getattr(self.cfg, "credentials", None)).value
        return {"model": getattr(ep, "model", None), "redact": redact}

    def _wait_for_work(self, port: Any, lane: str, seconds: float) -> None:
        """Until work may have appeared in the lane or `seconds` passed, in short slices so that a stopped run
        does not wait out an idle worker's whole poll (the run's exit joins every worker; issue 20)."""
        end = time.monotonic() + seconds
        while not self.stop_event.is_set():
            left = end - time.monotonic()
            if left <= 0 or port.run_call("wait_for_work", {lane}, min(left, STOP_SLICE_S)):
                return

    def _claim(self, port: Any, lane_name: str) -> tuple[Any, str] | None:
        """One pass over the lane's members. Passes of one lane take turns, and a pass that found nothing
        spares the lane's other workers for a moment unless this dispatcher handed work on since: idle
        workers woken together do not all hammer the database with the same empty claims."""
        with self._lock:
            lock = self._claim_locks.setdefault(lane_name, threading.Lock())
        with lock:
            with self._lock:
                gen = self._generation
            mark = self._empty.get(lane_name)
            if mark is not None and mark[1] == gen and time.monotonic() - mark[0] < 0.05:
                return None
            got = self._claim_pass(port, lane_name)
            if got is None:
                self._empty[lane_name] = (time.monotonic(), gen)
            else:
                self._empty.pop(lane_name, None)
            return got

    def _claim_pass(self, port: Any, lane_name: str) -> tuple[Any, str] | None:
        lane = self.cfg.lanes[lane_name]
        members = [m.id for m in lane.members]
        with self._lock:
            start = self._rr.get(lane_name, 0)
            self._rr[lane_name] = start + 1
        now = time.monotonic()
        for i in range(len(members)):
            actor = members[(start + i) % len(members)]
            until = self._bench.get(actor)
            if until is not None and until[0] > now:
                continue
            ep = self.runner.endpoints.get(actor)
            if ep is None or self.runner.pacer.store.blocked(ep.budget_key, time.time()) is not None:
                continue
            if self.stop_event.is_set():
                return None
            try:
                claim, _job_token = port.door.claim(
                    port.token(actor), lane_name, actor, lease_seconds=self.opts.lease_s
                )
                return claim, actor
            except NotFound:  # nothing this member may take
                continue
            except Denied:  # e.g. the member's token was revoked: the others may still work
                continue
            except (
                Paused
            ) as exc:  # the whole lane waits (its switch, everything, or its tasks); or only this member
                if exc.detail.get("scope") in ("lane", "all", None):
                    return None
        return None

    def _handle(self, port: Any, claim: Any, actor: str) -> JobOutcome | None:
        try:
            if self.stop_event.is_set():
                quietly(port.door.release, claim.token, claim.job, reason="the dispatcher is stopping")
                return JobOutcome(
                    claim.job,
                    claim.task,
                    claim.gate,
                    claim.lane,
                    actor,
                    "released",
                    detail="the dispatcher is stopping",
                )
            if self.rooms is not None:
                return self.rooms.run(self.runner, port, claim, actor, self.stop_event)
            return self.runner.run(port, claim, actor, self.stop_event)
        except Stopped:
            quietly(
                port.door.release,
                claim.token,
                claim.job,
                reason="the dispatcher stopped while the call waited for its rate budget",
            )
            return JobOutcome(
                claim.job, claim.task, claim.gate, claim.lane, actor, "released", detail="stopped"
            )
        except Exception as exc:  # a bug must not take the dispatcher down; the job goes back to the queue
            why = f"internal error in the dispatcher ({type(exc).__name__}: {exc}); the job was released"
            quietly(port.door.release, claim.token, claim.job, reason=why[:300])
            self.runner.note("error", why)
            return JobOutcome(
                claim.job, claim.task, claim.gate, claim.lane, actor, "released", detail=why, failure="error"
            )

    def _after(self, o: JobOutcome) -> None:
        """Bench a member whose calls keep failing, so no lane spins on a broken provider or key; stop the run
        when its model gateway is gone (no member could call a model: claiming on would only give jobs back)."""
        if o.failure == "gateway_gone":
            self.runner.note("error", f"the run stops: {o.detail}"[:300])
            self.stop("gateway_gone")
            return
        bench = {
            "auth": (3600.0, "its provider refused the credentials"),
            "error": (60.0, "its calls fail"),
            "unavailable": (30.0, "its provider is unavailable"),
            "rate_limited": (5.0, "its rate budget is booked"),
            "quota_exhausted": (0.0, ""),
        }
        if o.failure in bench and bench[o.failure][0] > 0:
            secs, why = bench[o.failure]
            with self._lock:
                self._bench[o.actor] = (time.monotonic() + secs, f"{why} ({o.detail[:120]})")
            self.runner.note("bench", f"{o.actor} sits out {secs:.0f}s: {why}")

    def _heartbeats(self) -> None:
        port = None
        try:
            every = max(1.0, self.opts.lease_s / 3)
            while not self.stop_event.wait(every):
                with self._lock:
                    jobs = list(self._inflight.values())
                if not jobs:
                    continue
                port = port or self.open_port()
                for claim, _actor in jobs:
                    quietly(port.door.heartbeat, claim.token, claim.job, lease_seconds=self.opts.lease_s)
        finally:
            if port is not None:
                port.close()

    def _release_inflight(self, why: str) -> None:
        with self._lock:
            jobs = list(self._inflight.values())
            self._inflight.clear()
        if not jobs:
            return
        port = self.open_port()
        try:
            for claim, _actor in jobs:
                quietly(port.door.release, claim.token, claim.job, reason=why)
        finally:
            port.close()
