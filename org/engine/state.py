"""Task state as a fold over events. Events are plain data; the fold is pure and total."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Event",
    "GateState",
    "Review",
    "TaskState",
    "fold",
    "EVENT_TYPES",
    "BEHIND_TYPES",
    "GateStatus",
    "TaskStatus",
]

GateStatus = Literal["pending", "ready", "passed", "failed", "skipped"]
TaskStatus = Literal["active", "done", "escalated", "rejected"]

_BOUND = object()  # counting_reviews default: the revision the gate was bound to

EVENT_TYPES = (
    "task.created",
    "gate.ready",
    "gate.skipped",
    "work.submitted",
    "review.filed",
    "approval.granted",
    "approval.rejected",
    "approval.changes_requested",
    "gate.passed",
    "gate.failed",
    "rework.started",
    "task.escalated",
    "task.done",
    "task.rejected",
    "task.resumed",
    "task.tier_raised",
)

# The events that carry "behind" (ADR 0111): the people behind the token of the principal who filed, worked,
# reviewed or decided; the fold counts them as authors (filing, work) or refuses them as reviewers.
BEHIND_TYPES = frozenset(
    (
        "task.created",
        "work.submitted",
        "review.filed",
        "approval.granted",
        "approval.rejected",
        "approval.changes_requested",
    )
)


@dataclass(frozen=True)
class Event:
    """One fact about a task. `data` holds only JSON-able values."""

    type: str
    task: str
    data: dict[str, Any] = field(default_factory=dict)
    actor: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "task": self.task, "actor": self.actor, "data": self.data}


@dataclass(frozen=True)
class Review:
    actor: str
    family: str
    verdict: str  # pass | fail | changes (reviews); approve | reject | changes (approvals)
    revision: str | None
    counts: bool
    why: str
    cross_vendor: bool = False  # filed at a cross-vendor gate: the family must differ from every author's
    behind: tuple[str, ...] = ()  # the people behind the reviewer's token (ADR 0111): none may be an author


@dataclass
class GateState:
    """A gate as the events left it. Never changed once made: fold replaces a gate's state with a new
    one (so copies of a task state share gate states safely)."""

    status: GateStatus = "pending"
    reason: str = ""
    revision: str | None = None  # revision the gate passed on
    reviews: list[Review] = field(default_factory=list)
    bound: str | None = (
        None  # the revision this gate reviews: the latest work upstream of it when it got ready
    )

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "revision": self.revision,
            "bound": self.bound,
            "reviews": [r.__dict__ for r in self.reviews],
        }


@dataclass
class TaskState:
    id: str
    workflow: str = ""
    title: str = ""
    tier: str = ""
    config_hash: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    created_by: str | None = None
    filed_behind: tuple[str, ...] = ()  # the people behind the filer's token (ADR 0111)
    status: TaskStatus = "active"
    gates: dict[str, GateState] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    revision: str | None = None
    revisions: list[tuple[str, str, str, str]] = field(
        default_factory=list
    )  # (revision, gate, actor, family)
    authors: set[str] = field(default_factory=set)
    author_families: set[str] = field(default_factory=set)
    rounds: int = 0
    escalation: str | None = None
    events: int = 0
    unpriced_accepted: int = 0  # unpriced model calls a human accepted by resuming the task (ADR 0051)
    paths: tuple[
        str, ...
    ] = ()  # the paths the newest revision changes (repository tasks; org read them from git)

    @property
    def open(self) -> bool:
        return self.status == "active"

    def ready_gates(self) -> list[str]:
        return [g for g, s in self.gates.items() if s.status == "ready"]

    def counting_reviews(self, gate: str, revision: Any = _BOUND) -> list[Review]:
        """Reviews at `gate` that count now (re-checked against today's authors, not trusted from filing):
        pass/approve, on the revision the gate reviews (by default the one it was bound to when it got
        ready), by someone who is not an author of any revision; at a cross-vendor gate only from a
        family that differs from every author's and, for a quorum, one per family. One per reviewer."""
        gs = self.gates[gate]
        rev = gs.bound if revision is _BOUND else revision
        out: list[Review] = []
        actors: set[str] = set()
        families: set[str] = set()
        for r in gs.reviews:
            if not r.counts or r.revision != rev or r.verdict not in ("pass", "approve"):
                continue
            if r.actor in self.authors or r.actor in actors or not self.authors.isdisjoint(r.behind):
                continue
            if r.cross_vendor and (
                r.family in self.author_families or r.family in families or r.family in ("", "unknown")
            ):
                continue
            out.append(r)
            actors.add(r.actor)
            families.add(r.family)
        return out

    def copy(self) -> TaskState:
        """An independent copy for folding further events into (gate states and reviews are never
        changed once made, so they are shared; the containers fold changes are copied)."""
        new = object.__new__(self.__class__)
        d = new.__dict__
        d.update(self.__dict__)
        d["gates"] = dict(self.gates)
        d["attributes"] = dict(self.attributes)
        d["revisions"] = list(self.revisions)
        d["authors"] = set(self.authors)
        d["author_families"] = set(self.author_families)
        return new

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "workflow": self.workflow,
            "title": self.title,
            "tier": self.tier,
            "config_hash": self.config_hash,
            "attributes": self.attributes,
            "status": self.status,
            "revision": self.revision,
            "authors": sorted(self.authors),
            "author_families": sorted(self.author_families),
            "rounds": self.rounds,
            "escalation": self.escalation,
            **({"paths": list(self.paths)} if self.paths else {}),
            "required": list(self.required),
            "gates": {g: s.to_json() for g, s in self.gates.items()},
        }


_new = object.__new__


def fold(events: list[Event] | tuple[Event, ...], state: TaskState | None = None) -> TaskState:
    """Apply events in order. Unknown event types are ignored (forward compatible)."""
    for ev in events:
        state = _apply(state, ev)
    if state is None:
        raise ValueError("no events")
    return state


def _apply(s: TaskState | None, ev: Event) -> TaskState:
    d = ev.data
    t = ev.type
    if s is None or t == "task.created":
        if t != "task.created":
            raise ValueError(f"event {t} before task.created")
        s = TaskState(id=ev.task)
        s.workflow, s.title, s.tier = d["workflow"], d.get("title", ""), d["tier"]
        s.config_hash, s.attributes, s.created_by = d["config_hash"], dict(d.get("attributes", {})), ev.actor
        s.filed_behind = tuple(d.get("behind", ()))
        if (
            d.get("filer_may_approve") is False
        ):  # the two-person rule (ADR 0111): the filer counts as an author
            s.authors.update(x for x in (ev.actor, *s.filed_behind) if x)
        s.required = tuple(d.get("required", ()))
        s.gates = {g: GateState() for g in d["gates"]}
        s.events = 1
        return s
    s.events += 1
    # the most frequent types first (they exclude each other, so the order is free)
    # a gate's state is replaced, never changed: copies of this state may share the old one
    if t == "gate.ready":
        name = d["gate"]
        g = s.gates[name]
        s.gates[name] = GateState("ready", "", g.revision, g.reviews, d.get("revision", s.revision))
    elif t == "gate.passed":
        name = d["gate"]
        g = s.gates[name]
        s.gates[name] = GateState("passed", d.get("reason", ""), d.get("revision"), g.reviews, g.bound)
    elif t in ("review.filed", "approval.granted", "approval.rejected", "approval.changes_requested"):
        verdict = d.get("verdict") or ("approve" if t == "approval.granted" else "reject")
        # Review(...) without the frozen dataclass's per-field object.__setattr__: the same Review
        r = _new(Review)
        r.__dict__.update(
            actor=ev.actor or "",
            family=d.get("family") or "human",
            verdict=verdict,
            revision=d.get("revision"),
            counts=bool(d.get("counts")),
            why=d.get("why", ""),
            cross_vendor=bool(d.get("cross_vendor", False)),
        )
        if d.get(
            "behind"
        ):  # (only when someone is: the class default stands otherwise, and the JSON is as before)
            r.__dict__["behind"] = tuple(d["behind"])
        name = d["gate"]
        g = s.gates[name]
        s.gates[name] = GateState(g.status, g.reason, g.revision, [*g.reviews, r], g.bound)
    elif t == "work.submitted":
        s.revision = d["revision"]
        s.revisions.append((d["revision"], d["gate"], ev.actor or "", d.get("family", "")))
        s.authors.add(ev.actor or "")
        s.authors.update(d.get("behind", ()))  # whoever is behind the token that did the work (ADR 0111)
        s.author_families.add(d.get("family") or "human")
        if "paths" in d:
            s.paths = tuple(d["paths"])
    elif t == "gate.skipped":
        name = d["gate"]
        g = s.gates[name]
        s.gates[name] = GateState("skipped", d.get("reason", ""), g.revision, g.reviews, g.bound)
    elif t == "gate.failed":
        name = d["gate"]
        g = s.gates[name]
        s.gates[name] = GateState("failed", d.get("reason", ""), g.revision, g.reviews, g.bound)
    elif t == "rework.started":
        s.rounds = d["round"]
        for name in d.get("reset", []):
            g = s.gates[name]
            if g.status != "skipped":
                s.gates[name] = GateState("pending", "reset for rework", None, g.reviews, None)
    elif t == "task.escalated":
        s.status, s.escalation = "escalated", d.get("reason", "")
    elif t == "task.resumed":
        s.status, s.escalation = "active", None
        s.unpriced_accepted = max(s.unpriced_accepted, int(d.get("unpriced_accepted") or 0))
    elif t == "task.tier_raised":  # a revision's paths need a higher tier: its gates become required
        s.tier = d["tier"]
        s.required = tuple(d.get("required", s.required))
        if d.get("filer_may_approve") is False:  # the two-person rule follows the raised tier (ADR 0111)
            s.authors.update(x for x in (s.created_by, *s.filed_behind) if x)
        for name in d.get("unskipped", ()):
            g = s.gates[name]
            if g.status == "skipped":
                s.gates[name] = GateState(
                    "pending", f"required at tier {d['tier']}", g.revision, g.reviews, g.bound
                )
    elif t == "task.done":
        s.status = "done"
    elif t == "task.rejected":
        s.status = "rejected"
    return s
