"""A Bus look-alike for in-process agents: the same claim / heartbeat / submit / act calls, each made
through the Guard with the acting agent's own token, so every event carries its token's identity.

    bus = AuthedBus(Bus.open(url, root=root, config=cfg))     # tokens made and kept in memory
    c = bus.claim("builder", "build-claude")                   # c.token is the job token
    bus.submit(c.job, c.token, "pass", note=...)               # only that job, only during its lease
    bus.approve(task, "alice")                                 # only with alice's own token file

Anything else (reads, usage, wake-ups) passes straight through to the wrapped Bus. `close()` revokes
the agents' principal tokens it issued (their job tokens end with their leases anyway).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from org.identity.bootstrap import agent_tokens, first_use_tokens, revoke_all
from org.identity.guard import Guard

__all__ = ["AuthedBus"]


class AuthedBus:
    """Authenticated work calls over one Bus; see the module docstring."""

    def __init__(self, bus: Any, tokens: dict[str, str] | None = None, *, ttl: float = 12 * 3600,
                 human_files: bool = True) -> None:
        self.bus = bus
        self.guard = Guard(bus)
        self._own = tokens is None
        if human_files:
            first_use_tokens(bus)  # a fresh database: the humans' own files, before any agent token (ADR 0058)
        self.tokens = agent_tokens(bus, ttl=ttl) if tokens is None else dict(tokens)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.bus, name)

    def _token(self, actor: str) -> str | None:
        return self.tokens.get(actor)

    def claim(self, lane: str, actor: str, *, lease_seconds: float = 300.0, wait_seconds: float = 0.0):
        c, job_token = self.guard.claim(self._token(actor), lane, actor, lease_seconds=lease_seconds,
                                        wait_seconds=wait_seconds)
        return dataclasses.replace(c, token=job_token)

    def heartbeat(self, job: int | str, token: str, *, lease_seconds: float | None = None) -> dict:
        return self.guard.heartbeat(token, job, lease_seconds=lease_seconds)

    def submit(self, job: int | str, token: str, verdict: str, **kw: Any) -> dict:
        return self.guard.submit(token, job, verdict, **kw)

    def act(self, action: str, actor: str, task: str, attributes: dict | None = None, *, token: str | None = None) -> dict:
        """An agent acts with the job token of its job on the task (`token`); a human with their own."""
        return self.guard.act(token or self._token(actor), action, actor, task, attributes)

    def approve(self, task: str, human: str, **kw: Any) -> dict:
        return self.guard.approve(None, task, human, **kw)

    def reject(self, task: str, human: str, **kw: Any) -> dict:
        return self.guard.reject(None, task, human, **kw)

    def sweep(self) -> dict:
        """The bus's sweep, then the rows of job tokens whose lease is over (org.identity.tokens.Tokens.sweep)."""
        r = self.bus.sweep()
        return {**r, "job_tokens_removed": self.guard.tokens.sweep()}

    def close(self) -> None:
        if self._own and self.tokens:
            revoke_all(self.bus, self.tokens)
            self.tokens = {}
        self.bus.close()

    def __enter__(self) -> AuthedBus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
