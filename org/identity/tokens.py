"""Principal and job tokens: issue (the secret shown once, only a salted, peppered HMAC stored), revoke,
list, mint a job token inside a claim, and authenticate a presented token in constant time.

A token reads `org<k>_<id>_<secret>`: k is `p` (a principal's token) or `j` (a job token), id is 16
hex digits (the public handle used to find, list and revoke it), secret is 64 hex digits (256 bits).
Stored: sha256-HMAC keyed by the org's pepper over (salt, secret). A presented token is checked by
recomputing that HMAC and comparing with hmac.compare_digest; an unknown id or a malformed token
takes the same path against a dummy row, and every failure before the HMAC matches says only
"authentication failed" (exit 4) and is an `auth.denied` audit event. Only a holder of the real
secret learns more (revoked, expired, paused, wrong --as).

Brute force: wrong secrets are counted per presented token id (never per claimed `--as`) in a window
(MAX_FAILURES in WINDOW_S). Once the count is reached, every further attempt with that id is refused
with exit 7 ("too many failed authentications; retry in N s") before its secret is checked, and is an
`auth.denied` event (reason "rate limited"). A malformed token or an unknown id has no secret to guess:
it is refused (exit 4) and counted nowhere, so the table holds at most one row per existing token. The
check rides on the read that fetches the token row; only the right secret for that id clears its count
(a later refusal, e.g. a wrong `--as`, neither counts nor clears anything else).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from org.bus.store import Tx
from org.errors import Denied, NotFound, Paused, UsageError
from org.identity import files
from org.identity.store import TOKEN_COLS, ensure

__all__ = ["Principal", "Tokens", "TOKEN_RE", "parse", "JOB_ACTIONS", "MAX_TTL", "MAX_FAILURES", "WINDOW_S",
           "REPLAY_GRACE_S"]

TOKEN_RE = re.compile(r"^org([pj])_([0-9a-f]{16})_([0-9a-f]{64})$")
JOB_ACTIONS = ("job.submit", "job.heartbeat")  # every job token may do these for its own job
MAX_TTL = 366 * 86400.0
_COLS = tuple(c.strip() for c in TOKEN_COLS.split(","))
_DUMMY_SALT = "0" * 32
_DUMMY_HASH = "0" * 64
AUTH_FAILED = "authentication failed"
MAX_FAILURES = 10
REPLAY_GRACE_S = 600.0  # a job token's row outlives its lease this long, so a retried submission is answered
WINDOW_S = 300.0
_COUNT_FAILURE = (
    "INSERT INTO org_auth_failures(key, first_at, last_at, failures) VALUES (:k, :t, :t, 1) "
    "ON CONFLICT(key) DO UPDATE SET "
    "failures = CASE WHEN org_auth_failures.first_at <= :old THEN 1 ELSE org_auth_failures.failures + 1 END, "
    "first_at = CASE WHEN org_auth_failures.first_at <= :old THEN :t ELSE org_auth_failures.first_at END, "
    "last_at = :t")


@dataclass(frozen=True)
class Principal:
    """Who a token speaks for, and (for a job token) the one job it covers."""

    actor: str
    kind: str  # human | agent
    token_id: str
    via: str  # principal | job
    job: int | None = None
    fence: int | None = None
    fence_token: str | None = None
    task: str | None = None
    gate: str | None = None
    lane: str | None = None
    actions: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_human(self) -> bool:
        return self.kind == "human"

    def audit(self) -> dict:
        """What every event recorded under this token carries (never the secret)."""
        out: dict[str, Any] = {"principal": self.actor, "kind": self.kind, "token": self.token_id, "via": self.via}
        if self.job is not None:
            out["job"] = self.job
        return out


def parse(token: str | None) -> tuple[str, str, str] | None:
    """(kind p|j, id, secret) of a well-formed token, else None."""
    if not token or len(token) > 200:
        return None
    m = TOKEN_RE.match(token.strip())
    return (m.group(1), m.group(2), m.group(3)) if m else None


class Tokens:
    """Token operations over one open Bus."""

    def __init__(self, bus) -> None:
        self.bus = bus
        self.ctx = bus.ctx
        self.store = bus.store
        ensure(self.store)
        self._pepper: bytes | None = None

    # -- hashing -------------------------------------------------------------------------------
    @property
    def pepper(self) -> bytes:
        if self._pepper is None:
            self._pepper = files.pepper(self.ctx.root)
        return self._pepper

    def _hash(self, salt: str, secret: str) -> str:
        return hmac.new(self.pepper, f"{salt}\x00{secret}".encode(), hashlib.sha256).hexdigest()

    def _new(self, k: str) -> tuple[str, str, str, str]:
        """(token, id, salt, hash) for a fresh token of kind k."""
        tid, secret, salt = secrets.token_hex(8), secrets.token_hex(32), secrets.token_hex(16)
        return f"org{k}_{tid}_{secret}", tid, salt, self._hash(salt, secret)

    # -- principal tokens ----------------------------------------------------------------------
    def issue(self, actor: str, *, by: str | None, ttl: float | None = None, note: str = "") -> dict:
        """A new principal token for `actor`; the returned dict holds the secret (show it once)."""
        cfg = self.bus.config(required=True)
        a = cfg.actors.get(actor)
        if a is None:
            raise NotFound(f"no actor '{actor}' in this org")
        if ttl is not None and not 1 <= ttl <= MAX_TTL:
            raise UsageError("--ttl is between 1 second and 366 days")
        token, tid, salt, digest = self._new("p")

        def fn(tx: Tx) -> dict:
            exp = tx.now + ttl if ttl is not None else None
            tx.x("INSERT INTO org_tokens(id, kind, principal, principal_kind, salt, hash, created_at, created_by, "
                 "expires_at, note) VALUES (:id, 'principal', :p, :pk, :s, :h, :t, :by, :e, :n)",
                 {"id": tid, "p": actor, "pk": a.kind, "s": salt, "h": digest, "t": tx.now, "by": by, "e": exp,
                  "n": self.ctx.redactor.text(note) if note else None})
            self.ctx.record(tx, "token.issued", actor=by, lane=a.lane, decision="issue",
                            data={"token": tid, "principal": actor, "principal_kind": a.kind, "expires_at": exp})
            return {"id": tid, "principal": actor, "kind": a.kind, "expires_at": exp, "created_at": tx.now}

        info = self.ctx.write(fn)
        return {**info, "token": token}

    def revoke(self, *, token_id: str | None = None, actor: str | None = None, by: str | None,
               jobs: bool = True) -> list[str]:
        """Revoke one token by id, or every live token of an actor. Returns the revoked ids."""
        if (token_id is None) == (actor is None):
            raise UsageError("give a token id or --actor")

        def fn(tx: Tx) -> list[str]:
            if token_id is not None:
                rows = tx.x("SELECT id, principal FROM org_tokens WHERE id = :i AND revoked_at IS NULL",
                            {"i": token_id.strip().lower()}).all()
                if not rows and tx.x("SELECT 1 FROM org_tokens WHERE id = :i", {"i": token_id}).first() is None:
                    raise NotFound(f"no token '{token_id}'")
            else:
                sql = "SELECT id, principal FROM org_tokens WHERE principal = :p AND revoked_at IS NULL"
                rows = tx.x(sql + ("" if jobs else " AND kind = 'principal'"), {"p": actor}).all()
            ids = [r[0] for r in rows]
            for tid, who in rows:
                tx.x("UPDATE org_tokens SET revoked_at = :t, revoked_by = :b WHERE id = :i",
                     {"t": tx.now, "b": by, "i": tid})
                self.ctx.record(tx, "token.revoked", actor=by, decision="revoke", data={"token": tid, "principal": who})
            return ids

        return self.ctx.write(fn)

    def list(self, *, actor: str | None = None, active_only: bool = True, kind: str | None = None) -> list[dict]:
        where, params = ["1 = 1"], {}
        if actor:
            where.append("principal = :p")
            params["p"] = actor
        if kind:
            where.append("kind = :k")
            params["k"] = kind

        def fn(tx: Tx) -> list[dict]:
            sql = ("SELECT id, kind, principal, principal_kind, created_at, created_by, expires_at, revoked_at, revoked_by, "
                   "job, task, gate, fence_token FROM org_tokens WHERE " + " AND ".join(where) + " ORDER BY created_at, id")
            cols = ("id", "kind", "principal", "principal_kind", "created_at", "created_by", "expires_at", "revoked_at",
                    "revoked_by", "job", "task", "gate")
            out = []
            for r in tx.x(sql, params).all():
                d = dict(zip(cols, r[:-1], strict=True))
                d["status"] = _status(tx, d, r[-1])
                if active_only and d["status"] != "active":
                    continue
                out.append(d)
            return out

        return self.store.read(fn)

    def has_live(self, actor: str, kind: str = "principal") -> bool:
        return any(r["kind"] == kind for r in self.list(actor=actor))

    # -- job tokens ----------------------------------------------------------------------------
    def minter(self, principal: Principal, out: dict[int, str]):
        """A claim hook: inside the claim's transaction, mint one job token per claimed job into `out`."""
        def mint(tx: Tx, claims: Sequence[Any]) -> None:
            cfg = self.bus.config()
            for c in claims:
                lane = cfg.lanes.get(c.lane) if cfg is not None else None
                actions = sorted({*(lane.may if lane else ()), *JOB_ACTIONS})
                token, tid, salt, digest = self._new("j")
                tx.x("INSERT INTO org_tokens(id, kind, principal, principal_kind, salt, hash, created_at, created_by, "
                     "expires_at, job, fence, fence_token, task, gate, lane, actions) VALUES (:id, 'job', :p, :pk, :s, "
                     ":h, :t, :by, :e, :j, :f, :ft, :task, :g, :l, :a)",
                     {"id": tid, "p": c.actor, "pk": principal.kind, "s": salt, "h": digest, "t": tx.now,
                      "by": principal.token_id, "e": c.lease_expires, "j": c.job, "f": c.fence, "ft": c.token,
                      "task": c.task, "g": c.gate, "l": c.lane, "a": json.dumps(actions)})
                out[c.job] = token
                for ev in tx.events:
                    if ev["type"] == "job.claimed" and ev.get("job") == c.job:
                        ev["data"] = {**ev["data"], "job_token": tid}
        return mint

    def sweep(self, grace_s: float = REPLAY_GRACE_S) -> int:
        """Delete the rows of job tokens whose lease is over (the job is no longer leased under their fencing
        token, or that lease expired) and whose claimed lease ended more than `grace_s` ago, and stale failure counts. The audit
        trail stays: each token's id is in its job.claimed event and in every event it authorised; one
        `tokens.swept` event records how many rows went. Returns that number."""
        def fn(tx: Tx) -> int:
            n: Any = tx.x("DELETE FROM org_tokens WHERE kind = 'job' AND COALESCE(expires_at, created_at) < :cut AND NOT EXISTS "
                     "(SELECT 1 FROM jobs j WHERE j.id = org_tokens.job AND j.status = 'leased' AND j.token = org_tokens.fence_token "
                     "AND (j.lease_expires IS NULL OR j.lease_expires > :now)) RETURNING id",
                     {"cut": tx.now - grace_s, "now": tx.now}).all()
            n = len(n)
            tx.x("DELETE FROM org_auth_failures WHERE first_at < :cut", {"cut": tx.now - WINDOW_S})
            if n:
                self.ctx.record(tx, "tokens.swept", decision="sweep",
                                data={"job_tokens": n, "lease_ended_before": tx.now - grace_s})
            return n

        return self.ctx.write(fn)

    def valid(self, token: str | None) -> bool:
        """Quietly: is this a live principal token (right secret, not revoked or expired)? No event recorded."""
        parsed = parse(token)
        if not parsed or parsed[0] != "p":
            return False

        def fn(tx: Tx):
            return tx.x("SELECT salt, hash, revoked_at, expires_at FROM org_tokens WHERE id = :i AND kind = 'principal'",
                        {"i": parsed[1]}).first()

        r = self.store.read(fn)
        return (r is not None and hmac.compare_digest(self._hash(r[0], parsed[2]), r[1]) and r[2] is None
                and (r[3] is None or r[3] > self.store.clock()))

    # -- authentication ------------------------------------------------------------------------
    def authenticate(self, token: str | None, *, as_: str | None = None, command: str = "") -> Principal:
        """The principal a token speaks for, or Denied (exit 4) / Paused (exit 7). Nothing else is read first."""
        parsed = parse(token)
        kind, tid, secret = parsed if parsed else ("", "", "")
        key = f"token:{tid}"

        def fn(tx: Tx) -> tuple[dict | None, tuple | None]:
            r = tx.x(f"SELECT {TOKEN_COLS} FROM org_tokens WHERE id = :i", {"i": tid}).one_or_none()
            f = tx.x("SELECT first_at, failures FROM org_auth_failures WHERE key = :k", {"k": key}).first()
            return (dict(zip(_COLS, r, strict=True)) if r is not None else None), f

        row, failed = self.store.read(fn) if parsed else (None, None)
        if row is not None and failed is not None and failed[1] >= MAX_FAILURES:
            wait = float(failed[0]) + WINDOW_S - self.store.clock()
            if wait > 0:
                self._refuse("rate limited", command, as_, tid, None, None)
                raise Paused(f"too many failed authentications; retry in {math.ceil(wait)}s",
                             rule="ORG-AUTH-RATE-LIMIT", retry_after_s=math.ceil(wait))
        salt, stored = (row["salt"], row["hash"]) if row else (_DUMMY_SALT, _DUMMY_HASH)
        ok = hmac.compare_digest(self._hash(salt, secret), stored)
        kind_ok = row is not None and row["kind"] == ("principal" if kind == "p" else "job")
        if not (ok and row is not None and kind_ok):
            why = "malformed" if not parsed else ("unknown" if row is None else "bad secret")
            # only a real token's id is counted: a malformed token or an unknown id has no secret to guess
            self._refuse(why, command, as_, tid if row is not None else None, None, AUTH_FAILED,
                         count=key if row is not None else None)
        if failed is not None:  # the right secret for this id: its count (and only its) starts again
            self.store.write(lambda tx: tx.x("DELETE FROM org_auth_failures WHERE key = :k", {"k": key}))
        actor = row["principal"]
        now = self.store.clock()
        if row["revoked_at"] is not None:
            self._refuse("revoked", command, as_, tid, actor, f"{AUTH_FAILED}: this token was revoked")
        if row["kind"] == "principal" and row["expires_at"] is not None and row["expires_at"] <= now:
            self._refuse("expired", command, as_, tid, actor, f"{AUTH_FAILED}: this token expired")
        cfg = self.bus.config()
        a = cfg.actors.get(actor) if cfg is not None else None
        if cfg is not None and (a is None or a.kind != row["principal_kind"]):
            self._refuse("not a member", command, as_, tid, actor,
                         f"{AUTH_FAILED}: {actor} is no longer a {row['principal_kind']} member of this org")
        paused = self._paused(actor)
        if paused:
            self._refuse("paused", command, as_, tid, actor, None)
            raise Paused(f"{actor} is paused (by {paused['paused_by']}"
                         + (f": {paused['note']}" if paused["note"] else "") + "); its tokens are refused until "
                         "'org resume --actor'", switch=paused["switch"], scope="actor", target=actor)
        if as_ is not None and as_ != actor:
            self._refuse("as mismatch", command, as_, tid, actor,
                         f"--as {as_} does not match this token's principal ({actor})")
        return Principal(actor, row["principal_kind"], tid, row["kind"], row["job"], row["fence"], row["fence_token"],
                         row["task"], row["gate"], row["lane"], tuple(json.loads(row["actions"] or "[]")))

    def _paused(self, actor: str) -> dict | None:
        def fn(tx: Tx):
            return tx.x("SELECT id, paused_by, note FROM switches WHERE active = :t AND scope = 'actor' AND target = :a",
                        {"t": True, "a": actor}).first()

        r = self.store.read(fn)
        return {"switch": r[0], "paused_by": r[1], "note": r[2]} if r else None

    def _refuse(self, why: str, command: str, as_: str | None, tid: str | None, actor: str | None,
                message: str | None, count: str | None = None) -> None:
        """Record the refused attempt (never the presented token), count it as a failure under `count` if
        given, and raise Denied(message) unless message is None."""
        def fn(tx: Tx) -> None:
            if count is not None:
                tx.x(_COUNT_FAILURE, {"k": count, "t": tx.now, "old": tx.now - WINDOW_S})
            rule = "ORG-AUTH-RATE-LIMIT" if why == "rate limited" else "ORG-AUTHENTICATION"
            self.ctx.record(tx, "auth.denied", actor=actor, decision="deny", rules=[rule],
                            data={"reason": why, "command": command, "as": _clip(as_), "token": tid})

        self.ctx.write(fn)
        if message is not None:
            raise Denied(message, rule="ORG-AUTHENTICATION")


def _clip(s: str | None) -> str | None:
    return s[:128] if isinstance(s, str) else None


def _status(tx: Tx, d: dict, fence_token: str | None) -> str:
    if d["revoked_at"] is not None:
        return "revoked"
    if d["kind"] == "job":
        r = tx.x("SELECT status, lease_expires, token FROM jobs WHERE id = :j", {"j": d["job"]}).first()
        if r is None or r[0] != "leased" or r[2] != fence_token or (r[1] is not None and r[1] <= tx.now):
            return "expired"
        return "active"
    if d["expires_at"] is not None and d["expires_at"] <= tx.now:
        return "expired"
    return "active"
