"""The usage ledger: one row per model call (tokens, cost, latency, outcome) attributed to actor, lane,
task, workflow and model; spend queries; a task over its budget escalates (the engine decides).

A call whose model has no price is stored with cost NULL (unknown), never as $0: spend reports it as
unpriced calls and tokens beside the priced dollars. Budgets fail closed (ADR 0051): a task with a budget
escalates at any call while it has unpriced calls no human accepted; a human who resumes it records how
many it accepted (later unpriced calls are reported, the priced spend still counts). Lanes and members:
`scope_spend` says whether a human resumed an unknown-spend pause of theirs."""

from __future__ import annotations

from typing import Any

from org.bus.context import Ctx, task_key
from org.bus.driver import apply
from org.bus.store import Tx
from org.config.families import family_of, vendor_of
from org.engine import flow
from org.errors import UsageError
from org.numbers import count, finite

__all__ = ["record_usage", "spend", "task_spend", "scope_spend", "SPEND_KEYS", "UNKNOWN_SPEND"]

MAX_LATENCY_MS = 7 * 86400 * 1000.0  # one call: a week

# the note of a lane or member pause for unaccepted unknown spend; a human resuming one accepts it
UNKNOWN_SPEND = "spend unknown:"
SPEND_KEYS = ("actor", "lane", "task", "workflow", "model", "vendor", "family", "outcome", "gate", "job")


def record_usage(
    ctx: Ctx,
    actor: str,
    model: str,
    *,
    tokens_in: int = 0,
    tokens_out: int = 0,
    cost_usd: float | None = None,
    latency_ms: float = 0.0,
    outcome: str = "ok",
    task: str | None = None,
    job: int | None = None,
    lane: str | None = None,
    workflow: str | None = None,
    gate: str | None = None,
    ts: float | None = None,
) -> dict:
    """Append one call to the ledger. Lane, workflow, vendor and family are filled in when not given.
    cost_usd None (the default) is an unpriced call: its cost is unknown, not zero.
    With a task, its spend is checked against limits.budget_usd and an over-budget task is escalated."""
    if not actor:
        raise UsageError("usage needs an actor")
    # finite, never negative, never absurd: a NaN, inf or 1e300 would poison every sum and budget (org.numbers)
    tokens_in, tokens_out = count(tokens_in, "tokens_in"), count(tokens_out, "tokens_out")
    cost_usd = None if cost_usd is None else finite(cost_usd, "cost_usd")
    latency_ms = finite(latency_ms, "latency_ms", high=MAX_LATENCY_MS)
    key = task_key(task) if task is not None else None

    def fn(tx: Tx) -> dict:
        cfg = ctx.current
        row = None
        if key is not None:
            row = ctx.task_row(tx, key, lock=True)
            cfg = ctx.pinned(tx, row.config_hash)
        a = cfg.actors.get(actor) if cfg is not None else None
        uid = tx.x(
            "INSERT INTO usage(ts, actor, lane, task, workflow, gate, job, model, vendor, family, tokens_in, "
            "tokens_out, cost_usd, latency_ms, outcome) VALUES (:ts, :a, :l, :k, :w, :g, :j, :m, :v, :f, :ti, :to, "
            ":c, :lat, :o) RETURNING id",
            {
                "ts": ts if ts is not None else tx.now,
                "a": actor,
                "l": lane or (a.lane if a else None),
                "k": key,
                "w": workflow or (row.workflow if row else None),
                "g": gate,
                "j": job,
                "m": model or "",
                "v": vendor_of(model) if model else None,
                "f": family_of(model) if model else None,
                "ti": int(tokens_in),
                "to": int(tokens_out),
                "c": None if cost_usd is None else float(cost_usd),
                "lat": float(latency_ms),
                "o": outcome[:32],
            },
        ).scalar_one()
        out: dict[str, Any] = {"usage": uid, "task": key, "escalated": False}
        if row is not None and row.status == "active" and cfg is not None and key is not None:
            spent, unpriced = task_spend(tx, key)
            out["task_spent_usd"], out["task_unpriced_calls"] = spent, unpriced
            st = ctx.state(tx, row)
            # unpriced calls no human accepted (by resuming the task) escalate it, whichever call or
            # migration brought them: counted under the task row's lock, so concurrent calls agree
            out["task_unpriced_accepted"] = st.unpriced_accepted
            evs = flow.escalate_if_over_budget(cfg, st, spent, 0 if st.unpriced_accepted else unpriced)
            if evs:
                apply(ctx, tx, cfg, row, st, evs)
                out["escalated"] = True
        return out

    return ctx.write(fn)


def task_spend(tx: Tx, key: str) -> tuple[float, int]:
    """(priced spend in US dollars, unpriced calls) of one task."""
    r = tx.x(
        "SELECT COALESCE(SUM(cost_usd), 0), COUNT(*) - COUNT(cost_usd) FROM usage WHERE task = :k", {"k": key}
    ).one()
    return float(r[0] or 0.0), int(r[1] or 0)


def scope_spend(ctx: Ctx, scope: str, key: str) -> dict:
    """Budget standing of one actor or lane: priced dollars, unpriced calls, and whether a human accepted
    the unknown spend by resuming a pause of it for unknown spend (ADR 0051)."""
    if scope not in ("actor", "lane"):
        raise UsageError(f"budget standing is kept per actor or lane, not '{scope}'")

    def fn(tx: Tx) -> dict:
        r = tx.x(
            f"SELECT COALESCE(SUM(cost_usd), 0), COUNT(*) - COUNT(cost_usd) FROM usage WHERE {scope} = :k",
            {"k": key},
        ).one()
        ok = tx.x(
            "SELECT COUNT(*) FROM switches WHERE scope = :s AND target = :k AND active = :f AND note LIKE :n",
            {"s": scope, "k": key, "f": False, "n": UNKNOWN_SPEND + "%"},
        ).scalar_one()
        return {
            "scope": scope,
            "key": key,
            "spent_usd": float(r[0] or 0.0),
            "unpriced_calls": int(r[1] or 0),
            "unpriced_accepted": bool(ok),
        }

    return ctx.store.read(fn)


def spend(
    ctx: Ctx,
    by: str = "actor",
    *,
    actor: str | None = None,
    lane: str | None = None,
    task: str | None = None,
    workflow: str | None = None,
    model: str | None = None,
    since: float | None = None,
    until: float | None = None,
) -> list[dict]:
    """Spend grouped by one of SPEND_KEYS, most expensive first, with optional filters. cost_usd is the
    priced calls' dollars, None when no call in the group has a price; unpriced_calls and
    unpriced_tokens count the calls of unknown cost (cost_complete is False when there are any)."""
    if by not in SPEND_KEYS:
        raise UsageError(f"spend is grouped by one of {', '.join(SPEND_KEYS)}, not '{by}'")
    where: list[str] = []
    params: dict[str, Any] = {}
    for col, val in (
        ("actor", actor),
        ("lane", lane),
        ("task", task_key(task) if task else None),
        ("workflow", workflow),
        ("model", model),
    ):
        if val is not None:
            where.append(f"{col} = :{col}")
            params[col] = val
    if since is not None:
        where.append("ts >= :since")
        params["since"] = since
    if until is not None:
        where.append("ts < :until")
        params["until"] = until
    sql = (
        f"SELECT {by}, COUNT(*), COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0), COALESCE(SUM(cost_usd), 0), "
        f"COALESCE(AVG(latency_ms), 0), SUM(CASE WHEN outcome = 'ok' THEN 0 ELSE 1 END), COUNT(cost_usd), "
        f"COALESCE(SUM(CASE WHEN cost_usd IS NULL THEN tokens_in + tokens_out ELSE 0 END), 0) FROM usage"
        + (" WHERE " + " AND ".join(where) if where else "")
        + f" GROUP BY {by} ORDER BY 5 DESC, 1"
    )

    def fn(tx: Tx) -> list[dict]:
        return [
            {
                "key": r[0],
                "by": by,
                "calls": int(r[1]),
                "tokens_in": int(r[2]),
                "tokens_out": int(r[3]),
                "cost_usd": float(r[4]) if r[7] else None,
                "unpriced_calls": int(r[1]) - int(r[7]),
                "unpriced_tokens": int(r[8]),
                "cost_complete": int(r[1]) == int(r[7]),
                "latency_ms_avg": float(r[5]),
                "errors": int(r[6] or 0),
            }
            for r in tx.x(sql, params).all()
        ]

    return ctx.store.read(fn)
