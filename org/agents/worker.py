"""One claimed job's agent work in a room of its own: the process the dispatcher starts in org.runtime.job_sandbox.

    python -m org.agents.worker        stdin: the job (pickled by the dispatcher, org.agents.rooms)
                                       stdout: JSON lines, {"note": [kind, text]} ... then {"outcome": {...}}

It holds the job's token and the job's gateway token, nothing else: the bus through its socket
(ORG_BUS_SOCKET: every call is the job token's, the reads scoped to its job by `job_read`), the models through
the gateway's socket (ORG_GATEWAY_SOCKET), credentials through the broker's socket. Its workspace is the only
path it may write; no database, no network, no provider key, no org token but its own. The work itself is
org.agents.jobwork's JobRunner, as it was in the agent host (ADR 0171).
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import threading
from dataclasses import asdict
from typing import Any

__all__ = ["RoomDoor", "RoomPort", "main", "protect"]


class RoomDoor:
    """The door as a job's worker holds it: the bus socket's operations, and the job's reads through job_read
    (what the agent host's Guard answered from the database: switches, work results, events, the log's head)."""

    def __init__(self, client: Any, cfg: Any, job: int, handover: dict | None = None) -> None:
        self.client, self.cfg, self.job = client, cfg, job
        self._handover = handover  # the job's handover as the dispatcher made it with the workspace

    def job_facts(self, token: str | None, job: int | str, *, workspaces: Any = None) -> dict:
        if self._handover is not None and str(job) == str(self.job):
            return self._handover
        return self.client.job_facts(token, job)

    @property
    def root(self) -> Any:
        return self.cfg.root

    def config(self, *, required: bool = False) -> Any:
        return self.cfg

    def switches(self, token: str | None, *, as_: str | None = None, active_only: bool = True) -> list[dict]:
        return self.client.job_read(token, self.job, "switches")

    def work_result(
        self,
        token: str | None,
        task: str,
        *,
        gate: str | None = None,
        revision: str | None = None,
        as_: str | None = None,
    ) -> dict | None:
        return self.client.job_read(token, self.job, "work_result", gate=gate, revision=revision)

    def events_since(
        self,
        token: str | None,
        after: int = 0,
        *,
        limit: int = 1000,
        task: str | None = None,
        types: tuple[str, ...] | None = None,
        as_: str | None = None,
    ) -> list[dict]:
        return self.client.job_read(token, self.job, "events", after=after, types=types, limit=limit)

    def head(self, token: str | None, *, as_: str | None = None) -> int:
        return int(self.client.job_read(token, self.job, "head") or 0)

    def brake_over_budget(self, *_a: Any, **_k: Any) -> list[str]:
        return []  # the dispatcher's, after the job (org.agents.rooms)

    def __getattr__(self, name: str) -> Any:  # submit, release, fail, act, heartbeat, job_facts: the socket's
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.client, name)


class RoomPort:
    """What JobRunner calls a port: the door and the job's token for every actor's call (it holds no other)."""

    def __init__(self, door: RoomDoor, actor: str, job_token: str) -> None:
        self.door, self.tokens = door, {actor: job_token}
        self._token = job_token

    def token(self, actor: str) -> str:
        return self._token

    def any_token(self) -> str:
        return self._token

    def close(self) -> None:
        self.door.client.close()


PR_SET_DUMPABLE = 4


def protect() -> None:
    """Keep what this process starts (the agent-written tests, org.workspaces.commands in the room) off it:
    non-dumpable (prctl PR_SET_DUMPABLE 0: no same-uid process may read its memory, where its tokens are, or
    open its /proc fds), and its channel to the dispatcher on a private descriptor none of its children
    inherits (fd 1 becomes a copy of stderr; sys.stdout, where `_say` writes, the private one). Called first,
    before the job and its tokens are read; the room is not started without it (OSError)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")
    sys.stdout.flush()
    private = os.dup(1)  # not inheritable (PEP 446): no child of this process holds it
    os.dup2(2, 1)
    sys.stdout = os.fdopen(private, "w", buffering=1)


def _say(doc: dict) -> None:
    sys.stdout.write(json.dumps(doc, default=str) + "\n")
    sys.stdout.flush()


def work(job: dict) -> Any:
    """Run the job `job` (what org.agents.rooms hands over) to its outcome."""
    from org.agents.adrctx import AdrSource
    from org.agents.jobwork import JobRunner
    from org.agents.pacing import MemoryBudgetStore, Pacer
    from org.agents.prompts import Redactor
    from org.gateway.service import SOCKET_ENV, ModelAccess
    from org.identity.brokerclient import BrokerUse
    from org.runtime.busclient import BusClient, SocketClaim

    cfg, actor, token = job["cfg"], job["actor"], job["job_token"]
    claim: Any = SocketClaim(job["claim"])
    access = ModelAccess(
        None,
        job["access"]["token"],
        tuple(job["access"]["models"]),
        job["access"].get("job"),
        os.environ[SOCKET_ENV],
        expires=job["access"].get("expires"),
    )
    runner = JobRunner(
        cfg,
        {actor: job["endpoint"]},
        Pacer(MemoryBudgetStore(), job.get("limits")),
        AdrSource(cfg.root, cfg),
        Redactor.for_org(cfg, {}),
        note=lambda kind, text: _say({"note": [kind, text]}),
        broker=BrokerUse(None, None, path=job["broker"]) if job.get("broker") else None,
        models=lambda _t: access,
        in_room=True,
    )
    port = RoomPort(RoomDoor(BusClient(), cfg, claim.job, job.get("handover")), actor, token)
    try:
        return runner.run(port, claim, actor, threading.Event())
    finally:
        port.close()


# What a job loads, loaded before its job comes (a spare room is started ahead: its job then pays none of it)
PRELOAD = (
    "org.adrs.index",
    "org.adrs.context",
    "org.agents.adrctx",
    "org.agents.handover",
    "org.agents.jobwork",
    "org.agents.review",
    "org.agents.toolwork",
    "org.gateway.service",
    "org.gateway.upstream",
    "org.identity.brokerclient",
    "org.runtime.busclient",
    "org.workspaces.commands",
    "org.workspaces.diffguard",
)


def main() -> int:
    """Load what the work needs first (a room is started before its job is ready: the imports overlap the
    dispatcher's preparation), then wait for the job on stdin; a room closed unused ends quietly."""
    import importlib

    protect()
    for name in PRELOAD:
        importlib.import_module(name)
    from org.agents.llm import _cost_map

    _cost_map()  # the model prices, read as data once

    try:
        job = pickle.load(sys.stdin.buffer)
    except EOFError:
        return 0
    from org import telemetry

    # no exporter in the room (no network): its tool calls' spans go back with the outcome, and the
    # dispatcher emits them under the job's span (org.agents.rooms)
    spans = job.get("tool_spans") or {}
    with telemetry.recording_tools(bool(spans.get("capture"))) as records:
        out = work(job)
    doc: dict[str, Any] = {"outcome": asdict(out)}
    if spans:
        doc["tool_spans"] = records
    _say(doc)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # no interpreter teardown: the room goes with this process
