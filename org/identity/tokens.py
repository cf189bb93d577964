"""Principal and job tokens: issue (the secret shown once, only a salted, peppered HMAC stored), revoke,
list, mint a job token inside a claim, and authenticate a presented token in constant time.

A token reads `org<k>_<id>_<secret>`: k is `p` (a principal's token) or `j` (a job token), id is 16
hex digits (the public handle used to find, list and revoke it), secret is 64 hex digits (256 bits).
Stored: sha256-HMAC keyed by the org's pepper over (salt, secret). A presented token is checked by
recomputing that HMAC and comparing with hmac.compare_digest; an unknown id or a malformed token
takes the same path against a dummy row, and every failure before the HMAC matches says only
"authentication failed" (exit 4) and is an `auth.denied` audit event. Only a holder of the real
secret learns more (revoked, expired, paused, wrong --as).

Failed authentications (ADR 0057): every one answers exit 4 "authentication failed", whether the
presented id exists or not, and is an `auth.denied` event naming the presented token id (never its
secret). Nothing ever locks a token out: the right secret always works, whatever others presented.
Guessing is slowed instead: failures are counted per presented id, known or unknown alike (a
malformed token has no id and no secret to guess: it is answered at once, recorded but never counted
or slowed), until that
id has had none for WINDOW_S, and from the (FREE_FAILURES + 1)th failure on each further one waits
before it answers, doubling up to MAX_DELAY_S. The wait follows the count only, so a known and an unknown id
take the same time; the count table is pruned by the window and capped at MAX_FAILURE_ROWS.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from org.bus import identityrows as rows_
from org.bus.audit import token_fingerprint
from org.bus.payloads import AuthDenied
from org.bus.store import Tx
from org.bus.switches import able_resumers, lock_resumers
from org.engine import rule_ids
from org.errors import Conflict, Denied, NotFound, Paused, UsageError
from org.identity import files
from org.identity.store import db_id

__all__ = [
    "Principal",
    "Tokens",
    "TOKEN_RE",
    "parse",
    "JOB_ACTIONS",
    "MAX_TTL",
    "AUTH_FAILED",
    "WINDOW_S",
    "FREE_FAILURES",
    "MAX_DELAY_S",
    "MAX_FAILURE_ROWS",
    "failure_delay",
    "REPLAY_GRACE_S",
]

TOKEN_RE = re.compile(r"^org([pj])_([0-9a-f]{16})_([0-9a-f]{64})$")
JOB_ACTIONS = ("job.submit", "job.heartbeat")  # every job token may do these for its own job
MAX_TTL = 366 * 86400.0
_DUMMY_SALT = "0" * 32
_DUMMY_HASH = "0" * 64
AUTH_FAILED = "authentication failed"
REPLAY_GRACE_S = 600.0  # a job token's row outlives its lease this long, so a retried submission is answered
WINDOW_S = 300.0  # an id's failures are forgotten once it has had none for this long
FREE_FAILURES = 3  # failures of one presented id in the window that answer at once (typos)
FIRST_DELAY_S = 0.1  # the wait of the first slowed failure; it doubles with each further one
MAX_DELAY_S = 2.0
MAX_FAILURE_ROWS = 10_000  # the count table never holds more presented ids than this (the oldest go first)


def failure_delay(failures: int) -> float:
    """Seconds a failed authentication waits before it answers, given the presented id's failures in the
    window (this one included): none for the first FREE_FAILURES, then FIRST_DELAY_S doubling to MAX_DELAY_S."""
    if failures <= FREE_FAILURES:
        return 0.0
    return min(MAX_DELAY_S, FIRST_DELAY_S * 2 ** min(failures - FREE_FAILURES - 1, 16))


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
    isolation: str | None = None  # "none": the process acting for it runs its agents without a sandbox
    behind: tuple[str, ...] = ()  # the people behind this token besides its principal (ADR 0111)

    @property
    def is_human(self) -> bool:
        return self.kind == "human"

    def audit(self) -> dict:
        """What every event recorded under this token carries (never the secret)."""
        out: dict[str, Any] = {
            "principal": self.actor,
            "kind": self.kind,
            "token": self.token_id,
            "via": self.via,
        }
        if self.job is not None:
            out["job"] = self.job
        if self.isolation is not None:
            out["isolation"] = self.isolation
        if self.behind:
            out["behind"] = list(self.behind)
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
        self._pepper: bytes | None = None
        self.sleep: Callable[[float], None] = (
            time.sleep
        )  # how a slowed failure waits (tests record it instead)
        self._behind: dict[
            str, tuple[str, ...]
        ] = {}  # token id -> who is behind it (facts that never change)
        self._issued: dict[str, dict] = {}  # token id -> what its token.issued event says (never changes)
        self._claimed: dict[str, dict] = {}  # job token id -> what its job.claimed event says of it
        self._revoked: set[str] = set()  # token ids a token.revoked event names, read up to _revoked_seq
        self._revoked_seq = 0

    # -- hashing -------------------------------------------------------------------------------
    @property
    def pepper(self) -> bytes:
        if self._pepper is None:
            self._pepper = files.pepper(self.ctx.root)
        return self._pepper

    def db(self) -> str:
        """This database's id (the humans' token files are kept under it)."""
        return db_id(self.store)

    def _hash(self, salt: str, secret: str) -> str:
        return hmac.new(self.pepper, f"{salt}\x00{secret}".encode(), hashlib.sha256).hexdigest()

    def _new(self, k: str) -> tuple[str, str, str, str]:
        """(token, id, salt, hash) for a fresh token of kind k."""
        tid, secret, salt = secrets.token_hex(8), secrets.token_hex(32), secrets.token_hex(16)
        return f"org{k}_{tid}_{secret}", tid, salt, self._hash(salt, secret)

    # -- principal tokens ----------------------------------------------------------------------
    def issue(
        self,
        actor: str,
        *,
        by: str | None,
        ttl: float | None = None,
        note: str = "",
        behind: tuple[str, ...] | list[str] = (),
    ) -> dict:
        """A new principal token for `actor`; the returned dict holds the secret (show it once). `behind`: the
        people behind the issuing token (its Principal.behind): they stay behind the new one (ADR 0111)."""
        cfg = self.bus.config(required=True)
        a = cfg.actors.get(actor)
        if a is None:
            raise NotFound(f"no actor '{actor}' in this org")
        if ttl is not None and not 1 <= ttl <= MAX_TTL:
            raise UsageError("--ttl is between 1 second and 366 days")
        return self.ctx.write(lambda tx: self._insert(tx, a, by=by, ttl=ttl, note=note, behind=behind))

    def _insert(
        self, tx: Tx, a: Any, *, by: str | None, ttl: float | None, note: str, behind: Any = ()
    ) -> dict:
        """Inside a write: store a fresh principal token for actor `a` and record `token.issued`; the dict holds
        the secret."""
        token, tid, salt, digest = self._new("p")
        exp = tx.now + ttl if ttl is not None else None
        rows_.insert_token(
            tx,
            {
                "id": tid,
                "kind": "principal",
                "principal": a.id,
                "principal_kind": a.kind,
                "salt": salt,
                "hash": digest,
                "created_at": tx.now,
                "created_by": by,
                "expires_at": exp,
                "note": self.ctx.redactor.text(note) if note else None,
            },
        )
        self.ctx.record(
            tx,
            "token.issued",
            actor=by,
            lane=a.lane,
            decision="issue",
            data={
                "token_id": tid,
                "principal": a.id,
                "principal_kind": a.kind,
                "expires_at": exp,
                "fingerprint": token_fingerprint(tid, salt, digest),
                **({"behind": sorted(set(behind) - {a.id})} if set(behind) - {a.id} else {}),
            },
        )
        return {
            "id": tid,
            "principal": a.id,
            "kind": a.kind,
            "expires_at": exp,
            "created_at": tx.now,
            "token": token,
        }

    def fresh(self) -> bool:
        """Has this database never held a human's principal token (a fresh org: trust on first use, ADR 0058)?
        Agents' tokens do not count: an agent host issuing its tokens first must not skip the humans'."""
        return self.store.read(rows_.never_had_a_human_token)

    def first_use(self, *, by: str) -> list[dict] | None:
        """Trust on first use: if the database never held a human's principal token, issue one for every human
        member (with the secrets: their own files are written from these) in one transaction; else None and nothing
        is issued. Concurrent first uses cannot both issue: the check and the inserts are one write (SQLite's
        write lock; an advisory lock on PostgreSQL)."""
        cfg = self.bus.config(required=True)
        humans = sorted((a for a in cfg.actors.values() if a.is_human), key=lambda a: a.id)

        def fn(tx: Tx) -> list[dict] | None:
            rows_.lock_first_use(tx)
            if not rows_.never_had_a_human_token(tx):
                return None
            return [self._insert(tx, a, by=by, ttl=None, note="first use") for a in humans]

        return self.ctx.write(fn)

    def revoke(
        self, *, token_id: str | None = None, actor: str | None = None, by: str | None, jobs: bool = True
    ) -> list[str]:
        """Revoke one token by id, or every live token of an actor. Returns the revoked ids."""
        if (token_id is None) == (actor is None):
            raise UsageError("give a token id or --actor")
        token_id = token_id.strip().lower() if token_id is not None else None  # ids are lower-case hex
        cfg = self.bus.config()

        def fn(tx: Tx) -> list[str]:
            rows = rows_.live_tokens(tx, token_id=token_id, actor=actor, jobs=jobs)
            if token_id is not None and not rows and not rows_.token_exists(tx, token_id):
                raise NotFound(f"no token '{token_id}'")
            ids = [r[0] for r in rows]
            humans = sorted({r[1] for r in rows if r[2] == "principal" and r[3] == "human"})
            if humans and cfg is not None:
                self._keep_a_resumer(tx, cfg, humans, frozenset(ids), by)
            for tid, who, _k, _pk in rows:
                rows_.mark_revoked(tx, tid, by)
                self.ctx.record(
                    tx, "token.revoked", actor=by, decision="revoke", data={"token_id": tid, "principal": who}
                )
            return ids

        return self.ctx.write(fn)

    @staticmethod
    def _keep_a_resumer(tx: Tx, cfg: Any, humans: list[str], ids: frozenset[str], by: str | None) -> None:
        """Refuse (Conflict, exit 5) revoking humans' tokens when that would leave no human able to resume (who
        may resume, is unpaused and holds a live principal token; ADR 0057), where one was able before. The way
        out is in the message: issue the new token first, then revoke the old one."""
        lock_resumers(tx)
        before = able_resumers(tx, cfg)
        if not before or able_resumers(tx, cfg, revoking=ids):
            return
        who = next(h for h in humans if h in before)  # the last able human among those losing their tokens
        raise Conflict(
            f"revoking would leave no human who may resume unpaused and holding a live token, so nobody "
            f"could resume or issue tokens ({who} is the last); nothing was revoked. Issue a new token "
            f"first ('org token issue --for {who} --as {by if by in before else who}'), then revoke the old "
            "one by its id ('org token list' shows it)",
            rule=rule_ids.KEEP_A_RESUMER,
            revoking=sorted(ids),
        )

    def list(
        self, *, actor: str | None = None, active_only: bool = True, kind: str | None = None
    ) -> list[dict]:
        def fn(tx: Tx) -> list[dict]:
            out = []
            for d in rows_.token_rows(tx, actor=actor, kind=kind):
                d["status"] = _status(tx, d, d.pop("fence_token"))
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
                rows_.insert_token(
                    tx,
                    {
                        "id": tid,
                        "kind": "job",
                        "principal": c.actor,
                        "principal_kind": principal.kind,
                        "salt": salt,
                        "hash": digest,
                        "created_at": tx.now,
                        "created_by": principal.token_id,
                        "expires_at": c.lease_expires,
                        "job": c.job,
                        "fence": c.fence,
                        "fence_token": c.token,
                        "task": c.task,
                        "gate": c.gate,
                        "lane": c.lane,
                        "actions": json.dumps(actions),
                    },
                )
                out[c.job] = token
                for ev in tx.events:
                    if ev["type"] == "job.claimed" and ev.get("job") == c.job:
                        ev["data"] = {
                            **ev["data"],
                            "job_token": tid,
                            "job_token_fingerprint": token_fingerprint(tid, salt, digest),
                        }

        return mint

    def sweep(self, grace_s: float = REPLAY_GRACE_S) -> int:
        """Delete the rows of job tokens whose lease is over (the job is no longer leased under their fencing
        token, or that lease expired) and whose claimed lease ended more than `grace_s` ago, and stale failure counts. The audit
        trail stays: each token's id is in its job.claimed event and in every event it authorised; one
        `tokens.swept` event records how many rows went. Returns that number."""

        def fn(tx: Tx) -> int:
            n = rows_.sweep_job_tokens(tx, tx.now - grace_s)
            rows_.forget_failures(tx, tx.now - WINDOW_S)
            if n:
                self.ctx.record(
                    tx,
                    "tokens.swept",
                    decision="sweep",
                    data={"job_tokens": n, "lease_ended_before": tx.now - grace_s},
                )
            return n

        return self.ctx.write(fn)

    def valid(self, token: str | None) -> bool:
        """Quietly: is this a live principal token (right secret, not revoked or expired)? No event recorded. The
        row is believed only as far as the chain says (its token.issued event, no token.revoked: ADR 0221)."""
        parsed = parse(token)
        if not parsed or parsed[0] != "p":
            return False

        r = self.store.read(lambda tx: rows_.token_row(tx, parsed[1]))
        return (
            r is not None
            and r["kind"] == "principal"
            and hmac.compare_digest(self._hash(r["salt"], parsed[2]), r["hash"])
            and r["revoked_at"] is None
            and (r["expires_at"] is None or r["expires_at"] > self.store.clock())
            and self._not_as_issued(r) is None
        )

    # -- authentication ------------------------------------------------------------------------
    def authenticate(
        self, token: str | None, *, as_: str | None = None, command: str = "", paused_ok: bool = False
    ) -> Principal:
        """The principal a token speaks for, or Denied (exit 4) / Paused (exit 7). Nothing else is read first.
        `paused_ok`: a paused principal's token still speaks for it (only to record what it already spent)."""
        return self.authenticate_row(token, as_=as_, command=command, paused_ok=paused_ok)[0]

    def authenticate_row(
        self, token: str | None, *, as_: str | None = None, command: str = "", paused_ok: bool = False
    ) -> tuple[Principal, dict]:
        """authenticate(), with the token's row as it was read and verified (what Guard.holding remembers)."""
        parsed = parse(token)
        kind, tid, secret = parsed if parsed else ("", "", "")

        row = self.store.read(lambda tx: rows_.token_row(tx, tid)) if parsed else None
        salt, stored = (row["salt"], row["hash"]) if row else (_DUMMY_SALT, _DUMMY_HASH)
        ok = hmac.compare_digest(self._hash(salt, secret), stored)
        kind_ok = row is not None and row["kind"] == ("principal" if kind == "p" else "job")
        if not (ok and row is not None and kind_ok) or row is None:
            self._fail(
                "malformed" if not parsed else ("unknown" if row is None else "bad secret"),
                command,
                as_,
                tid or None,
            )
        actor = row["principal"]
        now = self.store.clock()
        if row["kind"] == "principal" and (differs := self._not_as_issued(row)):
            self._refuse(differs, command, as_, tid, actor, AUTH_FAILED)  # the row is not what the chain says
        if row["kind"] == "job" and (differs := self._not_as_claimed(row)):
            self._refuse(differs, command, as_, tid, actor, AUTH_FAILED)
        if row["revoked_at"] is not None:
            self._refuse(
                "revoked", command, as_, tid, actor, AUTH_FAILED
            )  # the same words as an unknown token;
        if (
            row["kind"] == "principal" and row["expires_at"] is not None and row["expires_at"] <= now
        ):  # the audit
            self._refuse(
                "expired", command, as_, tid, actor, AUTH_FAILED
            )  # event keeps the reason (ADR 0080)
        cfg = self.bus.config()
        a = cfg.actors.get(actor) if cfg is not None else None
        if cfg is not None and (a is None or a.kind != row["principal_kind"]):
            self._refuse("not a member", command, as_, tid, actor, AUTH_FAILED)
        paused = None if paused_ok else self._paused(actor)
        if paused:
            self._refuse("paused", command, as_, tid, actor, None)
            raise Paused(
                f"{actor} is paused (by {paused['paused_by']}"
                + (f": {paused['note']}" if paused["note"] else "")
                + "); its tokens are refused until "
                "'org resume --actor'",
                switch=paused["switch"],
                scope="actor",
                target=actor,
            )
        if as_ is not None and as_ != actor:
            self._refuse(
                "as mismatch",
                command,
                as_,
                tid,
                actor,
                f"--as {as_} does not match this token's principal ({actor})",
            )
        p = Principal(
            actor,
            row["principal_kind"],
            tid,
            row["kind"],
            row["job"],
            row["fence"],
            row["fence_token"],
            row["task"],
            row["gate"],
            row["lane"],
            tuple(json.loads(row["actions"] or "[]")),
            behind=self.behind(row, cfg),
        )
        return p, row

    def holds(self, token: str | None, row: dict) -> bool:
        """Quietly: does `token` carry the secret of the token row `row` (its id, kind and hash)? No read, no
        event: for a caller that re-reads a row it authenticated before (Guard.still_holding)."""
        parsed = parse(token)
        return (
            parsed is not None
            and parsed[1] == row["id"]
            and row["kind"] == ("principal" if parsed[0] == "p" else "job")
            and hmac.compare_digest(self._hash(row["salt"], parsed[2]), row["hash"])
        )

    def _not_as_issued(self, row: dict) -> str | None:
        """Why a principal token's row is not the token the chain issued (ADR 0166), or None: no token.issued
        event names it (a forged row), its principal, kind, issuer or expiry differ from the event's, or a
        token.revoked event revoked it. The issued event is read once per token (events never change); the
        revocations incrementally, from the last one read."""
        tid = row["id"]
        try:
            said = self._issued.get(tid)
            if said is None:
                said = self.store.read(lambda tx: rows_.issued_event(tx, tid))
                if said is None:
                    return "no token.issued event made this row"
                if (
                    said.get("fingerprint") is None
                ):  # made before fingerprints: the schema 5 upgrade chained it
                    said = {
                        **said,
                        "fingerprint": self.store.read(lambda tx: rows_.chained_fingerprint(tx, tid)),
                    }
                self._issued[tid] = said
            last, gone = self.store.read(lambda tx: rows_.revoked_after(tx, self._revoked_seq))
            self._revoked.update(gone)
            self._revoked_seq = last
        except Exception as exc:  # an event that cannot be read: refuse, never believe the row
            return f"the chain cannot be read for this token ({type(exc).__name__})"
        if tid in self._revoked:
            return "revoked"  # by its token.revoked event, whatever the row says
        for field_, want in (
            ("principal", said.get("principal")),
            ("principal_kind", said.get("principal_kind")),
            ("created_by", said.get("by")),
        ):
            if row[field_] != want:
                return f"its {field_} is not the issued one"
        if said.get("fingerprint") is None:
            return "the chain holds no fingerprint of its secret"
        if not hmac.compare_digest(
            token_fingerprint(tid, row["salt"], row["hash"]), str(said["fingerprint"])
        ):
            return "its secret is not the issued one"
        exp, want_exp = row["expires_at"], said.get("expires_at")
        if (exp is None) != (want_exp is None) or (
            exp is not None and want_exp is not None and float(exp) != float(want_exp)
        ):
            return "its expiry is not the issued one"
        return None

    def _not_as_claimed(self, row: dict) -> str | None:
        """Why a job token's row does not hold the secret its job.claimed event minted (ADR 0210), or speaks for
        another principal, job, gate, lane or task than that event says (ADR 0221), or None. The event is read once
        per token (events never change)."""
        tid = row["id"]
        try:
            said = self._claimed.get(tid)
            if said is None:
                said = self.store.read(lambda tx: rows_.claimed_token(tx, row["task"], tid))
                if said is None:
                    return "no job.claimed event on its task minted this row"
                if said["fingerprint"] is None:
                    return "the chain holds no fingerprint of its secret"
                self._claimed[tid] = said
        except Exception as exc:  # an event that cannot be read: refuse, never believe the row
            return f"the chain cannot be read for this token ({type(exc).__name__})"
        for field_ in ("principal", "job", "gate", "lane", "task"):  # whom and what it speaks for (ADR 0221)
            if str(row[field_]) != str(said[field_]):
                return f"its {field_} is not the claimed one"
        if not hmac.compare_digest(
            token_fingerprint(tid, row["salt"], row["hash"]), str(said["fingerprint"])
        ):
            return "its secret is not the minted one"
        return None

    def behind(self, row: dict, cfg: Any) -> tuple[str, ...]:
        """The people behind a token besides its principal (ADR 0111): the member who issued it and everyone
        behind the token that member issued it with (recorded in its token.issued event, so a token issued to
        oneself keeps them); a job token's are those of the principal token that claimed it. Tokens org issues
        itself (first use, the local bootstrap) have nobody behind them."""
        if row["kind"] == "job":
            parent = row["created_by"]
            p = self.store.read(lambda tx: rows_.token_row(tx, parent)) if parent else None
            return tuple(sorted(set(self.behind(p, cfg)) - {row["principal"]})) if p else ()
        issuer = row["created_by"]
        if not issuer or cfg is None or issuer not in cfg.actors:
            return ()
        hit = self._behind.get(row["id"])
        if hit is None:
            hit = tuple(sorted(({issuer} | set(self._issued_behind(row["id"]))) - {row["principal"]}))
            self._behind[row["id"]] = hit
        return hit

    def _issued_behind(self, tid: str) -> builtins.list[str]:
        """The `behind` its token.issued event recorded for token `tid` (the chain, not the table)."""
        return self.store.read(lambda tx: rows_.issued_behind(tx, tid))

    def _paused(self, actor: str) -> dict | None:
        r = self.store.read(lambda tx: rows_.actor_switch(tx, actor))
        return {"switch": r[0], "paused_by": r[1], "note": r[2]} if r else None

    def _refuse(
        self, why: str, command: str, as_: str | None, tid: str | None, actor: str | None, message: str | None
    ) -> None:
        """Record the refused attempt (the presented token's id, never its secret) and raise Denied(message)
        unless message is None."""

        def fn(tx: Tx) -> None:
            self._denied(tx, why, command, as_, tid, actor)

        self.ctx.write(fn)
        if message is not None:
            raise Denied(message, rule=rule_ids.AUTHENTICATION)

    def _denied(
        self, tx: Tx, why: str, command: str, as_: str | None, tid: str | None, actor: str | None
    ) -> None:
        self.ctx.record(
            tx,
            "auth.denied",
            actor=actor,
            decision="deny",
            rules=[rule_ids.AUTHENTICATION],
            data=AuthDenied({"reason": why, "command": command, "as": _clip(as_), "token_id": tid}),
        )

    def _fail(self, why: str, command: str, as_: str | None, tid: str | None) -> NoReturn:
        """A failed authentication (unknown id or wrong secret): counted for the presented id, recorded, then
        answered after the wait its count earns (the same for both), always as Denied "authentication failed".
        A malformed token (no id: nothing to guess) is recorded and answered at once, never counted, so a flood
        of them slows nobody's typo. The wait happens after the commit, so no lock is held while waiting."""

        def fn(tx: Tx) -> int:
            if not tid:  # malformed: no secret to guess, so nothing to slow; answered at once (and recorded)
                self._denied(tx, why, command, as_, None, None)
                return 0
            rows_.forget_failures(tx, tx.now - WINDOW_S)
            n = rows_.count_failure(tx, f"token:{tid}", MAX_FAILURE_ROWS)
            self._denied(tx, why, command, as_, tid, None)
            return n

        wait = failure_delay(self.ctx.write(fn))
        if wait > 0:
            self.sleep(wait)
        raise Denied(AUTH_FAILED, rule=rule_ids.AUTHENTICATION)


def _clip(s: str | None) -> str | None:
    return s[:128] if isinstance(s, str) else None


def _status(tx: Tx, d: dict, fence_token: str | None) -> str:
    if d["revoked_at"] is not None:
        return "revoked"
    if d["kind"] == "job":
        r = rows_.job_lease(tx, d["job"])
        if r is None or r[0] != "leased" or r[1] != fence_token or (r[2] is not None and r[2] <= tx.now):
            return "expired"
        return "active"
    if d["expires_at"] is not None and d["expires_at"] <= tx.now:
        return "expired"
    return "active"
