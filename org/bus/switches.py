"""Kill switches: pause and resume at actor, lane, task, vendor or all scope. A pause takes effect at
the next claim or action (exit 7), keeps every job, lease and event as it is, and is an event itself.

No pause leaves the org without a human able to resume (ADR 0057): one who may resume, is not paused by
name, lane or vendor, and (once the database gave humans tokens) holds a live principal token. Such a
pause is refused (exit 5), since a paused actor's tokens are refused and only a human may resume; token
revocation keeps the same rule (org.identity.tokens, `able_resumers`). A pause of everything (--all) is always allowed; it never refuses a human's token."""

from __future__ import annotations

import getpass
from collections.abc import Iterable

from org.bus.context import Ctx, task_key
from org.bus.payloads import SwitchChanged
from org.bus.store import Tx
from org.bus.tx import prepared
from org.bus.usage import UNKNOWN_SPEND
from org.config.loader import OrgConfig
from org.engine import rule_ids
from org.engine.pauses import describe, lane_vendors, pausing_switch, switch_keys, vendors_of
from org.engine.policy import decide
from org.errors import Conflict, Denied, IntegrityError, NotFound, Paused, UsageError

__all__ = [
    "SCOPES",
    "check_not_paused",
    "switches_ahead",
    "covering",
    "active_switches",
    "paused_tasks",
    "pause",
    "resume",
    "list_switches",
    "vendors_of",
    "local_operator",
    "able_resumers",
    "lock_resumers",
]

SCOPES = ("actor", "lane", "task", "vendor", "all")
_COLS = (
    "switch",
    "scope",
    "target",
    "active",
    "paused_by",
    "paused_at",
    "note",
    "resumed_by",
    "resumed_at",
    "resume_note",
)


def local_operator() -> str:
    """Who pauses when no --as is given: the local OS user (anyone with the database can pull the brake)."""
    try:
        return "local:" + getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "local:unknown"


def active_switches(tx: Tx) -> list[dict]:
    """Every switch that holds (there are few), read once per transaction: what the hash-chained events say
    (switch.paused not followed by its switch.resumed, ADR 0166), whatever the switches table says; a row the
    table holds active and the chain does not (a forged pause) holds too, since a pause is only stricter."""
    cached = getattr(tx, "_switches", None)
    if cached is None:
        rows = tx.x(*_TABLE_READ).all()
        table = {r[0]: dict(zip(_COLS, r, strict=True)) for r in rows}
        chain = _chain_switches(tx)
        cached = [{**dict.fromkeys(_COLS), **table.get(sid, {}), **said} for sid, said in chain.items()]
        cached += [row for sid, row in table.items() if sid not in chain]
        cached.sort(key=lambda s: s["switch"] if isinstance(s["switch"], int) else 0)
        tx._switches = cached
    return cached


_TABLE_READ = (
    prepared(
        "SELECT id, scope, target, active, paused_by, paused_at, note, resumed_by, resumed_at, resume_note "
        "FROM switches WHERE active = :t ORDER BY id"
    ),
    {"t": True},
)
_CHAIN_TYPES = ("switch.paused", "switch.resumed")


def switches_ahead(tx: Tx) -> None:
    """Send the reads `active_switches` makes now, to share a round trip with other reads (tx.ahead)."""
    if getattr(tx, "_switches", None) is None:
        tx.ahead(*_TABLE_READ)
        from org.bus.audit import chained_query

        tx.ahead(*chained_query(tx.pg, _CHAIN_TYPES))


def _holding(tx: Tx, scope: str, target: str) -> list[dict]:
    return [s for s in active_switches(tx) if s["scope"] == scope and s["target"] == target]


def _chain_switches(tx: Tx) -> dict:
    """{switch id: its row as the chain says it} for every pause the chain holds active."""
    from org.bus.audit import chained

    out: dict = {}
    for _seq, typ, ev in chained(tx, _CHAIN_TYPES):  # by the hashed header (ADR 0221)
        try:
            data = ev["data"]
            if not isinstance(data, dict):
                raise TypeError("data")
        except (TypeError, KeyError) as exc:
            raise IntegrityError(f"a {typ} event is malformed; run 'org audit verify'") from exc
        if typ == "switch.paused":
            out[data.get("switch")] = {
                "switch": data.get("switch"),
                "scope": data.get("scope"),
                "target": data.get("target"),
                "active": True,
                "paused_by": ev.get("actor"),
                "note": data.get("note") or None,
            }
        else:
            out.pop(data.get("switch"), None)
    return out


def paused_tasks(tx: Tx) -> list[str]:
    return [s["target"] for s in active_switches(tx) if s["scope"] == "task"]


def covering(
    tx: Tx,
    cfg: OrgConfig | None,
    *,
    actor: str | None = None,
    lane: str | None = None,
    task: str | None = None,
    vendors: Iterable[str] = (),
) -> list[dict]:
    """Active switches that cover this actor / lane / task, the `vendors` of the model called (plus 'all'), most
    specific first (org.engine.pauses)."""
    on = {(s["scope"], s["target"]): s for s in active_switches(tx)}
    keys = switch_keys(
        cfg, task=task, actors=[actor] if actor else [], lanes=[lane] if lane else [], vendors=vendors
    )
    return [on[(scope, target)] for scope, target, _ in keys if (scope, target) in on]


def check_not_paused(
    tx: Tx,
    cfg: OrgConfig | None,
    *,
    actor: str | None = None,
    lane: str | None = None,
    task: str | None = None,
) -> None:
    """Paused (exit 7) naming the switch org.engine.pauses names for this work, if one holds."""
    hit = pausing_switch(
        active_switches(tx), cfg, task=task, actors=[actor] if actor else [], lanes=[lane] if lane else []
    )
    if hit is not None:
        s = hit[1]
        note = f": {s['note']}" if s["note"] else ""
        raise Paused(
            f"paused ({describe(s)}, by {s['paused_by']}{note}); retry after 'org resume'",
            switch=s["switch"],
            scope=s["scope"],
            target=s["target"],
        )


def _target(tx: Tx, cfg: OrgConfig | None, scope: str, target: str | None) -> str:
    if scope not in SCOPES:
        raise UsageError(f"a pause scope is one of {', '.join(SCOPES)}, not '{scope}'")
    if scope == "all":
        return "*"
    if not target:
        raise UsageError(f"--{scope} needs a value")
    if scope == "task":
        key = task_key(target)
        if tx.x("SELECT 1 FROM tasks WHERE key = :k", {"k": key}).first() is None:
            raise NotFound(f"no task {key}")
        return key
    if cfg is None:
        return target.lower() if scope == "vendor" else target
    if scope == "actor" and target not in cfg.actors:
        raise NotFound(f"no actor '{target}' in this org")
    if scope == "lane" and target not in cfg.lanes:
        raise NotFound(f"no lane '{target}' (lanes: {', '.join(sorted(cfg.lanes))})")
    if scope == "vendor":
        known = set().union(*(vendors_of(cfg, a) for a in cfg.actors), lane_vendors(cfg))
        if target.lower() not in known:
            raise NotFound(f"no actor uses vendor '{target}' (known: {', '.join(sorted(known))})")
        return target.lower()
    return target


def _who(cfg: OrgConfig | None, by: str | None, action: str) -> str:
    if by is None:
        return local_operator()
    if cfg is not None:
        if by not in cfg.actors:
            raise NotFound(f"no actor '{by}' in this org")
        d = decide(cfg, by, action, {})
        if not d.allowed:
            raise Denied(d.reason, rules=d.rule_ids)
    return by


def pause(
    ctx: Ctx, cfg: OrgConfig | None, scope: str, target: str | None, *, by: str | None = None, note: str = ""
) -> dict:
    who = _who(cfg, by, "pause")

    def fn(tx: Tx) -> dict:
        tgt = _target(tx, cfg, scope, target)
        old = next((s["switch"] for s in _holding(tx, scope, tgt)), None)
        if old is not None:
            return {"switch": old, "scope": scope, "target": tgt, "changed": False, "active": True}
        _keep_a_resumer(tx, cfg, scope, tgt)
        sid = tx.x(
            "INSERT INTO switches(scope, target, active, paused_by, paused_at, note) VALUES (:s, :t, :a, :b, :n, :note) "
            "RETURNING id",
            {
                "s": scope,
                "t": tgt,
                "a": True,
                "b": who,
                "n": tx.now,
                "note": ctx.redactor.text(note) if note else None,
            },
        ).scalar_one()
        tx._switches = None
        ctx.record(
            tx,
            "switch.paused",
            task=tgt if scope == "task" else None,
            actor=who,
            decision="pause",
            lane=tgt if scope == "lane" else None,
            config_hash=cfg.config_hash if cfg else None,
            data=SwitchChanged(switch=sid, scope=scope, target=tgt, note=note),
        )
        return {"switch": sid, "scope": scope, "target": tgt, "changed": True, "active": True}

    return ctx.write(fn)


_KEEP_A_RESUMER_LOCK = 0x0126_1D02  # serialises pauses of humans on PostgreSQL


def _person_keys(cfg: OrgConfig, actor: str) -> set[tuple[str, str]]:
    """The switches that pause one actor by name: its actor, lane and vendor scopes (not task, not all)."""
    return {(scope, target) for scope, target, _ in switch_keys(cfg, actors=[actor], everything=False)}


def lock_resumers(tx: Tx) -> None:
    """Serialise the changes that could leave no human able to resume (pauses, revocations) on PostgreSQL, so
    two of them cannot both pass on a stale view (SQLite's write lock does this already)."""
    if tx.pg:
        tx.x("SELECT pg_advisory_xact_lock(:k)", {"k": _KEEP_A_RESUMER_LOCK})


def _live_human_tokens(tx: Tx, drop: frozenset[str]) -> set[str] | None:
    """The humans holding a live (unrevoked, unexpired) principal token, not counting the ids in `drop`; None
    while tokens are not in use (no human was ever given a token: the first use of
    the database still gives every human one)."""
    rows = tx.x(
        "SELECT id, principal, revoked_at, expires_at FROM org_tokens WHERE kind = 'principal' AND "
        "principal_kind = 'human'"
    ).all()
    if not rows:
        return None
    return {r[1] for r in rows if r[0] not in drop and r[2] is None and (r[3] is None or r[3] > tx.now)}


def able_resumers(
    tx: Tx, cfg: OrgConfig, *, pausing: tuple[str, str] | None = None, revoking: frozenset[str] = frozenset()
) -> list[str]:
    """The humans able to resume, were the switch `pausing` on and the token ids `revoking` revoked: each may
    resume by policy, is not paused by name, lane or vendor, and holds a live principal token."""
    on = {(s["scope"], s["target"]) for s in active_switches(tx)} | ({pausing} if pausing else set())
    live = _live_human_tokens(tx, revoking)
    return sorted(
        a.id
        for a in cfg.actors.values()
        if a.is_human
        and decide(cfg, a.id, "resume", {}).allowed
        and not on & _person_keys(cfg, a.id)
        and (live is None or a.id in live)
    )


def _keep_a_resumer(tx: Tx, cfg: OrgConfig | None, scope: str, target: str) -> None:
    """Refuse (Conflict, exit 5) a pause after which no human would be able to resume (able_resumers).
    Pauses that reach no human who may resume, and --all, pass untouched."""
    if cfg is None or scope not in ("actor", "lane", "vendor"):
        return
    resumers = [a.id for a in cfg.actors.values() if a.is_human and decide(cfg, a.id, "resume", {}).allowed]
    if not any((scope, target) in _person_keys(cfg, h) for h in resumers):
        return
    lock_resumers(tx)  # two concurrent pauses of the last two humans must not both pass
    if not able_resumers(tx, cfg, pausing=(scope, target)):
        raise Conflict(
            f"pausing {scope} {target} would leave no human who may resume unpaused and holding a live "
            f"token ({', '.join(sorted(resumers))} would each be paused or hold none; a paused actor's "
            "tokens are refused, and only a human's token may resume or issue tokens); nothing was paused. Resume one of them first, or "
            "issue one a token ('org token issue --for NAME --as YOU'), or pause --all, which stops the "
            "work but never a human's token",
            rule=rule_ids.KEEP_A_RESUMER,
            scope=scope,
            target=target,
        )


def resume(
    ctx: Ctx, cfg: OrgConfig | None, scope: str, target: str | None, *, by: str | None = None, note: str = ""
) -> dict:
    who = _who(cfg, by, "resume")

    def fn(tx: Tx) -> dict:
        tgt = _target(tx, cfg, scope, target)
        holding = _holding(tx, scope, tgt)  # what the chain holds (and any row the table holds active)
        if not holding:
            return {"switch": None, "scope": scope, "target": tgt, "changed": False, "active": False}
        tx._switches = None
        for sw in holding:
            sid, swnote = sw["switch"], sw["note"]
            tx.x(
                "UPDATE switches SET active = :f, resumed_by = :b, resumed_at = :n, resume_note = :note "
                "WHERE id = :id",
                {
                    "f": False,
                    "b": who,
                    "n": tx.now,
                    "note": ctx.redactor.text(note) if note else None,
                    "id": sid,
                },
            )
            ctx.record(
                tx,
                "switch.resumed",
                task=tgt if scope == "task" else None,
                actor=who,
                decision="resume",
                lane=tgt if scope == "lane" else None,
                config_hash=cfg.config_hash if cfg else None,
                data=SwitchChanged(
                    switch=sid, scope=scope, target=tgt, note=note, **_accepted(tx, scope, tgt, swnote)
                ),
            )
        lanes = {r[0] for r in tx.x("SELECT DISTINCT lane FROM jobs WHERE status = 'queued'").all()}
        for lane in lanes:
            tx.wake(lane)
        return {"switch": sid, "scope": scope, "target": tgt, "changed": True, "active": False}

    return ctx.write(fn)


def _accepted(tx: Tx, scope: str, target: str, note: str | None) -> dict:
    """Resuming a pause for unknown spend accepts the unpriced calls so far (ADR 0051): say how many."""
    if scope not in ("actor", "lane") or not (note or "").startswith(UNKNOWN_SPEND):
        return {}
    n = tx.x(f"SELECT COUNT(*) - COUNT(cost_usd) FROM usage WHERE {scope} = :k", {"k": target}).scalar_one()
    return {"unpriced_accepted": int(n or 0)}


def list_switches(ctx: Ctx, *, active_only: bool = True) -> list[dict]:
    def fn(tx: Tx) -> list[dict]:
        sql = (
            "SELECT id, scope, target, active, paused_by, paused_at, note, resumed_by, resumed_at, resume_note "
            "FROM switches" + (" WHERE active = :t" if active_only else "") + " ORDER BY id"
        )
        return [dict(zip(_COLS, r, strict=True)) for r in tx.x(sql, {"t": True}).all()]

    return ctx.store.read(fn)
