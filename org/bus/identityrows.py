"""The identity tables' SQL, and the few reads of the bus's tables identity makes: token rows
(org_tokens), failed-authentication counts (org_auth_failures), this database's id, a job's lease, an
actor's pause and a task's events of one type. org.identity decides (hashing, scope, who may); every
statement it needs is here, so the bus is the only door to the database (issue 22 item 2, ADR 0115).
Each function runs inside a transaction the caller holds (org.bus.store.Tx)."""

from __future__ import annotations

import secrets
from typing import Any

from org.bus.audit import chained
from org.bus.store import Store, Tx

__all__ = [
    "claimed_fingerprint",
    "claimed_token",
    "chained_fingerprint",
    "TOKEN_COLS",
    "db_id",
    "stored_db_id",
    "insert_token",
    "token_row",
    "token_exists",
    "live_tokens",
    "mark_revoked",
    "token_rows",
    "sweep_job_tokens",
    "forget_failures",
    "count_failure",
    "never_had_a_human_token",
    "lock_first_use",
    "actor_switch",
    "issued_behind",
    "job_lease",
    "task_event_bodies",
]

TOKEN_COLS = (
    "id, kind, principal, principal_kind, salt, hash, created_at, created_by, expires_at, revoked_at, "
    "revoked_by, note, job, fence, fence_token, task, gate, lane, actions"
)
_COLS = tuple(c.strip() for c in TOKEN_COLS.split(","))
_INSERTABLE = frozenset(_COLS) - {"revoked_at", "revoked_by"}
_DB_ID = "identity_db_id"
_FIRST_USE_LOCK = 0x0126_1D01  # serialises first uses on PostgreSQL
_COUNT_FAILURE = (  # rows quiet for the window are deleted first, so a row here is a recent run of failures
    "INSERT INTO org_auth_failures(key, first_at, last_at, failures) VALUES (:k, :t, :t, 1) "
    "ON CONFLICT(key) DO UPDATE SET failures = org_auth_failures.failures + 1, last_at = :t RETURNING failures"
)
_CAP_FAILURES = (
    "DELETE FROM org_auth_failures WHERE key IN (SELECT key FROM org_auth_failures "
    "ORDER BY last_at DESC, key LIMIT 1000000000 OFFSET :cap)"
)
_LISTED = (
    "id",
    "kind",
    "principal",
    "principal_kind",
    "created_at",
    "created_by",
    "expires_at",
    "revoked_at",
    "revoked_by",
    "job",
    "task",
    "gate",
    "fence_token",
)


def db_id(store: Store) -> str:
    """This database's own random id (bus_meta `identity_db_id`, made the first time it is asked for and never
    changed): the humans' token files are kept per database under it, so a second or a reset database never
    touches another's files (ADR 0058). Read every time, never cached: a file recreated at the same path is
    another database."""

    got = store.read(stored_db_id)
    if got:
        return got

    def make(tx: Tx) -> str:
        tx.x(
            "INSERT INTO bus_meta(key, value) VALUES (:k, :v) ON CONFLICT (key) DO NOTHING",
            {"k": _DB_ID, "v": secrets.token_hex(16)},
        )
        return tx.x("SELECT value FROM bus_meta WHERE key = :k", {"k": _DB_ID}).scalar_one()

    return store.write(make)


def stored_db_id(tx: Tx) -> str | None:
    """This database's id if it has been made (db_id makes it)."""
    return tx.x("SELECT value FROM bus_meta WHERE key = :k", {"k": _DB_ID}).scalar()


# -- tokens ----------------------------------------------------------------------------------------
def insert_token(tx: Tx, row: dict[str, Any]) -> None:
    """Store one token row (principal or job); `row` maps TOKEN_COLS names (not the revocation) to values."""
    bad = set(row) - _INSERTABLE
    if bad or "id" not in row:
        raise ValueError(f"not token columns: {sorted(bad)}" if bad else "a token row needs its id")
    cols = sorted(row)
    tx.x(
        f"INSERT INTO org_tokens({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})",
        dict(row),
    )


def token_row(tx: Tx, token_id: str) -> dict | None:
    """Every column of one token (TOKEN_COLS), or None."""
    r = tx.x(f"SELECT {TOKEN_COLS} FROM org_tokens WHERE id = :i", {"i": token_id}).one_or_none()
    return dict(zip(_COLS, r, strict=True)) if r is not None else None


def token_exists(tx: Tx, token_id: str) -> bool:
    return tx.x("SELECT 1 FROM org_tokens WHERE id = :i", {"i": token_id}).first() is not None


def live_tokens(
    tx: Tx, *, token_id: str | None = None, actor: str | None = None, jobs: bool = True
) -> list[tuple[str, str, str, str]]:
    """(id, principal, kind, principal_kind) of the unrevoked tokens with that id, or of that actor (with
    `jobs=False` its principal tokens only)."""
    params: dict[str, Any]
    if token_id is not None:
        sql, params = "id = :i", {"i": token_id}
    else:
        sql, params = "principal = :p" + ("" if jobs else " AND kind = 'principal'"), {"p": actor}
    rows = tx.x(
        f"SELECT id, principal, kind, principal_kind FROM org_tokens WHERE {sql} AND revoked_at IS NULL",
        params,
    ).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def mark_revoked(tx: Tx, token_id: str, by: str | None) -> None:
    tx.x(
        "UPDATE org_tokens SET revoked_at = :t, revoked_by = :b WHERE id = :i",
        {"t": tx.now, "b": by, "i": token_id},
    )


def token_rows(tx: Tx, *, actor: str | None = None, kind: str | None = None) -> list[dict]:
    """The listed columns of every token (of an actor, of a kind), oldest first; secrets' hashes never."""
    where, params = ["1 = 1"], dict[str, Any]()
    if actor:
        where.append("principal = :p")
        params["p"] = actor
    if kind:
        where.append("kind = :k")
        params["k"] = kind
    sql = f"SELECT {', '.join(_LISTED)} FROM org_tokens WHERE {' AND '.join(where)} ORDER BY created_at, id"
    return [dict(zip(_LISTED, r, strict=True)) for r in tx.x(sql, params).all()]


def sweep_job_tokens(tx: Tx, cut: float) -> int:
    """Delete the job tokens whose lease is over (the job no longer leased under their fencing token, or that
    lease expired) and whose own expiry is before `cut`; how many went."""
    return len(
        tx.x(
            "DELETE FROM org_tokens WHERE kind = 'job' AND COALESCE(expires_at, created_at) < :cut AND NOT "
            "EXISTS (SELECT 1 FROM jobs j WHERE j.id = org_tokens.job AND j.status = 'leased' AND "
            "j.token = org_tokens.fence_token AND (j.lease_expires IS NULL OR j.lease_expires > :now)) "
            "RETURNING id",
            {"cut": cut, "now": tx.now},
        ).all()
    )


def never_had_a_human_token(tx: Tx) -> bool:
    # principal rows are never deleted (revoking keeps them; the sweep removes only job tokens)
    return (
        tx.x("SELECT 1 FROM org_tokens WHERE kind = 'principal' AND principal_kind = 'human' LIMIT 1").first()
        is None
    )


def lock_first_use(tx: Tx) -> None:
    """Serialise first uses (SQLite's write lock does it already; an advisory lock on PostgreSQL)."""
    if tx.pg:
        tx.x("SELECT pg_advisory_xact_lock(:k)", {"k": _FIRST_USE_LOCK})


# -- failed authentications ------------------------------------------------------------------------
def forget_failures(tx: Tx, before: float) -> None:
    """Drop the counts of ids that had no failure since `before`."""
    tx.x("DELETE FROM org_auth_failures WHERE last_at <= :old", {"old": before})


def count_failure(tx: Tx, key: str, cap: int) -> int:
    """One more failure for `key` now; its count (1 for a new row, and then the table is kept to `cap` rows,
    the most recent)."""
    n = int(tx.x(_COUNT_FAILURE, {"k": key, "t": tx.now}).scalar_one())
    if n == 1:
        tx.x(_CAP_FAILURES, {"cap": cap})
    return n


# -- reads of the bus's own tables identity needs --------------------------------------------------
def actor_switch(tx: Tx, actor: str) -> tuple[int, str, str | None] | None:
    """(switch id, paused_by, note) of the active switch pausing this actor, or None."""
    from org.bus.switches import active_switches  # the chain's pauses, not the table's word (ADR 0166)

    for s in active_switches(tx):
        if s["scope"] == "actor" and s["target"] == actor:
            return (s["switch"], s["paused_by"], s["note"])
    return None


def job_lease(tx: Tx, job: int) -> tuple[str, str | None, float | None] | None:
    """(status, fencing token, lease_expires) of a job, or None."""
    r = tx.x("SELECT status, token, lease_expires FROM jobs WHERE id = :j", {"j": job}).first()
    return (r[0], r[1], r[2]) if r is not None else None


def task_event_bodies(tx: Tx, task_key: str, type_: str) -> list[dict]:
    """The decoded events of one type on one task (by its key), oldest first, selected by the hashed header."""
    return [ev for _s, _t, ev in chained(tx, (type_,), task_key)]


def issued_behind(tx: Tx, token_id: str) -> list[str]:
    """The `behind` the token.issued event of token `token_id` recorded (ADR 0111; the chain, not a table)."""
    said = issued_event(tx, token_id)
    return [str(x) for x in (said or {}).get("behind") or ()]


def issued_event(tx: Tx, token_id: str) -> dict | None:
    """What the token.issued event of token `token_id` says (its data, and its actor as `by`), or None."""
    for _s, _t, ev in reversed(chained(tx, ("token.issued",))):
        data = ev.get("data") or {}
        if data.get("token_id") == token_id:
            return {**data, "by": ev.get("actor")}
    return None


def chained_fingerprint(tx: Tx, token_id: str) -> str | None:
    """The fingerprint a token.fingerprint event (the schema 5 upgrade's) recorded for token `token_id`, or None."""
    for _s, _t, ev in chained(tx, ("token.fingerprint",)):
        data = ev.get("data") or {}
        if data.get("token_id") == token_id:
            return data.get("fingerprint")
    return None


def claimed_fingerprint(tx: Tx, task: str | None, token_id: str) -> tuple[bool, str | None]:
    """(is job token `token_id` named by a job.claimed event on `task`, the fingerprint the chain holds for it:
    that event's, else the schema 5 upgrade's token.fingerprint event's). Read by the hashed header."""
    said = claimed_token(tx, task, token_id)
    return (False, None) if said is None else (True, said["fingerprint"])


def claimed_token(tx: Tx, task: str | None, token_id: str) -> dict | None:
    """What the job.claimed event that minted job token `token_id` on `task` says of it (principal, job, gate,
    lane, fence and the fingerprint of its secret, as `claimed_fingerprint`), or None. By the hashed header."""
    for _s, _t, ev in reversed(chained(tx, ("job.claimed",), task)):
        data = ev.get("data") or {}
        if data.get("job_token") == token_id:
            fp = data.get("job_token_fingerprint")
            return {
                "principal": ev.get("actor"),
                "job": ev.get("job"),
                "gate": ev.get("gate"),
                "lane": ev.get("lane"),
                "task": ev.get("task"),
                "fingerprint": fp if fp is not None else chained_fingerprint(tx, token_id),
            }
    return None


def revoked_after(tx: Tx, seq: int) -> tuple[int, list[str]]:
    """(the last seq read, the ids of the tokens a token.revoked event after `seq` revoked), by the hashed
    header (ADR 0221: a revocation retyped in its column is still read)."""
    out, last = [], seq
    for s, _t, ev in chained(tx, ("token.revoked",), after=seq):
        last = s
        out.append(str((ev.get("data") or {}).get("token_id")))
    return last, out
