"""The engine's transitions, memoised by shape: tasks walk the same few shapes, so a submission is replayed.

`flow.start_task_folded` and `flow.submit_folded` are pure functions of the config and the task's state. Two
calls whose inputs differ only in *who* (the task id, actor ids, revision hashes, the people behind a token) but
agree on everything the engine reads of them (each actor's lane, kind, model, family; which identities are equal;
how they sort) give answers that differ only by the same renaming. So each identity is replaced by a placeholder
in order of first appearance (the task's `names`, each pinned by its profile when it enters) and the state by its
shape (`sig`, an interned int: the start's inputs, then (shape before, the events' template) for each transition,
as the fold is a function of the two); the answer is kept as a template with placeholders, filled in with this
call's names. A replayed submission reads no state for its key. A state moved outside the memo is answered by
the engine from then on. A refusal (the engine raising Conflict or Denied) is an answer like any other: kept, its
message a template (ADR 0321). Whatever the key does not pin (a new identity the memo cannot name in advance) is
not kept: the engine answers it each time. ADR 0255.

The same renaming argument covers what the simulator reads of a state (`Facts`, once per shape) and who may take a
job (`may`, `who`: per shape, gate and the member's profile and position among the names), so a replayed answer's
events are built and folded (by the engine's own fold) only when someone reads the task's state: a miss, an
eligibility question not asked before, a reader outside the hot path. ADR 0305.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from org.config.loader import OrgConfig
from org.engine import flow
from org.engine.state import Event, TaskState
from org.errors import Conflict, Denied

__all__ = ["Transitions", "Facts", "Replayed", "digest", "effects"]

_new = object.__new__
_ABSENT = object()


class _Ref(int):
    """A placeholder: the i-th name of the task."""


class _Tpl(str):
    """Text with names in it: a format string whose fields are the names' positions."""


class _Refusal:
    """A kept refusal: the engine's error class, its message and detail as templates (filled in with the call's
    names when it is raised again)."""

    __slots__ = ("cls", "message", "detail")

    def __init__(self, cls: type, message: Any, detail: Any) -> None:
        self.cls, self.message, self.detail = cls, message, detail

    def raise_for(self, names: list[str]) -> None:
        raise self.cls(_fill(self.message, names), **_fill(self.detail, names))


class _Uncacheable(Exception):
    """The answer holds an identity the memo cannot name from the call: the engine answers every time."""


class _Namer:
    """Turns one task's values into their shape: identities by position, text with identities as templates."""

    __slots__ = ("index", "names", "frozen", "by_length", "texts")

    def __init__(self, names: list[str], frozen: bool) -> None:
        self.names = list(names)
        self.index = {n: i for i, n in enumerate(self.names)}
        self.frozen = frozen  # no new names may appear (an answer's shape is read with the call's names)
        self.by_length: list[tuple[str, int]] | None = None
        self.texts: dict[
            str, Any
        ] = {}  # text -> its shape, while the names stay the same (answers repeat texts)

    def ref(self, x: str | None) -> Any:
        if x is None:
            return None
        i = self.index.get(x)
        if i is None:
            if self.frozen:
                raise _Uncacheable(x)
            i = self.index[x] = len(self.names)
            self.names.append(x)
            self.by_length = None
            self.texts = {}
        return _Ref(i)

    def text(self, s: str) -> Any:
        """A free text's shape: every name in it (longest first) becomes its field; plain text stays as it is."""
        known = self.texts.get(s)
        if known is not None:
            return known
        out = self.texts[s] = self._text(s)
        return out

    def _text(self, s: str) -> Any:
        i = self.index.get(s)
        if i is not None:
            return _Ref(i)
        if self.by_length is None:
            self.by_length = sorted(((n, i) for n, i in self.index.items() if n), key=lambda p: -len(p[0]))
        hits = [(n, i) for n, i in self.by_length if n in s]
        if not hits:
            return s
        out = s.replace("{", "{{").replace("}", "}}")
        for n, i in hits:
            out = out.replace(n.replace("{", "{{").replace("}", "}}"), f"{{{i}}}")
        return _Tpl(out)

    def value(self, v: Any) -> Any:
        """Any JSON-able value's shape (event data): strings as text, containers walked."""
        t = type(v)
        if t is str:
            return self.text(v)
        if t is dict:
            return {k: self.value(x) for k, x in v.items()}
        if t is list:
            return [self.value(x) for x in v]
        if t is tuple:
            return tuple(self.value(x) for x in v)
        if t in (int, float, bool) or v is None:
            return v
        raise _Uncacheable(repr(v))


def _fill(v: Any, names: list[str]) -> Any:
    t = type(v)
    if t is _Ref:
        return names[v]
    if t is _Tpl:
        return v.format(*names)
    if t is dict:
        return {k: _fill(x, names) for k, x in v.items()}
    if t is list:
        return [_fill(x, names) for x in v]
    if t is tuple:
        return tuple(_fill(x, names) for x in v)
    return v


def _names_someone(v: Any) -> bool:
    t = type(v)
    if t is _Ref or t is _Tpl:
        return True
    if t is dict:
        return any(_names_someone(x) for x in v.values())
    if t in (list, tuple):
        return any(_names_someone(x) for x in v)
    return False


def _plain(v: Any) -> bool:
    """A JSON-able value (what _Namer.value takes without raising)."""
    t = type(v)
    if t is str or t is int or t is float or t is bool or v is None:
        return True
    if t is dict:
        return all(_plain(x) for x in v.values())
    if t is list or t is tuple:
        return all(_plain(x) for x in v)
    return False


def _nameable(events: list[Event], names: set[str]) -> bool:
    """Whether a template can be made of `events` with these names (Transitions._events would not raise)."""
    for e in events:
        if e.task not in names or (e.actor is not None and e.actor not in names) or not _plain(e.data):
            return False
    return True


def _hashable(v: Any) -> Any:
    t = type(v)
    if t is dict:
        return tuple((k, _hashable(x)) for k, x in v.items())
    if t is list or t is tuple:
        return (t.__name__, *(_hashable(x) for x in v))
    if t is _Ref or t is _Tpl:
        return (t.__name__, str(v) if t is _Tpl else int(v))
    if t is set or t is frozenset:
        return ("set", tuple(sorted(map(repr, v))))
    return v


def _findings_key(findings: list) -> Any:
    """_hashable(findings), quicker for the usual findings (flat dicts of hashable values); the two kinds of key
    never meet (this one starts with a tuple, _hashable's with "list")."""
    try:
        key = tuple([tuple(f.items()) for f in findings])
        hash(key)
    except (AttributeError, TypeError):  # (not dicts, or a value that is a list or dict)
        return _hashable(findings)
    return key


# What the simulator reads of an event (org.sim.world._apply): its type, the gate it names, its actor, the gates a
# rework resets and the kind of an escalation.
Digest = list[tuple[str, Any, str | None, Any, Any]]


def digest(events: list[Event]) -> Digest:
    return [
        (e.type, e.data.get("gate"), e.actor, e.data.get("reset"), e.data.get("kind", "other"))
        for e in events
    ]


_CLOSING = {"task.done": "done", "task.rejected": "rejected", "task.escalated": "escalated"}

# What the simulator does with an answer's events, in their order (org.sim.world._apply): ("work", actor) for
# new work (its defects are drawn), ("rework", gates reset) for a rework, ("close", outcome, kind) for a
# closing (nothing after it is read); and the gates that became ready, once each in order, less those a later
# rework reset (these get jobs once the ops are done).
Effects = tuple[list[tuple], list[str]]


def effects(items: Digest) -> Effects:
    """The effects of an answer's events from their digest."""
    ops: list[tuple] = []
    ready: list[str] = []
    for t, gate, actor, reset_, kind in items:
        if t == "gate.ready":
            ready.append(gate)
        elif t == "work.submitted":
            ops.append(("work", actor))
        elif t == "rework.started":
            reset = frozenset(reset_ or ())
            ops.append(("rework", reset))
            ready = [g for g in ready if g not in reset]
        elif t in _CLOSING:
            ops.append(("close", _CLOSING[t], kind))
            return ops, []
    return ops, list(dict.fromkeys(ready))


class Replayed:
    """A replayed answer: its events are built only when read (iterated, or folded into the task's state when
    the state is read); what the simulator reads of them (`digest`) is filled in from the template without
    building them (ADR 0305)."""

    __slots__ = ("template", "names", "_events")

    def __init__(self, template: tuple, names: list[str]) -> None:
        self.template, self.names = template, names
        self._events: list[Event] | None = None

    def events(self) -> list[Event]:
        if self._events is None:
            self._events = Transitions._replay(self.template[0], self.names)
        return self._events

    def __iter__(self) -> Any:
        return iter(self.events())

    def __len__(self) -> int:
        return len(self.template[0])

    def effects(self) -> tuple[Sequence[tuple], Sequence[str], list[str] | None]:
        """effects(self.digest()) and the names its actors are positions among (None: the actors are names).
        An answer whose gate, reset and kind fields name no one has them worked out once, with its template."""
        kept = self.template[2]
        if kept is not None:
            return kept[0], kept[1], self.names
        ops, ready = effects(self.digest())
        return ops, ready, None

    def digest(self) -> Digest:
        names = self.names
        return [
            (t, g, None if a is None else names[a], r, k)
            if plain
            else (t, _fill(g, names), None if a is None else names[a], _fill(r, names), _fill(k, names))
            for t, g, a, r, k, plain in self.template[1]
        ]


def _digest_template(template: tuple) -> tuple:
    """The digest's template: per event its type, its gate, reset and kind fields (as templates) and its actor's
    position, and whether the fields name no one (then they are used as they are)."""
    out = []
    for typ, _task, actor, const, named in template:
        fields = {**const, **dict(named)}
        g, r, k = fields.get("gate"), fields.get("reset"), fields.get("kind", "other")
        out.append((typ, g, actor, r, k, not any(_names_someone(v) for v in (g, r, k))))
    return tuple(out)


class Facts:
    """What the simulator reads of a task's state, identities as positions among the task's names (`ext`): the
    same for every state of one shape, so it is read from the engine's fold once per shape (ADR 0305)."""

    __slots__ = ("rounds", "tier", "status", "statuses", "counted", "revision", "last_author")

    def __init__(self, st: TaskState, ext: list[str]) -> None:
        """Read from `st`; identities not in `ext` are appended to it."""
        index = {n: i for i, n in enumerate(ext)}

        def pos(x: str | None) -> int | None:
            if x is None:
                return None
            i = index.get(x)
            if i is None:
                i = index[x] = len(ext)
                ext.append(x)
            return i

        self.rounds, self.tier, self.status = st.rounds, st.tier, st.status
        self.statuses = {g: gs.status for g, gs in st.gates.items()}
        self.counted = {g: len(st.counting_reviews(g)) for g in st.gates}  # reviews that count now
        self.revision = pos(st.revision)
        self.last_author = pos(st.revisions[-1][2]) if st.revisions else None  # of the newest revision


class Transitions:
    """The memo one simulation keeps (its config never changes during a run)."""

    def __init__(self, cfg: OrgConfig, enabled: bool = True) -> None:
        self.cfg = cfg
        self.enabled = enabled
        # what the engine reads of an actor: its config entry without the id (and the id itself when some
        # rule or gate names it: then that actor is not like any other)
        text = repr(
            (cfg.workflows, cfg.rules, cfg.risk, cfg.credentials, cfg.attributes, cfg.repos, cfg.action_facts)
        )
        # each profile is numbered (members alike share the number: keys hash and compare a small int)
        numbered: dict[tuple, int] = {}
        self.profiles: dict[str, int] = {
            a.id: numbered.setdefault(
                (a.lane, a.kind, a.model, a.family, a.family_declared, a.id if a.id in text else None),
                len(numbered),
            )
            for a in cfg.actors.values()
        }
        self.shapes: dict[tuple, int] = {}  # a state's shape -> its interned number
        self.starts: dict[tuple, tuple] = {}
        self.submits: dict[tuple, tuple | _Refusal | None] = {}
        self.facts: dict[int, Facts] = {}
        self.mays: dict[tuple, bool] = {}  # (shape, gate, member's profile, member's position) -> eligible
        # (shape, gate) -> (the members outside the names it admits, the members of profiles not seen outside,
        # the positions among the names it admits); None: not kept (see `who`)
        self.whos: dict[tuple, tuple[frozenset[str], frozenset[str], tuple[int, ...]] | None] = {}
        self.hits = self.misses = 0

    # ---- what the simulator reads of a state, and who may take a job: by shape ----------------------
    def look(self, task: Any) -> None:
        """Set the task's `facts` (and `ext`, the names they point into) for its state as it is now."""
        sig = task.sig
        if sig is not None:
            f = self.facts.get(sig)
            if f is not None:
                task.facts, task.ext = f, task.names
                return
        ext = list(task.names)
        f = Facts(task.state, ext)
        if sig is not None and len(ext) == len(task.names):  # every identity it reads is one of the names
            self.facts[sig] = f
        task.facts, task.ext = f, ext

    def may(self, task: Any, actor: str, gate: str) -> bool:
        """flow.eligibility(cfg, task.state, actor, gate).ok: the same for every state of one shape and every
        actor of one profile at one position among the names (none: not among them)."""
        sig = task.sig
        if sig is None:
            return flow.eligibility(self.cfg, task.state, actor, gate).ok
        names = task.names
        key = (sig, gate, self.profiles.get(actor), names.index(actor) if actor in names else None)
        ok = self.mays.get(key)
        if ok is None:
            ok = self.mays[key] = flow.eligibility(self.cfg, task.state, actor, gate).ok
        return ok

    def who(self, task: Any, gate: str, lane: tuple[str, ...]) -> frozenset[str]:
        """frozenset(flow.eligible_members(cfg, task.state, gate)), `lane` the gate's lane's members. By shape:
        the members outside the names whose profile the engine admitted, less the names, plus the names at
        the positions it admitted. A profile no member outside the names had when the answer was kept is
        asked of the engine again (nothing is assumed of it)."""
        sig = task.sig
        if sig is None:
            return frozenset(flow.eligible_members(self.cfg, task.state, gate))
        names = task.names
        kept: Any = self.whos.get((sig, gate), _ABSENT)
        if kept is not None and kept is not _ABSENT:
            ok_outside, unseen, at = kept
            if not unseen or unseen.issubset(names):  # (no set of the names made: they are a handful)
                if at:
                    return ok_outside.difference(names).union([names[i] for i in at])
                # usually no name is among them (a first review): the kept set itself, no copy made
                return ok_outside if ok_outside.isdisjoint(names) else ok_outside.difference(names)
        ids = flow.eligible_members(self.cfg, task.state, gate)
        if kept is _ABSENT:
            self.whos[(sig, gate)] = self._who_shape(ids, names, lane)
        return frozenset(ids)

    def _who_shape(
        self, ids: list[str], names: list[str], lane: tuple[str, ...]
    ) -> tuple[frozenset[str], frozenset[str], tuple[int, ...]] | None:
        """The shape of an eligible_members answer (None: it cannot be kept)."""
        ok, inside, profiles = set(ids), set(names), self.profiles
        if not ok <= set(lane):
            return None
        yes: set[int | None] = set()
        no: set[int | None] = set()
        for m in lane:
            if m not in inside:
                (yes if m in ok else no).add(profiles.get(m))
        if yes & no:  # members alike by profile answered differently: not a function of the shape
            return None
        seen = yes | no
        ok_outside = frozenset(m for m in lane if profiles.get(m) in yes)
        unseen = frozenset(m for m in lane if profiles.get(m) not in seen)
        return ok_outside, unseen, tuple(i for i, n in enumerate(names) if n in ok)

    def _names_a_member_outside(self, text: str, call: list[str]) -> bool:
        """Whether `text` holds the id of a member the call does not name (a refusal naming one is not kept: its
        replay would name the first call's stranger). Ids inside longer words count too (kept out: the safe side)."""
        return any(m in text for m in self.profiles if m not in call)

    # ---- shapes ------------------------------------------------------------------------------------
    def _intern(self, key: tuple) -> int:
        n = self.shapes.get(key)
        if n is None:
            n = self.shapes[key] = len(self.shapes)
        return n

    def _events(self, events: list[Event], namer: _Namer) -> tuple:
        """The events' template: per event its type, task and actor placeholders, the data that names no one
        (copied as it is) and the fields that do (filled in with the call's names)."""
        out = []
        value = namer.value
        for e in events:
            const: dict[str, Any] = {}
            named: list[tuple[str, Any]] = []
            for k, v in e.data.items():
                x = value(v)
                if x is v or not _names_someone(x):  # (a value that names no one comes back as it is)
                    const[k] = x
                else:
                    named.append((k, x))
            out.append((e.type, namer.ref(e.task), namer.ref(e.actor), const, tuple(named)))
        dt = _digest_template(tuple(out))
        # the effects, actors as positions, when no gate, reset or kind field names anyone
        kept = None
        if all(x[5] for x in dt):  # (kept as tuples: every replay shares them)
            ops, ready = effects([(t, g, a, r, k) for t, g, a, r, k, _ in dt])
            kept = (tuple(ops), tuple(ready))
        return tuple(out), dt, kept

    @staticmethod
    def _replay(template: tuple, names: list[str]) -> list[Event]:
        out = []
        for typ, task, actor, const, named in template:
            data = const.copy()
            for k, v in named:
                t = type(v)
                data[k] = names[v] if t is _Ref else v.format(*names) if t is _Tpl else _fill(v, names)
            ev = _new(Event)
            d = ev.__dict__
            d["type"] = typ
            d["task"] = names[task]
            d["data"] = data
            d["actor"] = None if actor is None else names[actor]
            out.append(ev)
        return out

    # ---- the two transitions ----------------------------------------------------------------------
    def start(
        self, task: Any, title: str, workflow: str, attributes: dict, tier: str | None
    ) -> list[Event] | Replayed:
        """flow.start_task_folded for a new task (a `entities.Task`): its events; the task's state (or, replayed,
        its events to fold when the state is read), shape and names are set."""
        cfg, tid = self.cfg, task.id
        task.names = [tid]
        if not self.enabled:
            events, task.state = flow.start_task_folded(
                cfg, tid, title, workflow, attributes, requested_tier=tier
            )
            task.sig = None
            return events
        key = (title, workflow, _hashable(attributes), tier)
        hit = self.starts.get(key)
        if hit is not None:
            self.hits += 1
            template, task.sig = hit
            replayed = Replayed(template, task.names)
            task.pending = [replayed]
            return replayed
        self.misses += 1
        events, task.state = flow.start_task_folded(
            cfg, tid, title, workflow, attributes, requested_tier=tier
        )
        try:
            template = self._events(events, _Namer([tid], frozen=True))
        except _Uncacheable:
            task.sig = None
            return events
        sig = self._intern(("start", key))  # the state is a function of the start's inputs and its id
        self.starts[key] = (template, sig)
        task.sig = sig
        return events

    def submit(
        self,
        task: Any,
        rounds: int,
        actor: str,
        gate: str,
        verdict: str,
        revision: str | None,
        content: str,
        findings: list[dict[str, Any]] | None,
    ) -> list[Event] | Replayed:
        """flow.submit_folded on the task's state (raising as it raises, the task left as it was): its events;
        the task's new state (or, replayed, the events to fold when it is read), shape and names are set.
        `rounds` is the state's (the simulator reads it from the facts). A task whose shape is not known (its
        state moved outside the memo) is answered by the engine."""
        cfg = self.cfg
        sig, names = task.sig, task.names
        if not self.enabled or sig is None:
            events, task.state = flow.submit_folded(
                cfg, task.state, actor, gate, verdict, revision=revision, content=content, findings=findings
            )
            return events
        # the call's identities, in a fixed order after the state's: the actor, the revision it names and,
        # for new work, the revision the engine will make of it (a hash of the task, gate, actor, round, content)
        call = names.copy()  # (names are distinct: a name's position is its first)
        n0 = len(call)
        if actor in call:
            a = call.index(actor)
        else:
            a = len(call)
            call.append(actor)
        r = m = None
        if revision is not None:
            if revision in call:
                r = call.index(revision)
            else:
                r = len(call)
                call.append(revision)
        else:
            made = flow.revision_hash(task.id, gate, actor, rounds, content)
            if made in call:
                m = call.index(made)
            else:
                m = len(call)
                call.append(made)
        profiles, n1 = self.profiles, len(call)
        # the profiles of the names new in this call (none, the actor, a revision, or both)
        if n1 == n0:
            new: tuple = ()
        elif n1 == n0 + 1:
            new = (profiles.get(call[n0]),)
        else:
            new = tuple([profiles.get(n) for n in call[n0:]])
        key = (
            sig,
            gate,
            verdict,
            a,
            r,
            m,
            n1,
            new,
            None if findings is None else _findings_key(findings),
            content == "",
        )
        hit: Any = self.submits.get(key, _ABSENT)
        if hit is not None and hit is not _ABSENT:
            self.hits += 1
            if type(hit) is _Refusal:  # refused before: refused again, the task left as it is
                hit.raise_for(call)
            template, after_sig, width, raw = hit
            if template is None:  # first replayed: the template is made of the engine's answer now
                first_events, first_call = raw
                template = self._events(first_events, _Namer(first_call, frozen=True))
                self.submits[key] = (template, after_sig, width, None)
            replayed = Replayed(template, call)
            task.pending.append(replayed)
            task.sig, task.names = after_sig, call[:width]
            return replayed
        self.misses += 1
        try:
            events, task.state = flow.submit_folded(
                cfg, task.state, actor, gate, verdict, revision=revision, content=content, findings=findings
            )
        except (Conflict, Denied) as e:
            # a refusal is an answer like any other: a function of the key (the task is left as it was)
            if hit is _ABSENT and not self._names_a_member_outside(f"{e.message} {e.detail!r}", call):
                namer = _Namer(call, frozen=True)
                with contextlib.suppress(_Uncacheable):  # (a value that is not JSON: not kept)
                    self.submits[key] = _Refusal(type(e), namer.text(e.message), namer.value(e.detail))
            raise
        task.names = call
        if hit is None:  # known not to be kept
            task.sig = None
            return events
        if not _nameable(events, set(call)):  # it names someone the call does not: never kept
            self.submits[key] = None
            task.sig = None
            return events
        # the new state is the fold of these events into the old one: a function of the old shape and the
        # events' template, which is a function of the key; so the key names the new shape. Most shapes are
        # never seen again: the template is made when one is (of these events and names, which it keeps).
        after_sig = self._intern(("after", key))
        self.submits[key] = (None, after_sig, len(call), (events, call))
        task.sig = after_sig
        return events
