"""Shared rate budgets: one token bucket per provider in the database, so every process paces against
the same budget. reserve() takes tokens atomically (one UPDATE ... RETURNING) or says how long to wait;
settle() returns what a call did not use (or charges what it used beyond its reservation)."""

from __future__ import annotations

from dataclasses import dataclass

from org.bus.context import Ctx
from org.bus.store import Tx
from org.errors import NotFound, UsageError
from org.numbers import finite

__all__ = ["Reservation", "configure", "reserve", "settle", "settled", "budgets"]


@dataclass(frozen=True)
class Reservation:
    provider: str
    amount: float
    ok: bool
    tokens_left: float
    retry_after_s: float  # 0 when ok

    def to_json(self) -> dict:
        return self.__dict__.copy()


def _fns(tx: Tx) -> tuple[str, str]:
    return ("LEAST", "GREATEST") if tx.pg else ("MIN", "MAX")


def configure(ctx: Ctx, provider: str, *, capacity: float, refill_per_s: float, full: bool = True) -> dict:
    """Create or resize a bucket (tokens are kept, capped at the new capacity, unless full=True on creation)."""
    capacity = finite(capacity, "a budget's capacity", positive=True)
    refill_per_s = finite(refill_per_s, "a budget's refill_per_s")

    def fn(tx: Tx) -> dict:
        lo, _ = _fns(tx)
        tx.x(
            "INSERT INTO rate_budgets(provider, capacity, tokens, refill_per_s, updated_at) VALUES (:p, :c, :tok, :r, :t) "
            f"ON CONFLICT (provider) DO UPDATE SET capacity = :c, refill_per_s = :r, "
            f"tokens = {lo}(rate_budgets.tokens, :c)",
            {
                "p": provider,
                "c": float(capacity),
                "tok": float(capacity) if full else 0.0,
                "r": float(refill_per_s),
                "t": tx.now,
            },
        )
        return _one(tx, provider)

    return ctx.store.write(fn)


def _one(tx: Tx, provider: str) -> dict:
    r = tx.x(
        "SELECT provider, capacity, tokens, refill_per_s, updated_at FROM rate_budgets WHERE provider = :p",
        {"p": provider},
    ).one_or_none()
    if r is None:
        raise NotFound(f"no rate budget for '{provider}'")
    return {
        "provider": r[0],
        "capacity": float(r[1]),
        "tokens": float(r[2]),
        "refill_per_s": float(r[3]),
        "updated_at": float(r[4]),
    }


def reserve(ctx: Ctx, provider: str, amount: float = 1.0) -> Reservation:
    """Take `amount` tokens now if the bucket (refilled to now) holds them; otherwise ok=False with the
    seconds until it will. Never blocks."""
    amount = finite(amount, "a reserved amount", positive=True)

    def fn(tx: Tx) -> Reservation:
        lo, hi = _fns(tx)
        level = f"{lo}(capacity, tokens + {hi}(0.0, :now - updated_at) * refill_per_s)"
        r = tx.x(
            f"UPDATE rate_budgets SET tokens = {level} - :amt, updated_at = {hi}(updated_at, :now) "
            f"WHERE provider = :p AND {level} >= :amt RETURNING tokens",
            {"now": tx.now, "amt": float(amount), "p": provider},
        ).one_or_none()
        if r is not None:
            return Reservation(provider, float(amount), True, float(r[0]), 0.0)
        b = _one(tx, provider)
        if amount > b["capacity"]:
            raise UsageError(f"{amount} exceeds the capacity of the '{provider}' budget ({b['capacity']})")
        have = min(b["capacity"], b["tokens"] + max(0.0, tx.now - b["updated_at"]) * b["refill_per_s"])
        wait = (amount - have) / b["refill_per_s"] if b["refill_per_s"] > 0 else float("inf")
        return Reservation(provider, float(amount), False, have, max(wait, 0.001))

    return ctx.store.write(fn)


def settle(ctx: Ctx, reservation: Reservation | tuple[str, float], used: float) -> dict:
    """After the call: give back reserved - used (or take the overrun; the bucket may go negative, which
    delays the next reservations: honest pacing for calls that cost more than estimated)."""
    provider, amount = (
        (reservation.provider, reservation.amount) if isinstance(reservation, Reservation) else reservation
    )
    amount, used = settled(amount, used)

    def fn(tx: Tx) -> dict:
        lo, _ = _fns(tx)
        r = tx.x(
            f"UPDATE rate_budgets SET tokens = {lo}(capacity, tokens + :d) WHERE provider = :p RETURNING tokens",
            {"d": float(amount) - float(used), "p": provider},
        ).one_or_none()
        if r is None:
            raise NotFound(f"no rate budget for '{provider}'")
        return {"provider": provider, "tokens": float(r[0]), "returned": float(amount) - float(used)}

    return ctx.store.write(fn)


def settled(amount: object, used: object) -> tuple[float, float]:
    """A settlement's reserved amount and use, each finite, at least 0 and bounded (UsageError otherwise): a NaN
    or inf booked into a bucket would poison it for every process sharing it. The door checks with it too,
    before its own bookkeeping (org.identity.guard.Guard.settle)."""
    return finite(amount, "a settled reservation"), finite(used, "the amount used")


def budgets(ctx: Ctx) -> list[dict]:
    def fn(tx: Tx) -> list[dict]:
        return [_one(tx, r[0]) for r in tx.x("SELECT provider FROM rate_budgets ORDER BY provider").all()]

    return ctx.store.read(fn)
