"""Rate budgets as token buckets (requests and tokens per minute), used paced or naively.

reserve(now, tokens)   the paced dispatcher: take capacity now, going into debt if needed,
                       and return how long the caller must wait before sending (FIFO, never a 429)
try_take(now, tokens)  naive dispatch: send at once; False is a 429 (a rejected call may still
                       use up one request of the per-minute limit)
"""

from __future__ import annotations

__all__ = ["Bucket", "backoff"]


class Bucket:
    __slots__ = ("r_rate", "t_rate", "r_cap", "t_cap", "r", "t", "last")

    def __init__(self, rpm: float | None, tpm: float | None, burst: float, target: float = 1.0) -> None:
        self.r_rate = rpm / 60.0 * target if rpm else 0.0
        self.t_rate = tpm / 60.0 * target if tpm else 0.0
        self.r_cap = max(1.0, self.r_rate * burst)
        self.t_cap = self.t_rate * burst
        self.r = self.r_cap
        self.t = self.t_cap
        self.last = 0.0

    @property
    def limited(self) -> bool:
        return bool(self.r_rate or self.t_rate)

    def _refill(self, now: float) -> None:
        dt = now - self.last
        if dt > 0:
            if self.r_rate:
                self.r = min(self.r_cap, self.r + self.r_rate * dt)
            if self.t_rate:
                self.t = min(self.t_cap, self.t + self.t_rate * dt)
            self.last = now

    def reserve(self, now: float, tokens: float) -> float:
        """Take one request and `tokens` now; return the wait until the budget covers them."""
        dt = now - self.last
        if dt > 0:  # _refill, inlined: this is the paced dispatcher's hot path
            if self.r_rate:
                self.r = min(self.r_cap, self.r + self.r_rate * dt)
            if self.t_rate:
                self.t = min(self.t_cap, self.t + self.t_rate * dt)
            self.last = now
        wait = 0.0
        if self.r_rate:
            self.r -= 1.0
            if self.r < 0:
                wait = -self.r / self.r_rate
        if self.t_rate:
            self.t -= tokens
            if self.t < 0:
                wait = max(wait, -self.t / self.t_rate)
        return wait

    def try_take(self, now: float, tokens: float, rejected_counts: bool = True) -> bool:
        """Send now if the budget allows; otherwise a 429."""
        self._refill(now)
        if (not self.r_rate or self.r >= 1.0) and (not self.t_rate or self.t >= tokens):
            if self.r_rate:
                self.r -= 1.0
            if self.t_rate:
                self.t -= tokens
            return True
        if rejected_counts and self.r_rate and self.r >= 1.0:
            self.r -= 1.0
        return False


def backoff(attempt: int, base: float, cap: float, u: float | None) -> float:
    """Exponential backoff before retry number `attempt` (1-based); `u` in [0, 1) is full jitter."""
    d = min(cap, base * (2.0 ** (attempt - 1)))
    return d * u if u is not None else d
