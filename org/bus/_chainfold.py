"""What the chain says the switches, tokens and jobs tables hold, folded per range of the log and merged in order.

`audit verify` compares those tables with the chain (ADR 0113, 0165, 0166, 0210). Folding is done by the same
worker processes that walk the chain's ranges (ADR 0260): each range folds its job events into "last event
wins" dicts, kept only for the jobs and tokens that have a row to compare, and hands back its switch and token
events, which the caller replays in seq order after merging the ranges (their effect depends on what came
before them). A job event is decoded only when a row could be compared with it: its body's `"job":N` (and a
claim's `"job_token":"ID"`) are read from the canonical bytes first, and anything not plainly a number (or a
string) is decoded. Kept free of heavy imports: it runs in the walk's worker processes.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["FOLDED", "JOB_STATUS", "RangeFold", "Folded", "merge"]

RARE = ("switch.paused", "switch.resumed", "token.issued", "token.fingerprint", "token.revoked")
# the status each event leaves a job in (job.posted/jobs.posted: queued; job.claimed: leased)
JOB_STATUS = {
    "job.submitted": "done",
    "job.released": "queued",
    "job.requeued": "queued",
    "job.retried": "queued",
    "job.dead": "dead",
    "job.failed": "dead",
    "job.cancelled": "cancelled",
}
FOLDED = frozenset((*RARE, "job.posted", "jobs.posted", "job.claimed", "job.lease", *JOB_STATUS))
_SKIPPABLE = frozenset(("job.posted", "job.claimed", "job.lease", *JOB_STATUS))  # keyed by the event's job
_ALWAYS = FOLDED - _SKIPPABLE  # switch and token events, jobs.posted (its ranges)
_JOB = re.compile(rb'"job":([^,}\]]*)')
_JOB_TOKEN = re.compile(rb'"job_token":([^,}\]]*)')
_INT = re.compile(rb"-?[0-9]+")
_PLAIN = re.compile(rb'"[^"\\]*"')

Said = tuple[int, dict]


def _decode(body: bytes) -> dict:
    return json.loads(body[body.index(b"\x1e") + 1 :].decode("utf-8"))


class RangeFold:
    """The fold of one range of the log: job dicts (last event wins, only the wanted keys) and its rare events."""

    def __init__(self, jobs_wanted: frozenset, tokens_wanted: frozenset) -> None:
        self.jobs_wanted, self.tokens_wanted = jobs_wanted, tokens_wanted
        self.jobs: dict[Any, Said] = {}
        self.status: dict[Any, tuple[int, str]] = {}
        self.claims: dict[Any, Said] = {}
        self.lease: dict[Any, Said] = {}
        self.job_tokens: dict[Any, Said] = {}
        self.rare: list[tuple[int, dict]] = []

    def _wanted(self, type_: str, body: bytes) -> bool:
        """Could this job event say anything about a row that exists? False only when its bytes prove not."""
        for value in _JOB.findall(body):
            if not _INT.fullmatch(value) or int(value) in self.jobs_wanted:
                return True
        if type_ == "job.claimed":
            for value in _JOB_TOKEN.findall(body):
                if value == b"null":
                    continue
                if not _PLAIN.fullmatch(value) or value[1:-1].decode("utf-8") in self.tokens_wanted:
                    return True
        return False

    def add(self, seq: int, type_: str, body: bytes) -> None:
        if type_ not in FOLDED:
            return
        if type_ in _SKIPPABLE and not self._wanted(type_, body):
            return
        self.event(seq, _decode(body))

    def add_rows(self, at: int, types: tuple, bodies: tuple) -> None:
        """Rows at seq at, at + 1, ...: the walk's batch. With no job or token row at all, no job event can be
        compared with anything and none is read."""
        if not (self.jobs_wanted or self.tokens_wanted):
            for i, type_ in enumerate(types):
                if type_ in _ALWAYS:
                    self.event(at + i, _decode(bodies[i]))
            return
        for i, type_ in enumerate(types):
            if type_ in _ALWAYS or (type_ in _SKIPPABLE and self._wanted(type_, bodies[i])):
                self.event(at + i, _decode(bodies[i]))

    def event(self, seq: int, ev: dict) -> None:
        data, t = ev.get("data") or {}, ev.get("type")
        if t in RARE:
            self.rare.append((seq, ev))
        elif t == "job.posted":
            job = ev.get("job")
            self.jobs[job] = (
                seq,
                {
                    "task": ev.get("task"),
                    "gate": ev.get("gate"),
                    "lane": ev.get("lane"),
                    "kind": data.get("kind"),
                },
            )
            self.status[job] = (seq, "queued")
        elif t == "jobs.posted":
            for lo, hi in data.get("ranges") or ():
                for jid in range(int(lo), int(hi) + 1):
                    self.jobs[jid] = (
                        seq,
                        {"task": None, "gate": None, "lane": ev.get("lane"), "kind": "plain"},
                    )
                    self.status[jid] = (seq, "queued")
        elif t == "job.claimed":
            job = ev.get("job")
            self.claims[job] = (seq, {"leased_by": ev.get("actor"), "fence": data.get("fence")})
            self.status[job] = (seq, "leased")
            self.lease[job] = (seq, {"lease_seconds": data.get("lease_seconds")})
            if data.get("job_token") is not None:
                auth = ev.get("auth") or {}
                self.job_tokens[data["job_token"]] = (
                    seq,
                    {
                        "kind": "job",
                        "principal": ev.get("actor"),
                        "principal_kind": auth.get("kind"),
                        "created_by": auth.get("token"),
                        "job": job,
                        "fence": data.get("fence"),
                        "task": ev.get("task"),
                        "gate": ev.get("gate"),
                        "lane": ev.get("lane"),
                        "expires_at": data.get("expires"),
                        "revoked": False,
                        "fingerprint": data.get("job_token_fingerprint"),
                    },
                )
        elif t == "job.lease":
            self.lease[ev.get("job")] = (seq, {"lease_seconds": data.get("lease_seconds")})
        elif t in JOB_STATUS:
            self.status[ev.get("job")] = (seq, JOB_STATUS[t])

    def result(self) -> tuple:
        """What a worker process hands back (picklable): only the wanted keys."""
        jw, tw = self.jobs_wanted, self.tokens_wanted

        def keep(d: dict, wanted: frozenset) -> dict:
            return {k: v for k, v in d.items() if k in wanted}

        return (
            keep(self.jobs, jw),
            keep(self.status, jw),
            keep(self.claims, jw),
            keep(self.lease, jw),
            keep(self.job_tokens, tw),
            self.rare,
        )


class Folded:
    """The whole log's fold: what verify compares each table row with."""

    def __init__(self) -> None:
        self.switches: dict[Any, Said] = {}
        self.tokens: dict[Any, Said] = {}
        self.jobs: dict[Any, Said] = {}
        self.status: dict[Any, tuple[int, str]] = {}
        self.claims: dict[Any, Said] = {}
        self.lease: dict[Any, Said] = {}
        self.job_tokens: dict[Any, Said] = {}


def merge(parts: list[tuple]) -> Folded:
    """Merge range results given in seq order: later ranges win per key; then replay the switch and token events
    in seq order. A job token exists for a token event at seq s only if the claim that made it is before s."""
    out = Folded()
    rare: list[tuple[int, dict]] = []
    for jobs, status, claims, lease, job_tokens, events in parts:
        out.jobs.update(jobs)
        out.status.update(status)
        out.claims.update(claims)
        out.lease.update(lease)
        out.job_tokens.update(job_tokens)
        rare += events
    switches, tokens, job_tokens = out.switches, out.tokens, out.job_tokens

    def job_token_at(tid: Any, seq: int) -> bool:
        return tid in job_tokens and job_tokens[tid][0] < seq

    for seq, ev in rare:
        data, t = ev.get("data") or {}, ev.get("type")
        if t == "switch.paused":
            sid = data.get("switch")
            switches[sid] = (seq, {"scope": data.get("scope"), "target": data.get("target"), "active": True})
        elif t == "switch.resumed" and data.get("switch") in switches:
            switches[data["switch"]] = (seq, {**switches[data["switch"]][1], "active": False})
        elif t == "token.issued":
            tokens[data.get("token_id")] = (
                seq,
                {
                    "kind": "principal",
                    "principal": data.get("principal"),
                    "principal_kind": data.get("principal_kind"),
                    "created_by": ev.get("actor"),
                    "expires_at": data.get("expires_at"),
                    "revoked": False,
                    "fingerprint": data.get("fingerprint"),
                },
            )
        elif t == "token.fingerprint":  # the schema 5 upgrade's, for a token made before fingerprints
            tid = data.get("token_id")
            if tid in tokens and tokens[tid][1].get("fingerprint") is None:
                tokens[tid] = (seq, {**tokens[tid][1], "fingerprint": data.get("fingerprint")})
            if job_token_at(tid, seq) and job_tokens[tid][1].get("fingerprint") is None:
                job_tokens[tid] = (seq, {**job_tokens[tid][1], "fingerprint": data.get("fingerprint")})
        elif t == "token.revoked":
            tid = data.get("token_id")
            if tid in tokens:
                tokens[tid] = (seq, {**tokens[tid][1], "revoked": True})
            elif job_token_at(tid, seq):
                job_tokens[tid] = (seq, {**job_tokens[tid][1], "revoked": True})
    return out
