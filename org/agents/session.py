"""Everything one `org run` (or `org demo`) process needs, assembled from the config and the environment:
endpoints (every call through the run's model gateway, ADR 0170), the pacer on the shared database budgets,
the ADR source, the redactor, and the dispatcher. A context manager: closing it stops what it started.

The model gateway is the supervisor's (ORG_GATEWAY_URL / ORG_GATEWAY_SOCKET in the agent host's environment,
which holds no provider key), or, in a process without one (a test, a library user), one started here for
this session: either way the agents call models only with a per-job gateway token, and the gateway alone
counts the calls in the usage ledger.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from org.agents.adrctx import AdrSource
from org.agents.endpoints import LocalModelHandle, gateway_endpoints, models_mode
from org.agents.jobwork import JobRunner
from org.agents.pacing import Limits, MemoryBudgetStore, Pacer, run_limits
from org.agents.prompts import Redactor
from org.agents.runner import Dispatcher, RunOptions
from org.errors import UsageError

__all__ = ["AgentSession", "load_prices"]


def load_prices(root: Path) -> list[str]:
    """Register prices for models litellm's cost map lacks, from <root>/models.yaml:
    hosted_vllm/acme-coder-7b: {input_cost_per_token: 2.0e-7, output_cost_per_token: 6.0e-7}"""
    path = Path(root) / "models.yaml"
    if not path.is_file():
        return []
    import yaml

    from org.agents.llm import register_prices
    from org.config.yamlsrc import MAX_YAML_BYTES, too_deep
    from org.inputs import read_bounded

    try:
        text = read_bounded(path, limit=MAX_YAML_BYTES, what="prices file").decode("utf-8", errors="replace")
        if too_deep(text) is not None:
            raise ValueError("nested too deep")
        data = yaml.safe_load(text) or {}
        if not isinstance(data, dict):
            raise ValueError("expected a mapping of model -> prices")
        return register_prices(data)
    except (yaml.YAMLError, ValueError) as exc:
        raise UsageError(f"{path}: {exc}") from None


class AgentSession:
    """Built once per process. `note(kind, text)` receives progress remarks (pacing, budgets, benching)."""

    def __init__(
        self,
        cfg: Any,
        db_url: str,
        *,
        note: Callable[[str, str], None] | None = None,
        limits: dict[str, Limits] | None = None,
        local_config: Any = None,
        env: dict[str, str] | None = None,
        human_files: bool = True,
    ) -> None:
        from org.agents.busport import open_door
        from org.identity.guard import Guard

        self.cfg = cfg
        self.db_url = db_url
        self._pipeline_port: Any = None
        self.env = dict(os.environ if env is None else env)
        self.note = note or (lambda _k, _t: None)
        self.mode = models_mode(self.env)
        # no litellm here: the agents call the run's gateway on OpenAI's wire (org.agents.llm.complete's plain
        # client); a gateway this session starts itself imports litellm only if a member calls its provider
        self.priced = load_prices(cfg.root)
        self.local = LocalModelHandle(None)  # the local model runs beside the gateway, never here
        self._gateway: Any = None
        try:
            from org.gateway.service import SOCKET_ENV, URL_ENV, RunGateway, gateway_routes

            routes = gateway_routes(self.env)
            if routes is None:  # no supervisor's gateway: this process holds the keys, its gateway serves
                self._gateway = RunGateway(
                    cfg, db_url, env=self.env, local_config=local_config, note=self.note, limits=limits
                )
                self._gateway.start()
                routes = self._gateway.routes()
                self.gateway_env = {
                    k: v for k, v in self._gateway.environ().items() if k != "ORG_GATEWAY_ROUTES"
                }
            else:
                self.gateway_env = {k: self.env[k] for k in (URL_ENV, SOCKET_ENV) if self.env.get(k)}
            self.endpoints = gateway_endpoints(cfg, routes)
            local = any(ep.budget_key == "local" for ep in self.endpoints.values())
            # The gateway paces every call on the database's shared budgets (ADR 0171 step 1); this pacer is
            # the agents' own view in memory (a 429 from the gateway benches a member, a quota blocks claims)
            self.pacer = Pacer(
                MemoryBudgetStore(), run_limits(self.env, local_config if local else None, limits)
            )
            self.tokens: dict[str, str] = {}
            self.redact = Redactor.for_org(cfg, self.env)
            self.adrs = AdrSource(cfg.root, cfg)
            from org.agents.host import in_agent_host
            from org.identity.brokerclient import BrokerUse

            # credential.use goes to this org's broker (a supervisor starts one beside the agent host: give it
            # a moment to answer at first)
            broker = BrokerUse(cfg.root, db_url, wait_s=20.0 if in_agent_host() else 0.0)
            self.runner = JobRunner(
                cfg,
                self.endpoints,
                self.pacer,
                self.adrs,
                self.redact,
                note=self.note,
                broker=broker,
                models=self.model_access,
            )
            # Identity: on a fresh database the humans' own token files first (trust on first use, ADR 0058,
            # so `org approve --as HUMAN` and the TUI just work), then short-lived principal tokens for this
            # run's agents, held in memory and revoked on close.
            from org.identity.bootstrap import agent_tokens, first_use_tokens

            self._boot = Guard.open(db_url, root=cfg.root, config=cfg)
            if (
                human_files
            ):  # not in an agent host: the supervisor did it, and no human's file is in reach here
                first_use_tokens(self._boot)
            self.tokens.update(agent_tokens(self._boot, ttl=12 * 3600, actors=sorted(self.endpoints)))
            self._boot.tokens.sweep()  # earlier runs' job tokens whose leases are over
            self.rooms = self._rooms()
            iso = None if self.rooms is not None else "none"
            self._open_port = lambda: open_door(db_url, cfg.root, cfg, self.tokens, isolation=iso)
        except BaseException:
            self._close_boot()
            self._stop_gateway()
            raise

    def _rooms(self) -> Any:
        """Each job's work in a room of its own (org.agents.rooms) when the supervisor says the run's agents are
        sandboxed (ORG_AGENT_ROOMS=bwrap, ADR 0171) and serves the bus and the gateway on sockets; else None
        (the work runs here, recorded as isolation: none)."""
        from org.agents.host import BUS_SOCKET_ENV
        from org.agents.rooms import ROOMS_ENV, Rooms
        from org.gateway.service import SOCKET_ENV

        bus, gateway = self.env.get(BUS_SOCKET_ENV), self.gateway_env.get(SOCKET_ENV)
        if self.env.get(ROOMS_ENV) != "bwrap" or not bus or not gateway:
            return None
        from org.identity.brokerclient import socket_path
        from org.runtime import Isolation

        return Rooms(
            self.cfg,
            Isolation("bwrap"),
            Path(bus),
            Path(gateway),
            socket_path(self.cfg.root, self.db_url),
            note=self.runner.note,  # the spare maker's trouble goes where the run's other trouble goes
        )

    def model_access(self, job_token: str) -> Any:
        """The gateway token for one claimed job (org.gateway.service.model_access): what its calls carry."""
        from org.gateway.service import model_access

        return model_access(job_token, env=self.gateway_env)

    @property
    def gateway_url(self) -> str | None:
        return self.gateway_env.get("ORG_GATEWAY_URL")

    def _stop_gateway(self) -> None:
        if self._gateway is not None:
            self._gateway.stop()
            self._gateway = None

    def where(self) -> dict[str, str]:
        """Per agent: where its calls go ('local model' or the provider)."""
        return {
            a: ("local model" if ep.served_by == "local" else ep.served_by)
            for a, ep in self.endpoints.items()
        }

    def dispatcher(self, options: RunOptions | None = None, on_job: Any = None) -> Dispatcher:
        pipeline = self.run_pipeline if options is not None and options.pipeline and self.cfg.repos else None
        return Dispatcher(
            self.cfg,
            self._open_port,
            self.runner,
            options,
            on_job=on_job,
            pipeline=pipeline,
            rooms=self.rooms,
        )

    def run_pipeline(self) -> list[dict]:
        """org's pipeline once over everything waiting for it (tests gates, merges), through the door as one of
        this run's agents (its results are recorded as org's pipeline): what it did."""
        from org.workspaces.pipeline import run_pipeline

        if self._pipeline_port is None:
            self._pipeline_port = self._open_port()
        port = self._pipeline_port
        return run_pipeline(port.door.workspaces(port.any_token(), command="pipeline run"))

    def port(self) -> Any:
        """An AgentDoor (org.agents.busport) whose calls authenticate as this run's agents."""
        return self._open_port()

    def _close_boot(self) -> None:
        boot = getattr(self, "_boot", None)
        if boot is None:
            return
        try:
            if getattr(self, "tokens", None):
                from org.identity.bootstrap import revoke_all

                revoke_all(boot, self.tokens)
                self.tokens.clear()
        finally:
            boot.close()
            self._boot = None

    def close(self) -> None:
        try:
            self._close_boot()
        finally:
            if self._pipeline_port is not None:
                self._pipeline_port.close()
                self._pipeline_port = None
            self._stop_gateway()

    def __enter__(self) -> AgentSession:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
