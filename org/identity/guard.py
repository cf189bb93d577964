"""The one authenticated door to the work bus: every caller (the CLI, the TUI, the built-in agents, the
agents' socket and the MCP server) reaches the database through a Guard, never through a raw Bus.

    with Guard.open(url, root=root) as door:           # or Guard(bus) over a Bus you opened
        claim, job_token = door.claim(token, "builder", "build-claude")
        door.submit(job_token, claim.job, "pass", note="done")

Every operation takes the caller's token first, authenticates it before anything else is read, checks it
against the principal and scope, and runs with that identity stamped on every audit event it records.
Errors are the org.errors tree, raised, never returned: Denied (4) for a missing, forged, revoked, expired
or out-of-scope token and for what a rule refuses, Conflict (5) for a job token whose lease is over, Paused
(7) for a paused principal, NotFound (3), UsageError (2). Nothing passes through: a Bus method is reachable
only when OPERATIONS below names it (deny by default; tests/identity/test_door.py enumerates the Bus and
attacks every operation).

Who may use which token where:
  - a principal token (`orgp_...`) of any member: claim (the lane's members; returns the claim and its job
    token, which the claim carries as its `token`), add_task, sweep, pause/resume, the shared rate budgets
    (budget, reserve, settle, budgets), brake_over_budget (the bus pauses only what its ledger shows over a
    ceiling; a job token works too), wake-ups (wait_for_work, wait_for_events, wait_for_decision) and
    every read (list_tasks, task, timeline, pending_approvals, switches, pauses_covering, events_since, head,
    work_result, spend, scope_spend, audit_verify, rehearse_act, reader, reading, and the operator's views: pending_count,
    task_count, active_keys, pinned_config, board, task_usage, leases, gate_counts) and workspaces (what
    org.workspaces reads and records, bound to that principal: org.identity.workdoor);
  - a human's principal token only: approve and reject (an agent's is refused however it is presented,
    exit 4, an `auth.denied` event); act; take_over (a human whose lane may write code takes a task's work
    job over in its workspace, ADR 0177); issue_token and list_tokens (token administration: the rules of
    `org token`, rule_ids.HUMAN_ISSUER); revoke_tokens (an agent's principal token: only its own tokens);
  - a job token (`orgj_...`, returned by a claim): holder and lease_live (who holds the job, and whether
    its lease still runs: for the services beside the bus), pauses_covering of its own actor, lane and task
    and pinned_lane (its lane as its task's pinned policy states it) while its lease runs, the shared rate
    budgets (budget, reserve, settle): what the model gateway does as the job's holder (ADR 0157; the gateway
    has no identity of its own), heartbeat, submit, release, fail and
    job_facts (the handover: org job show) of its own job, act
    on its own task with one of the actions its lane may take and its gate asks for (the lane's here; the
    gate's in `act`, rule_ids.GATE_SCOPE, ADR 0110), record_usage of the model calls made for it (its own job, task,
    lane and gate; another is refused),
    wait_for_decision on a request of its own task, workspaces (job_ok: its own job and task, for the revision
    check of its submission);
    it expires with the job's lease (heartbeats extend both) and is refused once the lease is over (exit 5).
  - no token: config() (the org's YAML, not the database).
A human's own token file is read when no token is given and `as_` names them (token_files=True, the
default; the broker passes False and authenticates only the token presented).

Not exposed (NOT_EXPOSED; the raw Bus keeps them for the bus's own tests and benchmarks): claim_many,
submit_many, submit_then_claim and add_tasks (bulk forms), post_jobs and retry_job (plain jobs outside any workflow:
no caller posts them yet, and who may is a decision of its own).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from typing_extensions import Unpack

from org.bus import identityrows
from org.bus.audit import iso
from org.bus.budgets import settled
from org.bus.claims import job_id
from org.bus.context import AUTH, task_key
from org.bus.payloads import AuthDenied, UsageRow
from org.engine import rule_ids
from org.engine.conditions import action_matches
from org.errors import Conflict, Denied, UsageError
from org.identity import files
from org.identity.tokens import AUTH_FAILED, Principal, Tokens

if TYPE_CHECKING:
    from org.identity.workdoor import WorkspaceDoor

__all__ = ["Guard", "Holding", "Reading", "acting", "NOT_EXPOSED"]

NOT_EXPOSED = {
    "claim_many": "the bulk form of claim, for the bus's own benchmarks; callers claim one job at a time",
    "submit_many": "the bulk form of submit, for the bus's own benchmarks; callers submit one job at a time",
    "submit_then_claim": "submit_many and claim_many in one transaction (a worker's bulk step): bulk forms, "
    "for the bus's own benchmarks",
    "add_tasks": "the bulk form of add_task, for the bus's own benchmarks; callers file one task at a time",
    "post_jobs": "plain jobs outside any workflow: no caller posts them yet, and who may is a decision of its own",
    "retry_job": "requeues a dead plain job: goes with post_jobs, not exposed until plain jobs are",
}

MISSING = (
    "authentication required: pass --token or set ORG_TOKEN (a human's own token is read from their "
    "config file when --as names them; 'org token issue --for NAME --as HUMAN' makes one)"
)


_FIRST_USE = threading.Lock()


def no_file(human: str, path: Path) -> str:
    """A human has no token file here and the database is past its first use (ADR 0058)."""
    return (
        f"authentication required: {human} has no token file here ({path}), and this org's database already "
        "gave humans tokens, so none is made automatically. Another human of this org issues one: 'org token issue "
        f"--for {human} --as THEM' and {human} saves it with 'org token save --as {human}'; or pass "
        "--token / ORG_TOKEN"
    )


def stale_file(human: str, path: Path) -> str:
    """The token in a human's own file did not authenticate (the same words whatever the reason, ADR 0058)."""
    return (
        f"{AUTH_FAILED}: the token in {path} is not one this org's database accepts (it may have been "
        f"revoked, or have expired). Another human of this org issues {human} a new one: "
        f"'org token issue --for {human} --as THEM', and {human} saves it with 'org token save --as {human}'"
    )


@contextmanager
def acting(p: Principal) -> Iterator[None]:
    """Stamp every event recorded inside with the principal's identity (see org.bus.context.AUTH)."""
    t = AUTH.set(p.audit())
    try:
        yield
    finally:
        AUTH.reset(t)


class Guard:
    """The one authenticated door to one Bus; see the module docstring."""

    # door operation -> the Bus methods it reaches (after authentication); nothing else is reachable
    OPERATIONS: dict[str, tuple[str, ...]] = {
        "config": ("config",),
        "principal": (),
        "reader": (),
        "reading": (),
        "may_act": (),
        "holder": (),
        "holding": (),
        "still_holding": ("holder_state",),
        "lease_live": (),
        "add_task": ("add_task",),
        "list_tasks": ("list_tasks",),
        "task": ("task",),
        "timeline": ("timeline",),
        "claim": ("claim",),
        "heartbeat": ("heartbeat",),
        "comment": ("comment",),
        "agent_events": ("agent_events",),
        "record_tool_call": ("record_tool_call",),
        "whoami": ("config",),
        "submit": ("submit",),
        "release": ("release",),
        "fail": ("fail",),
        "take_over": ("take_over",),
        "job_facts": ("task", "pinned_config", "config", "events_since", "work_result"),
        "revision_read": ("task", "repo_task"),
        "work_result": ("work_result",),
        "job_read": ("pauses_covering", "work_result", "events_since", "head"),
        "sweep": ("sweep",),
        "act": ("act",),
        "rehearse_act": ("rehearse_act",),
        "approve": ("approve",),
        "reject": ("reject",),
        "request_changes": ("request_changes",),
        "wait_for_decision": ("wait_for_decision",),
        "pending_approvals": ("pending_approvals",),
        "pause": ("pause",),
        "resume": ("resume",),
        "switches": ("switches",),
        "pauses_covering": ("pauses_covering",),
        "pinned_lane": ("task", "pinned_config"),
        "events_since": ("events_since",),
        "head": ("head",),
        "wait_for_events": ("wait_for_events",),
        "wait_for_work": ("wait_for_work",),
        "audit_verify": ("audit_verify",),
        "record_usage": ("record_usage",),
        "spend": ("spend",),
        "scope_spend": ("scope_spend",),
        "brake_over_budget": ("brake_over_budget",),
        "budget": ("budget",),
        "shape_budget": ("budget",),
        "reserve": ("reserve",),
        "settle": ("settle",),
        "budgets": ("budgets",),
        "pending_count": ("pending_count",),
        "task_count": ("task_count",),
        "active_keys": ("active_keys",),
        "pinned_config": ("pinned_config",),
        "board": ("board",),
        "task_usage": ("task_usage",),
        "leases": ("leases",),
        "gate_counts": ("gate_counts",),
        "issue_token": (),
        "revoke_tokens": ("config",),
        "list_tokens": (),
        "workspaces": (
            "config",
            "repo_task",
            "repo_job",
            "workspace_holds",
            "secrets_in",
            "record_fact",
            "outcome_events",
            "spend",
            "pipeline_queue",
            "pipeline_apply",
            "act",
        ),
    }

    def __init__(
        self, bus, *, token_files: bool = True, owns_bus: bool = False, isolation: str | None = None
    ) -> None:
        """`token_files=False` (the broker): authenticate only the token presented, never a human's own file
        on this account (nor make one on first use). `owns_bus`: close() closes the bus too. `isolation`:
        'none' when this door serves agents that run without a sandbox (ADR 0143): every event recorded
        through it says so in its `auth`."""
        self._bus = bus
        self.tokens = Tokens(bus)
        self.token_files = token_files
        self._owns_bus = owns_bus
        self.isolation = isolation

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        root: Path | str | None = None,
        config: Any = None,
        token_files: bool = True,
        isolation: str | None = None,
    ) -> Guard:
        """Open the bus (org.bus.Bus.open: creating or migrating its schema) behind a door that closes it."""
        from org.bus import Bus

        return cls(
            Bus.open(url, root=root, config=config),
            token_files=token_files,
            owns_bus=True,
            isolation=isolation,
        )

    def close(self) -> None:
        if self._owns_bus:
            self._bus.close()

    def __enter__(self) -> Guard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def root(self) -> Path | None:
        """The org's folder (its YAML and the per-org config folder of token files)."""
        return self._bus.ctx.root

    def config(self, *, required: bool = False) -> Any:
        """Today's config of the org (its YAML, validated and proved; None without a root). No token: it is not
        the database's."""
        return self._bus.config(required=required)

    # -- who is asking -----------------------------------------------------------------------
    def _own_file(self, as_: str | None) -> tuple[str | None, Path | None]:
        """(token, path) from the token file of the human --as names, else (None, None). On a fresh database
        (never a human's principal token) the humans' files are made first, replacing stale ones (trust on first use)."""
        cfg = self._bus.config()
        a = cfg.actors.get(as_) if (cfg is not None and as_) else None
        if a is None or not a.is_human:
            return None, None
        root = self._bus.ctx.root
        fresh, db = self._bus.store.read(
            lambda tx: (identityrows.never_had_a_human_token(tx), identityrows.stored_db_id(tx))
        )  # one read: every read of a human at the keyboard (the TUI's each poll) comes here first
        if not fresh and db:  # the common case: the file is there, no lock on the TUI's poll
            path = files.human_token_path(root, a.id, db)
            token = files.read_private(path)
            if token:
                return token, path
        # one lock for the process: on a fresh database first use commits the humans' tokens, then writes their
        # files; a second thread (the TUI's poll beside its first screen) reading in between found a database
        # past its first use and no file yet, and refused the human at the keyboard
        with _FIRST_USE:
            fresh, db = self._bus.store.read(
                lambda tx: (identityrows.never_had_a_human_token(tx), identityrows.stored_db_id(tx))
            )  # again under the lock: another thread may have just made the humans' files
            if fresh:
                from org.identity.bootstrap import first_use_tokens

                first_use_tokens(self._bus)
            if fresh or not db:
                db = self.tokens.db()
            path = files.human_token_path(root, a.id, db)
            return files.read_private(path), path

    def principal(
        self,
        token: str | None,
        *,
        as_: str | None = None,
        command: str,
        job_ok: bool = False,
        principal_ok: bool = True,
        human: bool = False,
        paused_ok: bool = False,
    ) -> Principal:
        """Authenticate: the principal a token speaks for, within what `command` accepts (else Denied)."""
        return self._authenticated(
            token,
            as_=as_,
            command=command,
            job_ok=job_ok,
            principal_ok=principal_ok,
            human=human,
            paused_ok=paused_ok,
        )[0]

    def _authenticated(
        self,
        token: str | None,
        *,
        as_: str | None,
        command: str,
        job_ok: bool,
        principal_ok: bool,
        human: bool,
        paused_ok: bool,
    ) -> tuple[Principal, dict]:
        """principal(), with the token's row as it was verified."""
        path = None
        if not token and self.token_files:
            token, path = self._own_file(as_)
        if not token and self.token_files:
            self.tokens._refuse(
                "missing", command, as_, None, None, no_file(str(as_), path) if path is not None else MISSING
            )
        try:
            p, row = self.tokens.authenticate_row(token, as_=as_, command=command, paused_ok=paused_ok)
        except Denied as exc:
            if path is not None and exc.message == AUTH_FAILED:
                raise Denied(stale_file(str(as_), path), rule=rule_ids.AUTHENTICATION) from None
            raise
        if self.isolation is not None:
            p = dataclasses.replace(p, isolation=self.isolation)
        if p.via == "job" and not job_ok:
            self._deny(
                p,
                command,
                "job token outside its job",
                f"a job token only works for its own job (submit, heartbeat, act); '{command}' needs a "
                "principal token",
            )
        if p.via == "principal" and not principal_ok:
            self._deny(
                p,
                command,
                "principal token for a job",
                f"'{command}' needs the job token your claim returned, not a principal token",
            )
        if human and not p.is_human:
            self._deny(
                p,
                command,
                "agent approving",
                f"{command} needs a human principal's token; {p.actor} is an agent",
                rule=rule_ids.HUMAN_APPROVAL,
            )
        return p, row

    def reader(self, token: str | None, *, as_: str | None = None, command: str) -> Principal:
        """Any member's principal token may read; who it is."""
        return self.principal(token, as_=as_, command=command)

    def reading(self, token: str | None, *, as_: str | None = None) -> Reading:
        """The read operations bound to one token, for code that takes a read-only bus (each call authenticates)."""
        return Reading(self, token, as_)

    def workspaces(
        self,
        token: str | None,
        *,
        as_: str | None = None,
        command: str,
        job_ok: bool = False,
        principal_ok: bool = True,
    ) -> WorkspaceDoor:
        """What org.workspaces reads and records (org.identity.workdoor), bound to the principal this token
        speaks for: a member's principal token (org workspace, org pipeline, org outcomes), or with job_ok a
        job token, for its own job and task only (the revision check of its submission)."""
        from org.identity.workdoor import WorkspaceDoor

        p = self.principal(token, as_=as_, command=command, job_ok=job_ok, principal_ok=principal_ok)
        if p.via == "job":
            self.lease_live(p, command)
        return WorkspaceDoor(self, self._bus, p, command)

    # -- token administration (the rules of `org token issue|revoke|list`) ---------------------------------
    def issue_token(
        self,
        token: str | None,
        subject: str,
        *,
        as_: str | None = None,
        ttl: float | None = None,
        note: str = "",
    ) -> dict:
        """A new principal token for `subject`, issued by the human this token speaks for (an agent's is
        refused, rule_ids.HUMAN_ISSUER); its secret is in the answer, once."""
        p = self.principal(token, as_=as_, command="token issue")
        if not p.is_human:
            self._deny(
                p,
                "token issue",
                "agent issuing",
                "only a human's token may issue tokens",
                rule=rule_ids.HUMAN_ISSUER,
            )
        with acting(p):
            return {
                **self.tokens.issue(subject, by=p.actor, ttl=ttl, note=note, behind=p.behind),
                "issuer": p.actor,
            }

    def revoke_tokens(
        self,
        token: str | None,
        *,
        token_id: str | None = None,
        actor: str | None = None,
        as_: str | None = None,
    ) -> list[str]:
        """Revoke one token by id, or every live token of `actor`: a human any, an agent only its own."""
        from org.errors import UsageError

        if (token_id is None) == (actor is None):
            raise UsageError("give a token id or --actor")
        token_id = token_id.strip().lower() if token_id is not None else None  # as Tokens.revoke reads it
        p = self.principal(token, as_=as_, command="token revoke")
        if not p.is_human:
            mine = {r["id"] for r in self.tokens.list(actor=p.actor, active_only=False)}
            if (actor is not None and actor != p.actor) or (token_id is not None and token_id not in mine):
                self._deny(
                    p,
                    "token revoke",
                    "agent revoking others",
                    "an agent may revoke only its own tokens",
                    rule=rule_ids.HUMAN_ISSUER,
                )
        if actor is not None and self._bus.config(required=True).actors.get(actor) is None:
            raise Denied(f"no actor '{actor}' in this org")
        with acting(p):
            return self.tokens.revoke(token_id=token_id, actor=actor, by=p.actor)

    def list_tokens(
        self, token: str | None, *, actor: str | None = None, active_only: bool = True, as_: str | None = None
    ) -> list[dict]:
        """Every token's row (ids, never secrets), optionally one actor's: a human's token only."""
        p = self.principal(token, as_=as_, command="token list")
        if not p.is_human:
            self._deny(
                p,
                "token list",
                "agent listing",
                "only a human's token may list tokens",
                rule=rule_ids.HUMAN_ISSUER,
            )
        return self.tokens.list(actor=actor, active_only=active_only)

    def _deny(
        self, p: Principal, command: str, why: str, message: str, rule: str = rule_ids.TOKEN_SCOPE
    ) -> None:
        def fn(tx) -> None:
            with acting(p):
                self._bus.ctx.record(
                    tx,
                    "auth.denied",
                    actor=p.actor,
                    task=p.task,
                    job=p.job,
                    decision="deny",
                    rules=[rule],
                    data=AuthDenied({"reason": why, "command": command}),
                )

        self._bus.ctx.write(fn)
        raise Denied(message, rule=rule)

    def _job_scope(self, p: Principal, job: int | str, command: str) -> int:
        jid = job_id(job) if str(job).strip().lstrip("Jj-").isdigit() else -1
        if jid != p.job:
            self._deny(p, command, "other job", f"this job token is for job {p.job}, not '{job}'")
        self.lease_live(p, command)
        return jid

    def holder(self, token: str | None, *, command: str) -> Principal:
        """The principal of a live job token (authenticated, its lease not over): how a service beside the bus
        (the model gateway, the agents' bus socket) learns who holds which job. Denied (4) for anything but a
        job token, Conflict (5) once its lease ended or expired."""
        return self.holding(token, command=command).principal

    def holding(self, token: str | None, *, command: str) -> Holding:
        """holder(), with the token's row as this door verified it: what a service that acts for the job at
        every call keeps (the model gateway's grant), so still_holding() can tell in one read that nothing
        about the token, its job or the switches changed since (ADR 0285)."""
        p, row = self._authenticated(
            token,
            as_=None,
            command=command,
            job_ok=True,
            principal_ok=False,
            human=False,
            paused_ok=False,
        )
        self.lease_live(p, command)
        return Holding(p, tuple(sorted(row.items())))

    def still_holding(self, token: str | None, held: Holding, *, vendors: Iterable[str] = ()) -> bool:
        """In one read of the bus: True only if `token` still carries the secret of the row `held` was verified
        with, that row is unchanged (not revoked, swept or rewritten), the job's lease runs under the same
        fence, and no switch covers its actor, vendor, lane, task or everything. False for anything else: the
        caller then asks the whole way (holding(), pauses_covering()), which refuses and records as always. A
        True answer is never one those would not give (tests/gateway/test_gateway_door.py attacks it). `vendors`:
        those of the model the call is routed to (org.engine.pauses.vendors_of_model), whoever the member is."""
        p = held.principal
        if p.via != "job" or p.job is None or not self.tokens.holds(token, dict(held.row)):
            return False  # not the token the door verified: nothing read for it
        cfg = self._bus.config()
        if cfg is not None and ((a := cfg.actors.get(p.actor)) is None or a.kind != p.kind):
            return False
        job = p.job
        with acting(p):
            row, lease, hits = self._bus.holder_state(
                p.token_id, job, actor=p.actor, lane=p.lane, task=p.task, vendors=tuple(vendors)
            )
        return (
            row is not None
            and tuple(sorted(row.items())) == held.row
            and lease is not None
            and _lease_refusal(p, "model call", lease, self._bus.store.clock()) is None
            and not hits
        )

    def lease_live(self, p: Principal, command: str) -> None:
        """A job token lives exactly as long as its lease: refused (exit 5) once the lease ended or expired.
        `p` is a job token's principal this door authenticated (holder(), principal()); a service that keeps
        one (the gateway, per model call) asks again here before each use."""
        if p.via != "job" or p.job is None:
            raise Denied(f"'{command}' needs a job token's principal", rule=rule_ids.TOKEN_SCOPE)

        job = p.job
        r = self._bus.store.read(lambda tx: identityrows.job_lease(tx, job))
        if r is None:
            raise Conflict(f"job {p.job} is gone; this job token is void", job=p.job)
        refusal = _lease_refusal(p, command, r, self._bus.store.clock())
        if refusal is not None:
            raise refusal

    def _as_holder(
        self, token: str | None, job: int | str, command: str, fn: Callable[[int, str], Any]
    ) -> Any:
        """fn(job id, fencing token) as the holder of a live job token for `job`."""
        p = self.principal(token, command=command, job_ok=True, principal_ok=False)
        jid = self._job_scope(p, job, command)
        with acting(p):
            return fn(jid, p.fence_token or "")  # a job token always has one; "" is refused as stale

    def _read(self, token: str | None, as_: str | None, command: str, fn: Callable[[], Any]) -> Any:
        p = self.principal(token, as_=as_, command=command)
        with acting(p):
            return fn()

    # -- work --------------------------------------------------------------------------------
    def claim(
        self,
        token: str | None,
        lane: str,
        as_: str | None,
        *,
        lease_seconds: float = 300.0,
        wait_seconds: float = 0.0,
        on_wait: Callable[[], object] | None = None,
    ) -> tuple[Any, str]:
        """(the bus's Claim, its job token); the claim carries the job token as its `token` too (the bare
        fencing token never leaves the door). on_wait(): once, when it finds nothing and starts to wait."""
        p = self.principal(token, as_=as_, command="claim")
        minted: dict[int, str] = {}
        with acting(p):
            c = self._bus.claim(
                lane,
                p.actor,
                lease_seconds=lease_seconds,
                wait_seconds=wait_seconds,
                mint=self.tokens.minter(p, minted),
                on_wait=on_wait,
            )
        return dataclasses.replace(c, token=minted[c.job]), minted[c.job]

    def heartbeat(self, token: str | None, job: int | str, *, lease_seconds: float | None = None) -> dict:
        return self._as_holder(
            token,
            job,
            "heartbeat",
            lambda j, fence: self._bus.heartbeat(j, fence, lease_seconds=lease_seconds),
        )

    def comment(self, token: str | None, job: int | str, body: str) -> dict:
        """A comment on its task by the holder of a live job token (recorded as `task.comment`)."""
        return self._as_holder(token, job, "comment", lambda j, fence: self._bus.comment(j, fence, body))

    def agent_events(self, token: str | None, job: int | str, events: list[dict]) -> dict:
        """The holder of a live job token records its agent session's events (`agent.<kind>` on the timeline)."""
        return self._as_holder(
            token, job, "agent_events", lambda j, fence: self._bus.agent_events(j, fence, events)
        )

    def record_tool_call(self, token: str | None, job: int | str, entry: dict) -> dict:
        """One tool call in the tool-call ledger (tool, arguments digest, result class, latency, decision: never
        the arguments), by the holder of a live job token for `job`; recorded under a pause too (a call the
        pause refused is in the ledger as denied)."""
        p = self.principal(token, command="record tool call", job_ok=True, principal_ok=False, paused_ok=True)
        jid = self._job_scope(p, job, "record tool call")
        with acting(p):
            return self._bus.record_tool_call(jid, p.fence_token or "", entry)

    def whoami(self, token: str | None, *, as_: str | None = None) -> dict:
        """Who a token speaks for and what that principal may do: its lanes with their actions (may, may not)
        and the gates of each workflow they hold (the MCP server lists tools from this). A job token answers
        for its principal and names its job."""
        p = self.principal(token, as_=as_, command="whoami", job_ok=True)
        cfg = self.config()
        lanes = []
        for lane in sorted(cfg.lanes.values(), key=lambda ln: ln.lane) if cfg is not None else ():
            member = next((m for m in lane.members if m.id == p.actor), None)
            if member is None:
                continue
            gates = [
                {"workflow": w.workflow, "gate": name, "kind": g.kind}
                for w in cfg.workflows.values()
                for name, g in w.gates.items()
                if g.lane == lane.lane
            ]
            lanes.append(
                {
                    "lane": lane.lane,
                    "kind": lane.kind,
                    "purpose": lane.purpose,
                    "may": [str(a) for a in lane.may],
                    "may_not": [str(a) for a in lane.may_not],
                    "gates": gates,
                    "model": member.model,
                }
            )
        out: dict = {"principal": p.actor, "kind": p.kind, "via": p.via, "lanes": lanes}
        if p.job is not None:
            out.update(job=p.job, task=p.task, gate=p.gate, lane=p.lane)
        return out

    def submit(
        self,
        token: str | None,
        job: int | str,
        verdict: str,
        *,
        workspaces: Any = None,
        commit: str | None = None,
        **kw: Any,
    ) -> dict:
        """`workspaces` (org.workspaces.service, given by an in-process caller, as `org submit` does): a passing
        work job of a repository task is first committed from its workspace and checked by the diff guard
        (check_revision); its commit is the revision submitted."""
        if workspaces is not None and verdict.strip().lower() == "pass":
            p = self.principal(token, command="submit", job_ok=True, principal_ok=False)
            jid = self._job_scope(p, job, "submit")
            from org.identity.workdoor import WorkspaceDoor

            res = workspaces.check_revision(
                WorkspaceDoor(self, self._bus, p, "submit"), jid, p.actor, commit=commit
            )
            if res:
                kw["revision"] = res["commit"]
        return self._as_holder(
            token, job, "submit", lambda j, fence: self._bus.submit(j, fence, verdict, **kw)
        )

    def release(self, token: str | None, job: int | str, *, reason: str) -> dict:
        """Give a leased job back to the queue now (the holder stops, or cannot do it at the moment)."""
        return self._as_holder(
            token, job, "release", lambda j, fence: self._bus.release(j, fence, reason=reason)
        )

    def take_over(self, token: str | None, task: str, as_: str | None, *, reason: str) -> tuple[Any, str]:
        """A human, with their own principal token, takes over the task's open work job (ADR 0177): (the
        bus's Claim, the job token minted for them). An agent's token is refused (rule_ids.WRONG_LANE)."""
        p = self.principal(token, as_=as_, command="take over")
        if not p.is_human:
            self._deny(
                p,
                "take over",
                "agent taking over",
                f"only a human takes over a job in its workspace; {p.actor} is an agent",
                rule=rule_ids.WRONG_LANE,
            )
        minted: dict[int, str] = {}
        with acting(p):
            c = self._bus.take_over(task, p.actor, reason=reason, mint=self.tokens.minter(p, minted))
        return dataclasses.replace(c, token=minted[c.job]), minted[c.job]

    def fail(self, token: str | None, job: int | str, *, reason: str) -> dict:
        """The holder cannot do the job: park it as dead and escalate its task to a human, saying why."""
        return self._as_holder(token, job, "fail", lambda j, fence: self._bus.fail(j, fence, reason=reason))

    def job_facts(self, token: str | None, job: int | str, *, workspaces: Any = None) -> dict:
        """The handover of a live job to its holder (org.identity.jobfacts): the task with its tier and why,
        the gate and what it asks, the lane's boundaries, the workspace (made for a work job of a repository
        task), the bound revision's real diff, the work before it and the last review's findings.
        `workspaces`: the workspaces service (org.workspaces.service) that reads git for a repository task,
        passed by the caller (the door itself stays below the data plane); without it none is read."""
        from org.identity.jobfacts import job_facts

        p = self.principal(token, command="job show", job_ok=True, principal_ok=False)
        jid = self._job_scope(p, job, "job show")
        with acting(p):
            return job_facts(self._bus, jid, p.actor, workspaces=workspaces)

    JOB_READS = ("switches", "work_result", "events", "head")

    def job_read(
        self,
        token: str | None,
        job: int | str,
        what: str,
        *,
        gate: str | None = None,
        revision: str | None = None,
        after: int = 0,
        types: tuple[str, ...] | None = None,
        limit: int = 1000,
    ) -> Any:
        """What a live job's holder reads while it works, scoped to its own job (ADR 0171): 'switches' (the
        active switches covering its actor, lane and task), 'work_result' (its task's latest result, at a gate
        or for a revision), 'events' (its task's events after `after`), 'head' (the audit log's last sequence
        number). A job token reads nothing of another task, and a principal token is refused here."""
        if what not in self.JOB_READS:
            raise UsageError(f"'{what}' is not a job read (one of: {', '.join(self.JOB_READS)})")
        command = "job read"
        p = self.principal(token, command=command, job_ok=True, principal_ok=False)
        self._job_scope(p, job, command)
        task = p.task
        with acting(p):
            if what == "switches":
                return self._bus.pauses_covering(actor=p.actor, lane=p.lane, task=task)
            if what == "head":
                return self._bus.head()
            if task is None:
                return None if what == "work_result" else []
            if what == "work_result":
                return self._bus.work_result(task, gate=gate, revision=revision)
            return self._bus.events_since(after, limit=limit, task=task, types=types)

    def revision_read(
        self, token: str | None, job: int | str, what: str, arg: str = "", *, workspaces: Any = None
    ) -> dict:
        """A review job's holder reads the revision bound to its gate, read-only (org.identity.jobfacts:
        `list`, `read` or `search`; the revision is the job's, never one the caller names). `workspaces`: the
        workspaces service that reads git, passed by the caller as for job_facts."""
        from org.identity.jobfacts import revision_read

        p = self.principal(token, command="read revision", job_ok=True, principal_ok=False)
        jid = self._job_scope(p, job, "read revision")
        self.lease_live(p, "read revision")
        with acting(p):
            return revision_read(self._bus, jid, what, arg, workspaces=workspaces)

    def act(
        self, token: str | None, action: str, as_: str | None, task: str, attributes: dict | None = None
    ) -> dict:
        """decide() and record: a human with their own token, an agent with the job token of its job on the task."""
        p = self.principal(token, as_=as_, command="act", job_ok=True)
        self.may_act(p, action, task, "act")
        with acting(p):
            return self._bus.act(action, p.actor, task, attributes)

    def rehearse_act(
        self,
        token: str | None,
        action: str,
        actor: str,
        task: str,
        attributes: dict | None = None,
        *,
        as_: str | None = None,
    ) -> dict:
        """What `act` would answer for ACTOR now (the same code, rolled back; nothing recorded): a read."""
        return self._read(
            token, as_, "explain", lambda: self._bus.rehearse_act(action, actor, task, attributes)
        )

    def may_act(self, p: Principal, action: str, task: str, command: str) -> None:
        """Humans act with their own token; agents only with a live job token on that task, within its lane's actions
        (and, decided in `act`, its gate's: ADR 0110)."""
        if p.via == "principal" and not p.is_human:
            self._deny(
                p,
                command,
                "agent without job token",
                f"{p.actor} is an agent: it acts with the job token of a job on the task, not its principal token",
            )
        if p.via == "job":
            key = task_key(task) if str(task).strip().lstrip("Tt-").isdigit() else str(task)
            if key != p.task:
                self._deny(p, command, "other task", f"this job token covers task {p.task}, not '{task}'")
            if not action_matches(p.actions, action):
                self._deny(
                    p,
                    command,
                    "action outside scope",
                    f"'{action}' is outside this job token's scope (the {p.lane} lane's actions on {p.task})",
                )
            self.lease_live(p, command)

    def record_usage(self, token: str | None, model: str, **kw: Unpack[UsageRow]) -> dict:
        """A model call in the usage ledger, as the job token's principal, for its own job. A call already made is
        recorded whatever happened since the token's lease ended or its actor was paused, while the job token
        still authenticates; once its row is swept (the lease over and the sweep run) the token answers Denied
        and the row is not written here: the caller reports it as lost (ADR 0157 accepts that loss, the gateway
        notes it loudly), so spend made on a token swept mid-call can be missing from the ledger."""
        p = self.principal(token, command="record usage", job_ok=True, principal_ok=False, paused_ok=True)
        own = UsageRow(job=p.job, task=p.task, lane=p.lane, gate=p.gate)
        for what, value in own.items():
            asked = kw.get(what)
            if asked is not None and _key(what, asked) != (str(value) if what == "job" else value):
                self._deny(
                    p, "record usage", f"other {what}", f"this job token is for {what} {value}, not '{asked}'"
                )
        row: UsageRow = {**kw, **own, "workflow": None}  # the task's own workflow, filled in by the ledger
        with acting(p):
            return self._bus.record_usage(p.actor, model, **row)

    def sweep(self, token: str | None, *, as_: str | None = None) -> dict:
        """The bus's sweep, then the rows of job tokens whose lease is over (their ids stay in the audit log)."""
        p = self.principal(token, as_=as_, command="sweep")
        with acting(p):
            return {**self._bus.sweep(), "job_tokens_removed": self.tokens.sweep()}

    def brake_over_budget(self, token: str | None, lane: str, *, as_: str | None = None) -> list[str]:
        """After its model calls, a worker asks the bus to brake its actor and lane if the ledger shows a budget
        ceiling crossed (the bus decides from the ledger, not from the caller; org.bus.brakes). The token's
        principal is the actor; a job token also fixes the lane."""
        p = self.principal(token, as_=as_, command="budget brake", job_ok=True)
        if p.via == "job" and lane != p.lane:
            self._deny(
                p, "budget brake", "other lane", f"this job token is for the {p.lane} lane, not '{lane}'"
            )
        with acting(p):
            return self._bus.brake_over_budget(lane, p.actor)

    # -- people ------------------------------------------------------------------------------
    def approve(self, token: str | None, task: str, as_: str | None, **kw: Any) -> dict:
        p = self.principal(token, as_=as_, command="approve", human=True)
        with acting(p):
            return self._bus.approve(task, p.actor, **kw)

    def reject(self, token: str | None, task: str, as_: str | None, **kw: Any) -> dict:
        p = self.principal(token, as_=as_, command="reject", human=True)
        with acting(p):
            return self._bus.reject(task, p.actor, **kw)

    def request_changes(self, token: str | None, task: str, as_: str | None, **kw: Any) -> dict:
        p = self.principal(token, as_=as_, command="request-changes", human=True)
        with acting(p):
            return self._bus.request_changes(task, p.actor, **kw)

    def pause(
        self, token: str | None, scope: str, target: str | None, as_: str | None, note: str = ""
    ) -> dict:
        p = self.principal(token, as_=as_, command="pause")
        with acting(p):
            return self._bus.pause(scope, target, by=p.actor, note=note)

    def resume(
        self, token: str | None, scope: str, target: str | None, as_: str | None, note: str = ""
    ) -> dict:
        p = self.principal(token, as_=as_, command="resume")
        with acting(p):
            return self._bus.resume(scope, target, by=p.actor, note=note)

    def add_task(
        self, token: str | None, title: str, workflow: str, *, by: str | None = None, **kw: Any
    ) -> dict:
        p = self.principal(token, as_=by, command="task add")
        with acting(p):
            return self._bus.add_task(title, workflow, by=p.actor, **kw)

    def wait_for_decision(
        self, token: str | None, approval: int, timeout: float, *, as_: str | None = None
    ) -> dict:
        """Block until approval request #approval is settled or `timeout` passes; the request as it stands. A job
        token waits only for a request on its own task (an agent's `act --wait`)."""
        p = self.principal(token, as_=as_, command="wait", job_ok=True)
        with acting(p):
            if p.via == "job":
                task = self._bus.wait_for_decision(approval, 0).get("task")
                if task != p.task:
                    self._deny(
                        p,
                        "wait",
                        "other task",
                        f"this job token covers task {p.task}, not request #{approval}",
                    )
            return self._bus.wait_for_decision(approval, timeout)

    # -- reads and wake-ups (any member's principal token) -----------------------------------
    def list_tasks(self, token: str | None, *, as_: str | None = None, **filters: Any) -> list[dict]:
        return self._read(token, as_, "task list", lambda: self._bus.list_tasks(**filters))

    def task(self, token: str | None, task: str, *, as_: str | None = None) -> dict:
        return self._read(token, as_, "task show", lambda: self._bus.task(task))

    def timeline(self, token: str | None, task: str, *, as_: str | None = None) -> list[dict]:
        return self._read(token, as_, "task show", lambda: self._bus.timeline(task))

    def work_result(
        self,
        token: str | None,
        task: str,
        *,
        gate: str | None = None,
        revision: str | None = None,
        as_: str | None = None,
    ) -> dict | None:
        return self._read(
            token, as_, "work result", lambda: self._bus.work_result(task, gate=gate, revision=revision)
        )

    def pending_approvals(self, token: str | None, *, as_: str | None = None, **filters: Any) -> list[dict]:
        return self._read(token, as_, "inbox", lambda: self._bus.pending_approvals(**filters))

    def switches(self, token: str | None, *, as_: str | None = None, active_only: bool = True) -> list[dict]:
        return self._read(token, as_, "switches", lambda: self._bus.switches(active_only=active_only))

    def pauses_covering(
        self,
        token: str | None,
        *,
        actor: str | None = None,
        lane: str | None = None,
        task: str | None = None,
        as_: str | None = None,
        vendors: Iterable[str] = (),
    ) -> list[dict]:
        """The active switches that cover this actor, lane and task and the `vendors` of the model a call is
        routed to (a pause a caller must honour before acting; asking about a vendor only widens the answer).
        A job token asks only about itself (its actor, lane and task; another is refused, exit 4) while its lease
        runs: how the model gateway checks the switches before each call it makes for the job (ADR 0157)."""
        p = self.principal(token, as_=as_, command="switches", job_ok=True)
        if p.via == "job":
            asked = {"actor": actor, "lane": lane, "task": task}
            own = {"actor": p.actor, "lane": p.lane, "task": p.task}
            for what, value in asked.items():
                if value is not None and _key(what, value) != own[what]:
                    self._deny(
                        p,
                        "switches",
                        f"other {what}",
                        f"this job token asks about its own {what} ({own[what]}), not '{value}'",
                    )
            self.lease_live(p, "switches")
            actor, lane, task = p.actor, p.lane, p.task
        with acting(p):
            return self._bus.pauses_covering(actor=actor, lane=lane, task=task, vendors=tuple(vendors))

    def pinned_lane(self, token: str | None) -> Any:
        """The job's lane as its task's pinned policy states it (org.config's Lane; None when the pinned org has
        no such lane): what a task's own layer narrowed (its `models`, ADR 0120). A live job token, for its own
        task only: the model gateway reads its grant's models here."""
        p = self.principal(token, command="pinned lane", job_ok=True, principal_ok=False)
        self.lease_live(p, "pinned lane")
        if p.task is None or p.lane is None:
            return None
        task, lane = p.task, p.lane
        with acting(p):
            return self._bus.pinned_config(self._bus.task(task)["config_hash"]).lanes.get(lane)

    def events_since(
        self, token: str | None, after: int = 0, *, as_: str | None = None, **kw: Any
    ) -> list[dict]:
        return self._read(token, as_, "events", lambda: self._bus.events_since(after, **kw))

    def head(self, token: str | None, *, as_: str | None = None) -> int:
        return self._read(token, as_, "events", self._bus.head)

    def wait_for_events(
        self, token: str | None, after: int, timeout: float, *, as_: str | None = None
    ) -> bool:
        return self._read(token, as_, "events", lambda: self._bus.wait_for_events(after, timeout))

    def wait_for_work(
        self, token: str | None, lanes: set[str], timeout: float, *, as_: str | None = None
    ) -> bool:
        return bool(self._read(token, as_, "wait", lambda: self._bus.wait_for_work(lanes, timeout)))

    def audit_verify(self, token: str | None, *, as_: str | None = None, **kw: Any) -> Any:
        return self._read(token, as_, "audit verify", lambda: self._bus.audit_verify(**kw))

    def spend(
        self, token: str | None, by: str = "actor", *, as_: str | None = None, **filters: Any
    ) -> list[dict]:
        return self._read(token, as_, "spend", lambda: self._bus.spend(by, **filters))

    def scope_spend(self, token: str | None, scope: str, key: str, *, as_: str | None = None) -> dict:
        return self._read(token, as_, "spend", lambda: self._bus.scope_spend(scope, key))

    # the operator's views (org.bus.views): what the TUI shows
    def pending_count(self, token: str | None, lane: str | None, *, as_: str | None = None) -> int:
        return self._read(token, as_, "inbox", lambda: self._bus.pending_count(lane))

    def task_count(self, token: str | None, *, as_: str | None = None) -> int:
        return self._read(token, as_, "task list", self._bus.task_count)

    def active_keys(self, token: str | None, prefix: str, *, as_: str | None = None) -> set[str]:
        return self._read(token, as_, "task list", lambda: self._bus.active_keys(prefix))

    def pinned_config(self, token: str | None, config_hash: str, *, as_: str | None = None) -> Any:
        return self._read(token, as_, "task show", lambda: self._bus.pinned_config(config_hash))

    def board(self, token: str | None, *, as_: str | None = None, since: int | None = None) -> dict:
        return self._read(token, as_, "task list", lambda: self._bus.board(since))

    def task_usage(self, token: str | None, task: str, *, as_: str | None = None) -> list[dict]:
        return self._read(token, as_, "task show", lambda: self._bus.task_usage(task))

    def leases(self, token: str | None, *, as_: str | None = None) -> dict:
        return self._read(token, as_, "agents", self._bus.leases)

    def gate_counts(self, token: str | None, *, as_: str | None = None) -> dict:
        return self._read(token, as_, "gates", self._bus.gate_counts)

    # -- shared rate budgets (a member's principal token; a job token only paces its own calls) ----------
    def budget(self, token: str | None, provider: str, *, capacity: float, refill_per_s: float) -> dict:
        """Set a shared bucket's capacity and refill: the org's own account (a principal's token), never a
        job token's (the gateway shapes its buckets from its configuration through shape_budget)."""
        p = self.principal(token, command="budget")
        with acting(p):
            return self._bus.budget(provider, capacity=capacity, refill_per_s=refill_per_s)

    def shape_budget(self, token: str | None, provider: str, *, capacity: float, refill_per_s: float) -> dict:
        """The gateway's own shaping of a bucket from its configuration (org.agents.sqlbudget), while it serves
        the job whose token it was called with: in process only (no socket operation reaches it), the values
        org's, never a caller's."""
        p = self.principal(token, command="budget", job_ok=True)
        with acting(p):
            return self._bus.budget(provider, capacity=capacity, refill_per_s=refill_per_s)

    def _booker(self, token: str | None, held: Holding | None, *, paused_ok: bool = False) -> Principal:
        """Who books on a rate budget: the principal of `held` when `token` carries the secret of the row it was
        verified with (the gateway books for a call whose holder it re-checked at the call's start, ADR 0285:
        nothing read again), else the token authenticated the whole way."""
        if held is not None and held.principal.via == "job" and self.tokens.holds(token, dict(held.row)):
            return held.principal
        return self.principal(token, command="budget", job_ok=True, paused_ok=paused_ok)

    def reserve(
        self, token: str | None, provider: str, amount: float = 1.0, *, held: Holding | None = None
    ) -> Any:
        p = self._booker(token, held)
        with acting(p):
            r = self._bus.reserve(provider, amount)
        if p.via == "job" and getattr(r, "ok", False):
            _RESERVED.add(p.job, provider, float(r.amount))
        return r

    def settle(
        self, token: str | None, reservation: Any, used: float, *, held: Holding | None = None
    ) -> dict:
        """Settle a booking: a paused principal's too (the call it booked for was made; its debt is owed). A
        job token gives back only what its own job reserved and has not settled (Denied otherwise, nothing
        changed); what it takes (used beyond the amount: an overrun, a block's debt) it always may."""
        p = self._booker(token, held, paused_ok=True)
        provider, amount = (
            (reservation.provider, reservation.amount) if hasattr(reservation, "provider") else reservation
        )
        refund, used = settled(amount, used)  # NaN or inf refused before the door's own bookkeeping
        if p.via == "job" and refund > 0 and not _RESERVED.take(p.job, str(provider), refund):
            self._deny(
                p,
                "budget",
                "settle beyond its reservations",
                f"job {p.job} reserved no {refund} on '{provider}' it has not settled: a job token settles only "
                "its own reservations",
            )
        with acting(p):
            return self._bus.settle((provider, refund), used)

    def budgets(self, token: str | None, *, as_: str | None = None) -> list[dict]:
        return self._read(token, as_, "budget", self._bus.budgets)


class _Reservations:
    """What each job has reserved and not yet settled, per provider, for this process's doors (the gateway's
    pool shares it). A settle through another process finds nothing and is refused: the bucket then refills
    on its own (fail closed). Bounded: the oldest jobs are forgotten past MAX_JOBS."""

    MAX_JOBS = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[int | None, dict[str, float]] = {}

    def add(self, job: int | None, provider: str, amount: float) -> None:
        with self._lock:
            mine = self._open.pop(job, {})
            mine[provider] = mine.get(provider, 0.0) + amount
            self._open[job] = mine  # most recent last
            while len(self._open) > self.MAX_JOBS:
                self._open.pop(next(iter(self._open)))

    def take(self, job: int | None, provider: str, amount: float) -> bool:
        with self._lock:
            mine = self._open.get(job, {})
            have = mine.get(provider, 0.0)
            if amount > have + 1e-9:
                return False
            left = have - amount
            if left > 1e-9:
                mine[provider] = left
            else:
                mine.pop(provider, None)
                if not mine:
                    self._open.pop(job, None)
            return True


_RESERVED = _Reservations()


def _key(what: str, value: Any) -> str:
    """A job's, task's, lane's or gate's name as the door compares it with a job token's own (T-7 or 7: T-7)."""
    if what == "task" and str(value).strip().lstrip("Tt-").isdigit():
        return task_key(str(value))
    if what == "job":
        return str(job_id(value)) if str(value).strip().lstrip("Jj-").isdigit() else f"not a job: {value}"
    return str(value)


class Reading:
    """A door's read operations bound to one token (Guard.reading): nothing else, and each call authenticates."""

    def __init__(self, door: Guard, token: str | None, as_: str | None) -> None:
        self._door, self._token, self._as = door, token, as_

    def config(self, *, required: bool = False) -> Any:
        return self._door.config(required=required)

    def list_tasks(self, **filters: Any) -> list[dict]:
        return self._door.list_tasks(self._token, as_=self._as, **filters)

    def task(self, task: str) -> dict:
        return self._door.task(self._token, task, as_=self._as)

    def timeline(self, task: str) -> list[dict]:
        return self._door.timeline(self._token, task, as_=self._as)

    def pending_approvals(self, **filters: Any) -> list[dict]:
        return self._door.pending_approvals(self._token, as_=self._as, **filters)

    def switches(self, *, active_only: bool = True) -> list[dict]:
        return self._door.switches(self._token, as_=self._as, active_only=active_only)

    def events_since(self, after: int = 0, **kw: Any) -> list[dict]:
        return self._door.events_since(self._token, after, as_=self._as, **kw)

    def head(self) -> int:
        return self._door.head(self._token, as_=self._as)

    def spend(self, by: str = "actor", **filters: Any) -> list[dict]:
        return self._door.spend(self._token, by, as_=self._as, **filters)

    def budgets(self) -> list[dict]:
        return self._door.budgets(self._token, as_=self._as)

    # the operator's views (the TUI's screens read only these)
    def pending_count(self, lane: str | None) -> int:
        return self._door.pending_count(self._token, lane, as_=self._as)

    def task_count(self) -> int:
        return self._door.task_count(self._token, as_=self._as)

    def pinned_config(self, config_hash: str) -> Any:
        return self._door.pinned_config(self._token, config_hash, as_=self._as)

    def board(self, since: int | None = None) -> dict:
        return self._door.board(self._token, as_=self._as, since=since)

    def task_usage(self, task: str) -> list[dict]:
        return self._door.task_usage(self._token, task, as_=self._as)

    def leases(self) -> dict:
        return self._door.leases(self._token, as_=self._as)

    def gate_counts(self) -> dict:
        return self._door.gate_counts(self._token, as_=self._as)


@dataclasses.dataclass(frozen=True)
class Holding:
    """A live job token's principal with its token row as the door verified it (Guard.holding): what a service
    that acts for the job at every call keeps, never the secret (the row holds only its salted hash)."""

    principal: Principal
    row: tuple = dataclasses.field(repr=False)


def _lease_refusal(p: Principal, command: str, lease: tuple, now: float) -> Conflict | None:
    """Why a job token's lease (status, fencing token, expiry) no longer covers `command`, or None: the one
    home of the rule lease_live and still_holding apply."""
    status, fence_token, expires = lease
    if status == "done" and fence_token == p.fence_token and command == "submit":
        return None  # a replayed submission: the bus answers it idempotently
    if status != "leased" or fence_token != p.fence_token:
        return Conflict(
            f"stale token for job {p.job}: the lease moved on ({status}); this job token expired with "
            f"its lease and your {command} was refused",
            job=p.job,
            status=status,
        )
    if expires is not None and expires <= now:
        return Conflict(
            f"this job token expired with its lease at {iso(float(expires))}; your {command} was "
            "refused (claim again)",
            job=p.job,
            status="expired",
        )
    return None
