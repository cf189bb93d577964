"""`Bus`: the one object the CLI, the TUI, the identity layer and the agents use to reach the work bus."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal, overload

from org.bus import brakes as _brakes
from org.bus import budgets as _budgets
from org.bus import claims as _claims
from org.bus import decisions as _decisions
from org.bus import handback as _handback
from org.bus import plain as _plain
from org.bus import repofacts as _repofacts
from org.bus import submit as _submit
from org.bus import sweep as _sweep
from org.bus import switches as _switches
from org.bus import takeover as _takeover
from org.bus import tasks as _tasks
from org.bus import timeline as _timeline
from org.bus import toolcalls as _toolcalls
from org.bus import usage as _usage
from org.bus import views as _views
from org.bus.audit import VerifyReport, verify
from org.bus.context import Ctx
from org.bus.schema import ensure_schema
from org.bus.store import BusBusy, Store
from org.bus.wake import Waiter
from org.bus.wake import wait_seconds as _wait_seconds
from org.config.loader import OrgConfig
from org.errors import NotFound, UsageError

__all__ = ["Bus", "default_url"]


def default_url(root: Path) -> str:
    return f"sqlite:///{Path(root).resolve() / '.org' / 'org.db'}"


class Bus:
    """The work bus over one database. Open with Bus.open(url, root=...); every method is a short
    transaction, safe to call from many threads' own Bus objects and from many processes."""

    def __init__(self, store: Store, ctx: Ctx, config: OrgConfig | None = None) -> None:
        self.store = store
        self.ctx = ctx
        self._config = config
        self._config_loaded = config is not None
        self._waiters: dict[str, Waiter] = {}
        self._swept = time.monotonic()
        if config is not None:
            ctx.use_current(config)

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        root: Path | str | None = None,
        config: OrgConfig | None = None,
        max_attempts: int = 3,
        clock: Callable[[], float] | None = None,
        retry_seconds: float = 60.0,
    ) -> Bus:
        """Open (creating or migrating the schema as needed). url None: SQLite at <root>/.org/org.db.
        root None: the config's root, else ORG_ROOT or the nearest folder upward with lanes/ and gates/."""
        if root is None and config is not None:
            root = config.root
        if root is None and url is None:
            from org.config.loader import find_root

            root = find_root()
        root_p = Path(root).expanduser().resolve() if root is not None else None
        if url is None:
            url = default_url(root_p)  # type: ignore[arg-type]
        store = Store(url, clock=clock or time.time, retry_seconds=retry_seconds)
        ensure_schema(store)
        if max_attempts < 1:
            raise UsageError("max_attempts is at least 1")
        return cls(store, Ctx(store, root_p, max_attempts), config)

    def close(self) -> None:
        for w in self._waiters.values():
            w.close()
        self._waiters.clear()
        self.store.dispose()

    def __enter__(self) -> Bus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- configuration -----------------------------------------------------------------------
    @overload
    def config(self, *, required: Literal[True]) -> OrgConfig: ...

    @overload
    def config(self, *, required: bool = False) -> OrgConfig | None: ...

    def config(self, *, required: bool = False) -> OrgConfig | None:
        """Today's config from the root's YAML (validated and proved), or None without a root."""
        if not self._config_loaded:
            self._config_loaded = True
            if self.ctx.root is not None and (self.ctx.root / "lanes").is_dir():
                from org.bus.proofcache import prove_once
                from org.config.loader import load_org
                from org.errors import ConfigError

                cfg = load_org(self.ctx.root)
                problems = prove_once(cfg, self.ctx.root)  # proved once per config text and prover (ADR 0262)
                if problems:
                    raise ConfigError(problems)
                self._config = cfg
                self.ctx.use_current(cfg)
        if required and self._config is None:
            raise UsageError("this needs the org's configuration (pass root= or run inside an org)")
        return self._config

    # -- tasks -------------------------------------------------------------------------------
    def add_task(
        self,
        title: str,
        workflow: str,
        *,
        by: str | None = None,
        attributes: dict | None = None,
        idempotency_key: str | None = None,
        tier: str | None = None,
        repo: str | None = None,
        policy: dict | None = None,
    ) -> dict:
        """Start a task with today's policy pinned (the org's, its repository's committed .org/policy.yaml and
        `policy`, the task's own, each only tightening: ADR 0120); posts jobs for its first ready gates."""
        return _tasks.add_task(
            self.ctx,
            self.config(required=True),
            title,
            workflow,
            by=by,
            attributes=attributes,
            idempotency_key=idempotency_key,
            tier=tier,
            repo=repo,
            policy=policy,
        )

    def add_tasks(self, tasks: Sequence[dict]) -> list[dict]:
        """Start many tasks in one transaction: each a dict of add_task's arguments (title, workflow, by, ...),
        each filed as add_task files it; all or none."""
        return _tasks.add_tasks(self.ctx, self.config(required=True), list(tasks))

    def list_tasks(
        self,
        *,
        status: str | None = None,
        workflow: str | None = None,
        lane: str | None = None,
        actor: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict]:
        return _tasks.list_tasks(
            self.ctx, status=status, workflow=workflow, lane=lane, actor=actor, limit=limit, offset=offset
        )

    def task(self, task: str) -> dict:
        return _tasks.task_view(self.ctx, task)

    def timeline(self, task: str) -> list[dict]:
        return _timeline.timeline(self.ctx, task)

    # -- work --------------------------------------------------------------------------------
    def claim(
        self,
        lane: str,
        actor: str,
        *,
        lease_seconds: float = 300.0,
        wait_seconds: float = 0.0,
        mint: Callable | None = None,
        on_wait: Callable[[], object] | None = None,
    ) -> _claims.Claim:
        """Lease the next job of `lane` that `actor` may take; wait up to wait_seconds for one to appear.
        mint(tx, claims): a hook run inside the claim's transaction (org.identity mints job tokens with it).
        on_wait(): called once, when the claim found nothing and starts to wait (listening already: a job
        posted after it is called wakes the claim)."""
        return self.claim_many(
            lane,
            actor,
            n=1,
            lease_seconds=lease_seconds,
            wait_seconds=wait_seconds,
            mint=mint,
            on_wait=on_wait,
        )[0]

    def claim_many(
        self,
        lane: str,
        actor: str,
        *,
        n: int,
        lease_seconds: float = 300.0,
        wait_seconds: float = 0.0,
        mint: Callable | None = None,
        on_wait: Callable[[], object] | None = None,
    ) -> list[_claims.Claim]:
        wait_seconds = _wait_seconds(wait_seconds, "wait_seconds")
        cfg = self.config()
        self._maybe_sweep()
        if wait_seconds <= 0:
            return _claims.claim(self.ctx, cfg, lane, actor, lease_seconds=lease_seconds, n=n, mint=mint)
        deadline = time.monotonic() + wait_seconds
        w = self._waiter(lane)
        while True:
            w.arm()  # listen before looking, so no post slips in between
            try:
                return _claims.claim(self.ctx, cfg, lane, actor, lease_seconds=lease_seconds, n=n, mint=mint)
            except NotFound:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise
                if on_wait is not None:
                    on_wait()
                    on_wait = None
                w.wait(min(left, self.RECHECK_S))

    # a waiting claim looks again this often even when nothing wakes it (a lease expiring commits nothing)
    RECHECK_S = 1.0
    SWEEP_EVERY = 30.0

    def _maybe_sweep(self) -> None:
        """Workers sweep as they go (at most every SWEEP_EVERY s per Bus), so stalled and over-budget tasks
        escalate and expired leases come back even when nobody runs `org sweep`."""
        now = time.monotonic()
        if now - self._swept < self.SWEEP_EVERY:
            return
        self._swept = now
        with contextlib.suppress(BusBusy):
            _sweep.sweep(self.ctx)

    def _waiter(self, lane: str) -> Waiter:
        w = self._waiters.get(lane)
        if w is None:
            w = self._waiters[lane] = Waiter(self.store, {lane})  # keyed like wait_for_work's
        return w

    def heartbeat(self, job: int | str, token: str, *, lease_seconds: float | None = None) -> dict:
        return _claims.heartbeat(self.ctx, job, token, lease_seconds=lease_seconds)

    def comment(self, job: int | str, token: str, body: str) -> dict:
        """A comment on the task by the holder of the job's live lease (a `task.comment` event)."""
        return _claims.comment(self.ctx, job, token, body)

    def agent_events(self, job: int | str, token: str, events: list[dict]) -> dict:
        """An agent session's normalised events on the job's timeline (org.bus.claims.agent_events)."""
        return _claims.agent_events(self.ctx, job, token, events)

    def record_tool_call(self, job: int | str, token: str, entry: dict) -> dict:
        """One tool call of the job's holder in the tool-call ledger (a `tool.called` event, org.bus.toolcalls)."""
        return _toolcalls.record_tool_call(self.ctx, job, token, entry)

    def submit(
        self,
        job: int | str,
        token: str,
        verdict: str,
        *,
        note: str = "",
        content: str = "",
        revision: str | None = None,
        findings: list[dict] | None = None,
    ) -> dict:
        return _submit.submit(
            self.ctx,
            self.config(),
            job,
            token,
            verdict,
            note=note,
            content=content,
            revision=revision,
            findings=findings,
        )

    def release(self, job: int | str, token: str, *, reason: str) -> dict:
        """Give a leased job back to the queue now (the holder stops, or cannot do it at the moment)."""
        return _handback.release(self.ctx, job, token, reason=reason)

    def take_over(
        self,
        task: str,
        actor: str,
        *,
        reason: str,
        lease_seconds: float = 8 * 3600.0,
        mint: Callable | None = None,
    ) -> _claims.Claim:
        """A human takes over the task's open work job (ADR 0177): the holder's lease ends, the job is leased
        to `actor` (job.taken_over with who, from whom and why); earlier attempts stay on the timeline."""
        return _takeover.take_over(
            self.ctx, self.config(), task, actor, reason=reason, lease_seconds=lease_seconds, mint=mint
        )

    def fail(self, job: int | str, token: str, *, reason: str) -> dict:
        """The holder cannot do the job: park it as dead and escalate its task to a human, saying why."""
        return _handback.fail(self.ctx, job, token, reason=reason)

    def work_result(self, task: str, *, gate: str | None = None, revision: str | None = None) -> dict | None:
        """The latest accepted work submission of a task (at a gate, or the one that made a revision)."""
        return _handback.work_result(self.ctx, task, gate=gate, revision=revision)

    def submit_many(self, items: Sequence[dict]) -> list[dict]:
        return _submit.submit_many(self.ctx, self.config(), items)

    def submit_then_claim(
        self, items: Sequence[dict], lane: str, actor: str, *, n: int, lease_seconds: float = 300.0
    ) -> tuple[list[dict], list[_claims.Claim]]:
        """submit_many(items) and claim_many(lane, actor, n=n) in one transaction (a worker's loop: one commit per
        batch instead of two). Nothing to claim: an empty list, the submissions committed all the same."""
        cfg = self.config()
        self._maybe_sweep()
        return _submit.submit_then_claim(self.ctx, cfg, items, lane, actor, n=n, lease_seconds=lease_seconds)

    def post_jobs(
        self,
        lane: str,
        payloads: Sequence[Any],
        *,
        priority: int = 0,
        max_attempts: int | None = None,
        by: str | None = None,
    ) -> list[int]:
        """Plain jobs outside any workflow (same leases, fencing and audit; submit just records the result)."""
        return _plain.post_plain(
            self.ctx, lane, payloads, priority=priority, max_attempts=max_attempts, by=by
        )

    def retry_job(self, job: int | str, *, by: str) -> dict:
        return _plain.retry_job(self.ctx, job, by=by)

    def sweep(self) -> dict:
        return _sweep.sweep(self.ctx)

    # -- decisions and people ----------------------------------------------------------------
    def act(
        self, action: str, actor: str, task: str, attributes: dict | None = None, *, facts: dict | None = None
    ) -> dict:
        """`facts`: what org itself knows of the action (the credential broker: the credential and service it
        uses), trusted; `attributes` are the asker's word and can only tighten the decision (ADR 0071)."""
        return _decisions.act(self.ctx, self.config(), action, actor, task, attributes, facts=facts)

    def rehearse_act(self, action: str, actor: str, task: str, attributes: dict | None = None) -> dict:
        """What `act` would answer now (the same code, under the task's pinned policy), with nothing recorded."""
        return _decisions.act(self.ctx, self.config(), action, actor, task, attributes, rehearse=True)

    def approve(
        self,
        task: str,
        human: str,
        *,
        note: str = "",
        approval: int | None = None,
        gate: str | None = None,
        action: str | None = None,
        revision: str | None = None,
    ) -> dict:
        return _decisions.approve(
            self.ctx,
            self.config(),
            task,
            human,
            note=note,
            approval=approval,
            gate=gate,
            action=action,
            revision=revision,
        )

    def reject(
        self,
        task: str,
        human: str,
        *,
        note: str,
        approval: int | None = None,
        gate: str | None = None,
        action: str | None = None,
        revision: str | None = None,
    ) -> dict:
        return _decisions.reject(
            self.ctx,
            self.config(),
            task,
            human,
            note=note,
            approval=approval,
            gate=gate,
            action=action,
            revision=revision,
        )

    def request_changes(
        self,
        task: str,
        human: str,
        *,
        note: str,
        approval: int | None = None,
        gate: str | None = None,
        revision: str | None = None,
    ) -> dict:
        return _decisions.request_changes(
            self.ctx, self.config(), task, human, note=note, approval=approval, gate=gate, revision=revision
        )

    def wait_for_decision(self, approval: int, timeout: float) -> dict:
        """Block until approval request #approval is settled or `timeout` passes; the request as it stands.
        The requester's lane is woken by approve and reject, so this returns within milliseconds of them."""
        return _decisions.wait_decision(self.ctx, approval, timeout)

    def pending_approvals(
        self, *, human: str | None = None, task: str | None = None, lane: str | None = None
    ) -> list[dict]:
        return _decisions.pending_approvals(self.ctx, human=human, task=task, lane=lane)

    def pause(self, scope: str, target: str | None = None, *, by: str | None = None, note: str = "") -> dict:
        return _switches.pause(self.ctx, self.config(), scope, target, by=by, note=note)

    def resume(self, scope: str, target: str | None = None, *, by: str | None = None, note: str = "") -> dict:
        return _switches.resume(self.ctx, self.config(), scope, target, by=by, note=note)

    def switches(self, *, active_only: bool = True) -> list[dict]:
        return _switches.list_switches(self.ctx, active_only=active_only)

    def pauses_covering(
        self,
        *,
        actor: str | None = None,
        lane: str | None = None,
        task: str | None = None,
        vendors: Iterable[str] = (),
    ) -> list[dict]:
        """The active switches that cover this actor, lane and task, the `vendors` of the model called (and
        'all'), most specific first."""
        from org.bus.context import task_key

        cfg = self.config()
        key = task_key(task) if task else None
        vs = tuple(vendors)
        return self.store.read(
            lambda tx: _switches.covering(tx, cfg, actor=actor, lane=lane, task=key, vendors=vs)
        )

    def holder_state(
        self,
        token_id: str,
        job: int,
        *,
        actor: str,
        lane: str | None,
        task: str | None,
        vendors: Iterable[str] = (),
    ) -> tuple[dict | None, tuple[str, str | None, float | None] | None, list[dict]]:
        """In one read: a job token's row, its job's lease (status, fencing token, expiry) and the active
        switches covering its actor, lane and task and the `vendors` of the model called
        (org.identity.guard.Guard.still_holding judges them)."""
        from org.bus import identityrows
        from org.bus.context import task_key

        cfg = self.config()
        key = task_key(task) if task else None
        vs = tuple(vendors)
        return self.store.read(
            lambda tx: (
                identityrows.token_row(tx, token_id),
                identityrows.job_lease(tx, job),
                _switches.covering(tx, cfg, actor=actor, lane=lane, task=key, vendors=vs),
            )
        )

    # -- audit -------------------------------------------------------------------------------
    def events_since(
        self,
        after: int = 0,
        *,
        limit: int = 1000,
        task: str | None = None,
        types: tuple[str, ...] | None = None,
    ) -> list[dict]:
        return _timeline.events_since(self.ctx, after, limit=limit, task=task, types=types)

    def head(self) -> int:
        return int(self.store.read(lambda tx: tx.x("SELECT seq FROM audit_head WHERE id = 1").scalar() or 0))

    def wait_for_work(self, lanes: set[str], timeout: float) -> bool:
        """Sleep until work may have appeared in these lanes (a wake-up: True) or `timeout` passes (False)."""
        timeout = _wait_seconds(timeout, "timeout")
        key = ",".join(sorted(lanes))
        w = self._waiters.get(key)
        if w is None:
            w = self._waiters[key] = Waiter(self.store, set(lanes))
        return w.wait(timeout)

    def wait_for_events(self, after: int, timeout: float) -> bool:
        """Block until an event with seq > after exists (True) or timeout (False)."""
        timeout = _wait_seconds(timeout, "timeout")
        deadline = time.monotonic() + timeout
        with Waiter(self.store, lanes=set(), events=True) as w:
            while True:
                if self.head() > after:
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                w.wait(min(left, 1.0))

    def audit_verify(
        self,
        *,
        anchors: dict[int, str] | None = None,
        progress: Callable[[int], None] | None = None,
        workers: int | None = None,
    ) -> VerifyReport:
        """Walk the whole chain (in parallel ranges for large logs); report the first broken link."""
        return verify(self.store, anchors=anchors, progress=progress, workers=workers)

    # -- the operator's views (org.bus.views: the TUI's reads) ------------------------------
    def pending_count(self, lane: str | None) -> int:
        return _views.pending_count(self.ctx, lane)

    def task_count(self) -> int:
        return _views.task_count(self.ctx)

    def active_keys(self, prefix: str) -> set[str]:
        return _views.active_keys(self.ctx, prefix)

    def pinned_config(self, config_hash: str) -> OrgConfig:
        return _views.pinned_config(self.ctx, config_hash)

    def board(self, since: int | None = None) -> dict:
        return _views.board(self.ctx, since)

    def task_usage(self, task: str) -> list[dict]:
        return _views.task_usage(self.ctx, task)

    def leases(self) -> dict:
        return _views.leases(self.ctx)

    def gate_counts(self) -> dict:
        return _views.gate_counts(self.ctx)

    # -- usage and budgets -------------------------------------------------------------------
    def record_usage(self, actor: str, model: str, **kw: Any) -> dict:
        """kw: tokens_in, tokens_out, cost_usd, latency_ms, outcome, task, job, lane, workflow, gate, ts."""
        self.config()
        return _usage.record_usage(self.ctx, actor, model, **kw)

    def spend(self, by: str = "actor", **filters: Any) -> list[dict]:
        return _usage.spend(self.ctx, by, **filters)

    def scope_spend(self, scope: str, key: str) -> dict:
        """An actor's or lane's priced spend, unpriced calls and whether a human accepted them."""
        return _usage.scope_spend(self.ctx, scope, key)

    def brake_over_budget(self, lane: str, actor: str) -> list[str]:
        """Pause the actor and its lane where the usage ledger shows a budget ceiling crossed (org.bus.brakes)."""
        return _brakes.brake_over_budget(self.ctx, self.config(required=True), lane, actor)

    def budget(self, provider: str, *, capacity: float, refill_per_s: float) -> dict:
        return _budgets.configure(self.ctx, provider, capacity=capacity, refill_per_s=refill_per_s)

    def reserve(self, provider: str, amount: float = 1.0) -> _budgets.Reservation:
        return _budgets.reserve(self.ctx, provider, amount)

    def settle(self, reservation: _budgets.Reservation, used: float) -> dict:
        return _budgets.settle(self.ctx, reservation, used)

    def budgets(self) -> list[dict]:
        return _budgets.budgets(self.ctx)

    # -- the data plane's facts (org.bus.repofacts): what org.workspaces reads and records ----------------
    @property
    def root(self) -> Path | None:
        """The org's folder (its YAML; the workspaces and org's mirrors live under it)."""
        return self.ctx.root

    def repo_task(self, task: str) -> _repofacts.TaskRepo:
        """The task with its repository under the policy it pinned (UsageError: it works in none)."""
        return self.store.read(lambda tx: _repofacts.task_repo_of(self.ctx, tx, task))

    def repo_job(self, job: int) -> dict:
        """A job's task, gate, kind, status, holder and lane, and `repo`: its task's repository (None: none)."""

        def fn(tx: Any) -> dict:
            j = _repofacts.job_of(tx, job)
            j["repo"] = self.ctx.task_row(tx, j["task"]).attributes.get("repo") if j["task"] else None
            return j

        return self.store.read(fn)

    def workspace_holds(self, task: str) -> list[str]:
        """What still holds the task's workspace: leased jobs, pending approvals (empty: nothing)."""
        return self.store.read(lambda tx: _repofacts.holds(tx, task))

    def secrets_in(self, text: str) -> list[str]:
        """The secrets `text` holds, named, never shown (the redactor's; the diff guard refuses them)."""
        return self.ctx.redactor.found(text)

    def record_fact(self, type_: str, task: str, **kw: Any) -> None:
        """Record a workspace fact (org.bus.repofacts.WORKSPACE_EVENTS; kw: actor, gate, decision, rules,
        data, cfg: the policy the task pinned)."""
        self.ctx.write(lambda tx: _repofacts.record_fact(self.ctx, tx, type_, task, **kw))

    def outcome_events(self) -> list[dict]:
        """Every event `org outcomes` reads, in order."""
        return self.store.read(_repofacts.outcome_events)

    def pipeline_queue(self) -> list[dict]:
        """Every gate of an active repository task that waits for org's pipeline."""
        return self.store.read(lambda tx: _repofacts.pipeline_queue(self.ctx, tx))

    def pipeline_apply(self, task: str, gate: str, ok: bool, **kw: Any) -> dict:
        """Enter the pipeline's result for a gate and record its facts, in one transaction."""
        return _repofacts.pipeline_apply(self.ctx, task, gate, ok, **kw)
