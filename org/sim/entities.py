"""The simulation's moving parts: tasks, the jobs their gates post, workers (agents and humans), lanes."""

from __future__ import annotations

import random
from typing import Any

from org.engine.state import TaskState, fold
from org.sim.transitions import Replayed

__all__ = ["Task", "Job", "Worker", "Lane"]


class Task:
    __slots__ = (
        "id",
        "n",
        "stream",
        "created",
        "workflow",
        "_st",
        "pending",
        "spent",
        "queued",
        "defects",
        "closed",
        "sig",
        "names",
        "facts",
        "ext",
        "v",
    )

    def __init__(self, id_: str, n: int, stream: int, created: float, workflow: str) -> None:
        self.id, self.n, self.stream, self.created, self.workflow = id_, n, stream, created, workflow
        self._st: TaskState | None = None
        self.pending: list[Replayed] = []  # answers the memo replayed, not folded yet (ADR 0305)
        self.spent = 0.0
        self.queued: list[Job] = []
        self.defects: list = []
        self.closed: float | None = None
        self.sig: int | None = None  # the state's shape in the transition memo (None: not known)
        self.names: list[str] = [id_]  # the identities the shape's placeholders stand for
        self.facts = None  # what the simulator reads of the state (transitions.Facts), by position in `ext`
        self.ext: list[str] = self.names
        self.v = 0  # counts the state's changes: eligibility answers are kept per (task, v)

    @property
    def state(self) -> TaskState:
        """The engine's state of the task: the events replayed since it was last read are folded in now, by the
        engine's own fold (the task owns its state: nobody else holds it)."""
        if self.pending:
            st = self._st
            for replayed in self.pending:
                st = fold(replayed.events(), st)
            self._st, self.pending = st, []
        assert self._st is not None
        return self._st

    @state.setter
    def state(self, st: TaskState) -> None:
        self._st, self.pending = st, []


class Job:
    """A gate's job waiting in its lane. Lanes offer jobs oldest task first (FIFO by arrival): a
    lane's queue holds (task number, job number, job) entries in order."""

    __slots__ = ("key", "task", "gate", "kind", "lane", "ready_at")

    def __init__(
        self, key: tuple[int, int], task: Task, gate: str, kind: str, lane: str, ready_at: float
    ) -> None:
        self.key, self.task, self.gate, self.kind, self.lane, self.ready_at = (
            key,
            task,
            gate,
            kind,
            lane,
            ready_at,
        )


class Worker:
    __slots__ = (
        "id",
        "lane",
        "family",
        "model",
        "human",
        "profile",
        "rng",
        "bucket",
        "pool",
        "stats",
        "job",
        "start",
        "calls_left",
        "seg",
        "kp",
        "tokens",
        "attempt",
        "rev",
        "on_duty",
        "usd_call",
        "usd_token",
        "ln",
    )

    def __init__(self, actor, rng: random.Random) -> None:
        self.id, self.lane, self.model, self.human = actor.id, actor.lane, actor.model, actor.is_human
        self.family = actor.family or "human"
        self.rng = rng
        self.profile = self.bucket = self.pool = self.stats = self.job = self.kp = self.rev = None
        self.start = self.seg = self.tokens = self.usd_call = self.usd_token = 0.0
        self.calls_left = self.attempt = 0
        self.on_duty = True
        self.ln: Any = None  # its Lane (set by the world: the hot path reads it without a look-up)


class Lane:
    __slots__ = ("name", "human", "cap", "queue", "idle", "running", "members", "ids", "stat")

    def __init__(self, name: str, human: bool, cap: int | None) -> None:
        self.name, self.human, self.cap = name, human, cap if cap else 1 << 30
        self.queue: list[tuple[int, int, Job]] = []  # sorted by (task number, job number)
        self.running = 0
        self.idle: list[Worker] = []
        self.members: list[Worker] = []
        self.ids: tuple[str, ...] = ()  # the members' ids, in order
        self.stat: Any = (
            None  # the recorder's queue-length integral (metrics._Integral), set at the first job queued
        )
