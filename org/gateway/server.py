"""The model gateway: org serves the models to its agents, and is the only one that holds a provider key.

The gateway has no identity of its own on the bus (ADR 0157): every grant is bought with a job token (over
HTTP, `POST /org/grant`, or in this process, `grant`), the gateway keeps that token with the grant (never
logged, never in a span), and everything it reads or writes on the bus for a call it does through the one
authenticated door (org.identity.guard.Guard) as that job's holder: the switches of its own actor, lane and
task, its task's pinned lane, the shared rate budgets, and the usage rows of its own job.

Per call, in this order, each refusal answered in the caller's wire shape and recorded with its reason:

    401  the gateway token: issued here, not revoked, not expired (org.gateway.grants)
    400  a request it can read (org.gateway.wire: chat completions, Responses API, Anthropic messages)
    403  the model: on the lane's allowlist (`models:` of the lane, else the member's own model)
    401  the job token behind the grant: still valid, its lease not over (the grant dies with it)
    403  the kill switches: no active pause of the actor, its lane, its vendor, its task or everything
         (read through the door at every call; a bus it cannot read refuses the call: 503)
    429  the job's call allowance, then the shared rate budget (org.agents.pacing; a budget booked past
         the pacer's wait is refused, not queued forever)

then one litellm call (org.agents.llm), and one row in the usage ledger per call made: tokens, cost,
latency and outcome against job, task, actor, lane, gate, workflow and the model actually called (whose
family the ledger derives; the answer's `x-org-family` header says it too). A refused call is recorded as
outcome `refused:<why>` at no cost. What the agent reports about its own usage is never read.

Served on loopback HTTP (port 0) and/or a Unix socket (for the sandbox, org.runtime), one thread per
connection; a pool of doors (each over its own bus connection) serves the checks and records the ledger.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import queue
import socket
import socketserver
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from org import telemetry, unixsock
from org.engine.pauses import vendors_of_model
from org.errors import Conflict, Denied, OrgError, Paused, UsageError
from org.gateway import wire
from org.gateway.grants import Grant, Grants
from org.gateway.upstream import forward, forwardable
from org.identity.guard import Guard

__all__ = ["Gateway", "Refusal", "MAX_BODY"]

MAX_BODY = 16 << 20  # bytes of one request
MAX_BUSES = 8
LINGER_S = 0.02  # the ledger's writer waits this long after a row arrives (off every call's path)
_STATUS = {"rate_limited": 429, "quota_exhausted": 429, "unavailable": 503, "auth": 502, "error": 502}
# the job token of the call this thread serves: what the shared rate budgets are booked with (_BudgetPort)
_CALLER: contextvars.ContextVar[str | None] = contextvars.ContextVar("org_gateway_caller", default=None)
# and its holder as the door re-checked it at the call's start (Guard.reserve/settle read nothing again for it)
_HELD: contextvars.ContextVar[Any] = contextvars.ContextVar("org_gateway_held", default=None)
# a first attempt the pacer starts later than this after the holder checks (it waited for a busy budget or a
# cooldown) is checked again, as every retry is (Gateway._complete)
RECHECK_AFTER_S = 0.05


@dataclass
class Refusal(Exception):
    """A call the gateway does not make (or whose provider failed): HTTP status, short code, message."""

    status: int
    code: str
    message: str


class Gateway:
    """One run's model gateway: grants, policy per call, litellm, the ledger, and its servers."""

    def __init__(
        self,
        cfg: Any,
        open_door: Callable[[], Guard],
        *,
        local_url: str | None = None,
        env: Mapping[str, str] | None = None,
        pacer: Any = None,
        clock: Callable[[], float] = time.time,
        note: Callable[[str, str], None] | None = None,
        forward: bool = True,
    ) -> None:
        from org.agents.pacing import Pacer

        self.cfg = cfg
        self.forward = (
            forward  # OpenAI-compatible upstreams at a given base URL skip litellm's client (upstream.py)
        )
        self.open_door = open_door
        self.local_url = local_url
        self.env = dict(os.environ if env is None else env)
        self.pacer = pacer or Pacer(clock=clock)
        self.grants = Grants(clock)
        self.note = note or (lambda _kind, _text: None)
        self.refusals: deque[dict] = deque(maxlen=1000)  # the latest refusals, with their reasons
        self.counts = {"calls": 0, "refused": 0}
        self._lock = threading.Lock()
        self._pool: queue.SimpleQueue = queue.SimpleQueue()
        self._slots = threading.BoundedSemaphore(MAX_BUSES)
        self._routes: dict[tuple[str, str | None], Any] = {}
        self._task_models: dict[tuple[str, str], tuple[str, ...] | None] = {}  # pinned narrowings
        self._servers: list[tuple[socketserver.BaseServer, threading.Thread]] = []
        self.url: str | None = None
        self.socket_path: Path | None = None
        self._inode: unixsock.Inode | None = None
        self._ledger_cv = threading.Condition()
        self._ledger_rows: list[dict] = []
        self._ledger_pending = 0
        self._writer: threading.Thread | None = None
        self._closing = False
        self._stopped = False  # stop() ran: a row queued after it is written inline (_queue)

    @classmethod
    def for_database(
        cls,
        cfg: Any,
        db_url: str,
        *,
        limits: Mapping[str, Any] | None = None,
        max_wait_s: float = 60.0,
        **kw: Any,
    ) -> Gateway:
        """A gateway whose ledger, switches and rate budgets are the org's database at `db_url`, reached through
        the door (token_files=False: only the job tokens its grants were bought with): every gateway on that
        database (every run's) paces on the same shared budgets (`limits`: {budget key: Limits})."""
        from org.agents.pacing import Pacer
        from org.agents.sqlbudget import SqlBudgetStore

        root = getattr(cfg, "root", None)

        def open_door() -> Guard:
            return Guard.open(db_url, root=root, config=cfg, token_files=False)

        gw = cls(cfg, open_door, **kw)
        if "pacer" not in kw:  # on the gateway's own pool of bus connections, whatever thread serves the call
            store = SqlBudgetStore(lambda: _BudgetPort(gw))
            gw.pacer = Pacer(store, dict(limits or {}), max_wait_s=max_wait_s, clock=gw.pacer.clock)
        return gw

    # -- grants ---------------------------------------------------------------------------------------
    def grant(
        self,
        job_token: str | None,
        *,
        ttl_s: float = 3600.0,
        max_calls: int | None = None,
        workflow: str | None = None,
    ) -> str:
        """A gateway token for the job `job_token` holds (a live job token of an agent member): the grant keeps
        the job token and acts on the bus only as its holder. Raises what the door says of the token: Denied (4)
        for anything but a live job token, Conflict (5) once its lease is over, Paused (7) for a paused actor;
        UsageError (2) for a job token of a human (only agents call models through the gateway)."""
        try:
            with self._door() as door:
                held = door.holding(job_token, command="model.grant")
                p = held.principal
        except OrgError as exc:
            self._refused(None, "", "token", f"grant: {exc.message}")
            raise
        a = self.cfg.actors.get(p.actor)
        spec = self.cfg.lanes.get(p.lane) if p.lane else None
        member = next((m for m in (spec.members if spec else []) if m.id == p.actor), None)
        if a is None or a.is_human or not a.model or member is None or spec is None:
            self._refused(None, "", "token", f"grant: {p.actor} is not an agent member of lane {p.lane}")
            raise UsageError(f"'{p.actor}' is not an agent member of lane '{p.lane}': it calls no model here")
        assert job_token is not None  # the door authenticated it
        return self.grants.issue(
            Grant(
                job=p.job,
                task=p.task,
                actor=p.actor,
                lane=spec.lane,
                models=tuple(spec.models) if spec.models else (a.model,),
                default_model=a.model,
                expires=self.grants.clock() + ttl_s,
                gate=p.gate,
                workflow=workflow,
                max_calls=max_calls,
                family=member.family,
                job_token=job_token,
                held=held,
            )
        )

    def revoke(self, token: str) -> bool:
        return self.grants.revoke(token)

    def grant_job(
        self, job_token: str | None, *, ttl_s: float = 3600.0, max_calls: int | None = None
    ) -> dict:
        """`POST /org/grant`: the gateway token for the job a bus job token speaks for, how an agent process
        that holds only its job token gets its models. The token lives while the job's lease does (re-checked
        at every call) and at most `ttl_s`. Raises Refusal: 401 for a token that is not a live job token, 409
        once its lease is over, 403 for a paused actor or a human's job."""
        try:
            token = self.grant(job_token, ttl_s=ttl_s, max_calls=max_calls)
        except Denied as exc:
            raise Refusal(401, "invalid_token", f"refused: {exc.message}") from None
        except Conflict as exc:
            raise Refusal(409, "lease_over", f"refused: {exc.message}") from None
        except Paused as exc:
            raise Refusal(403, "paused", f"refused: {exc.message}") from None
        except OrgError as exc:
            raise Refusal(403, "not_an_agent", f"refused: {exc.message}") from None
        grant, _ = self.grants.check(token)
        assert grant is not None
        return {
            "token": token,
            "job": grant.job,
            "actor": grant.actor,
            "models": list(grant.models),
            "expires": grant.expires,
        }

    def _checked(self, grant: Grant, model: str) -> None:
        """_holder_checks through one pooled door, failing closed: a bus that cannot be read refuses (503)."""
        try:
            with self._door() as door:
                self._holder_checks(grant, model, door)
        except Refusal:
            raise
        except Exception as exc:
            self._refused(grant, model, "switches", f"could not read the bus ({type(exc).__name__})")
            raise Refusal(
                503, "switches_unreadable", "refused: the kill switches cannot be read; retry later"
            ) from None

    def _holder_checks(self, grant: Grant, model: str, door: Guard) -> None:
        """Before each call, as the grant's job holder: the job token is valid and its lease runs (else the grant
        dies with it, 401), no switch covers its actor, lane, vendor or task (403), and its task's pinned policy
        allows the model (ADR 0120, 403). A holder the door verified before is re-checked in one read
        (Guard.still_holding, ADR 0285); any change found there goes the whole way, which refuses and records."""
        held = grant.held
        # the vendor switches of the model the call is routed to (a lane's `models:`), not only the member's own
        ep = self._route(grant, model)
        vendors = vendors_of_model(model, ep.family)
        if held is not None and door.still_holding(grant.job_token, held, vendors=vendors):
            self._pinned_model(grant, model, door)
            return
        try:
            grant.held = None
            hits = door.pauses_covering(grant.job_token, vendors=vendors)
            # remembered for the next call: the holder as the door verifies it now
            held = None if hits else door.holding(grant.job_token, command="model.call")
        except Paused as exc:  # its actor is paused: the door refuses the token itself
            self._refused(grant, model, "paused", exc.message)
            raise Refusal(403, "paused", f"refused: {exc.message}") from None
        except (Denied, Conflict) as exc:
            self.grants.revoke_grant(grant)
            code = "lease" if isinstance(exc, Conflict) else "token"
            self._refused(grant, model, code, exc.message)
            raise Refusal(401, "invalid_token", f"refused: the job's lease is over ({exc.message})") from None
        if hits:
            s = hits[0]
            what = "everything" if s["scope"] == "all" else f"{s['scope']} {s['target']}"
            why = f"paused ({what}, by {s['paused_by']})"
            self._refused(grant, model, "paused", why)
            raise Refusal(403, "paused", f"refused: {why}")
        grant.held = held
        self._pinned_model(grant, model, door)

    def _pinned_model(self, grant: Grant, model: str, door: Guard) -> None:
        """403 unless the task's pinned policy allows `model` for the grant's lane (ADR 0120; a pin never
        changes, so it is read once per task and lane)."""
        if grant.task is None:
            return
        key = (grant.task, grant.lane)
        if key not in self._task_models:  # a pin never changes
            lane = door.pinned_lane(grant.job_token)
            self._task_models[key] = (
                tuple(lane.models) if lane is not None and lane.models is not None else None
            )
        allowed = self._task_models[key]
        if allowed is not None and model not in allowed:
            why = (
                f"model '{model}' is not allowed for lane {grant.lane} by task {grant.task}'s pinned policy "
                f"(allowed: {', '.join(allowed) or 'none'})"
            )
            self._refused(grant, model, "model", why)
            raise Refusal(403, "model_not_allowed", f"refused: {why}")

    # -- one call -------------------------------------------------------------------------------------
    def handle(self, path: str, headers: Mapping[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body) for one request: the whole policy, the call and the ledger."""
        kind = wire.WIRES.get(path.split("?", 1)[0].rstrip("/"))
        if kind is None:
            return _json(404, wire.error_body("chat", 404, f"no such endpoint: {path}", "not_found"))
        try:
            return self._call(kind, headers, body)
        except Refusal as r:
            return _json(r.status, wire.error_body(kind, r.status, r.message, r.code))

    def _call(self, kind: str, headers: Mapping[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        grant, why = self.grants.check(_token(headers))
        if grant is None:
            self._refused(None, "", "token", why)
            raise Refusal(401, "invalid_token", "refused: the gateway token is not valid")
        try:
            call = wire.parse(kind, json.loads(body or b"{}"))
        except (ValueError, wire.WireError) as exc:
            self._refused(grant, "", "request", str(exc))
            raise Refusal(400, "invalid_request", f"refused: {exc}") from None
        model = call.model or grant.default_model
        if model not in grant.models:
            why = f"model '{model}' is not allowed for lane {grant.lane} (allowed: {', '.join(grant.models)})"
            self._refused(grant, model, "model", why)
            raise Refusal(403, "model_not_allowed", f"refused: {why}")
        self._checked(grant, model)
        if not self.grants.take_call(grant):
            why = f"job {grant.job} used its allowance of {grant.max_calls} model calls"
            self._refused(grant, model, "allowance", why)
            raise Refusal(429, "allowance", f"refused: {why}")
        res = self._complete(grant, model, call)
        answer = wire.Answer(
            model,
            res.message or {"role": "assistant", "content": res.content},
            res.finish_reason or "stop",
            res.prompt_tokens,
            res.completion_tokens,
        )
        head = {"x-org-family": self._route(grant, model).family}
        if call.stream:
            return (
                200,
                {"content-type": "text/event-stream", "cache-control": "no-cache", **head},
                b"".join(wire.stream(kind, answer, call.include_usage)),
            )
        return _json(200, wire.render(kind, answer), head)

    def _route(self, grant: Grant, model: str) -> Any:
        from org.agents.endpoints import endpoint_for

        family = grant.family if model == grant.default_model else None
        key = (model, family)
        ep = self._routes.get(key)
        if ep is None:
            ep = self._routes[key] = endpoint_for(model, family, self.local_url, self.env)
        return ep

    def _complete(self, grant: Grant, model: str, call: wire.ChatCall) -> Any:
        from org.agents.agent import estimate_tokens
        from org.agents.llm import CallResult, complete

        ep = self._route(grant, model)

        once: Callable[[], Any]
        fwd = self.forward and forwardable(ep)
        if fwd:  # OpenAI's wire already: no litellm client in between; priced by the ledger's writer
            once = lambda: forward(ep, call.messages, call.params, ep.model)  # noqa: E731
        else:
            once = lambda: complete(  # noqa: E731
                ep.model,
                call.messages,
                called=ep.called,
                api_base=ep.api_base,
                api_key=ep.api_key,
                provider=ep.budget_key,
                served_by=ep.served_by,
                timeout_s=ep.timeout_s,
                extra=call.params,
            )
        # Before every attempt the pacer makes (its retries after a 503 or a 429, a first attempt that waited for
        # a busy budget), the holder is checked again (one read, _holder_checks): a kill switch thrown or a token
        # revoked while the call waited stops it before the model is called. The booking is settled back (the
        # attempt answers as an unmade call) and the refusal raised once the pacer returns.
        checked_at = time.monotonic()
        refused: list[Refusal] = []
        attempts = 0

        def attempt() -> Any:
            nonlocal attempts
            attempts += 1
            if attempts > 1 or time.monotonic() - checked_at > RECHECK_AFTER_S:
                try:
                    self._checked(grant, model)
                except Refusal as r:
                    refused.append(r)
                    return CallResult(
                        model="", called="", provider=ep.budget_key, outcome="error", error=r.code
                    )
            return once()

        with telemetry.chat_span(grant, model, getattr(ep, "family", None)) as span:
            caller = _CALLER.set(grant.job_token)  # the shared rate budgets are booked as the job's holder
            held = _HELD.set(grant.held)
            try:
                res = self.pacer.call(ep.budget_key, estimate_tokens(call.messages), attempt)
            except OrgError as exc:  # the door refused the booking (the job token went meanwhile)
                self._checked(
                    grant, model
                )  # refuses with what changed (revoked, released, paused), if it can tell
                self._refused(grant, model, "rate", exc.message)
                raise Refusal(503, "budget_unreadable", f"refused: {exc.message}") from None
            finally:
                _CALLER.reset(caller)
                _HELD.reset(held)
            if refused:
                raise refused[0]
            span.usage(res)
            return self._after(grant, model, res, price_later=fwd)

    def _after(self, grant: Grant, model: str, res: Any, *, price_later: bool = False) -> Any:
        """Count and record a call that was made (or refused by the pacer); its result, or a Refusal.
        `price_later`: the answer carries no price yet, the ledger's writer prices it from the cost map."""
        with self._lock:
            self.counts["calls"] += 1
        if res.called:  # a request was sent: it goes in the ledger, answered or not
            cost = res.cost_usd if res.status == 200 else (res.cost_usd or 0.0)
            self._ledger(
                grant,
                model,
                tokens_in=res.prompt_tokens,
                tokens_out=res.completion_tokens,
                cost_usd=cost,
                latency_ms=res.latency_s * 1000,
                outcome=res.outcome,
                # a usage the provider stated that is no count: unpriced (a cost unknown), never priced as 0
                **(
                    {"price_later": True}
                    if price_later and res.status == 200 and not res.usage_unread
                    else {}
                ),
            )
        if not res.ok:
            if not res.called:
                self._refused(grant, model, "rate", res.error or res.outcome)
            status = _STATUS.get(res.outcome, 502)
            raise Refusal(
                status,
                res.outcome,
                f"the model call failed ({res.outcome}): {res.error or res.outcome}"[:500],
            )
        return res

    # -- the door: checks and the ledger ---------------------------------------------------------------
    @contextlib.contextmanager
    def _door(self) -> Iterator[Guard]:
        """A pooled door; a bad token's throttle (org.identity.tokens) waits after it went back to the pool, so a
        caller with a forged token holds no connection while it waits."""
        waits: list[float] = []
        with self._slots:
            try:
                door = self._pool.get_nowait()
            except queue.Empty:
                door = self.open_door()
            door.tokens.sleep = waits.append
            try:
                yield door
            finally:
                self._pool.put(door)
        if waits:
            time.sleep(sum(waits))

    def _ledger(self, grant: Grant, model: str, **kw: Any) -> None:
        """Queue one usage row; a writer thread records it off the call's path (flush() waits for it, stop()
        drains the queue first)."""
        self._queue({"grant": grant, "model": model, **kw})

    def _queue(self, row: dict) -> None:
        with self._ledger_cv:
            inline = self._closing or self._stopped
            if not inline:
                self._ledger_rows.append(row)
                self._ledger_pending += 1
                if self._writer is None:
                    self._writer = threading.Thread(
                        target=self._write_ledger, name="org-gateway-ledger", daemon=True
                    )
                    self._writer.start()
                self._ledger_cv.notify_all()
        if inline:
            # stop() began: no writer is started over a pool it closes; the row is written here, on a door of
            # its own (a call still answered as the gateway stops, a settle after it)
            door = self.open_door()
            try:
                self._write_row(row, door)
            finally:
                with contextlib.suppress(Exception):
                    door.close()

    def _write_ledger(self) -> None:
        while True:
            with self._ledger_cv:
                while not self._ledger_rows and not self._closing:
                    self._ledger_cv.wait()
                if not self._ledger_rows:
                    return
            if not self._closing:
                time.sleep(LINGER_S)  # let the call that queued it answer first, and batch its neighbours
            with self._ledger_cv:
                batch = list(self._ledger_rows)
                self._ledger_rows.clear()
            for row in batch:
                with self._door() as door:
                    self._write_row(row, door)
            with self._ledger_cv:
                self._ledger_pending -= len(batch)
                self._ledger_cv.notify_all()

    def _write_row(self, row: dict, door: Guard) -> None:
        """Write one queued row through `door`: a booking's settle or a usage row (never raises: noted)."""
        later = row.get("later")
        if later is not None:  # a booking settled off the call's path (_BudgetPort.settle)
            try:
                later(door)
            except OrgError as exc:  # the bucket refills on its own
                self.note("budget", f"could not settle a booking: {exc.message}"[:300])
            except Exception as exc:
                self.note("budget", f"could not settle a booking ({type(exc).__name__})"[:300])
            return
        grant, model = row.pop("grant"), row.pop("model")
        try:
            if row.pop("price_later", False):
                from org.agents.llm import price

                row["cost_usd"] = price(model, row["tokens_in"], row["tokens_out"])
            # as the job's holder: its own job and task, nobody else's
            door.record_usage(grant.job_token, model, job=grant.job, task=grant.task, **row)
        except Exception as exc:  # the answer was paid for: say loudly that the ledger missed it
            why = exc.message if isinstance(exc, OrgError) else str(exc)
            self.note(
                "ledger", f"could not record a model call of {grant.actor} (job {grant.job}): {why}"[:300]
            )

    def flush(self, timeout_s: float = 60.0) -> bool:
        """Wait until every usage row queued so far is written; False if `timeout_s` passed first."""
        with self._ledger_cv:
            return self._ledger_cv.wait_for(lambda: self._ledger_pending == 0, timeout_s)

    def flush_for(self, token: str | None, timeout_s: float = 30.0) -> dict:
        """`POST /org/flush` by an agent holding a valid gateway token: wait for the ledger (so a budget check
        it makes next reads its calls). Raises Refusal 401 for any other caller, 503 when the wait ran out."""
        grant, why = self.grants.check(token)
        if grant is None:
            self._refused(None, "", "token", f"flush: {why}")
            raise Refusal(401, "invalid_token", "refused: the gateway token is not valid")
        if not self.flush(timeout_s):
            raise Refusal(503, "ledger_behind", "the usage ledger is still being written; retry later")
        return {"ok": True}

    def _refused(self, grant: Grant | None, model: str, code: str, why: str) -> None:
        rec = {
            "ts": time.time(),
            "code": code,
            "reason": why,
            "model": model,
            **(grant.who() if grant is not None else {}),
        }
        with self._lock:
            self.counts["refused"] += 1
            self.refusals.append(rec)
        if grant is not None and code not in ("switches", "token"):  # no usage row without a valid holder
            self._ledger(
                grant,
                model,
                tokens_in=0,
                tokens_out=0,
                cost_usd=0.0,
                latency_ms=0.0,
                outcome=f"refused:{code}",
            )
        self.note("refused", f"{(grant.actor if grant else 'unknown caller')}: {why}"[:300])

    def models(self, headers: Mapping[str, str]) -> tuple[int, dict[str, str], bytes]:
        grant, _why = self.grants.check(_token(headers))
        if grant is None:
            return _json(
                401, wire.error_body("chat", 401, "refused: the gateway token is not valid", "invalid_token")
            )
        return _json(
            200,
            {
                "object": "list",
                "data": [{"id": m, "object": "model", "owned_by": "org"} for m in grant.models],
            },
        )

    # -- serving --------------------------------------------------------------------------------------
    def serve(self, *, http: bool = True, unix_path: Path | None = None) -> Gateway:
        """Start serving on 127.0.0.1 (an ephemeral port; `url`) and/or a Unix socket (0600; `socket_path`)."""
        with self._ledger_cv:
            self._stopped = False  # served again: rows are queued for a writer again
        handler = _handler(self)
        if http:
            web = _HTTP(("127.0.0.1", 0), handler)
            self.url = f"http://127.0.0.1:{web.server_port}/v1"
            self._start(web)
        if unix_path is not None:
            unix_path = Path(unix_path)
            unixsock.take(unix_path, "gateway")
            old = os.umask(0o177)
            try:
                srv: socketserver.BaseServer = _Unix(str(unix_path), handler)
            except OSError as exc:
                raise UsageError(f"cannot listen on {unix_path}: {exc.strerror or exc}") from None
            finally:
                os.umask(old)
            self._inode = unixsock.bound(unix_path)
            self.socket_path = unix_path
            self._start(srv)
        return self

    def _start(self, srv: socketserver.BaseServer) -> None:
        t = threading.Thread(
            target=srv.serve_forever, kwargs={"poll_interval": 0.05}, name="org-gateway", daemon=True
        )
        t.start()
        self._servers.append((srv, t))

    def stop(self) -> None:
        for srv, t in self._servers:
            srv.shutdown()
            srv.server_close()
            t.join(timeout=5)
        self._servers = []
        if self.socket_path is not None:
            unixsock.release(self.socket_path, self._inode)  # only the socket this gateway bound
            self._inode = None
        with self._ledger_cv:  # every queued usage row is written before the bus connections close
            self._closing = True
            self._ledger_cv.notify_all()
            writer, self._writer = self._writer, None
        if writer is not None:
            writer.join()
        with self._ledger_cv:
            self._stopped = True
            self._closing = False
        while not self._pool.empty():
            with contextlib.suppress(Exception):
                self._pool.get_nowait().close()

    def __enter__(self) -> Gateway:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _token(headers: Mapping[str, str]) -> str | None:
    auth = headers.get("authorization") or ""
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return (headers.get("x-api-key") or "").strip() or None


def _json(status: int, doc: dict, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    return status, {"content-type": "application/json", **(headers or {})}, json.dumps(doc).encode()


def _handler(gw: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # keep-alive without a 40 ms stall per call

        def setup(self) -> None:
            if self.request.family == socket.AF_UNIX:  # no TCP_NODELAY on a Unix socket
                self.__dict__["disable_nagle_algorithm"] = False
            super().setup()

        def log_message(self, *args: Any) -> None:
            return

        def _headers(self) -> dict[str, str]:
            return {k.lower(): v for k, v in self.headers.items()}

        def do_GET(self) -> None:
            p = self.path.split("?", 1)[0].rstrip("/")
            if p in ("/health", "/v1/health"):
                self._send(*_json(200, {"ok": True}))
            elif p in ("/v1/models", "/models"):
                self._send(*gw.models(self._headers()))
            else:
                self._send(*_json(404, wire.error_body("chat", 404, "not found", "not_found")))

        def do_POST(self) -> None:
            org_path = self.path.split("?", 1)[0].rstrip("/")
            if org_path in ("/org/grant", "/org/flush"):
                self.rfile.read(max(0, min(int(self.headers.get("content-length") or 0), 65536)))
                try:
                    if org_path == "/org/grant":
                        out = _json(200, gw.grant_job(_token(self._headers())))
                    else:
                        out = _json(200, gw.flush_for(_token(self._headers())))
                except Refusal as r:
                    out = _json(r.status, wire.error_body("chat", r.status, r.message, r.code))
                self._send(*out)
                return
            try:
                n = int(self.headers.get("content-length") or 0)
            except ValueError:
                n = -1
            if n < 0 or n > MAX_BODY:
                self.close_connection = True
                self._send(
                    *_json(
                        413, wire.error_body("chat", 400, "refused: the request is too large", "too_large")
                    )
                )
                return
            body = self.rfile.read(n)
            try:
                out = gw.handle(self.path, self._headers(), body)
            except Exception as exc:  # a bug must not take the gateway down; the agent hears 500
                from org.agents.llm import redact_credentials

                gw.note("error", redact_credentials(f"gateway error ({type(exc).__name__}: {exc})")[:300])
                out = _json(500, wire.error_body("chat", 500, "the gateway failed on this call", "internal"))
            self._send(*out)

        def _send(self, status: int, headers: dict[str, str], data: bytes) -> None:
            """The status line, the headers and the body in one write: one wake-up of the caller, not two (on a
            loaded machine each costs a scheduling delay, tests/bench/bench_room.py)."""
            self.log_request(status)
            head = [f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}"]
            head += [f"{k}: {v}" for k, v in headers.items()]
            head.append(f"content-length: {len(data)}")
            if self.close_connection:
                head.append("connection: close")
            with contextlib.suppress(OSError):
                self.wfile.write("\r\n".join(head).encode("latin-1") + b"\r\n\r\n" + data)

        def address_string(self) -> str:
            return "local"

    return Handler


class _HTTP(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


class _Unix(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    request_queue_size = 128


class _BudgetPort:
    """The gateway's pool of doors in the shape org.agents.sqlbudget.SqlBudgetStore calls (door.budget / reserve /
    settle with a token, any_token, close): the rate budgets are org's own, booked as the holder of the job whose
    call this thread serves (_CALLER); each call borrows a pooled door, so no server thread holds one of its own."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.door = self

    def any_token(self) -> str | None:
        return _CALLER.get()

    def budget(self, token: str | None, provider: str, **kw: Any) -> dict:
        """The bucket shaped from the gateway's own configuration (a job token may not reshape a shared
        budget through Guard.budget; Guard.shape_budget is the gateway's, in process)."""
        with self.gateway._door() as door:
            return door.shape_budget(token, provider, **kw)

    def reserve(self, token: str | None, provider: str, amount: float = 1.0) -> Any:
        with self.gateway._door() as door:
            return door.reserve(token, provider, amount, held=_HELD.get())

    def settle(self, token: str | None, reservation: Any, used: float) -> dict:
        """A booking settled after the call was made, by the ledger's writer off the call's path (the answer
        does not wait for it; flush() does), except a debt (used beyond the booking), settled here before the
        answer so the next booking sees it (a crash before the writer ran loses only refunds: ADR 0285). A
        settle the door refuses (the job token was swept meanwhile) is noted, never raised into the call's
        answer (the bucket refills on its own)."""
        held = _HELD.get()
        amount = reservation.amount if hasattr(reservation, "amount") else reservation[1]
        if (
            not used <= amount
        ):  # a debt (used beyond the booking; NaN refused by the door): on the call's path
            try:
                with self.gateway._door() as door:
                    return door.settle(token, reservation, used=used, held=held)
            except OrgError as exc:
                self.gateway.note("budget", f"could not settle a booking: {exc.message}"[:300])
                return {}
        self.gateway._queue({"later": lambda door: door.settle(token, reservation, used=used, held=held)})
        return {}

    def close(self) -> None:
        return None  # the pool is the gateway's, closed by its stop()
