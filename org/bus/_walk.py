"""Checking one range of the audit chain with C-level bulk operations (kept free of heavy imports so
`audit verify` can fan ranges out to worker processes that start in milliseconds).

A link needs only the stored hash of the row before it, so ranges are independent: each checks that
its seqs are contiguous from `lo` to `hi` and that hash[s] == sha256(hash[s - 1] || body[s]) for each
row, starting from the stored hash of row lo - 1 (GENESIS for lo = 1).
"""

from __future__ import annotations

import hashlib
from operator import methodcaller
from typing import Any

from org.bus._chainfold import RangeFold

__all__ = ["walk", "walk_in_process", "GENESIS", "ROW_OK", "UNSURE"]

GENESIS = hashlib.sha256(b"org audit chain v1").digest()

# One pass (ADR 0300): each row's shape (what `audit._first_malformed` looks for) and its header (what
# `audit._first_bad_header` looks for), checked by SQLite in the same read that hands the walk its body and hash.
ROW_OK = (
    "typeof(seq) = 'integer' AND seq >= 1 AND typeof(type) = 'text' AND typeof(task) IN ('text', 'null') "
    "AND typeof(body) = 'blob' AND typeof(hash) = 'blob' AND length(hash) = 32 AND instr(body, CAST(CAST(seq AS "
    "TEXT) || char(31) || coalesce(task, '') || char(31) || type || char(30) AS BLOB)) = 1"
)
UNSURE = "not as the bus writes it in the one-pass walk: checked again in full"


def walk(
    conn,
    pg: bool,
    lo: int,
    hi: int,
    *,
    batch: int = 20_000,
    anchors: dict[int, str] | None = None,
    progress=None,
    name: str = "org_audit_walk",
    fold: RangeFold | None = None,
    one_pass: bool = False,
) -> tuple[int, bytes, tuple[int, str] | None]:
    """Check rows lo..hi, which the caller has proved contiguous (so row i has seq lo + i). Returns
    (last seq checked, its hash, first problem or None). conn: a DB-API connection in a read transaction.
    `fold`, when given, is handed every row's (seq, type, body) as it streams by (the tables' check).
    `one_pass` (SQLite): read the rows in storage (rowid) order, each with ROW_OK; a row out of seq order, a
    row whose shape or header is off, or a body that is not bytes is a problem naming UNSURE (the caller
    checks again in full, to name the first broken link as the full checks name it)."""
    anchors = anchors or {}
    ph = "%s" if pg else "?"
    if lo <= 1:
        prev = GENESIS
    else:
        c = conn.cursor()
        c.execute(f"SELECT hash FROM events WHERE seq = {ph}", (lo - 1,))
        r = c.fetchone()
        c.close()
        if r is None:
            return lo - 1, b"", (lo - 1, f"event {lo - 1} is missing")
        prev = bytes(r[0])
    if one_pass and not pg:
        return _one_pass(conn, lo, hi, prev, batch, anchors, progress, fold)
    if pg:
        cur = conn.cursor(name=name, binary=True)
        cur.itersize = batch
    else:
        cur = conn.cursor()
    cur.execute(
        f"SELECT type, body, hash FROM events WHERE seq >= {ph} AND seq <= {ph} ORDER BY seq", (lo, hi)
    )
    sha, dig = hashlib.sha256, methodcaller("digest")
    at = lo  # seq of the next row
    try:
        while True:
            rows = cur.fetchmany(batch)
            if not rows:
                break
            types, bodies, hashes = zip(*rows, strict=True)
            if pg:
                bodies, hashes = tuple(map(bytes, bodies)), tuple(map(bytes, hashes))
            k = len(hashes)
            calc = list(map(dig, map(sha, map(bytes.__add__, (prev, *hashes[:-1]), bodies))))
            if calc != list(hashes):
                i = next(i for i in range(k) if calc[i] != hashes[i])
                return (
                    at + i - 1,
                    (hashes[i - 1] if i else prev),
                    (
                        at + i,
                        f"event {at + i} does not match its hash: it was edited, or the event before it "
                        "was changed, removed or moved",
                    ),
                )
            for s, want in anchors.items():
                if at <= s < at + k and hashes[s - at].hex() != want:
                    return (
                        s - 1,
                        (hashes[s - at - 1] if s > at else prev),
                        (s, f"event {s} does not match the anchor recorded for it"),
                    )
            if fold is not None:
                fold.add_rows(at, types, bodies)
            prev = hashes[-1]
            at += k
            if progress is not None:
                progress(k)
    finally:
        cur.close()
    if at <= hi:
        return at - 1, prev, (at, f"event {at} is missing (the log ends at {at - 1})")
    return hi, prev, None


def _one_pass(
    conn, lo: int, hi: int, prev: bytes, batch: int, anchors: dict[int, str], progress, fold: RangeFold | None
) -> tuple[int, bytes, tuple[int, str] | None]:
    """walk(one_pass=True) on SQLite: rows lo..hi in rowid order from row lo's rowid (the bus appends in seq order,
    so a log is stored in it), each checked for its seq, its shape and its header by ROW_OK, and linked."""
    cur = conn.cursor()
    cur.execute("SELECT rowid FROM events WHERE seq = ?", (lo,))
    r = cur.fetchone()
    if r is None:
        cur.close()
        return lo - 1, prev, (lo, UNSURE)
    cur.execute(
        f"SELECT seq, type, body, hash, {ROW_OK} FROM events WHERE rowid >= ? ORDER BY rowid LIMIT ?",
        (r[0], hi - lo + 1),
    )
    sha, dig = hashlib.sha256, methodcaller("digest")
    at = lo
    try:
        while True:
            rows = cur.fetchmany(batch)
            if not rows:
                break
            seqs, types, bodies, hashes, oks = zip(*rows, strict=True)
            k = len(hashes)
            if seqs != tuple(range(at, at + k)) or oks.count(1) != k:
                return at - 1, prev, (at, UNSURE)
            try:
                calc = list(map(dig, map(sha, map(bytes.__add__, (prev, *hashes[:-1]), bodies))))
            except TypeError:  # a body that is not bytes
                return at - 1, prev, (at, UNSURE)
            if calc != list(hashes):
                return at - 1, prev, (at, UNSURE)
            for s, want in anchors.items():
                if at <= s < at + k and hashes[s - at].hex() != want:
                    return at - 1, prev, (at, UNSURE)
            if fold is not None:
                fold.add_rows(at, types, bodies)
            prev = hashes[-1]
            at += k
            if progress is not None:
                progress(k)
    finally:
        cur.close()
    if at <= hi:
        return at - 1, prev, (at, UNSURE)
    return hi, prev, None


def walk_in_process(
    spec: tuple,
    lo: int,
    hi: int,
    anchors: dict[int, str],
    counter=None,
    wanted: tuple | None = None,
    one_pass: bool = False,
):
    """Worker-process entry: open our own connection from spec, walk [lo, hi] in one snapshot. With `wanted`
    (job ids, token ids that have rows), also fold the range: returns (walk result, fold result or None)."""
    kind = spec[0]
    if kind == "sqlite":
        import sqlite3

        conn: Any = sqlite3.connect(spec[1], isolation_level=None, timeout=10)
        conn.execute("BEGIN")
        pg = False
    else:
        import psycopg

        conn = psycopg.connect(spec[1])
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        pg = True

    def bump(k: int) -> None:
        if counter is not None:
            with counter.get_lock():
                counter.value += k

    fold = RangeFold(*wanted) if wanted is not None else None
    try:
        result = walk(conn, pg, lo, hi, anchors=anchors, progress=bump, fold=fold, one_pass=one_pass)
        return result, (fold.result() if fold is not None else None)
    finally:
        conn.close()
