"""What every bus operation shares: the store, the pinned configs, the redactor, the folded-state cache,
the ADR check hook, and the helpers that load a task and record an event."""

from __future__ import annotations

import importlib
import json
from collections import OrderedDict
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from org import telemetry
from org.bus.audit import ENCODED, canonical, decode_body, iso
from org.bus.redact import Redactor
from org.bus.store import Store, Tx
from org.config.loader import OrgConfig, load_org_from_texts
from org.engine.flow import ExtraCheck
from org.engine.state import EVENT_TYPES, Event, TaskState, TaskStatus, fold
from org.errors import IntegrityError, NotFound, UsageError

# (org root, org config, repository name) -> (its committed .org/policy.yaml or None, the commit read)
RepoPolicyReader = Callable[[Path, OrgConfig, str], tuple[str | None, str]]

__all__ = ["Ctx", "TaskRow", "load_extra_check", "task_key", "TASK_COLS", "AfterCommit", "AUTH"]

# Who is asking, set by the identity layer (org.identity.guard) around a bus call: every event recorded
# meanwhile carries it as "auth" ({principal, kind, token id, via principal|job, job}; never a secret).
AUTH: ContextVar[dict | None] = ContextVar("org_bus_auth", default=None)

TASK_COLS = (
    "id, key, title, workflow, tier, status, config_hash, created_by, created_at, updated_at, last_event_at, "
    "idempotency_key, attributes, revision, rounds, escalation, last_seq"
)
_ENGINE_TYPES = tuple(EVENT_TYPES)
_STAND_IN = 7_302_119_543_001_776_000  # numbers no event holds, made into each row's numbers by record_batch
T = TypeVar("T")


@dataclass
class TaskRow:
    id: int
    key: str
    title: str
    workflow: str
    tier: str
    status: TaskStatus
    config_hash: str
    created_by: str | None
    created_at: float
    updated_at: float
    last_event_at: float
    idempotency_key: str | None
    attributes: dict
    revision: str | None
    rounds: int
    escalation: str | None
    last_seq: int  # number of engine events folded (the state cache key)

    @classmethod
    def of(cls, row: Any) -> TaskRow:
        vals = list(row)
        vals[12] = json.loads(vals[12] or "{}")
        return cls(*vals)


def task_key(ref: str | int) -> str:
    """Accept 'T-12', 't12', '12' or 12; return 'T-12'."""
    s = str(ref).strip()
    if s.upper().startswith("T-"):
        s = s[2:]
    elif s.upper().startswith("T"):
        s = s[1:]
    if not s.isdigit():
        raise NotFound(f"no task '{ref}' (task ids look like T-12)")
    return f"T-{int(s)}"


def load_extra_check(root: Path | None) -> ExtraCheck | None:
    """org.adrs.check:make_extra_check(root) when org.adrs exists (it is optional)."""
    if root is None:
        return None
    try:
        mod = importlib.import_module("org.adrs.check")
    except ModuleNotFoundError as exc:
        if exc.name in ("org.adrs", "org.adrs.check"):
            return None
        raise
    make = getattr(mod, "make_extra_check", None)
    return make(root) if make is not None else None


def load_repo_policy_reader() -> RepoPolicyReader | None:
    """org.workspaces.policyfile:read_repo_policy (the only package that runs git), found at run time as
    org.adrs' check is: the bus asks it for a repository's committed .org/policy.yaml (ADR 0120)."""
    try:
        mod = importlib.import_module("org.workspaces.policyfile")
    except ModuleNotFoundError as exc:
        if exc.name in ("org.workspaces", "org.workspaces.policyfile"):
            return None
        raise
    reader: RepoPolicyReader = mod.read_repo_policy
    return reader


@dataclass
class AfterCommit:
    """Returned by a write function: commit what was done, then raise `error` (e.g. a refused submission
    that released its lease)."""

    error: Exception


def _agrees(row: TaskRow, st: TaskState) -> TaskState:
    for name in ("config_hash", "workflow"):
        if getattr(row, name) != getattr(st, name):
            raise IntegrityError(
                f"the tasks row of {row.key} names {name} {getattr(row, name)!r} but its events "
                f"say {getattr(st, name)!r}: the row was altered outside the bus; run 'org audit verify'"
            )
    return st


class Ctx:
    """Shared state of one open Bus (one per process and database)."""

    def __init__(self, store: Store, root: Path | None, max_attempts: int = 3) -> None:
        self.store = store
        self.root = root
        self.max_attempts = max_attempts
        self._pinned: dict[str, OrgConfig] = {}
        self._states: OrderedDict[str, tuple[int, TaskState]] = OrderedDict()
        self._credentials: dict[str, Any] = {}
        self._redactor: Redactor | None = None
        self.secret_env: Any = None  # where credential values are read for scrubbing (None: os.environ)
        self._extra: tuple[bool, ExtraCheck | None] = (False, None)
        self.current: OrgConfig | None = None

    # -- transactions ----------------------------------------------------------------------
    def write(self, fn: Callable[[Tx], T], *, retry_unique: bool = False, batched: bool = False) -> T:
        """A write transaction whose audit events are chained and appended just before commit (`batched`:
        PostgreSQL statements batched throughout, Store.write)."""
        from sqlalchemy.exc import IntegrityError as SAIntegrityError

        from org.bus.audit import append

        try:
            out = self.store.write(fn, flush=append, batched=batched)
        except SAIntegrityError:
            if not retry_unique:
                raise
            out = self.store.write(fn, flush=append, batched=batched)  # a concurrent insert won the key
        if isinstance(out, AfterCommit):
            raise out.error
        return out

    def rehearse(self, fn: Callable[[Tx], T]) -> T:
        """`write`, rolled back at the end: what the transaction would answer, with nothing recorded."""
        from org.bus.audit import append

        out = self.store.rehearse(fn, flush=append)
        if isinstance(out, AfterCommit):
            raise out.error
        return out

    # -- configs ---------------------------------------------------------------------------
    def use_current(self, cfg: OrgConfig | None) -> None:
        self.current = cfg
        if cfg is not None:
            self._know(cfg)

    def _know(self, cfg: OrgConfig) -> None:
        new = {k: v for k, v in cfg.credentials.items() if self._credentials.get(k) != v}
        if new:
            self._credentials.update(new)
            self._redactor = None

    @property
    def redactor(self) -> Redactor:
        if self._redactor is None:
            self._redactor = Redactor.for_credentials(self._credentials, self.secret_env)
        return self._redactor

    @property
    def extra_check(self) -> ExtraCheck | None:
        if not self._extra[0]:
            self._extra = (True, load_extra_check(self.root))
        return self._extra[1]

    def cascade(self, cfg: OrgConfig, repo: str | None, policy: Mapping[str, Any] | None) -> OrgConfig:
        """The policy a new task starts under: the org, its repository's committed .org/policy.yaml and the
        task's own policy, each only tightening (org.config.cascade; a loosening is ConfigError, exit 2)."""
        from org.config.cascade import resolve
        from org.engine.proofs import prove
        from org.errors import ConfigError

        if repo is None:
            out = resolve(cfg, task_policy=dict(policy or {}))
        else:
            reader = load_repo_policy_reader()
            if reader is None:
                raise UsageError(
                    f"repository '{repo}': its policy file cannot be read here (org.workspaces is not installed)"
                )
            text, commit = reader(cfg.root, cfg, repo)
            out = resolve(cfg, repo=repo, repo_text=text, commit=commit, task_policy=dict(policy or {}))
        if out is not cfg:
            problems = prove(out)  # what the org proves holds under the tightened policy too
            if problems:
                raise ConfigError(problems)
        return out

    def pin(self, tx: Tx, cfg: OrgConfig) -> None:
        files = json.dumps(cfg.files, sort_keys=True)
        tx.x(
            "INSERT INTO config_pins(config_hash, files, created_at) VALUES (:h, :f, :t) "
            "ON CONFLICT (config_hash) DO NOTHING",
            {"h": cfg.config_hash, "f": files, "t": tx.now},
        )
        self._pinned.setdefault(cfg.config_hash, cfg)
        self._know(cfg)

    def pinned(self, tx: Tx, config_hash: str) -> OrgConfig:
        cfg = self._pinned.get(config_hash)
        if cfg is not None:
            return cfg
        files = tx.x("SELECT files FROM config_pins WHERE config_hash = :h", {"h": config_hash}).scalar()
        if files is None:
            raise IntegrityError(f"the pinned policy {config_hash} is missing from the database")
        cfg = load_org_from_texts(json.loads(files), self.root)
        if cfg.config_hash != config_hash:
            raise IntegrityError(
                f"the stored text of pinned policy {config_hash} hashes to {cfg.config_hash}: it was altered"
            )
        self._pinned[config_hash] = cfg
        self._know(cfg)
        return cfg

    # -- tasks -----------------------------------------------------------------------------
    def task_row(self, tx: Tx, ref: str | int, *, lock: bool = False) -> TaskRow:
        key = task_key(ref)
        sql = f"SELECT {TASK_COLS} FROM tasks WHERE key = :k" + (" FOR UPDATE" if lock and tx.pg else "")
        row = tx.x(sql, {"k": key}).one_or_none()
        if row is None:
            raise NotFound(f"no task {key}")
        return TaskRow.of(row)

    def state(self, tx: Tx, row: TaskRow) -> TaskState:
        """The folded state of a task (cached by its engine-event count). Callers must not mutate it. The task
        row is a cache: where it disagrees with the fold on what decisions read (the pinned policy, the
        workflow), the row was altered outside the bus and nothing is decided on it (IntegrityError, exit 8)."""
        hit = self._states.get(row.key)
        if hit is not None and hit[0] == row.last_seq:
            self._states.move_to_end(row.key)
            return _agrees(row, hit[1])
        marks = ", ".join(f"'{t}'" for t in _ENGINE_TYPES)
        rows = tx.x(
            f"SELECT task, type, body FROM events WHERE task = :k AND type IN ({marks}) ORDER BY seq",
            {"k": row.key},
        ).all()
        evs = []
        for task, typ, body in rows:
            try:
                b = decode_body(body)
            except (ValueError, TypeError, UnicodeDecodeError) as exc:
                raise IntegrityError(
                    f"an event of task {row.key} does not decode; run 'org audit verify'"
                ) from exc
            if not isinstance(b, dict) or b.get("task") != task or b.get("type") != typ:
                raise IntegrityError(
                    f"an event of task {row.key} does not match its columns; run 'org audit verify'"
                )
            evs.append(Event(typ, task, b.get("data") or {}, b.get("actor")))
        if not evs:
            raise IntegrityError(f"task {row.key} has no events; run 'org audit verify'")
        st = fold(evs)
        self.remember(row.key, len(evs), st)
        return _agrees(row, st)

    def remember(self, key: str, n: int, st: TaskState) -> None:
        self._states[key] = (n, st)
        self._states.move_to_end(key)
        while len(self._states) > 512:
            self._states.popitem(last=False)

    @staticmethod
    def fold_more(st: TaskState, events: list[Event]) -> TaskState:
        """`st` folded further with `events`, `st` itself untouched (it may be the remembered state):
        TaskState.copy() copies what the fold mutates and shares the rest (a deep copy cost 16% of
        claim + submit, issue 23)."""
        return fold(events, st.copy()) if events else st

    # -- events ----------------------------------------------------------------------------
    def record(
        self,
        tx: Tx,
        type_: str,
        *,
        task: str | None = None,
        actor: str | None = None,
        lane: str | None = None,
        family: str | None = None,
        gate: str | None = None,
        decision: str | None = None,
        rules: list[str] | tuple[str, ...] = (),
        config_hash: str | None = None,
        job: int | None = None,
        data: Mapping[str, Any] | None = None,
        trusted: bool = False,
    ) -> None:
        """Queue one audit event for this transaction (chained and written at commit). Data is redacted
        here unless `trusted` (numbers and timestamps the bus made itself). The identity of the caller
        (org.bus.context.AUTH, set by org.identity) is stamped on it as "auth". An event under a pinned
        policy with lower layers carries its policy_source: which layer and FILE:LINE each value they set
        came from (ADR 0120; under the org's layer alone the config hash names every source)."""
        pinned = self._pinned.get(config_hash) if config_hash else None
        if pinned is not None:
            from org.config.provenance import policy_source

            source = policy_source(pinned)
            if source["files"]:
                data = {**(data or {}), "policy_source": source}
        # every column a caller can influence is masked like the data (a name or rule id is never a way onto
        # the chain for a secret); ids that are no secret's shape pass unchanged
        txt = self.redactor.text
        ev = {
            "v": 1,
            "type": type_,
            "task": task,
            "actor": txt(actor) if actor else actor,
            "lane": txt(lane) if lane else lane,
            "family": txt(family) if family else family,
            "gate": txt(gate) if gate else gate,
            "decision": txt(decision) if decision else decision,
            "rules": [txt(str(r)) for r in rules],
            "config_hash": config_hash,
            "job": job,
            "data": (data or {}) if trusted else self.redactor.value(data or {}),
        }
        auth = AUTH.get()
        if auth is not None:
            ev["auth"] = auth
        tx.events.append(ev)
        if task and (decision or type_ in telemetry.TERMINAL_EVENTS) and telemetry.enabled():
            self._trace(tx, ev)

    def record_batch(
        self,
        tx: Tx,
        type_: str,
        rows: list[tuple[int, dict[str, int]]],
        *,
        data: Mapping[str, Any],
        **common: Any,
    ) -> None:
        """Queue one event per (job, ints) row: the event `record(tx, type_, job=job, data={**data, **ints},
        trusted=True, **common)` would queue, in that order. Its canonical JSON is made once with stand-in
        numbers and each row's numbers are spliced in: the same bytes as one `canonical()` per event (tested
        byte for byte), without building and encoding every event. Falls back to `record` per row for a task's
        events (telemetry reads them) and whenever a stand-in is not found exactly once."""
        if not rows:
            return
        names = sorted(rows[0][1])
        parts = None
        if common.get("task") is None and len(rows) > 2 and all(sorted(r[1]) == names for r in rows):
            parts = self._template(tx, type_, names, data, common)
        if parts is None:
            for job, ints in rows:
                self.record(tx, type_, job=job, data={**data, **ints}, trusted=True, **common)
            return
        order, pieces = parts
        task = common.get("task")
        for job, ints in rows:
            vals = [job, *(ints[k] for k in names)]
            if any(
                type(v) is not int for v in vals
            ):  # numbers only (a bool or a string is encoded otherwise)
                self.record(tx, type_, job=job, data={**data, **ints}, trusted=True, **common)
                continue
            out = [pieces[0]]
            for slot, piece in zip(order, pieces[1:], strict=True):
                out += (str(vals[slot]).encode(), piece)
            tx.events.append({"type": type_, "task": task, "job": job, ENCODED: b"".join(out)})

    def _template(
        self, tx: Tx, type_: str, names: list[str], data: Mapping[str, Any], common: dict
    ) -> tuple[list[int], list[bytes]] | None:
        """(slots in the order they appear, the bytes between them) of this event's canonical JSON, or None."""
        stand = [_STAND_IN + i for i in range(len(names) + 1)]  # the job, then each of `names`
        self.record(
            tx,
            type_,
            job=stand[0],
            data={**data, **dict(zip(names, stand[1:], strict=True))},
            trusted=True,
            **common,
        )
        ev = tx.events.pop()
        ev["ts"] = iso(tx.now)
        body = canonical(ev)
        found = []
        for i, v in enumerate(stand):
            needle = str(v).encode()
            if body.count(needle) != 1:
                return None
            found.append((body.index(needle), i, len(needle)))
        found.sort()
        pieces, at = [], 0
        for pos, _, size in found:
            pieces.append(body[at:pos])
            at = pos + size
        pieces.append(body[at:])
        return [i for _, i, _ in found], pieces

    def _trace(self, tx: Tx, ev: dict) -> None:
        """A decision's span, or the task's root span at its end, exported once the transaction commits."""
        task = None
        if ev["type"] in telemetry.TERMINAL_EVENTS and ev["task"]:
            row = self.task_row(tx, ev["task"])
            task = {"created_at": row.created_at, "workflow": row.workflow, "tier": row.tier}
        now = tx.now
        tx.after_commit.append(lambda: telemetry.on_event(ev, now, task))

    def actor_info(self, cfg: OrgConfig | None, actor: str | None) -> tuple[str | None, str | None]:
        """(lane, model family) of an actor; humans have family 'human'."""
        if not actor or cfg is None:
            return None, None
        a = cfg.actors.get(actor)
        if a is None:
            return None, None
        return a.lane, (a.family or "human") if not a.is_human else "human"
