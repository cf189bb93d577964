"""The credential broker: agents ask for an action that names a credential; decide() rules first, and only
an allowed action gets the secret resolved and used (an HTTP call to the credential's service URL with
the secret in a header). The caller never sees the secret, and neither do events, logs or output.

A call: authenticate (an agent needs a live job token on the task whose lane may `credential.use`; a
human their own token) -> `credential.use` through the bus's `act` under the task's pinned policy
(RED-CREDENTIAL-REUSE denies a credential used for another service, for everyone; consequential
rules open a human approval) -> resolve the secret from its env var or file -> call
`<url><path>` without following redirects -> return status and body, scrubbed of every known secret.
Every refusal for a credential or service that is unknown, unusable or not allowed gives the same
answer (exit 4, one fixed message); only the audit log records which rule or fault it was.

Stand-ins (`StandIns`): the supervisor of `org demo` / `org run` may point a credential at a local
stand-in service (loopback only) for the tasks the demo filed (by their idempotency keys), so the
demo's credential-bearing task makes a real authenticated call without the org's YAML naming a URL.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from org.bus import identityrows
from org.bus.context import task_key
from org.bus.jobs import job_row
from org.bus.redact import Redactor
from org.engine.plans import call_key, carries_out_plan, plan_gate, planned_calls, same_call
from org.errors import Denied, NeedsApproval, Paused, UsageError
from org.identity.guard import Guard, acting

__all__ = ["Broker", "Secrets", "StandIns", "REFUSED", "METHODS", "MAX_BODY", "EXCERPT"]

REFUSED = "the broker refused this request"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
MAX_BODY = 1024 * 1024
EXCERPT = 160  # characters of the scrubbed answer kept in the credential.used event
_PATH = re.compile(r"^/(?!/)[A-Za-z0-9._~!$&'()*+,;=:%/?-]{0,2000}$")
# a `.` or `..` segment of the path (before any query), raw or percent-encoded in any case: a normalising
# proxy or server would resolve it out of the credential's base path (ADR 0064)
_DOT_SEGMENT = re.compile(
    r"(?i)(^|/)(\.|%2e){1,2}(/|$)|%5c"
)  # and an encoded backslash (a raw one fails _PATH)
CALLED = "credential.called"  # the broker made a call the approved plan names (its key), before making it


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: it could carry the secret's header to another host."""

    def redirect_request(self, *a: Any, **k: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect, urllib.request.ProxyHandler({}))


class Broker:
    """Uses credentials on behalf of authenticated principals, after decide() allows it."""

    def __init__(
        self,
        bus,
        guard: Guard | None = None,
        secrets: Secrets | None = None,
        stand_ins: StandIns | None = None,
    ) -> None:
        self.bus = bus
        self.guard = guard or Guard(bus)
        self.secrets = secrets or Secrets()
        self.stand_ins = stand_ins or StandIns()

    def call(
        self,
        token: str | None,
        *,
        credential: str,
        service: str,
        task: str,
        as_: str | None = None,
        method: str = "GET",
        path: str = "/",
        body: str | None = None,
        timeout: float = 10.0,
        attributes: dict | None = None,
    ) -> dict:
        """`attributes`: further attributes of the action (e.g. environment, irreversible) for decide(); the
        credential and the service are always the ones named."""
        g = self.guard
        p = g.principal(token, as_=as_, command="credential use", job_ok=True)
        g.may_act(p, "credential.use", task, "credential use")
        method = method.upper()
        if method not in METHODS:
            raise UsageError(f"--method is one of {', '.join(METHODS)}, not '{method}'")
        if not _PATH.match(path or "") or _DOT_SEGMENT.search(path.split("?", 1)[0]):
            raise UsageError(
                "--path is a path on the service, starting with a single '/' (no scheme or host, "
                "no '.' or '..' segments, no backslashes)"
            )
        attrs = {k: v for k, v in (attributes or {}).items() if k not in ("credential", "service")}
        with acting(
            p
        ):  # the credential and the service are what the broker itself uses: org's facts (ADR 0071)
            r = self.bus.act(
                "credential.use", p.actor, task, attrs, facts={"credential": credential, "service": service}
            )
        d = r["decision"]
        if d["outcome"] == "deny":
            raise Denied(REFUSED)
        if d["outcome"] == "needs_approval":
            raise NeedsApproval(
                f"using a credential on {r['task']} needs a human's approval first (request "
                f"#{r['approval']}): org approve {r['task']} --as HUMAN --action credential.use",
                approval=r["approval"],
                task=r["task"],
            )
        why, key = self._planned(p, r["task"], credential, service, method, path, body)
        if why:
            raise self._refused(
                p, r["task"], credential, service, {"method": method, "path": path, "reason": why}
            )
        spec, idem = self._spec(r["task"], credential, service, d)
        base = self.stand_ins.url(credential, idem) if spec is not None else None
        stand_in = base is not None
        base = base or (spec.url if spec is not None else None)
        secret = self.secrets.resolve(spec) if spec is not None else None
        if spec is None or not secret or not base or any(c in secret for c in "\r\n\x00"):
            why = (
                "not the decided credential"
                if spec is None
                else "no secret available"
                if not secret
                else "no url declared"
                if not base
                else "malformed secret"
            )
            raise self._refused(p, r["task"], credential, service, {"reason": why})
        if key is not None:  # a planned call: at most once per job, reserved before it is made
            why = self._reserve(p, r["task"], credential, service, method, path, key)
            if why:
                raise self._refused(
                    p, r["task"], credential, service, {"method": method, "path": path, "reason": why}
                )
        url = base.rstrip("/") + path
        req = urllib.request.Request(url, data=body.encode() if body is not None else None, method=method)
        req.add_header(spec.header, f"{spec.scheme} {secret}" if spec.scheme else secret)
        red = Redactor({credential: secret, **self.secrets.known(self.bus.config())})
        # scrub before cutting at MAX_BODY (a secret across the cut is scrubbed whole, not left with its head),
        # reading past MAX_BODY by more than any secret's longest form
        limit = MAX_BODY + 4 * red.longest + 1024
        started = time.monotonic()
        try:
            with _OPENER.open(req, timeout=timeout) as resp:
                status, raw = resp.status, resp.read(limit)
        except urllib.error.HTTPError as exc:  # 4xx/5xx and unfollowed redirects still answer
            status, raw = exc.code, exc.read(limit) if exc.fp is not None else b""
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = red.text(str(getattr(exc, "reason", exc)))
            self._record(
                p,
                r["task"],
                "credential.failed",
                credential,
                service,
                {"method": method, "path": red.text(path), "error": reason},
            )
            raise Paused(f"the {service} service did not answer ({reason}); retry later")
        text = red.text(raw.decode("utf-8", errors="replace"))
        if (
            len(raw) >= limit
        ):  # the answer goes on: a secret cut by the read is not whole, so that tail goes too
            text = text[: max(0, len(text) - red.longest)]
        text = text[:MAX_BODY]
        out = {
            "ok": status < 400,
            "task": r["task"],
            "credential": credential,
            "service": service,
            "method": method,
            "path": red.text(path),
            "status": status,
            "body": text,
            "truncated": len(raw) > MAX_BODY,
            "elapsed_ms": round((time.monotonic() - started) * 1000, 1),
            "decision": d,
            "stand_in": stand_in,
        }
        self._record(
            p,
            r["task"],
            "credential.used",
            credential,
            service,
            {
                "method": method,
                "path": red.text(path),
                "status": status,
                "bytes": len(raw),
                "response_sha256": hashlib.sha256(raw).hexdigest(),
                "excerpt": " ".join(text[:EXCERPT].split()),
                **({"stand_in": True} if stand_in else {}),
            },
        )
        return out

    def _spec(self, task: str, credential: str, service: str, d: dict):
        """(the credential the decision was about, from the task's pinned policy (None: not the one asked for),
        the task's idempotency key)."""
        attrs = d.get("attributes") or {}
        if attrs.get("credential") != credential or attrs.get("service") != service:
            return None, None  # the task's own attributes pinned another credential or service
        ctx = self.bus.ctx

        def fn(tx):
            row = ctx.task_row(tx, task)
            return ctx.pinned(tx, row.config_hash), row.idempotency_key

        pinned, idem = self.bus.store.read(fn)
        spec = pinned.credentials.get(credential)
        return (spec if spec is not None and spec.service == service else None), idem

    def _planned(
        self, p, task: str, credential: str, service: str, method: str, path: str, body: str | None
    ) -> tuple[str | None, str | None]:
        """(why the call is refused, the planned call's key): a job token at a gate that carries out an
        approved plan may make only the calls that plan (the plan gate's work on the revision the approvals
        are bound to: the task's current one) names for this credential and service. Other tokens: (None, None)."""
        if p.via != "job":
            return None, None
        ctx = self.bus.ctx

        def fn(tx):
            row = ctx.task_row(tx, task)
            return (
                ctx.pinned(tx, row.config_hash),
                row.workflow,
                ctx.state(tx, row).revision,
                dict(row.attributes),
            )

        cfg, workflow, revision, task_attrs = self.bus.store.read(fn)
        if not carries_out_plan(cfg, workflow, p.gate):
            return None, None
        gate = plan_gate(cfg, workflow, p.gate)
        plan = self.bus.work_result(task, gate=gate, revision=revision) if revision else None
        calls = planned_calls((plan or {}).get("content"), credential, service, task_attrs)
        asked = {"method": method, "path": path, "body": body}
        if not calls:
            return "the approved plan names no call with this credential", None
        if not any(same_call(asked, c) for c in calls):
            return "not a call the approved plan names", None
        return None, call_key(asked)

    def _reserve(
        self, p, task: str, credential: str, service: str, method: str, path: str, key: str
    ) -> str | None:
        """Record that this job makes the planned call `key` now; refused (a reason) if it made it already. The
        job's row is locked first, so two requests of one job cannot both pass."""
        ctx = self.bus.ctx
        lane, fam = ctx.actor_info(self.bus.config(), p.actor)

        def fn(tx) -> str | None:
            job_row(tx, p.job, lock=True)
            for e in identityrows.task_event_bodies(tx, task_key(task), CALLED):
                if e.get("job") == p.job and (e.get("data") or {}).get("call") == key:
                    return "a planned call this job made already"
            with acting(p):
                ctx.record(
                    tx,
                    CALLED,
                    task=task,
                    actor=p.actor,
                    lane=lane,
                    family=fam,
                    job=p.job,
                    decision="use",
                    data={
                        "credential": credential,
                        "service": service,
                        "method": method,
                        "path": path,
                        "call": key,
                    },
                )
            return None

        return ctx.write(fn)

    def _refused(self, p, task: str, credential: str, service: str, data: dict) -> Denied:
        """The refusal of a use the decision allowed, recorded (`data` says why) and answered as every refusal
        is (REFUSED: nothing about which credentials exist)."""
        self._record(p, task, "credential.refused", credential, service, data)
        return Denied(REFUSED)

    def _record(self, p, task: str, type_: str, credential: str, service: str, data: dict) -> None:
        ctx = self.bus.ctx
        lane, fam = ctx.actor_info(self.bus.config(), p.actor)

        def fn(tx) -> None:
            with acting(p):
                ctx.record(
                    tx,
                    type_,
                    task=task,
                    actor=p.actor,
                    lane=lane,
                    family=fam,
                    job=p.job,
                    decision="use" if type_ == "credential.used" else "refuse",
                    data={"credential": credential, "service": service, **data},
                )

        ctx.write(fn)


class Secrets:
    """Where the broker reads secrets: a snapshot of the declared credentials' environment variables (the
    broker daemon takes them out of its own os.environ, see `take`), or os.environ itself; files are read
    at use, never cached. `resolved` counts every read of a secret for use (the daemon reports it)."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.env = env
        self.resolved = 0

    @classmethod
    def take(cls, cfg) -> Secrets:
        """Move the declared credentials' environment variables out of os.environ into a private snapshot."""
        env: dict[str, str] = {}
        for spec in (cfg.credentials if cfg is not None else {}).values():
            if spec.env and spec.env in os.environ:
                env[spec.env] = os.environ.pop(spec.env)
        return cls(env)

    def _read(self, spec) -> str | None:
        if spec.env:
            v = (os.environ if self.env is None else self.env).get(spec.env)
            return v.strip() if v and v.strip() else None
        try:
            p = Path(spec.file).expanduser()
            v = p.read_text(errors="ignore").strip() if p.is_file() and p.stat().st_size < 65536 else ""
        except OSError:
            return None
        return v or None

    def resolve(self, spec) -> str | None:
        """The secret, for a use decide() allowed."""
        self.resolved += 1
        return self._read(spec)

    def known(self, cfg) -> dict[str, str]:
        """Every declared credential's current value, so a response echoing any of them is scrubbed too."""
        out: dict[str, str] = {}
        for name, spec in (cfg.credentials if cfg is not None else {}).items():
            v = self._read(spec)
            if v:
                out[name] = v
        return out


_LOOPBACK = re.compile(r"^http://127\.0\.0\.1:[0-9]{1,5}(/[A-Za-z0-9._-]+)*/?$")


class StandIns:
    """Per-credential stand-in services the broker's supervisor set up for one run (`org demo`, and `org run`
    on the demo's database): {credential: {"url": "http://127.0.0.1:PORT/...", "tasks": [idempotency keys]}}.
    Only loopback URLs are accepted, and only for the tasks named (by the idempotency key they were filed
    with), so a stand-in never receives another task's call and a secret never leaves the machine for it."""

    ENV = "ORG_BROKER_STAND_INS"

    def __init__(self, spec: dict | None = None) -> None:
        self.spec: dict[str, tuple[str, frozenset[str]]] = {}
        for name, v in (spec or {}).items():
            url, keys = (v or {}).get("url"), (v or {}).get("tasks")
            if (
                not isinstance(url, str)
                or not _LOOPBACK.match(url)
                or not isinstance(keys, list)
                or not all(isinstance(k, str) and k for k in keys)
            ):
                raise UsageError(
                    f"{self.ENV}: the stand-in for '{name}' needs a loopback url "
                    "(http://127.0.0.1:PORT/...) and the idempotency keys of its tasks"
                )
            self.spec[str(name)] = (url, frozenset(keys))

    @classmethod
    def from_env(cls, environ: dict | None = None) -> StandIns:
        """From (and out of) the environment the supervisor started the broker with."""
        import json

        env = os.environ if environ is None else environ
        raw = env.pop(cls.ENV, None)
        if not raw:
            return cls()
        try:
            return cls(json.loads(raw))
        except (ValueError, AttributeError):
            raise UsageError(f"{cls.ENV}: not a JSON object of stand-ins") from None

    def url(self, credential: str, idempotency_key: str | None) -> str | None:
        hit = self.spec.get(credential)
        return hit[0] if hit is not None and idempotency_key in hit[1] else None

    def __bool__(self) -> bool:
        return bool(self.spec)
