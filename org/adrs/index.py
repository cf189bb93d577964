"""The ADR search index: SQLite FTS5 with bm25 ranking, a cache the Markdown files rebuild at will.

Stored at <root>/.org/adr-index.db. Every use starts with `sync()`, which compares each file's
(mtime_ns, size) with what was indexed, hashes only files whose stat changed, and re-parses only
files whose hash changed; removed files drop out. A missing, corrupt or older-schema index is
simply rebuilt; an unwritable .org/ falls back to an in-memory index. Writers serialise on a
SQLite write transaction, so concurrent `org` processes never index twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from org.adrs.model import Adr
from org.adrs.parse import ADR_DIR, FILE_RE, MAX_ADR_BYTES, parse_adr_fast
from org.errors import UsageError
from org.inputs import read_bounded

__all__ = ["AdrIndex", "Hit", "SyncStats", "fts_query", "decision_summary", "INDEX_FILE"]

INDEX_FILE = "adr-index.db"
SCHEMA_VERSION = "3"
WEIGHTS = (10.0, 5.0, 1.0)  # bm25 column weights: title, tags, body
_SCHEMA = """
CREATE TABLE IF NOT EXISTS info(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files(
  name TEXT PRIMARY KEY, number INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL,
  sha256 TEXT NOT NULL, problem TEXT);
CREATE TABLE IF NOT EXISTS adrs(
  number INTEGER PRIMARY KEY, name TEXT NOT NULL, title TEXT NOT NULL, status TEXT NOT NULL,
  date TEXT NOT NULL, tags TEXT NOT NULL, paths TEXT NOT NULL, summary TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS adrs_status ON adrs(status);
CREATE VIRTUAL TABLE IF NOT EXISTS adr_fts USING fts5(title, tags, body, tokenize='porter unicode61');
"""
_RAW_SYNTAX = re.compile(r'["*]|\b(AND|OR|NOT|NEAR)\b')


@dataclass(frozen=True)
class Hit:
    """One search result; `score` is -bm25 (higher is better)."""

    number: int
    title: str
    status: str
    score: float
    snippet: str
    tags: tuple[str, ...]
    path: str

    def to_json(self) -> dict:
        return {
            "number": self.number,
            "id": f"ADR-{self.number:04d}",
            "title": self.title,
            "status": self.status,
            "score": round(self.score, 4),
            "snippet": self.snippet,
            "tags": list(self.tags),
            "path": self.path,
        }


@dataclass
class SyncStats:
    files: int = 0
    hashed: int = 0
    parsed: int = 0
    removed: int = 0
    rebuilt: bool = False

    def to_json(self) -> dict:
        return dict(self.__dict__)


def fts_query(text: str, mode: str = "all") -> str:
    """A safe FTS5 query: words quoted and joined with AND (`all`) or OR (`any`). Text that already
    uses FTS5 syntax (quotes, AND/OR/NOT/NEAR, prefix*) is passed through as written."""
    if mode == "raw" or (mode == "all" and _RAW_SYNTAX.search(text)):
        return text
    words = re.findall(r"\w+", text.lower())
    if not words:
        raise UsageError("the search query has no words")
    joiner = " AND " if mode == "all" else " OR "
    return joiner.join(f'"{w}"' for w in dict.fromkeys(words))


def decision_summary(body: str, limit: int = 240) -> str:
    """The first paragraph under '## Decision Outcome' (or '## Decision'), on one line."""
    m = re.search(r"^##\s+Decision(?: Outcome)?\s*$(.*?)(?=^##?\s|\Z)", body, re.M | re.S)
    if not m:
        return ""
    for para in re.split(r"\n\s*\n", m.group(1).strip()):
        text = " ".join(para.split())
        if text and not text.startswith("#"):
            return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
    return ""


class AdrIndex:
    """The FTS5 index of one org's adrs/ folder."""

    def __init__(self, root: Path, path: Path | str | None = None) -> None:
        self.root = Path(root)
        self.path = Path(path) if path is not None else self.root / ".org" / INDEX_FILE
        self.conn = self._open()

    # -- storage -------------------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._connect(str(self.path))
        except (OSError, sqlite3.DatabaseError):
            conn = None
        if conn is None:  # unwritable or corrupt beyond repair: a private in-memory index still works
            self.path = Path(":memory:")
            conn = self._connect(":memory:")
        assert conn is not None  # an in-memory database always opens
        return conn

    def _connect(self, where: str) -> sqlite3.Connection | None:
        for attempt in (1, 2):
            conn = sqlite3.connect(where, timeout=30, isolation_level=None)
            try:
                conn.execute("PRAGMA busy_timeout=30000")
                if where != ":memory:":
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.execute("PRAGMA synchronous=NORMAL")
                if self._version(conn) != SCHEMA_VERSION:
                    with _write(conn):
                        if self._version(conn) != SCHEMA_VERSION:  # another process may have just done it
                            for t in ("adr_fts", "adrs", "files", "info"):
                                conn.execute(f"DROP TABLE IF EXISTS {t}")
                            for stmt in filter(str.strip, _SCHEMA.split(";")):
                                conn.execute(stmt)
                            conn.execute("INSERT INTO info VALUES ('schema', ?)", (SCHEMA_VERSION,))
                return conn
            except sqlite3.OperationalError:  # locked for 30 s, read-only, ...: not damage; keep the file
                conn.close()
                return None
            except sqlite3.DatabaseError:  # not a database, or malformed
                conn.close()
                if where == ":memory:" or attempt == 2:
                    return None
                for suffix in ("", "-wal", "-shm"):  # a cache: throw the damaged file away and rebuild
                    with suppress(FileNotFoundError):
                        os.unlink(where + suffix)
        return None

    @staticmethod
    def _version(conn: sqlite3.Connection) -> str | None:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name='info'").fetchone() is None:
            return None
        row = conn.execute("SELECT value FROM info WHERE key='schema'").fetchone()
        return row[0] if row else None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> AdrIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sync ----------------------------------------------------------------------------------
    def sync(self) -> SyncStats:
        """Bring the index up to date with adrs/*.md (stat every file; hash and parse only changes)."""
        stats = SyncStats()
        current: dict[str, tuple[str, int, int]] = {}  # name -> (path, mtime_ns, size)
        folder = self.root / ADR_DIR
        try:
            with os.scandir(folder) as entries:
                for e in entries:
                    if e.name[:1].isdigit() and e.name.endswith(".md") and e.is_file():
                        st = e.stat()
                        current[e.name] = (e.path, st.st_mtime_ns, st.st_size)
        except (FileNotFoundError, NotADirectoryError):
            pass
        stats.files = len(current)
        listing = hashlib.sha256(
            "".join(f"{n}\0{c[1]}\0{c[2]}\n" for n, c in sorted(current.items())).encode()
        ).hexdigest()
        row = self.conn.execute("SELECT value FROM info WHERE key='listing'").fetchone()
        if row is not None and row[0] == listing:  # every name, mtime and size as last indexed
            return stats
        with _write(self.conn):
            known = {
                r[0]: r[1:]
                for r in self.conn.execute("SELECT name, number, mtime_ns, size, sha256 FROM files")
            }
            stats.rebuilt = not known
            dirty: set[int] = set()
            texts: dict[str, str] = {}
            for name in set(known) - set(current):
                dirty.add(known[name][0])
                self.conn.execute("DELETE FROM files WHERE name=?", (name,))
                stats.removed += 1
            for name, (p, mtime, size) in current.items():
                old = known.get(name)
                if old is not None and old[1:3] == (mtime, size):
                    continue
                try:
                    raw = read_bounded(p, limit=MAX_ADR_BYTES, what="ADR")
                except (OSError, UsageError):  # unreadable, not a regular file or too large: not indexed
                    continue
                stats.hashed += 1
                sha = hashlib.sha256(raw).hexdigest()
                named = FILE_RE.match(name)
                number = int(named.group(1)) if named else -1
                if old is not None and old[3] == sha:
                    self.conn.execute("UPDATE files SET mtime_ns=?, size=? WHERE name=?", (mtime, size, name))
                    continue
                texts[name] = raw.decode("utf-8", errors="replace")
                self.conn.execute(
                    "INSERT OR REPLACE INTO files(name, number, mtime_ns, size, sha256) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (name, number, mtime, size, sha),
                )
                if number < 0:
                    self.conn.execute(
                        "UPDATE files SET problem=? WHERE name=?", ("not named NNNN-slug.md", name)
                    )
                dirty.add(number)
                if old is not None:
                    dirty.add(old[0])
            dirty.discard(-1)
            if dirty:
                stats.parsed += self._reindex(dirty, current, texts)
            self.conn.execute("INSERT OR REPLACE INTO info VALUES ('listing', ?)", (listing,))
        return stats

    def _reindex(
        self, numbers: set[int], current: dict[str, tuple[str, int, int]], texts: dict[str, str]
    ) -> int:
        by_number: dict[int, list[str]] = {}
        for name in current:
            m = FILE_RE.match(name)
            if m and int(m.group(1)) in numbers:
                by_number.setdefault(int(m.group(1)), []).append(name)
        parsed = 0
        for n in numbers:
            self.conn.execute("DELETE FROM adrs WHERE number=?", (n,))
            self.conn.execute("DELETE FROM adr_fts WHERE rowid=?", (n,))
            for i, name in enumerate(sorted(by_number.get(n, []))):
                if i > 0:
                    self.conn.execute(
                        "UPDATE files SET problem=? WHERE name=?", (f"ADR number {n} is used twice", name)
                    )
                    continue
                p = Path(current[name][0])
                text = texts.get(name)
                if text is None:
                    try:
                        text = read_bounded(p, limit=MAX_ADR_BYTES, what="ADR").decode(
                            "utf-8", errors="replace"
                        )
                    except (OSError, UsageError) as exc:
                        self.conn.execute("UPDATE files SET problem=? WHERE name=?", (str(exc), name))
                        continue
                adr, problems = parse_adr_fast(text, p, self.root)
                parsed += 1
                if adr is None:
                    self.conn.execute(
                        "UPDATE files SET problem=? WHERE name=?",
                        ("; ".join(str(x) for x in problems) or "does not parse", name),
                    )
                    continue
                self.conn.execute("UPDATE files SET problem=NULL WHERE name=?", (name,))
                self._insert(adr)
        return parsed

    def _insert(self, a: Adr) -> None:
        doc = a.to_json()
        self.conn.execute(
            "INSERT INTO adrs(number, name, title, status, date, tags, paths, summary, doc) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                a.number,
                a.path.name,
                a.title,
                a.status,
                doc["date"],
                json.dumps(doc["tags"]),
                json.dumps(doc["paths"]),
                decision_summary(a.body),
                json.dumps(doc),
            ),
        )
        self.conn.execute(
            "INSERT INTO adr_fts(rowid, title, tags, body) VALUES (?,?,?,?)",
            (a.number, a.title, " ".join(a.meta.tags), a.body),
        )

    # -- queries -------------------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        status: str | None = None,
        tag: str | None = None,
        limit: int = 10,
        mode: str = "all",
    ) -> list[Hit]:
        """Ranked full-text search (bm25; title counts most, then tags, then the body)."""
        q = fts_query(query, mode)
        where, args = _filters(status, tag)
        sql = (
            f"SELECT a.number, a.title, a.status, -bm25(adr_fts, {WEIGHTS[0]}, {WEIGHTS[1]}, {WEIGHTS[2]}) AS s, "
            "snippet(adr_fts, 2, '[', ']', '…', 12), a.tags, a.name "
            f"FROM adr_fts JOIN adrs a ON a.number = adr_fts.rowid WHERE adr_fts MATCH ? {where} "
            "ORDER BY s DESC, a.number LIMIT ?"
        )
        try:
            rows = self.conn.execute(sql, (q, *args, limit)).fetchall()
        except sqlite3.OperationalError as exc:
            raise UsageError(f"cannot search for {query!r}: {exc} (quote words, or drop FTS5 operators)")
        return [
            Hit(n, t, st, s, " ".join(snip.split()), tuple(json.loads(tags)), f"adrs/{name}")
            for n, t, st, s, snip, tags, name in rows
        ]

    def rows(self, *, status: str | None = None, tag: str | None = None) -> list[dict]:
        """Indexed ADRs (their front matter as JSON, plus the decision summary), by number."""
        where, args = _filters(status, tag)
        sql = f"SELECT a.doc, a.summary FROM adrs a WHERE 1=1 {where} ORDER BY a.number"
        return [{**json.loads(doc), "summary": summary} for doc, summary in self.conn.execute(sql, args)]

    def summaries(self, *, status: str | None = None) -> list[tuple[int, str, list[str], list[str]]]:
        """(number, title, tags, paths) of indexed ADRs: what ranking needs, without the full documents."""
        where, args = _filters(status, None)
        sql = f"SELECT a.number, a.title, a.tags, a.paths FROM adrs a WHERE 1=1 {where} ORDER BY a.number"
        return [
            (n, t, json.loads(tags), json.loads(paths)) for n, t, tags, paths in self.conn.execute(sql, args)
        ]

    def get(self, number: int) -> dict | None:
        """One indexed ADR's front matter as JSON, plus its decision summary."""
        row = self.conn.execute("SELECT doc, summary FROM adrs WHERE number=?", (number,)).fetchone()
        return {**json.loads(row[0]), "summary": row[1]} if row else None

    def problems(self) -> list[tuple[str, str]]:
        """(file name, problem) for files that did not make it into the index."""
        return list(
            self.conn.execute("SELECT name, problem FROM files WHERE problem IS NOT NULL ORDER BY name")
        )

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM adrs").fetchone()[0]


def _filters(status: str | None, tag: str | None) -> tuple[str, list]:
    where, args = "", []
    if status:
        where += " AND a.status = ?"
        args.append(status)
    if tag:
        where += " AND EXISTS (SELECT 1 FROM json_each(a.tags) WHERE value = ?)"
        args.append(tag)
    return where, args


@contextmanager
def _write(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
