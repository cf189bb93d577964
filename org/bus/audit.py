"""The tamper-evident audit log: canonical event bodies, the hash chain, appending and verifying.

Each event row is (seq, task, type, body, hash). `body` is a header `SEQ 0x1f TASK 0x1f TYPE 0x1e`
followed by the canonical JSON of the event (sorted keys, no spaces, UTF-8), which carries everything:
time, actor, lane, model family, task, gate, decision, rule ids, config hash, job and the engine's
data. The chain:

    hash[seq] = sha256(hash[seq - 1] || body[seq]),    hash[0] = GENESIS

`seq` is contiguous (assigned from `audit_head` under the write lock) and `audit_head` holds the last
(seq, hash), written in the same transaction as every append. `verify` checks, streaming in batches:
the seq column is contiguous from 1 to the head, every body's header matches its row's columns (one
SQL scan), every hash links its body to the previous row's hash, and the last hash is the head's.
So an edit, a deletion (middle or tail), an insertion or a reordering of any event always breaks a
link that `verify` names. (Because each link needs only the stored previous hash, the check runs in
C-level bulk operations, in parallel ranges.) On SQLite the shape and header checks are first made row by row
in the walk's own read (one pass, ADR 0300); a log found off in anything is checked again by the separate
scans, which name it. Someone able to rewrite the whole chain and its
head can forge it: record `org audit verify --json` head hashes elsewhere and check them later with
`--anchor SEQ:HASH`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from org.bus._chainfold import JOB_STATUS, Folded, RangeFold, merge
from org.bus._walk import GENESIS, UNSURE, walk, walk_in_process
from org.bus.store import Store, Tx
from org.bus.tx import prepared

__all__ = [
    "GENESIS",
    "ENCODED",
    "canonical",
    "header",
    "link",
    "iso",
    "append",
    "verify",
    "VerifyReport",
    "decode_body",
    "token_fingerprint",
    "chained",
    "chained_query",
    "job_from_chain",
    "create_header_indexes",
]


_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=str
)


def canonical(obj: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: one byte string per value."""
    return _ENCODER.encode(obj).encode("utf-8")


def header(seq: int, task: str | None, type_: str) -> bytes:
    return f"{seq}\x1f{task or ''}\x1f{type_}\x1e".encode()


def decode_body(body: bytes | memoryview) -> dict:
    """The event's JSON (after the header)."""
    b = bytes(body)
    return json.loads(b[b.index(b"\x1e") + 1 :])


def link(prev: bytes, body: bytes) -> bytes:
    return hashlib.sha256(prev + body).digest()


# The hashed header's task and type as SQL expressions over `body` (ADR 0221): what the deciding reads select by,
# so an edit of the unhashed task or type columns hides no event from them. One home for both dialects; the
# indexes below are on exactly these expressions (a query must spell an expression index's expression alike).
def _header_sql(pg: bool) -> tuple[str, str]:
    """(task 0x1f type, type) of the body's header, as SQL."""
    if pg:
        head = "substring(body from 1 for position('\\x1e'::bytea in body) - 1)"
        tail = f"substring({head} from position('\\x1f'::bytea in {head}) + 1)"
        return tail, f"substring({tail} from position('\\x1f'::bytea in {tail}) + 1)"
    head = "substr(body, 1, instr(body, X'1e') - 1)"
    tail = f"substr({head}, instr({head}, X'1f') + 1)"
    return tail, f"substr({tail}, instr({tail}, X'1f') + 1)"


def create_header_indexes(tx: Tx) -> None:
    """The expression indexes the deciding reads use: by the header's type, and by its task and type."""
    task_type, type_ = _header_sql(tx.pg)
    tx.x(f"CREATE INDEX IF NOT EXISTS ix_events_head_type ON events (({type_}), seq)")
    tx.x(f"CREATE INDEX IF NOT EXISTS ix_events_head_task ON events (({task_type}), seq)")


def chained_query(
    pg: bool, types: tuple[str, ...], task: str | None = None, after: int = 0
) -> tuple[str, dict[str, Any]]:
    """The statement `chained` runs (for tx.ahead: sent early, answered in one round trip with other reads)."""
    task_type, type_ = _header_sql(pg)
    if task is None:
        expr, keys = type_, [t.encode() for t in types]
    else:
        expr, keys = task_type, [f"{task}\x1f{t}".encode() for t in types]
    marks = ", ".join(f":k{i}" for i in range(len(keys)))
    return (
        prepared(
            f"SELECT seq, body, hash, (SELECT p.hash FROM events p WHERE p.seq = events.seq - 1) FROM events "
            f"WHERE {expr} IN ({marks}) AND seq > :after ORDER BY seq"
        ),
        {**{f"k{i}": k for i, k in enumerate(keys)}, "after": after},
    )


def chained(
    tx: Tx, types: tuple[str, ...], task: str | None = None, *, after: int = 0
) -> list[tuple[int, str, dict]]:
    """[(seq, type, event)] of the events whose HASHED header names one of `types` (and `task`, when given),
    after seq `after`, oldest first; each one's link to the row before it checked. A deciding read: an event
    hidden from it by an edit of the task or type column is still read, an edited body fails closed
    (IntegrityError, exit 8), and a deleted one is named by `org audit verify`."""
    from org.errors import IntegrityError

    rows = tx.x(*chained_query(tx.pg, types, task, after)).all()
    out = []
    for seq, body, digest, prev in rows:
        body = bytes(body)
        before = GENESIS if int(seq) == 1 else (bytes(prev) if prev is not None else None)
        try:
            if before is None or link(before, body) != bytes(digest):
                raise ValueError("link")
            head, _, _ = body.partition(b"\x1e")
            n, t, typ = head.decode().split("\x1f")
            ev = decode_body(body)
            if int(n) != int(seq) or ev.get("type") != typ or (ev.get("task") or "") != t or typ not in types:
                raise ValueError("header")
        except (ValueError, TypeError, UnicodeDecodeError) as exc:
            raise IntegrityError(
                f"event {seq} of the audit chain does not link or read as written; run 'org audit verify'"
            ) from exc
        out.append((int(seq), typ, ev))
    return out


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# PostgreSQL chains in the server (ADR 0245): one statement locks the head, builds each body exactly as
# `header` + the canonical JSON the bus sent, links it with sha256, inserts the events and moves the head; it
# goes out with the NOTIFY and the COMMIT in one round trip, so the head is held for the server's work and
# the commit's WAL flush only, never across a client round trip. Installed by schema 6 (org.bus.schema).
CHAIN_FUNCTION = """
CREATE OR REPLACE FUNCTION org_chain_append(tasks text[], types text[], jsons bytea[]) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
  first bigint; s bigint; h bytea; b bytea; i int; bodies bytea[]; hashes bytea[];
BEGIN
  SELECT seq, hash INTO s, h FROM audit_head WHERE id = 1 FOR UPDATE;
  first := s;
  FOR i IN 1 .. coalesce(array_length(types, 1), 0) LOOP
    s := s + 1;
    b := convert_to(s::text || chr(31) || coalesce(tasks[i], '') || chr(31) || types[i] || chr(30), 'UTF8')
         || jsons[i];
    h := sha256(h || b);
    bodies[i] := b;
    hashes[i] := h;
  END LOOP;
  INSERT INTO events (seq, task, type, body, hash)
    SELECT first + k, tasks[k], types[k], bodies[k], hashes[k] FROM generate_subscripts(types, 1) AS k;
  UPDATE audit_head SET seq = s, hash = h WHERE id = 1;
  RETURN s;
END
$fn$
"""


# An event queued with its canonical JSON already made (org.bus.context.Ctx.record_batch: one event encoded, the
# others spliced from it) carries it under this key, which no event field can be named (it starts with NUL).
ENCODED = "\x00canonical"


def _json_of(ev: dict, ts: str) -> bytes:
    made = ev.get(ENCODED)
    if made is not None:
        return made
    ev["ts"] = ts
    return canonical(ev)


def append(tx: Tx) -> None:
    """Chain and insert tx.events (called last in a write transaction, so the head lock is short)."""
    if not tx.events:
        return
    if tx.pg and tx.store is not None:
        _append_pg(tx)
        return
    row = tx.x("SELECT seq, hash FROM audit_head WHERE id = 1" + (" FOR UPDATE" if tx.pg else "")).one()
    seq, prev = int(row[0]), bytes(row[1])
    ts = iso(tx.now)
    rows = []
    for ev in tx.events:
        seq += 1
        body = header(seq, ev.get("task"), ev["type"]) + _json_of(ev, ts)
        prev = link(prev, body)
        rows.append((seq, ev.get("task"), ev["type"], body, prev))
        tx.appended.append(seq)
    tx.insert_many("events", ("seq", "task", "type", "body", "hash"), rows)  # SQLite: one executemany
    tx.x("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1", {"s": seq, "h": prev})


_APPEND_PG = prepared(
    "SELECT pg_notify(:ch, :p || org_chain_append(:tasks::text[], :types::text[], :jsons::bytea[])::text || '}')"
)


def _append_pg(tx: Tx) -> None:
    """The events' canonical JSON to org_chain_append, and the listeners' NOTIFY naming the new head, in one
    statement nobody waits for (it goes out with the commit)."""
    ts = iso(tx.now)
    tasks, types, jsons = [], [], []
    for ev in tx.events:
        tasks.append(ev.get("task"))
        types.append(ev["type"])
        jsons.append(_json_of(ev, ts))
    assert tx.store is not None
    tx.send(
        _APPEND_PG,
        {
            "ch": tx.store.channel(tx.conn),
            "p": tx.store.payload_head(tx),
            "tasks": tasks,
            "types": types,
            "jsons": jsons,
        },
    )
    tx.notified = True


@dataclass
class VerifyReport:
    ok: bool
    events: int
    seconds: float
    head_seq: int
    head_hash: str
    broken_seq: int | None = None
    problem: str = ""
    anchors_checked: list[int] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")

    def to_json(self) -> dict:
        return {
            "ok": self.ok,
            "events": self.events,
            "seconds": round(self.seconds, 4),
            "events_per_second": round(self.per_second) if self.seconds > 0 else None,
            "head": {"seq": self.head_seq, "hash": self.head_hash},
            "broken": None if self.ok else {"seq": self.broken_seq, "problem": self.problem},
            "anchors_checked": self.anchors_checked,
        }


def verify(
    store: Store,
    *,
    batch: int = 20_000,
    anchors: dict[int, str] | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> VerifyReport:
    """Check the whole log up to the head read at the start, streaming in batches (ranges in parallel
    worker processes for large logs). Names the first broken link.

    On SQLite the log is first checked in one pass (ADR 0300): every row's shape and header in the read that
    walks it, in storage order. Only a log that passes every check is reported from that pass; anything it
    finds off (or unsure) is checked again by the full checks, which name the first broken link."""
    if store.dialect != "postgresql":
        t0 = time.perf_counter()
        rep = _verify(store, batch, anchors, progress, workers, one_pass=True)
        if rep.ok:
            return rep
        again = _verify(store, batch, anchors, progress, workers, one_pass=False)
        again.seconds = time.perf_counter() - t0  # both passes
        return again
    return _verify(store, batch, anchors, progress, workers, one_pass=False)


def _verify(
    store: Store,
    batch: int,
    anchors: dict[int, str] | None,
    progress: Callable[[int], None] | None,
    workers: int | None,
    *,
    one_pass: bool,
) -> VerifyReport:
    anchors = {int(k): v.lower() for k, v in (anchors or {}).items()}
    t0 = time.perf_counter()
    raw = store.raw()
    pg = store.dialect == "postgresql"
    try:
        conn = raw.driver_connection
        cur = conn.cursor()
        if pg:
            conn.autocommit = False
            cur.execute(
                "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"
            )  # one snapshot throughout
        else:
            cur.execute("PRAGMA busy_timeout = 10000")
            cur.execute("BEGIN")  # a WAL read transaction: one snapshot throughout
        malformed = _first_malformed(cur, pg, seq_only=one_pass)
        if (
            malformed is not None
        ):  # a row whose types or encoding were changed: named before anything reads it
            with contextlib.suppress(Exception):
                raw.rollback()
            return VerifyReport(
                False, max(0, malformed[0] - 1), time.perf_counter() - t0, 0, "", malformed[0], malformed[1]
            )
        cur.execute("SELECT seq, hash FROM audit_head WHERE id = 1")
        hrow = cur.fetchone()
        head_seq = int(hrow[0]) if hrow else 0
        head_hash = bytes(hrow[1]) if hrow else GENESIS
        cur.execute("SELECT count(*), min(seq), max(seq) FROM events")
        count, low, top = (int(x or 0) for x in cur.fetchone())
        problems: list[tuple[int, str]] = []
        if count and (low != 1 or top - low + 1 != count):
            gap = _first_gap(cur, pg, low)
            problems.append((gap, f"event {gap} is missing (the log jumps from {gap - 1} past it)"))
        upto = min([head_seq, top] + [p[0] - 1 for p in problems])
        wanted = _rows_to_compare(cur)
        bad: list[int | None] = []

        def check_headers() -> None:  # runs in this process while worker processes walk the chain
            bad.append(None if one_pass else _first_bad_header(cur, pg))  # one pass: each row in its walk

        n, last, broken, folded = _walk_all(
            store, conn, pg, upto, batch, anchors, progress, workers, check_headers, wanted, one_pass
        )
        if not bad:
            check_headers()
        if bad[0] is not None:
            problems.append(
                (
                    bad[0],
                    f"event {bad[0]} does not match its row (its seq, task or type was changed, "
                    "or it was moved)",
                )
            )
        if broken is not None:
            problems.append(broken)
        elif not problems and top > head_seq:
            problems.append(
                (
                    head_seq + 1,
                    f"events after {head_seq} exist but the head records {head_seq}: they were "
                    "appended outside the bus",
                )
            )
        elif not problems and top < head_seq:
            problems.append(
                (
                    top + 1,
                    f"the log ends at event {top} but its head records {head_seq}: events were "
                    "removed from the end",
                )
            )
        elif not problems and last != head_hash:
            problems.append((n, f"the last event {n} does not match the head's hash"))
        if not problems and n == head_seq:  # the chain holds: do the tables say what it says? (ADR 0113)
            problems += _tables_disagree(cur, pg, head_seq, store.clock(), folded)[:1]
        with contextlib.suppress(Exception):  # a read-only transaction; nothing to keep
            raw.rollback()
            if not pg:
                cur.execute(f"PRAGMA busy_timeout = {int(store.busy_timeout_ms)}")
    finally:
        raw.close()
    dt = time.perf_counter() - t0
    checked = sorted(s for s in anchors if s <= n)
    missing = [s for s in anchors if s > head_seq]
    if missing:
        problems.append(
            (min(missing), f"anchored event {min(missing)} is missing (the log ends at {head_seq})")
        )
    if problems:
        seq, why = min(problems)
        return VerifyReport(False, max(0, min(n, seq - 1)), dt, head_seq, head_hash.hex(), seq, why, checked)
    return VerifyReport(True, n, dt, head_seq, head_hash.hex(), anchors_checked=checked)


_PARALLEL_FROM = 100_000


def _walk_all(
    store: Store,
    conn,
    pg: bool,
    head: int,
    batch: int,
    anchors: dict[int, str],
    progress,
    workers: int | None,
    during: Callable[[], None],
    wanted: tuple[frozenset, frozenset],
    one_pass: bool = False,
) -> tuple[int, bytes, tuple[int, str] | None, Folded]:
    """Walk 1..head (in worker processes by range for large logs), folding the tables' events on the way."""
    import os

    if head <= 0:
        return 0, GENESIS, None, merge([])
    n_workers = (
        workers if workers is not None else (min(os.cpu_count() or 1, 4) if head >= _PARALLEL_FROM else 1)
    )
    if n_workers <= 1:
        done = [0]

        def bump(k: int) -> None:
            done[0] += k
            if progress is not None:
                progress(done[0])

        during()
        fold = RangeFold(*wanted)
        n, last, broken = walk(
            conn, pg, 1, head, batch=batch, anchors=anchors, progress=bump, fold=fold, one_pass=one_pass
        )
        return n, last, broken, merge([fold.result()])
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    if pg:
        url = store.engine.url.render_as_string(hide_password=False)
        spec: tuple = ("postgresql", "postgresql://" + url.split("://", 1)[1])
    else:
        from org.bus.store import sqlite_path

        spec = ("sqlite", str(sqlite_path(store.url)))
    bounds = [1 + head * i // n_workers for i in range(n_workers)] + [head + 1]
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    counter = ctx.Value("q", 0)
    with ProcessPoolExecutor(n_workers, mp_context=ctx, initializer=_init_counter, initargs=(counter,)) as ex:
        futs = [
            ex.submit(_walk_range, spec, bounds[i], bounds[i + 1] - 1, anchors, wanted, one_pass)
            for i in range(n_workers)
        ]
        during()
        while not all(f.done() for f in futs):
            time.sleep(0.05)
            if progress is not None:
                progress(counter.value)
        results = [f.result() for f in futs]
    for r, _ in results:  # the first range with a problem names the first broken link
        if r[2] is not None:
            return (*r, merge([]))
    return (*results[-1][0], merge([part for _, part in results]))


_COUNTER = None


def _init_counter(counter) -> None:
    global _COUNTER
    _COUNTER = counter


def _walk_range(
    spec: tuple, lo: int, hi: int, anchors: dict[int, str], wanted: tuple, one_pass: bool = False
):
    return walk_in_process(spec, lo, hi, anchors, _COUNTER, wanted, one_pass)


def _rows_to_compare(cur: Any) -> tuple[frozenset, frozenset]:
    """The ids of the jobs and tokens rows (in verify's snapshot): the fold keeps what the chain says of these only.
    A table that cannot be read gives nothing here; the tables' check names it."""
    try:
        cur.execute("SELECT id FROM jobs")
        jobs = frozenset(r[0] for r in cur.fetchall())
        cur.execute("SELECT id FROM org_tokens")
        return jobs, frozenset(r[0] for r in cur.fetchall())
    except Exception:
        return frozenset(), frozenset()


def _first_malformed(cur, pg: bool, seq_only: bool = False) -> tuple[int, str] | None:
    """(seq, problem) of the first row of the log or its head whose column types or sizes are not what the bus
    writes (an integer seq, text task and type, a 32-byte hash, a body of bytes), found by SQL before any of
    it is read as such; None when every row has the right shape. `seq_only` (SQLite's one pass): the seqs
    only, from the seq index; the walk checks each row's other columns as it reads it (_walk._fit)."""
    if pg:  # PostgreSQL keeps column types itself: only sizes and emptiness can be off
        cur.execute("SELECT seq FROM events WHERE octet_length(hash) <> 32 OR type = '' ORDER BY seq LIMIT 1")
        r = cur.fetchone()
        if r is not None:
            return int(r[0]), f"event {int(r[0])} has a malformed row (its hash or type was changed)"
        cur.execute("SELECT 1 FROM audit_head WHERE id = 1 AND (octet_length(hash) <> 32 OR seq < 0)")
        return (1, "the audit head was altered (its hash or seq is malformed)") if cur.fetchone() else None
    if seq_only:  # a covering scan of the seq index, not of the rows
        cur.execute("SELECT count(*) FROM events WHERE typeof(seq) <> 'integer' OR seq < 1")
        r = (0, 0) if cur.fetchone()[0] else None
    else:
        cur.execute(
            "SELECT rowid, seq, typeof(seq), typeof(task), typeof(type), typeof(body), typeof(hash), length(hash) "
            "FROM events WHERE typeof(seq) <> 'integer' OR seq < 1 OR typeof(type) <> 'text' "
            "OR typeof(task) NOT IN ('text', 'null') OR typeof(body) <> 'blob' OR typeof(hash) <> 'blob' "
            "OR length(hash) <> 32 ORDER BY seq LIMIT 1"
        )
        r = cur.fetchone()
    if r is not None and seq_only:
        return 1, UNSURE
    if r is not None:
        rowid, seq, *kinds = r
        where = int(seq) if kinds[0] == "integer" and seq >= 1 else int(rowid)
        return where, (
            f"event {where} has a malformed row (seq {kinds[0]}, task {kinds[1]}, type {kinds[2]}, "
            f"body {kinds[3]}, hash {kinds[4]} of {kinds[5]} bytes): it was altered outside the bus"
        )
    cur.execute(
        "SELECT 1 FROM audit_head WHERE id = 1 AND (typeof(seq) <> 'integer' OR seq < 0 "
        "OR typeof(hash) <> 'blob' OR length(hash) <> 32)"
    )
    return (1, "the audit head was altered (its seq or hash is malformed)") if cur.fetchone() else None


def _first_gap(cur, pg: bool, low: int) -> int:
    if low != 1:
        return 1
    cur.execute(
        "SELECT min(e.seq) + 1 FROM events e WHERE NOT EXISTS (SELECT 1 FROM events f WHERE f.seq = e.seq + 1) "
        "AND e.seq < (SELECT max(seq) FROM events)"
    )
    return int(cur.fetchone()[0])


def _first_bad_header(cur, pg: bool) -> int | None:
    """One SQL scan: the first row whose body header is not 'seq 0x1f task 0x1f type 0x1e'."""
    if pg:
        h = "convert_to(seq::text || chr(31) || coalesce(task, '') || chr(31) || type || chr(30), 'UTF8')"
        cur.execute(f"SELECT min(seq) FROM events WHERE position({h} in body) <> 1")
    else:
        h = "CAST(CAST(seq AS TEXT) || char(31) || coalesce(task, '') || char(31) || type || char(30) AS BLOB)"
        cur.execute(f"SELECT min(seq) FROM events WHERE instr(body, {h}) <> 1")
    r = cur.fetchone()
    return int(r[0]) if r and r[0] is not None else None


def token_fingerprint(tid: Any, salt: Any, digest: Any) -> str:
    """What binds a token's stored secret hash to its id (ADR 0210): recorded in the chain when the token is
    made, compared with the row's salt and hash at authentication and by `audit verify`, so a row whose salt and
    hash were copied from another token (whose secret one knows) is not the token the chain issued. The hash is
    already a peppered HMAC of a 256-bit secret; this digest of it reveals nothing usable and needs no pepper."""
    return hashlib.sha256(f"org-token\x00{tid}\x00{salt}\x00{digest}".encode()).hexdigest()


# -- the tables are caches of the fold (ADR 0113); the fold itself is org.bus._chainfold (ADR 0260) ----------
_JOB_STATUS = JOB_STATUS
_JOB_EVENTS = ("job.posted", "job.claimed", *_JOB_STATUS)


def job_from_chain(tx: Tx, task: str, job: int) -> dict | None:
    """{gate, status, leased_by} of job `job` of task `task` as its chained events leave it (by the hashed
    header, ADR 0221), or None when no event of the task names it. The deciding reads of who holds which gate
    (a job token's scope, via=pipeline) read this, never the jobs row, which is a cache verify compares."""
    out: dict | None = None
    for _seq, typ, ev in chained(tx, _JOB_EVENTS, task):
        if ev.get("job") != job:
            continue
        if typ == "job.posted":
            out = {"gate": ev.get("gate"), "status": "queued", "leased_by": None}
        elif out is None:
            continue
        elif typ == "job.claimed":
            out = {**out, "status": "leased", "leased_by": ev.get("actor")}
        else:
            out = {**out, "status": _JOB_STATUS[typ], "leased_by": None}
    return out


# a lease's end may lie this far past `now + lease_seconds` (clocks of the writers and of verify)
_LEASE_SLACK = 300.0


def _number_at_most(v: Any, limit: float) -> bool:
    """Is `v` a stored number (not a bool, a string or bytes) no greater than `limit`?"""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    return float(v) <= limit


def _iso_or(ts: Any) -> Any:
    """A stored time as the events write it (iso), or the value itself when it is not a finite number."""
    try:
        return iso(float(ts)) if isinstance(ts, (int, float)) and not isinstance(ts, bool) else ts
    except (ValueError, OverflowError, OSError):
        return ts


def _flag(v: Any) -> bool | None:
    """A stored boolean as written by the bus (SQLite 0/1, PostgreSQL bool); anything else is None."""
    if isinstance(v, bool):
        return v
    if type(v) is int and v in (0, 1):
        return bool(v)
    return None


def _same_value(row: Any, chain: Any) -> bool:
    if chain is None or row is None:
        return row is None and chain is None
    if isinstance(chain, bool) or isinstance(row, bool):
        return _flag(row) is chain
    if isinstance(chain, (int, float)) and not isinstance(row, (str, bytes)):
        try:
            return float(row) == float(chain)
        except (TypeError, ValueError, OverflowError):
            return False
    return type(row) is type(chain) and row == chain


def _tables_disagree(cur: Any, pg: bool, head_seq: int, now: float, folded: Folded) -> list[tuple[int, str]]:
    """Name every row of `switches`, `org_tokens` and `jobs` that says otherwise than the chain's fold (made during
    the walk): a row no event made, a field that differs, a row the chain made that is gone. Never raises: a row
    whose types or encoding were changed is a disagreement."""
    try:
        return _disagreements(cur, head_seq, now, folded)
    except Exception as e:
        return [(head_seq, f"the tables cannot be read against the chain ({type(e).__name__})")]


def _disagreements(cur: Any, head_seq: int, now: float, folded: Folded) -> list[tuple[int, str]]:
    switches, tokens, jobs = folded.switches, folded.tokens, folded.jobs
    claims, status, lease, job_tokens = folded.claims, folded.status, folded.lease, folded.job_tokens
    out: list[tuple[int, str]] = []

    def compare(table: str, key: Any, fields: dict, said: tuple[int, dict] | None) -> None:
        if said is None:
            out.append((head_seq, f"table {table} row {key!r}: no event in the chain made it"))
            return
        seq, want = said
        for f, v in want.items():
            if not _same_value(fields.get(f), v):
                out.append(
                    (
                        seq,
                        f"table {table} row {key!r} field {f}: the chain says {v!r} (event {seq}), "
                        f"the row says {fields.get(f)!r}",
                    )
                )

    cur.execute("SELECT id, scope, target, active FROM switches")
    seen: set[Any] = set()
    for sid, scope, target, active in cur.fetchall():
        seen.add(sid)
        compare("switches", sid, {"scope": scope, "target": target, "active": active}, switches.get(sid))
    out += [
        (seq, f"table switches row {sid!r}: gone, but event {seq} made it")
        for sid, (seq, _) in switches.items()
        if sid not in seen
    ]
    cur.execute(
        "SELECT id, kind, principal, principal_kind, expires_at, revoked_at, created_by, job, fence, task, gate, "
        "lane, salt, hash FROM org_tokens"
    )
    seen = set()
    for (
        tid,
        kind,
        who,
        pkind,
        exp,
        revoked_at,
        by,
        job,
        fence,
        task,
        gate,
        lane,
        salt,
        digest,
    ) in cur.fetchall():
        seen.add(tid)
        fp = token_fingerprint(tid, salt, digest)
        if kind == "job" and tid not in tokens:
            # a job token is the claim's (ADR 0113 left them out): its job.claimed event names it; a pruned
            # one is gone by design, a forged one is named
            fields = {
                "kind": kind,
                "principal": who,
                "principal_kind": pkind,
                "created_by": by,
                "job": job,
                "fence": fence,
                "task": task,
                "gate": gate,
                "lane": lane,
                "expires_at": _iso_or(exp),
                "revoked": revoked_at is not None,
                "fingerprint": fp,
            }
            made = job_tokens.get(tid)
            if made is not None and fields["revoked"] and not made[1]["revoked"]:
                made = (made[0], {**made[1], "revoked": True})  # revoking it is only ever stricter
            compare("org_tokens", tid, fields, made)
            continue
        fields = {
            "kind": kind,
            "principal": who,
            "principal_kind": pkind,
            "created_by": by,
            "expires_at": exp,
            "revoked": revoked_at is not None,
            "fingerprint": fp,
        }
        compare("org_tokens", tid, fields, tokens.get(tid))
    out += [
        (seq, f"table org_tokens row {tid!r}: gone, but event {seq} made it")
        for tid, (seq, _) in tokens.items()
        if tid not in seen
    ]
    cur.execute(
        "SELECT id, task, gate, lane, kind, status, leased_by, fence, lease_seconds, lease_expires FROM jobs"
    )
    for jid, task, gate, lane, kind, stat, leased_by, fence, lease_s, lease_exp in cur.fetchall():
        compare("jobs", jid, {"task": task, "gate": gate, "lane": lane, "kind": kind}, jobs.get(jid))
        said_status = status.get(jid)
        if said_status is not None:
            compare("jobs", jid, {"status": stat}, (said_status[0], {"status": said_status[1]}))
        if stat == "leased":  # who holds the lease, under which fence: the last claim says
            claim = claims.get(jid)
            if claim is None:
                out.append(
                    (head_seq, f"table jobs row {jid!r} field status: leased, but no job.claimed event")
                )
                continue
            compare("jobs", jid, {"leased_by": leased_by, "fence": fence}, claim)
            said_lease = lease.get(jid)
            if said_lease is not None and said_lease[1]["lease_seconds"] is not None:
                compare("jobs", jid, {"lease_seconds": lease_s}, said_lease)
                # a heartbeat moves the end to now + lease_seconds, never further (heartbeats are not evented)
                limit = now + float(said_lease[1]["lease_seconds"]) + _LEASE_SLACK
                if not _number_at_most(lease_exp, limit):
                    out.append(
                        (
                            said_lease[0],
                            f"table jobs row {jid!r} field lease_expires: {lease_exp!r} lies past what a "
                            f"heartbeat can give (now + {said_lease[1]['lease_seconds']} s, event {said_lease[0]})",
                        )
                    )
    return sorted(out, key=lambda p: (p[0], p[1]))
