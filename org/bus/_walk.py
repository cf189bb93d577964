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

__all__ = ["walk", "walk_in_process", "GENESIS", "UNSURE"]

GENESIS = hashlib.sha256(b"org audit chain v1").digest()

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
    `one_pass` (SQLite, ADR 0300): each row's shape and header are checked on the values the walk reads; a row
    whose shape or header is off is a problem naming UNSURE (the caller checks again in full, to name the first
    broken link as the full checks name it)."""
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
        if not isinstance(r[0], (bytes, memoryview)):  # a hash stored as text: the full checks name it
            return lo - 1, b"", (lo - 1, UNSURE)
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
            calc = _links(prev, hashes, bodies)
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
            s = _off_anchor(at, hashes, anchors)
            if s is not None:
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


_SHA, _DIGEST = hashlib.sha256, methodcaller("digest")


def _links(prev: bytes, hashes: tuple, bodies: tuple) -> list[bytes]:
    """sha256(hash[i - 1] || body[i]) for each row of a batch, from the hash before it (C-level map)."""
    return list(map(_DIGEST, map(_SHA, map(bytes.__add__, (prev, *hashes[:-1]), bodies))))


def _off_anchor(at: int, hashes: tuple, anchors: dict[int, str]) -> int | None:
    """The first seq of this batch (rows at, at + 1, ...) whose hash is not the anchor recorded for it."""
    off = [s for s, want in anchors.items() if at <= s < at + len(hashes) and hashes[s - at].hex() != want]
    return min(off) if off else None


def _one_pass(
    conn, lo: int, hi: int, prev: bytes, batch: int, anchors: dict[int, str], progress, fold: RangeFold | None
) -> tuple[int, bytes, tuple[int, str] | None]:
    """walk(one_pass=True) on SQLite: rows lo..hi (proved contiguous), each row's shape and header checked in
    Python on the values the walk reads anyway (`_fit`), and linked; anything off is a problem naming UNSURE."""
    cur = conn.cursor()
    cur.execute(
        "SELECT seq, task, type, body, hash FROM events WHERE seq >= ? AND seq <= ? ORDER BY seq", (lo, hi)
    )
    at = lo
    try:
        while True:
            try:
                rows = cur.fetchmany(batch)
            except Exception:
                return at - 1, prev, (at, UNSURE)
            if not rows:
                break
            seqs, tasks, types, bodies, hashes = zip(*rows, strict=True)
            k = len(hashes)
            try:
                if (
                    seqs != tuple(range(at, at + k))  # each row's own seq, not its position (a seq twice)
                    or not _fit(at, tasks, types, bodies, hashes)
                    or _links(prev, hashes, bodies) != list(hashes)
                    or _off_anchor(at, hashes, anchors) is not None
                ):
                    return at - 1, prev, (at, UNSURE)
            except TypeError:
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


_NONE = type(None)


def _fit(at: int, tasks: tuple, types: tuple, bodies: tuple, hashes: tuple) -> bool:
    """Rows at, at + 1, ... as the bus writes them: text type, text or no task, a body of bytes starting with its
    header `seq 0x1f task 0x1f type 0x1e`, a 32-byte hash (what `audit._first_malformed` and
    `audit._first_bad_header` look for, in bulk on values already read)."""
    if set(map(type, types)) != {str} or not set(map(type, tasks)) <= {str, _NONE}:
        return False
    if (
        set(map(type, bodies)) != {bytes}
        or set(map(type, hashes)) != {bytes}
        or set(map(len, hashes)) != {32}
    ):
        return False
    heads = [
        f"{s}\x1f{t or ''}\x1f{y}\x1e".encode()
        for s, t, y in zip(range(at, at + len(types)), tasks, types, strict=True)
    ]
    return all(map(bytes.startswith, bodies, heads))


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
