"""One run's model gateway, and an agent's way to it: a base URL and a per-job token, never a provider key.

In the process that holds the provider keys (the supervisor of `org run` / `org demo`, or a test):

    with RunGateway(cfg, db_url, env=os.environ).start() as gw:  # loopback HTTP + a 0600 Unix socket
        agent_host_env.update(gw.environ())                       # ORG_GATEWAY_URL, ORG_GATEWAY_SOCKET
        access = gw.access(job_token)                             # a grant made here, for a claimed job

In the process that runs the agent (it holds its job token from the claim, and no provider key):

    access = model_access(job_token)               # POST /org/grant to ORG_GATEWAY_URL or ORG_GATEWAY_SOCKET
    complete(model, messages, called=access.called(model), api_base=access.base_url, api_key=access.token)
    cli_env = access.env()                         # OPENAI_BASE_URL / OPENAI_API_KEY, ANTHROPIC_BASE_URL / ...

A token from model_access() lives while the job's lease does (the gateway asks the bus at every call) and
is refused after the job was submitted, released, failed or its lease expired. The gateway counts every
call in the usage ledger against the job, so an agent that calls through it records no usage of its own.
The local model (ORG_MODELS=local, or no key for a member's provider) runs beside the gateway, in the
same process: agents reach it only through the gateway.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from org.errors import Conflict, Denied, Paused, UsageError
from org.gateway.upstream import unix_base

if TYPE_CHECKING:
    from org.gateway.server import Gateway

__all__ = [
    "GatewayGone",
    "ModelAccess",
    "RunGateway",
    "model_access",
    "gateway_routes",
    "URL_ENV",
    "SOCKET_ENV",
    "ROUTES_ENV",
    "unix_base",
]

URL_ENV = "ORG_GATEWAY_URL"  # http://127.0.0.1:PORT/v1 (the OpenAI-compatible base)
SOCKET_ENV = "ORG_GATEWAY_SOCKET"  # the Unix socket (inside a sandbox: /run/org/gateway.sock)
# {actor: {served_by, budget_key, family, timeout_s}}: where the gateway sends each member's own model, so the
# built-in agents pace on the same budgets and say where their calls go without holding any key
ROUTES_ENV = "ORG_GATEWAY_ROUTES"


class GatewayGone(Paused):
    """The run's model gateway cannot be reached (exit 7: the run is over or being restarted). No model call
    can be made by anyone of this run: the dispatcher stops rather than claim and give back every job."""


@dataclass(frozen=True)
class ModelAccess:
    """What an agent needs to call models for one job: where, and with which token."""

    base_url: str | None  # the OpenAI-compatible base (…/v1); None when only the socket is reachable
    token: str  # the per-job gateway token (orgg_…): the only key the agent ever holds
    models: tuple[str, ...]  # what its lane allows
    job: int | None = None
    socket: str | None = None  # the gateway's Unix socket, when it has one
    expires: float | None = None

    @property
    def api_base(self) -> str | None:
        """The OpenAI-compatible base an in-process client posts to: the loopback URL, else the socket's
        (unix_base; in a room, where there is no TCP)."""
        return self.base_url or (unix_base(self.socket) if self.socket else None)

    @staticmethod
    def called(model: str) -> str:
        """The litellm model string that sends a call for `model` to the gateway (it speaks OpenAI's wire)."""
        return f"openai/{model}"

    def env(self) -> dict[str, str]:
        """Environment variables that point an OpenAI- or Anthropic-speaking CLI at the gateway with this token."""
        if self.base_url is None:
            raise UsageError("the gateway is reachable only through its socket here: start a relay first")
        root = self.base_url.removesuffix("/v1")
        return {
            "OPENAI_BASE_URL": self.base_url,
            "OPENAI_API_BASE": self.base_url,
            "OPENAI_API_KEY": self.token,
            "ANTHROPIC_BASE_URL": root,
            "ANTHROPIC_API_KEY": self.token,
        }

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "token"}

    def flush(self, timeout_s: float = 30.0) -> None:
        """Wait until the gateway has written every usage row of the calls made so far (the ledger is written
        off each call's path, ADR 0142): what a budget check reads next includes them."""
        env = {URL_ENV: self.base_url} if self.base_url else {SOCKET_ENV: self.socket or ""}
        _post(env, "/org/flush", self.token, timeout_s)


class RunGateway:
    """The model gateway of one run, in the process that holds the provider keys (`env`), with the local
    model beside it when a member needs one. `folder`: where its socket goes (a private temporary folder by
    default, removed on stop)."""

    def __init__(
        self,
        cfg: Any,
        db_url: str,
        *,
        env: Mapping[str, str] | None = None,
        local_config: Any = None,
        folder: Path | None = None,
        note: Callable[[str, str], None] | None = None,
        limits: Mapping[str, Any] | None = None,
    ) -> None:
        self.cfg = cfg
        self.db_url = db_url
        self.env = dict(os.environ if env is None else env)
        self.local_config = local_config
        self.limits = dict(
            limits or {}
        )  # `--limit`: over the defaults, the local model's and ORG_RATE_LIMITS
        self.note = note
        self._folder = Path(folder) if folder is not None else None
        self._own_folder: Path | None = None
        self._local: Any = None
        self.gateway: Gateway | None = None

    def start(self) -> RunGateway:
        from org.agents.endpoints import local_model

        folder = self._folder
        if folder is None:
            folder = self._own_folder = Path(tempfile.mkdtemp(prefix="org-gateway-"))
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        from org.agents.endpoints import needs_litellm
        from org.agents.llm import warm_litellm

        if needs_litellm(self.cfg, self.env):  # a provider's calls go through litellm: import it meanwhile
            warm_litellm()
        self._local = local_model(self.cfg, self.env, self.local_config)
        try:
            from org.agents.pacing import run_limits
            from org.gateway.server import Gateway

            local_cfg = self._local.server.config if self._local.server is not None else None
            self.gateway = Gateway.for_database(
                self.cfg,
                self.db_url,
                local_url=self._local.url,
                env=self.env,
                note=self.note,
                limits=run_limits(self.env, local_cfg, self.limits),
            ).serve(http=True, unix_path=folder / "gateway.sock")
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def url(self) -> str:
        """The OpenAI-compatible base URL on loopback (…/v1)."""
        assert self.gateway is not None and self.gateway.url is not None, "start() first"
        return self.gateway.url

    @property
    def socket_path(self) -> Path:
        assert self.gateway is not None and self.gateway.socket_path is not None, "start() first"
        return self.gateway.socket_path

    @property
    def local_url(self) -> str | None:
        """The local model's URL (for the gateway only; agents never get it)."""
        return self._local.url if self._local is not None else None

    def environ(self) -> dict[str, str]:
        """What a process that runs agents gets to find the gateway (model_access reads it) and where it sends
        each member's model (gateway_routes reads it)."""
        return {
            URL_ENV: self.url,
            SOCKET_ENV: str(self.socket_path),
            ROUTES_ENV: json.dumps(self.routes(), sort_keys=True),
        }

    def routes(self) -> dict[str, dict]:
        """{actor: {served_by, budget_key, family, timeout_s}} for every agent member's own model: the provider
        when this process holds its key (per ORG_MODELS), else the local model. No key, no URL of the local
        model: what an agent may know."""
        from org.agents.endpoints import plan_endpoints

        return {
            actor: {
                "served_by": ep.served_by,
                "budget_key": ep.budget_key,
                "family": ep.family,
                "timeout_s": ep.timeout_s,
            }
            for actor, ep in plan_endpoints(self.cfg, self.local_url, self.env).items()
        }

    def access(self, job_token: str, *, ttl_s: float = 3600.0, max_calls: int | None = None) -> ModelAccess:
        """A grant made in this process for the job `job_token` holds (what `POST /org/grant` answers, without
        HTTP): Denied, Conflict or Paused as the door says of the token (ADR 0157)."""
        assert self.gateway is not None, "start() first"
        token = self.gateway.grant(job_token, ttl_s=ttl_s, max_calls=max_calls)
        grant, _ = self.gateway.grants.check(token)
        assert grant is not None
        return ModelAccess(
            self.url, token, grant.models, grant.job, str(self.socket_path), expires=grant.expires
        )

    def revoke(self, access: ModelAccess) -> None:
        if self.gateway is not None:
            self.gateway.revoke(access.token)

    def stop(self) -> None:
        try:
            if self.gateway is not None:
                self.gateway.stop()
                self.gateway = None
        finally:
            if self._local is not None:
                self._local.close()
                self._local = None
            if self._own_folder is not None:
                shutil.rmtree(self._own_folder, ignore_errors=True)
                self._own_folder = None

    def __enter__(self) -> RunGateway:
        return self if self.gateway is not None else self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class _UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self._path)
        self.sock = s


def model_access(
    job_token: str, *, env: Mapping[str, str] | None = None, timeout_s: float = 30.0
) -> ModelAccess:
    """The gateway token for the job `job_token` holds, from the gateway named in the environment
    (ORG_GATEWAY_URL, else ORG_GATEWAY_SOCKET). Raises Denied (not a live job token), Conflict (its lease is
    over), Paused, or UsageError (no gateway, or it cannot be reached)."""
    e = os.environ if env is None else env
    url, sock = e.get(URL_ENV) or None, e.get(SOCKET_ENV) or None
    doc = _post(e, "/org/grant", job_token, timeout_s)
    return ModelAccess(
        url,
        str(doc["token"]),
        tuple(doc.get("models") or ()),
        doc.get("job"),
        sock,
        expires=doc.get("expires"),
    )


def gateway_routes(env: Mapping[str, str] | None = None) -> dict[str, dict] | None:
    """The routes a supervisor's gateway handed down (RunGateway.routes), or None when no gateway is named."""
    e = os.environ if env is None else env
    if not (e.get(URL_ENV) or e.get(SOCKET_ENV)):
        return None
    try:
        routes = json.loads(e.get(ROUTES_ENV) or "{}")
    except ValueError:
        raise UsageError(f"{ROUTES_ENV} is not JSON") from None
    if not isinstance(routes, dict) or not all(isinstance(v, dict) for v in routes.values()):
        raise UsageError(f"{ROUTES_ENV} is not a mapping of actor to route")
    return routes


def _post(env: Mapping[str, str], path: str, bearer: str, timeout_s: float) -> dict:
    """POST `path` to the gateway the environment names, with `bearer`; its JSON answer, or the org error its
    status stands for."""
    url, sock = env.get(URL_ENV) or None, env.get(SOCKET_ENV) or None
    if url is None and sock is None:
        raise UsageError(f"no model gateway: neither {URL_ENV} nor {SOCKET_ENV} is set")
    conn: http.client.HTTPConnection
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise UsageError(f"{URL_ENV} must be a loopback http URL, not '{url}'")
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout_s)
    else:
        assert sock is not None
        conn = _UnixHTTP(sock, timeout_s)
    try:
        conn.request(
            "POST",
            path,
            body=b"{}",
            headers={"authorization": f"Bearer {bearer}", "content-type": "application/json"},
        )
        r = conn.getresponse()
        status, body = r.status, r.read(1 << 20)
    except OSError as exc:
        raise GatewayGone(f"the model gateway cannot be reached ({exc})") from None
    except (
        ValueError,
        http.client.HTTPException,
    ) as exc:  # a token http.client refuses to send (CR/LF in it):
        # its text quotes the header, token included, so only its type is said
        raise UsageError(
            f"the request to the model gateway could not be built ({type(exc).__name__})"
        ) from None
    finally:
        conn.close()
    try:
        doc = json.loads(body or b"{}")
    except ValueError:
        doc = {}
    if status != 200:
        msg = (
            str((doc.get("error") or {}).get("message") if isinstance(doc, dict) else "") or f"HTTP {status}"
        )
        raise {401: Denied, 409: Conflict, 403: Paused}.get(status, UsageError)(msg)
    return doc if isinstance(doc, dict) else {}
