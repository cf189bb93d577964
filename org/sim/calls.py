"""Model calls under the rate budget: the paced dispatcher's reservations, naive sends with 429s and
backoff, prices, and dropping a job whose calls keep failing. A mixin of World (the hot path)."""

from __future__ import annotations

from heapq import heappush

from org.sim.entities import Job, Worker
from org.sim.pacing import backoff

__all__ = ["ModelCalls"]


class ModelCalls:
    """World's model-call methods; they use World's loop, rec, lanes, retry and paced settings."""

    def _call(self, w: Worker) -> None:
        """One model call: draw its tokens, then ask the rate budget (the hot path: kept flat)."""
        b = w.bucket
        loop = self.loop
        now = loop.now
        if b is not None and self.paced:
            tokens = round(w.kp.tokens(w.rng))  # (w.tokens and w.attempt are read on the other paths only)
            wait = b.reserve(now, tokens)
            sent = now + wait
            usd = w.usd_call + tokens * w.usd_token
            w.job.task.spent += usd
            rec = self.rec
            if rec.t0 <= sent <= rec.t1:
                s = w.stats
                s.calls += 1
                s.tokens += tokens
                s.usd += usd
                rec.usd += usd
            if now >= rec.t0:
                w.stats.stall += wait
            w.calls_left -= 1  # (_then, inlined on the hot path)
            loop._seq += 1
            heappush(loop._heap, (sent + w.seg, loop._seq, self._call if w.calls_left else self._complete, w))
        elif b is None:
            w.tokens, w.attempt = round(w.kp.tokens(w.rng)), 0
            self._charge(w, now)
            loop.at(now + w.seg, self._then(w), w)
        else:
            w.tokens, w.attempt = round(w.kp.tokens(w.rng)), 0
            self._attempt(w)

    def _attempt(self, w: Worker) -> None:
        """Naive dispatch: send now; a 429 costs its latency and a backoff, then the call is retried."""
        now = self.loop.now
        b = w.bucket
        stats = w.stats
        inside = now >= self.rec.t0
        on429 = w.pool.on_429
        if b.try_take(now, w.tokens, on429.counts):
            self._charge(w, now)
            self.loop.at(now + w.seg, self._then(w), w)
            return
        w.attempt += 1
        w.job.task.spent += on429.usd
        if inside:
            stats.rejected += 1
            stats.usd += on429.usd
            self.rec.usd += on429.usd
        r = self.retry
        if w.attempt >= r.max_attempts:
            if inside:
                stats.gave_up += 1
            self.loop.at(now + on429.latency, self._give_up, w)
            return
        if inside:
            stats.retries += 1
        u = w.rng.random() if r.jitter == "full" else None
        self.loop.at(now + on429.latency + backoff(w.attempt, r.base, r.cap, u), self._attempt, w)

    def _charge(self, w: Worker, sent: float) -> None:
        """Price a call that goes out at `sent`; the window counts it if it goes out inside."""
        pool = w.pool
        if pool is None:
            return
        usd = w.usd_call + w.tokens * w.usd_token
        w.job.task.spent += usd
        if self.rec.t0 <= sent <= self.rec.t1:
            s = w.stats
            s.calls += 1
            s.tokens += w.tokens
            s.usd += usd
            self.rec.usd += usd

    def _then(self, w: Worker):
        """What runs when the call just sent finishes: the job's next call, or its completion after the last
        (counted down here, once per call that goes out, so the finishing event needs no step between)."""
        w.calls_left -= 1
        return self._call if w.calls_left else self._complete

    def _give_up(self, w: Worker) -> None:
        """The call failed too often: the job is dropped and goes back to the front of the queue."""
        job = w.job
        self._free(w)
        task = job.task
        if task.closed is None and task.facts.statuses[job.gate] == "ready":
            self._queue(Job(job.key, task, job.gate, job.kind, job.lane, job.ready_at))
        self._dispatch(self.lanes[w.lane])
