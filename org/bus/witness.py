"""The audit witness: heads of the hash chain remembered outside the database, checked on every verify.

An unkeyed hash chain shows any edit, insertion, deletion or reordering, but someone who can write to
the database can rewrite every event *and* recompute every hash and the head, and the rewritten chain
verifies. A witness closes that gap for everything verified before: each successful `org audit verify`
appends the head it saw (seq, hash) to a file outside the database, and every later verify checks the
chain against all of them as anchors (ADR 0056). A rewrite of anything before a witnessed head then
breaks an anchor, and a chain cut below it is reported missing.

The file lives in the org's per-user config folder (`<config home>/<org>/witness-<db>.jsonl`, 0600 in a
0700 folder; see org/config/home.py), one file per database URL (password dropped), or wherever
`--witness PATH` says, e.g. storage the database's writers cannot touch. It protects only as well as
that file is kept apart from the database: on one machine under one user, a SQLite file and its
witness fall together; with PostgreSQL, database writers are not file writers on the verifying host.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from org.errors import UsageError
from org.inputs import read_bounded

__all__ = ["witness_path", "read_witness", "record_witness", "retire_witness"]

_HEX = frozenset("0123456789abcdef")
MAX_WITNESS = 64 * 1024 * 1024  # about 700,000 witnessed heads


def witness_path(root: Path | str | None, db_url: str) -> Path:
    from org.bus.store import _safe
    from org.config.home import org_dir

    key = hashlib.sha256(_safe(db_url).encode()).hexdigest()[:16]
    return org_dir(root) / f"witness-{key}.jsonl"


def read_witness(path: Path) -> dict[int, str]:
    """{seq: hash} of every head witnessed so far (empty when there is no file yet)."""
    try:
        text = read_bounded(path, limit=MAX_WITNESS, what="audit witness").decode("utf-8", errors="replace")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise UsageError(f"cannot read the audit witness {path}: {exc.strerror or exc}")
    out: dict[int, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
            seq, h = int(doc["seq"]), str(doc["hash"]).lower()
            if seq < 0 or len(h) != 64 or not set(h) <= _HEX:
                raise ValueError
        except (ValueError, KeyError, TypeError):
            raise UsageError(
                f'{path}:{n}: not a witness line ({{"seq": N, "hash": 64 hex digits}}); '
                "fix or move the file, then verify again"
            ) from None
        if out.get(seq, h) != h:
            raise UsageError(f"{path}:{n}: event {seq} was witnessed with two different hashes")
        out[seq] = h
    return out


def record_witness(path: Path, seq: int, hash_hex: str) -> bool:
    """Append a head (owner-only file, created 0600). False when it is already the latest witnessed."""
    if seq <= 0 or max(read_witness(path), default=0) >= seq:
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError as exc:
        raise UsageError(f"cannot write the audit witness {path}: {exc.strerror or exc}")
    try:
        line = json.dumps(
            {"seq": seq, "hash": hash_hex, "at": datetime.now(UTC).isoformat(timespec="seconds")}
        )
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return True


def retire_witness(root: Path | str | None, db_url: str, suffix: str) -> Path | None:
    """A database that is deliberately replaced (org demo starts afresh) takes its witness along."""
    p = witness_path(root, db_url)
    if not p.exists():
        return None
    dest = p.with_name(f"{p.stem}-{suffix}{p.suffix}")
    p.replace(dest)
    return dest
