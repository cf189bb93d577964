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

__all__ = ["walk", "walk_in_process", "GENESIS"]

GENESIS = hashlib.sha256(b"org audit chain v1").digest()


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
) -> tuple[int, bytes, tuple[int, str] | None]:
    """Check rows lo..hi, which the caller has proved contiguous (so row i has seq lo + i). Returns
    (last seq checked, its hash, first problem or None). conn: a DB-API connection in a read transaction.
    `fold`, when given, is handed every row's (seq, type, body) as it streams by (the tables' check)."""
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


def walk_in_process(
    spec: tuple, lo: int, hi: int, anchors: dict[int, str], counter=None, wanted: tuple | None = None
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
        result = walk(conn, pg, lo, hi, anchors=anchors, progress=bump, fold=fold)
        return result, (fold.result() if fold is not None else None)
    finally:
        conn.close()
