"""The dispatcher's pacing: shared per-provider rate budgets as token buckets (requests and tokens per
minute), reserved before every call and settled with actual usage after; 429s handled without storms.

    reserve    take a request and the estimated tokens from the provider's buckets; the bucket may go
               into debt, and the caller sleeps until its reservation matures (FIFO, one write per call,
               no polling). A reservation that would wait longer than `max_wait_s` is not taken.
    settle     give back (or take more of) the tokens once the call reports actual usage.
    429        temporary: a short provider-wide cooldown (retry-after, else jittered exponential backoff)
               that every caller of that provider respects, then retry, at most `max_attempts` times.
               quota exhausted: the provider is blocked until its reset; calls fail fast meanwhile.

The state lives behind `BudgetStore`; `MemoryBudgetStore` serves one process, the SQL store (on the
bus's bucket table) lets several `org run` processes share one budget. Clock and sleep are injected so
the simulator can drive the same logic on a virtual clock.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from org.agents.llm import CallResult

__all__ = [
    "Limits",
    "Block",
    "BudgetStore",
    "MemoryBudgetStore",
    "Pacer",
    "PacerStats",
    "Stopped",
    "DEFAULT_LIMITS",
    "parse_limits",
    "run_limits",
]


@dataclass(frozen=True)
class Limits:
    """A provider's budget. `burst_s`: how many seconds of the rate may go at once (1 request minimum)."""

    rpm: float | None = None
    tpm: float | None = None
    burst_s: float = 0.0  # requests: none by default (evenly spaced); tokens: at least one second's worth
    headroom: float = 0.0  # fraction of the limit left unused, against clocks and counting that differ

    def bucket(self, per_minute: float, tokens: bool = False) -> tuple[float, float]:
        """(rate per second, capacity)"""
        rate = per_minute * (1.0 - self.headroom) / 60.0
        return rate, max(1.0, rate * (max(1.0, self.burst_s) if tokens else self.burst_s))


# Conservative defaults for real providers (entry-tier limits); override with --limit or ORG_RATE_LIMITS.
DEFAULT_LIMITS: dict[str, Limits] = {
    "openai": Limits(rpm=500, tpm=200_000),
    "anthropic": Limits(rpm=50, tpm=40_000),
    "gemini": Limits(rpm=150, tpm=1_000_000),
    "vertex_ai": Limits(rpm=150, tpm=1_000_000),
    "local": Limits(rpm=None, tpm=None),
}
FALLBACK_LIMITS = Limits(rpm=60, tpm=100_000)


def parse_limits(text: str) -> dict[str, Limits]:
    """'openai=500/200000,anthropic=50' -> {provider: Limits(rpm, tpm)}; 0 or '-' means unlimited."""
    out: dict[str, Limits] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        if "=" not in part:
            raise ValueError(f"rate limit '{part}' should look like provider=RPM or provider=RPM/TPM")
        name, _, spec = part.partition("=")
        rpm_s, _, tpm_s = spec.partition("/")

        try:
            out[name.strip()] = Limits(rpm=_num(rpm_s), tpm=_num(tpm_s))
        except ValueError as exc:
            raise ValueError(f"rate limit '{part}': {exc}") from None
    return out


def run_limits(
    env: Mapping[str, str], local_config: Any = None, extra: Mapping[str, Limits] | None = None
) -> dict[str, Limits]:
    """A run's rate budgets: the defaults, the local model's own (`local_config`: a LocalModelConfig), then
    ORG_RATE_LIMITS from `env`, then `extra` (`--limit`). Raises UsageError for a bad ORG_RATE_LIMITS."""
    from org.errors import UsageError

    lim = dict(DEFAULT_LIMITS)
    if local_config is not None:
        lim["local"] = Limits(rpm=local_config.rpm, tpm=local_config.tpm)
    if env.get("ORG_RATE_LIMITS"):
        try:
            lim.update(parse_limits(env["ORG_RATE_LIMITS"]))
        except ValueError as exc:
            raise UsageError(f"ORG_RATE_LIMITS: {exc}") from None
    lim.update(extra or {})
    return lim


def _num(s: str) -> float | None:
    s = s.strip()
    if s in ("", "-", "0"):
        return None
    from org.errors import UsageError
    from org.numbers import finite

    try:
        return finite(float(s), "a limit")
    except UsageError as exc:  # NaN, inf, negative or absurd: no rate at all, never a poisoned bucket
        raise ValueError(exc.message) from None


@dataclass(frozen=True)
class Block:
    until: float  # wall-clock seconds (time.time()), shared across processes
    kind: str  # cooldown | quota
    reason: str = ""


class BudgetStore(Protocol):
    """Where bucket levels and provider blocks live. Times are wall-clock seconds (time.time())."""

    def acquire(
        self,
        key: str,
        amount: float,
        rate: float,
        capacity: float,
        now: float,
        max_wait: float,
        sleep: Callable[[float], None],
    ) -> float | None:
        """Take `amount` from bucket `key` (refilling at `rate`/s up to `capacity`), waiting with `sleep`
        (which raises Stopped when the dispatcher stops) as needed. Returns the seconds waited, or None
        (having taken nothing) when the wait would exceed `max_wait`."""
        ...

    def settle(self, key: str, delta: float, rate: float, capacity: float, now: float) -> None:
        """Adjust a past acquisition: negative `delta` gives back, positive takes more."""
        ...

    def block(self, key: str, until: float, kind: str, reason: str = "") -> None:
        """Block a provider until `until` (keeps the later of an existing block and this one)."""
        ...

    def blocked(self, key: str, now: float) -> Block | None: ...


class MemoryBudgetStore:
    """Bucket state in this process (thread-safe). Debt-based: an acquisition takes its tokens at once,
    possibly into debt, and sleeps until its turn; callers are served in the order they asked."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._levels: dict[str, tuple[float, float]] = {}  # key -> (level, as of)
        self._blocks: dict[str, Block] = {}

    def _refill(self, key: str, rate: float, capacity: float, now: float) -> float:
        level, t = self._levels.get(key, (capacity, now))
        return min(capacity, level + max(0.0, now - t) * rate)

    def reserve(
        self, key: str, amount: float, rate: float, capacity: float, now: float, max_wait: float
    ) -> float | None:
        """Take now (into debt if need be); the seconds until the reservation matures, or None."""
        with self._lock:
            level = self._refill(key, rate, capacity, now) - amount
            wait = max(0.0, -level / rate) if rate > 0 else (0.0 if level >= 0 else float("inf"))
            if wait > max_wait:
                self._levels[key] = (level + amount, now)
                return None
            self._levels[key] = (level, now)
            return wait

    def acquire(
        self,
        key: str,
        amount: float,
        rate: float,
        capacity: float,
        now: float,
        max_wait: float,
        sleep: Callable[[float], None],
    ) -> float | None:
        wait = self.reserve(key, amount, rate, capacity, now, max_wait)
        if wait:
            try:
                sleep(wait)
            except Stopped:
                self.settle(key, -amount, rate, capacity, now + wait)
                raise
        return wait

    def settle(self, key: str, delta: float, rate: float, capacity: float, now: float) -> None:
        if not delta:
            return
        with self._lock:
            self._levels[key] = (min(capacity, self._refill(key, rate, capacity, now) + -delta), now)

    def block(self, key: str, until: float, kind: str, reason: str = "") -> None:
        with self._lock:
            cur = self._blocks.get(key)
            if cur is None or until > cur.until or (kind == "quota" and cur.kind != "quota"):
                self._blocks[key] = Block(max(until, cur.until if cur else until), kind, reason)

    def blocked(self, key: str, now: float) -> Block | None:
        with self._lock:
            b = self._blocks.get(key)
            if b is not None and b.until <= now:
                del self._blocks[key]
                return None
            return b


class Stopped(Exception):
    """The dispatcher is stopping; the call was not made."""


@dataclass
class PacerStats:
    calls: int = 0
    rate_limited: int = 0
    quota_exhausted: int = 0
    unavailable: int = 0
    retries: int = 0
    waited_s: float = 0.0
    refused_fast: int = 0  # calls not made because the provider was blocked for quota
    by_provider: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_json(self) -> dict:
        return dict(self.__dict__)


class Pacer:
    """Paces calls per provider against a BudgetStore. One Pacer per process; thread-safe."""

    def __init__(
        self,
        store: BudgetStore | None = None,
        limits: dict[str, Limits] | None = None,
        *,
        max_wait_s: float = 60.0,
        max_attempts: int = 4,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 30.0,
        clock: Callable[[], float] = time.time,
        stop: threading.Event | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store or MemoryBudgetStore()
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        self.max_wait_s = max_wait_s
        self.max_attempts = max_attempts
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self.clock = clock
        self.stop = stop or threading.Event()
        self.rng = rng or random.Random()
        self.stats = PacerStats()
        self._lock = threading.Lock()
        # Additive increase, multiplicative decrease of each provider's pace: a 429 despite pacing means
        # someone else shares the budget or the limit is lower than configured.
        self._scale: dict[str, float] = {}
        self._cut_at: dict[str, float] = {}

    def scale(self, provider: str) -> float:
        return self._scale.get(provider, 1.0)

    def _adapt(self, provider: str, ok: bool) -> None:
        with self._lock:
            s = self._scale.get(provider, 1.0)
            if ok:
                self._scale[provider] = min(1.0, s + 0.02)
            elif self.clock() - self._cut_at.get(provider, float("-inf")) > 1.0:  # one cut per burst of 429s
                self._scale[provider] = max(0.05, s * 0.5)
                self._cut_at[provider] = self.clock()

    def limits_for(self, provider: str) -> Limits:
        return self.limits.get(provider, FALLBACK_LIMITS)

    def _sleep(self, seconds: float) -> None:
        if seconds > 0 and self.stop.wait(seconds):
            raise Stopped()

    def _bump(self, provider: str, key: str, n: float = 1) -> None:
        with self._lock:
            setattr(self.stats, key, getattr(self.stats, key) + n)
            p = self.stats.by_provider.setdefault(provider, {})
            p[key] = p.get(key, 0) + n

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        """Full jitter exponential backoff, never shorter than what the provider asked for."""
        cap = min(self.backoff_cap_s, self.backoff_base_s * 2 ** max(0, attempt - 1))
        wait = self.rng.uniform(cap / 2, cap)
        return max(wait, retry_after or 0.0)

    def reserve(self, provider: str, est_tokens: int) -> float | None:
        """Acquire one request and `est_tokens` from the provider's buckets, sleeping as needed. Returns the
        time waited, or None when the wait would exceed max_wait_s (nothing kept)."""
        lim = self.limits_for(provider)
        scale = self.scale(provider)
        parts: list[tuple[str, float, float, float]] = []
        if lim.rpm:
            parts.append((f"{provider}:rpm", 1.0, *lim.bucket(lim.rpm * scale)))
        if lim.tpm and est_tokens:
            rate, cap = lim.bucket(lim.tpm * scale, tokens=True)
            parts.append((f"{provider}:tpm", float(min(est_tokens, cap)), rate, cap))
        taken: list[tuple[str, float, float, float]] = []
        waited = 0.0
        t0 = self.clock()
        try:
            for key, amount, rate, cap in parts:
                w = self.store.acquire(
                    key, amount, rate, cap, self.clock(), self.max_wait_s - waited, self._sleep
                )
                if w is None:
                    for k, a, r, c in taken:
                        self.store.settle(k, -a, r, c, self.clock())
                    return None
                taken.append((key, amount, rate, cap))
                waited = self.clock() - t0
        except Stopped:
            for k, a, r, c in taken:
                self.store.settle(k, -a, r, c, self.clock())
            raise
        if waited > 0:
            self._bump(provider, "waited_s", waited)
        return waited

    def settle(self, provider: str, est_tokens: int, actual_tokens: int) -> None:
        lim = self.limits_for(provider)
        if lim.tpm and est_tokens:
            rate, cap = lim.bucket(lim.tpm * self.scale(provider), tokens=True)
            self.store.settle(
                f"{provider}:tpm", actual_tokens - min(est_tokens, cap), rate, cap, self.clock()
            )

    def call(self, provider: str, est_tokens: int, fn: Callable[[], CallResult]) -> CallResult:
        """Make one paced call, retrying temporary 429s and brief outages without a storm.
        Returns the last CallResult; raises Stopped when the dispatcher stops while waiting."""
        attempt = 0
        while True:
            blk = self.store.blocked(provider, self.clock())
            if blk is not None:
                if blk.kind == "quota":
                    self._bump(provider, "refused_fast")
                    return CallResult(
                        model="",
                        called="",
                        provider=provider,
                        outcome="quota_exhausted",
                        retry_after_s=max(0.0, blk.until - self.clock()),
                        error=f"{provider} quota exhausted; blocked until its reset ({blk.reason})",
                    )
                # everyone waits out a cooldown, each with its own jitter so they do not return together
                self._sleep(blk.until - self.clock() + self.rng.uniform(0, 0.05 * (attempt + 1)))
                continue
            if self.reserve(provider, est_tokens) is None:
                return CallResult(
                    model="",
                    called="",
                    provider=provider,
                    outcome="rate_limited",
                    error=f"{provider}'s rate budget is booked for more than {self.max_wait_s:.0f}s",
                )
            blk = self.store.blocked(provider, self.clock())
            if blk is not None:  # a cooldown began while we waited: give the tokens back, go round again
                self.settle(provider, est_tokens, 0)
                continue
            res = fn()
            self._bump(provider, "calls")
            # usage the provider stated that is no count: its estimate stays booked (never a refund for a lie)
            self.settle(provider, est_tokens, est_tokens if res.usage_unread else res.total_tokens)
            if res.outcome == "rate_limited":
                attempt += 1
                self._bump(provider, "rate_limited")
                self._adapt(provider, ok=False)
                if attempt >= self.max_attempts:
                    return res
                self._bump(provider, "retries")
                self.store.block(
                    provider,
                    self.clock() + self.backoff(attempt, res.retry_after_s),
                    "cooldown",
                    res.error[:200],
                )
                continue
            if res.outcome == "quota_exhausted":
                self._bump(provider, "quota_exhausted")
                self.store.block(
                    provider, self.clock() + (res.retry_after_s or 3600.0), "quota", res.error[:200]
                )
                return res
            if res.outcome == "unavailable":
                attempt += 1
                self._bump(provider, "unavailable")
                if attempt >= min(self.max_attempts, 3):
                    return res
                self._bump(provider, "retries")
                self._sleep(self.backoff(attempt, res.retry_after_s))
                continue
            if res.ok and self._scale.get(provider, 1.0) < 1.0:
                self._adapt(provider, ok=True)
            return res
