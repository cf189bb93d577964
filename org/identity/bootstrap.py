"""The principals and tokens a local org needs, made automatically: every human gets a live token in
their own config file (0600), and an in-process run gets short-lived tokens for its agents (held in
memory, revoked when the run ends). So `org init`, `org demo` and `org run` need no token handling."""

from __future__ import annotations

from org.identity import files
from org.identity.tokens import Tokens

__all__ = ["ensure_human_tokens", "agent_tokens", "revoke_all"]

LOCAL_ISSUER = "org:local-bootstrap"


def ensure_human_tokens(bus, *, by: str = LOCAL_ISSUER) -> list[dict]:
    """Make sure every human member has a live token in their own file; issue one where missing."""
    cfg = bus.config(required=True)
    tokens = Tokens(bus)
    root = bus.ctx.root
    out = []
    for actor in sorted(a.id for a in cfg.actors.values() if a.is_human):
        path = files.human_token_path(root, actor)
        have = files.read_human_token(root, actor)
        if tokens.valid(have):
            out.append({"principal": actor, "token_file": str(path), "issued": False})
            continue
        info = tokens.issue(actor, by=by, note="local bootstrap")
        files.write_human_token(root, actor, info["token"])
        out.append({"principal": actor, "token_file": str(path), "issued": True, "id": info["id"]})
    return out


def agent_tokens(bus, *, ttl: float = 12 * 3600, by: str = LOCAL_ISSUER, actors: list[str] | None = None) -> dict[str, str]:
    """Fresh short-lived principal tokens for the org's agents (an in-process run's own, never written anywhere)."""
    cfg = bus.config(required=True)
    tokens = Tokens(bus)
    names = actors if actors is not None else sorted(a.id for a in cfg.actors.values() if not a.is_human)
    return {a: tokens.issue(a, by=by, ttl=ttl, note="in-process run")["token"] for a in names}


def revoke_all(bus, tokens_by_actor: dict[str, str], *, by: str = LOCAL_ISSUER) -> int:
    """Revoke a run's agent tokens (their job tokens stay bound to their leases)."""
    from org.identity.tokens import parse

    t = Tokens(bus)
    n = 0
    for tok in tokens_by_actor.values():
        p = parse(tok)
        if p:
            n += len(t.revoke(token_id=p[1], by=by))
    return n
