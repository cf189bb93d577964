"""The work bus behind authentication: every call presents a token, is authenticated before anything
else is read, is checked against the token's principal and scope, and runs with that identity stamped
on every audit event it records.

Who may use which token where:
  - a principal token (`orgp_...`): claim (the lane's members), task add/list/show, inbox, spend, sweep,
    audit verify, pause/resume, and, for humans only, act, approve and reject;
  - a job token (`orgj_...`, returned by a claim): submit and heartbeat of its own job, and act on its
    own task with one of the actions its lane may take; it expires with the job's lease (heartbeats
    extend both) and is refused once the lease is over (exit 5, like a stale fencing token).
Approving or rejecting needs a human principal's token: an agent's token is refused (exit 4) however
it is presented, and the attempt is an `auth.denied` event.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from org.bus.audit import iso
from org.bus.claims import job_id
from org.bus.context import AUTH, task_key
from org.engine import rule_ids
from org.engine.conditions import action_matches
from org.errors import Conflict, Denied
from org.identity import files
from org.identity.tokens import AUTH_FAILED, Principal, Tokens

__all__ = ["Guard", "acting"]

MISSING = ("authentication required: pass --token or set ORG_TOKEN (a human's own token is read from their "
           "config file when --as names them; 'org token issue --for NAME --as HUMAN' makes one)")


def no_file(human: str, path: Path) -> str:
    """A human has no token file here and the database is past its first use (ADR 0058)."""
    return (f"authentication required: {human} has no token file here ({path}), and this org's database already "
            "gave humans tokens, so none is made automatically. Another human of this org issues one: 'org token issue "
            f"--for {human} --as THEM' and {human} saves it with 'org token save --as {human}'; or pass "
            "--token / ORG_TOKEN")


def stale_file(human: str, path: Path) -> str:
    """The token in a human's own file did not authenticate (the same words whatever the reason, ADR 0058)."""
    return (f"{AUTH_FAILED}: the token in {path} is not one this org's database accepts (it may have been "
            f"revoked, or have expired). Another human of this org issues {human} a new one: "
            f"'org token issue --for {human} --as THEM', and {human} saves it with 'org token save --as {human}'")


@contextmanager
def acting(p: Principal) -> Iterator[None]:
    """Stamp every event recorded inside with the principal's identity (see org.bus.context.AUTH)."""
    t = AUTH.set(p.audit())
    try:
        yield
    finally:
        AUTH.reset(t)


class Guard:
    """Authenticated access to one open Bus (the CLI and the built-in agents use it)."""

    def __init__(self, bus, *, token_files: bool = True) -> None:
        """`token_files=False` (the broker): authenticate only the token presented, never a human's own file
        on this account (nor make one on first use)."""
        self.bus = bus
        self.tokens = Tokens(bus)
        self.token_files = token_files

    # -- who is asking -----------------------------------------------------------------------
    def own_file(self, as_: str | None) -> tuple[str | None, Path | None]:
        """(token, path) from the token file of the human --as names, else (None, None). On a fresh database
        (never a human's principal token) the humans' files are made first, replacing stale ones (trust on first use)."""
        cfg = self.bus.config()
        a = cfg.actors.get(as_) if (cfg is not None and as_) else None
        if a is None or not a.is_human:
            return None, None
        root = self.bus.ctx.root
        if self.tokens.fresh():
            from org.identity.bootstrap import first_use_tokens

            first_use_tokens(self.bus)
        db = self.tokens.db()
        return files.read_human_token(root, a.id, db), files.human_token_path(root, a.id, db)

    def principal(self, token: str | None, *, as_: str | None = None, command: str, job_ok: bool = False,
                  principal_ok: bool = True, human: bool = False) -> Principal:
        path = None
        if not token and self.token_files:
            token, path = self.own_file(as_)
        if not token and self.token_files:
            self.tokens._refuse("missing", command, as_, None, None,
                                no_file(str(as_), path) if path is not None else MISSING)
        try:
            p = self.tokens.authenticate(token, as_=as_, command=command)
        except Denied as exc:
            if path is not None and exc.message == AUTH_FAILED:
                raise Denied(stale_file(str(as_), path), rule=rule_ids.AUTHENTICATION) from None
            raise
        if p.via == "job" and not job_ok:
            self._deny(p, command, "job token outside its job",
                       f"a job token only works for its own job (submit, heartbeat, act); '{command}' needs a "
                       "principal token")
        if p.via == "principal" and not principal_ok:
            self._deny(p, command, "principal token for a job",
                       f"'{command}' needs the job token your claim returned, not a principal token")
        if human and not p.is_human:
            self._deny(p, command, "agent approving", f"{command} needs a human principal's token; {p.actor} is an "
                       "agent", rule=rule_ids.HUMAN_APPROVAL)
        return p

    def _deny(self, p: Principal, command: str, why: str, message: str, rule: str = rule_ids.TOKEN_SCOPE) -> None:
        def fn(tx) -> None:
            with acting(p):
                self.bus.ctx.record(tx, "auth.denied", actor=p.actor, task=p.task, job=p.job, decision="deny",
                                    rules=[rule], data={"reason": why, "command": command})

        self.bus.ctx.write(fn)
        raise Denied(message, rule=rule)

    def _job_scope(self, p: Principal, job: int | str, command: str) -> int:
        jid = job_id(job) if str(job).strip().lstrip("Jj-").isdigit() else -1
        if jid != p.job:
            self._deny(p, command, "other job", f"this job token is for job {p.job}, not '{job}'")
        self._lease_live(p, command)
        return jid

    def _lease_live(self, p: Principal, command: str) -> None:
        """A job token lives exactly as long as its lease: refused (exit 5) once the lease ended or expired."""
        def fn(tx) -> tuple | None:
            return tx.x("SELECT status, token, lease_expires FROM jobs WHERE id = :j", {"j": p.job}).first()

        r = self.bus.store.read(fn)
        now = self.bus.store.clock()
        if r is None:
            raise Conflict(f"job {p.job} is gone; this job token is void", job=p.job)
        status, fence_token, expires = r
        if status == "done" and fence_token == p.fence_token and command == "submit":
            return  # a replayed submission: the bus answers it idempotently
        if status != "leased" or fence_token != p.fence_token:
            raise Conflict(f"stale token for job {p.job}: the lease moved on ({status}); this job token expired with "
                           f"its lease and your {command} was refused", job=p.job, status=status)
        if expires is not None and expires <= now:
            raise Conflict(f"this job token expired with its lease at {iso(float(expires))}; your {command} was "
                           "refused (claim again)", job=p.job, status="expired")

    # -- work --------------------------------------------------------------------------------
    def claim(self, token: str | None, lane: str, as_: str | None, *, lease_seconds: float = 300.0,
              wait_seconds: float = 0.0) -> tuple[Any, str]:
        """(the bus's Claim, its job token)."""
        p = self.principal(token, as_=as_, command="claim")
        minted: dict[int, str] = {}
        with acting(p):
            c = self.bus.claim(lane, p.actor, lease_seconds=lease_seconds, wait_seconds=wait_seconds,
                               mint=self.tokens.minter(p, minted))
        return c, minted[c.job]

    def heartbeat(self, token: str | None, job: int | str, *, lease_seconds: float | None = None) -> dict:
        p = self.principal(token, command="heartbeat", job_ok=True, principal_ok=False)
        jid = self._job_scope(p, job, "heartbeat")
        with acting(p):
            return self.bus.heartbeat(jid, p.fence_token, lease_seconds=lease_seconds)

    def submit(self, token: str | None, job: int | str, verdict: str, **kw: Any) -> dict:
        p = self.principal(token, command="submit", job_ok=True, principal_ok=False)
        jid = self._job_scope(p, job, "submit")
        with acting(p):
            return self.bus.submit(jid, p.fence_token, verdict, **kw)

    def act(self, token: str | None, action: str, as_: str | None, task: str, attributes: dict | None = None) -> dict:
        p = self.principal(token, as_=as_, command="act", job_ok=True)
        self.may_act(p, action, task, "act")
        with acting(p):
            return self.bus.act(action, p.actor, task, attributes)

    def may_act(self, p: Principal, action: str, task: str, command: str) -> None:
        """Humans act with their own token; agents only with a live job token on that task, within its lane's actions."""
        if p.via == "principal" and not p.is_human:
            self._deny(p, command, "agent without job token",
                       f"{p.actor} is an agent: it acts with the job token of a job on the task, not its principal token")
        if p.via == "job":
            key = task_key(task) if str(task).strip().lstrip("Tt-").isdigit() else str(task)
            if key != p.task:
                self._deny(p, command, "other task", f"this job token covers task {p.task}, not '{task}'")
            if not action_matches(p.actions, action):
                self._deny(p, command, "action outside scope",
                           f"'{action}' is outside this job token's scope (the {p.lane} lane's actions on {p.task})")
            self._lease_live(p, command)

    # -- people ------------------------------------------------------------------------------
    def approve(self, token: str | None, task: str, as_: str | None, **kw: Any) -> dict:
        p = self.principal(token, as_=as_, command="approve", human=True)
        with acting(p):
            return self.bus.approve(task, p.actor, **kw)

    def reject(self, token: str | None, task: str, as_: str | None, **kw: Any) -> dict:
        p = self.principal(token, as_=as_, command="reject", human=True)
        with acting(p):
            return self.bus.reject(task, p.actor, **kw)

    def pause(self, token: str | None, scope: str, target: str | None, as_: str | None, note: str = "") -> dict:
        p = self.principal(token, as_=as_, command="pause")
        with acting(p):
            return self.bus.pause(scope, target, by=p.actor, note=note)

    def resume(self, token: str | None, scope: str, target: str | None, as_: str | None, note: str = "") -> dict:
        p = self.principal(token, as_=as_, command="resume")
        with acting(p):
            return self.bus.resume(scope, target, by=p.actor, note=note)

    def add_task(self, token: str | None, title: str, workflow: str, *, by: str | None = None, **kw: Any) -> dict:
        p = self.principal(token, as_=by, command="task add")
        with acting(p):
            return self.bus.add_task(title, workflow, by=p.actor, **kw)

    def reader(self, token: str | None, *, as_: str | None = None, command: str) -> Principal:
        """Any member's principal token may read (task list/show, inbox, spend, audit) and sweep."""
        return self.principal(token, as_=as_, command=command)
