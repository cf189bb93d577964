"""The engine's transitions, memoised by shape: tasks walk the same few shapes, so a submission is replayed.

`flow.start_task_folded` and `flow.submit_folded` are pure functions of the config and the task's state. Two
calls whose inputs differ only in *who* (the task id, actor ids, revision hashes, the people behind a token) but
agree on everything the engine reads of them (each actor's lane, kind, model, family; which identities are equal;
how they sort) give answers that differ only by the same renaming. So each identity is replaced by a placeholder
in order of first appearance (the task's `names`, each pinned by its profile when it enters) and the state by its
shape (`sig`, an interned int: the start's inputs, then (shape before, the events' template) for each transition,
as the fold is a function of the two); the answer is kept as a template with placeholders, filled in with this
call's names. A replayed submission reads no state for its key; the state is still folded (by the engine's own
fold) for what the simulator reads of it. A state moved outside the memo is answered by the engine from then on. Whatever the key
does not pin (an answer that raises, a new identity the memo cannot name in advance) is not kept: the engine
answers it each time. ADR 0255.
"""

from __future__ import annotations

from typing import Any

from org.config.loader import OrgConfig
from org.engine import flow
from org.engine.state import Event, TaskState, fold

__all__ = ["Transitions"]

_new = object.__new__
_ABSENT = object()


class _Ref(int):
    """A placeholder: the i-th name of the task."""


class _Tpl(str):
    """Text with names in it: a format string whose fields are the names' positions."""


class _Uncacheable(Exception):
    """The answer holds an identity the memo cannot name from the call: the engine answers every time."""


class _Namer:
    """Turns one task's values into their shape: identities by position, text with identities as templates."""

    __slots__ = ("index", "names", "frozen", "by_length")

    def __init__(self, names: list[str], frozen: bool) -> None:
        self.names = list(names)
        self.index = {n: i for i, n in enumerate(self.names)}
        self.frozen = frozen  # no new names may appear (an answer's shape is read with the call's names)
        self.by_length: list[tuple[str, int]] | None = None

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
        return _Ref(i)

    def text(self, s: str) -> Any:
        """A free text's shape: every name in it (longest first) becomes its field; plain text stays as it is."""
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
        self.profiles: dict[str, tuple] = {
            a.id: (a.lane, a.kind, a.model, a.family, a.family_declared, a.id if a.id in text else None)
            for a in cfg.actors.values()
        }
        self.shapes: dict[tuple, int] = {}  # a state's shape -> its interned number
        self.starts: dict[tuple, tuple] = {}
        self.submits: dict[tuple, tuple | None] = {}
        self.hits = self.misses = 0

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
        for e in events:
            const: dict[str, Any] = {}
            named: list[tuple[str, Any]] = []
            for k, v in namer.value(e.data).items():
                if _names_someone(v):
                    named.append((k, v))
                else:
                    const[k] = v
            out.append((e.type, namer.ref(e.task), namer.ref(e.actor), const, tuple(named)))
        return tuple(out)

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
        self, tid: str, title: str, workflow: str, attributes: dict, tier: str | None
    ) -> tuple[list[Event], TaskState, int | None, list[str]]:
        """flow.start_task_folded for a new task `tid`, and the state's shape and names."""
        cfg = self.cfg
        if not self.enabled:
            events, st = flow.start_task_folded(cfg, tid, title, workflow, attributes, requested_tier=tier)
            return events, st, None, [tid]
        key = (title, workflow, _hashable(attributes), tier)
        hit = self.starts.get(key)
        if hit is not None:
            self.hits += 1
            template, sig = hit
            names = [tid]
            events = self._replay(template, names)
            return events, fold(events), sig, names
        self.misses += 1
        events, st = flow.start_task_folded(cfg, tid, title, workflow, attributes, requested_tier=tier)
        try:
            template = self._events(events, _Namer([tid], frozen=True))
        except _Uncacheable:
            return events, st, None, [tid]
        sig = self._intern(("start", key))  # the state is a function of the start's inputs and its id
        self.starts[key] = (template, sig)
        return events, st, sig, [tid]

    def submit(
        self,
        st: TaskState,
        sig: int | None,
        names: list[str],
        actor: str,
        gate: str,
        verdict: str,
        revision: str | None,
        content: str,
        findings: list[dict[str, Any]] | None,
    ) -> tuple[list[Event], TaskState, int | None, list[str]]:
        """flow.submit_folded (raising as it raises), and the new state's shape and names. `sig` None: the
        state's shape is not known (it moved outside the memo) and is read from the state."""
        cfg = self.cfg
        if not self.enabled or sig is None:
            events, after = flow.submit_folded(
                cfg, st, actor, gate, verdict, revision=revision, content=content, findings=findings
            )
            return events, after, None, names
        # the call's identities, in a fixed order after the state's: the actor, the revision it names and,
        # for new work, the revision the engine will make of it (a hash of the task, gate, actor, round, content)
        call = list(names)
        index = {n: i for i, n in enumerate(call)}
        slots: list[int | None] = []
        for x in (actor, revision):
            if x is None:
                slots.append(None)
                continue
            i = index.get(x)
            if i is None:
                i = index[x] = len(call)
                call.append(x)
            slots.append(i)
        made = None
        if revision is None:
            made = flow.revision_hash(st.id, gate, actor, st.rounds, content)
            if made not in index:
                index[made] = len(call)
                call.append(made)
        key = (
            sig,
            gate,
            verdict,
            slots[0],
            slots[1],
            None if made is None else index[made],
            len(call),
            tuple(self.profiles.get(n) for n in call[len(names) :]),
            _hashable(findings),
            content == "",
        )
        hit: Any = self.submits.get(key, _ABSENT)
        if hit is not None and hit is not _ABSENT:
            self.hits += 1
            template, after_sig, width = hit
            events = self._replay(template, call)
            return events, fold(events, st.copy()), after_sig, call[:width]
        self.misses += 1
        events, after = flow.submit_folded(
            cfg, st, actor, gate, verdict, revision=revision, content=content, findings=findings
        )
        if hit is None:  # known not to be kept
            return events, after, None, call
        namer = _Namer(call, frozen=True)
        try:
            template = self._events(events, namer)
        except _Uncacheable:
            self.submits[key] = None
            return events, after, None, call
        # the new state is the fold of these events into the old one: a function of the old shape and the
        # events' template, which is a function of the key; so the key names the new shape
        after_sig = self._intern(("after", key))
        self.submits[key] = (template, after_sig, len(call))
        return events, after, after_sig, call
