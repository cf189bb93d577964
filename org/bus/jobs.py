"""Job rows: reading them, parsing job ids, and the refusal that names why a token no longer holds."""

from __future__ import annotations

from typing import NoReturn

from org.bus.store import Tx
from org.bus.tx import prepared
from org.errors import Conflict, NotFound

__all__ = ["JOB_COLS", "job_row", "job_rows", "job_id", "refuse"]

JOB_COLS = (
    "id, task, gate, lane, kind, status, priority, round, slot, revision, excluded, attempts, max_attempts, "
    "fence, token, leased_by, lease_seconds, lease_expires, verdict, result, payload, reason"
)

_ROWS_PG = prepared(f"SELECT {JOB_COLS} FROM jobs WHERE id = ANY(:ids::bigint[]) ORDER BY id")
_ROWS_PG_LOCKED = prepared(_ROWS_PG + " FOR UPDATE")


def job_row(tx: Tx, job: int, *, lock: bool = False) -> dict | None:
    r = tx.x(
        f"SELECT {JOB_COLS} FROM jobs WHERE id = :j" + (" FOR UPDATE" if lock and tx.pg else ""),
        {"j": int(job)},
    ).one_or_none()
    if r is None:
        return None
    return dict(zip([c.strip() for c in JOB_COLS.split(",")], r, strict=True))


def job_rows(tx: Tx, ids: list[int], *, lock: bool = False) -> dict[int, dict]:
    if not ids:
        return {}
    cols = [c.strip() for c in JOB_COLS.split(",")]
    if tx.pg:  # one statement text for any number of jobs (prepared, ADR 0295), by the primary key
        rows = tx.x(_ROWS_PG_LOCKED if lock else _ROWS_PG, {"ids": [int(j) for j in ids]}).all()
        return {int(r[0]): dict(zip(cols, r, strict=True)) for r in rows}
    marks = ", ".join(f":j{i}" for i in range(len(ids)))
    rows = tx.x(
        f"SELECT {JOB_COLS} FROM jobs WHERE id IN ({marks}) ORDER BY id" + (" FOR UPDATE" if lock else ""),
        {f"j{i}": j for i, j in enumerate(ids)},
    ).all()
    return {int(r[0]): dict(zip(cols, r, strict=True)) for r in rows}


def job_id(ref: str | int) -> int:
    s = str(ref).strip()
    if s.upper().startswith("J-"):
        s = s[2:]
    elif s.upper().startswith("J"):
        s = s[1:]
    if not s.isdigit():
        raise NotFound(f"no job '{ref}' (job ids are numbers)")
    return int(s)


def refuse(tx: Tx, jid: int, token: str, what: str) -> NoReturn:
    j = job_row(tx, jid)
    if j is None:
        raise NotFound(f"no job {jid}")
    if j["token"] != token:
        raise Conflict(
            f"stale token for job {jid}: the lease moved on (fence {j['fence']}, {j['status']}"
            + (f" by {j['leased_by']}" if j["status"] == "leased" else "")
            + f"); your {what} was refused",
            job=jid,
            status=j["status"],
            fence=j["fence"],
        )
    raise Conflict(
        f"job {jid} is {j['status']}"
        + (f" ({j['reason']})" if j["reason"] else "")
        + f"; your {what} was refused",
        job=jid,
        status=j["status"],
    )
