"""The budget brake: an actor or lane past its budget ceiling, or with model calls of unknown cost that no human
accepted (ADR 0051), is paused from the usage ledger (and so escalated to a human).

The check reads the ledger, never the caller's word: whoever asks (a worker after its model calls), the pause
happens only when the ledger shows the ceiling crossed. A pause is idempotent, so concurrent workers agree; a
human who resumes the pause accepts the unknown spend, and the priced spend keeps counting against the ceiling.
"""

from __future__ import annotations

from org.bus import switches as _switches
from org.bus.context import Ctx
from org.bus.usage import UNKNOWN_SPEND, scope_spend
from org.config.loader import OrgConfig
from org.errors import NotFound

__all__ = ["brake_over_budget"]


def brake_over_budget(ctx: Ctx, cfg: OrgConfig, lane_name: str, actor: str) -> list[str]:
    """Pause the actor and its lane where the ledger shows a ceiling crossed; why, per pause."""
    lane = cfg.lanes.get(lane_name)
    if lane is None or actor not in cfg.actors:
        raise NotFound(f"no lane '{lane_name}' with actor '{actor}' in this org")
    member = next((m for m in lane.members if m.id == actor), None)
    checks = []
    if member is not None and member.budget and member.budget.usd is not None:
        checks.append(("actor", actor, member.budget.usd, cfg.actors[actor].source))
    if lane.budget and lane.budget.usd is not None:
        checks.append(("lane", lane_name, lane.budget.usd, cfg.source(f"lane:{lane_name}")))
    crossed = []
    for scope, key, ceiling, src in checks:
        r = scope_spend(ctx, scope, key)
        spent, unpriced, accepted = r["spent_usd"], r["unpriced_calls"], r["unpriced_accepted"]
        if spent >= ceiling:
            why = (
                f"budget ceiling reached: {scope} {key} spent ${spent:.4f} of ${ceiling:.2f} ({src}); "
                f"a human decides whether to raise it and resume ('org resume --{scope} {key}')"
            )
        elif unpriced and not accepted:
            why = (
                f"{UNKNOWN_SPEND} {scope} {key} spent ${spent:.4f} plus {unpriced} model call(s) with no "
                f"price, against a ceiling of ${ceiling:.2f} ({src}); register the model's price, or resume "
                f"to accept the unknown spend ('org resume --{scope} {key}')"
            )
        else:
            continue
        _switches.pause(
            ctx, cfg, scope, key, note=why
        )  # by the org itself (the local operator), from the ledger
        crossed.append(why)
    return crossed
