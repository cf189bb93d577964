"""Gateway tokens: one per job, naming who may call models for what, until when. Never a provider key.

A token is `orgg_` + 32 random bytes (url-safe); the gateway keeps only its SHA-256, with the grant:
job, task, actor, lane, gate, workflow, the models its lane allows, an expiry, a call allowance and the job
token that bought it (the gateway acts on the bus only as that job's holder, ADR 0157). A token
the gateway did not issue, one revoked (the job ended) or one past its expiry is refused, each the same
way to the caller and with its own reason in the gateway's record.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Grant", "Grants", "PREFIX"]

PREFIX = "orgg_"


@dataclass
class Grant:
    """What one job's token allows."""

    job: int | None
    task: str | None
    actor: str
    lane: str
    models: tuple[str, ...]  # what it may ask for (the lane's allowlist)
    default_model: str  # the member's own model: what a call naming none gets
    expires: float
    gate: str | None = None
    workflow: str | None = None
    max_calls: int | None = None
    calls: int = 0
    family: str | None = None  # the member's family override (self-hosted models)
    revoked: bool = field(default=False, repr=False)
    # the job token that bought the grant: the gateway acts on the bus only as its holder (ADR 0157); kept in
    # memory for the grant's life, never logged, never in a span, never in who()
    job_token: str | None = field(default=None, repr=False)
    # the job's holder as the door verified it (org.identity.guard.Holding): re-checked in one read per call
    # (Guard.still_holding), the whole way when that finds any change (ADR 0285)
    held: Any = field(default=None, repr=False)

    def who(self) -> dict:
        return {
            "job": self.job,
            "task": self.task,
            "actor": self.actor,
            "lane": self.lane,
            "gate": self.gate,
            "workflow": self.workflow,
        }


class Grants:
    """The gateway's tokens, in its memory only (a gateway serves one run)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._by_hash: dict[bytes, Grant] = {}
        self._lock = threading.Lock()
        self.clock = clock

    @staticmethod
    def _hash(token: str) -> bytes:
        return hashlib.sha256(token.encode("utf-8", "replace")).digest()

    def issue(self, grant: Grant) -> str:
        token = PREFIX + secrets.token_urlsafe(32)
        with self._lock:
            self._by_hash[self._hash(token)] = grant
        return token

    def check(self, token: str | None) -> tuple[Grant | None, str]:
        """(grant, "") or (None, why): no token, not issued here, revoked, expired."""
        if not token:
            return None, "no gateway token"
        with self._lock:  # a lookup by the token's hash: its timing tells nothing about other tokens
            grant = self._by_hash.get(self._hash(token))
        if grant is None:
            return None, "a gateway token this gateway did not issue"
        if grant.revoked:
            return None, f"the gateway token of job {grant.job} was revoked (the job ended)"
        if grant.expires <= self.clock():
            return None, f"the gateway token of job {grant.job} expired"
        return grant, ""

    def revoke(self, token: str) -> bool:
        with self._lock:
            grant = self._by_hash.get(self._hash(token))
            if grant is None:
                return False
            grant.revoked = True
            return True

    def revoke_grant(self, grant: Grant) -> None:
        with self._lock:
            grant.revoked = True

    def take_call(self, grant: Grant) -> bool:
        """Count one call against the grant's allowance; False when it is used up."""
        with self._lock:
            if grant.max_calls is not None and grant.calls >= grant.max_calls:
                return False
            grant.calls += 1
            return True
