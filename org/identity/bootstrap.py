"""The principals and tokens a local org needs, made automatically where that is safe (ADR 0058).

Humans: trust on first use. On a database that never held a human's principal token (`org init`, the
demo's fresh database, the first command of a checkout, the first `org run`; agents' tokens do not count,
so an agent host that starts first never skips it), every human member gets a token written to their own
config file (0600) for this database (files are kept per org folder and database, so another database's
files are never touched). After
that nothing issues a human's token without a human's token (`org token issue --for X --as HUMAN`), so
a revoked human is never silently re-issued and nobody gets a human's token just by running `org`.

Agents of an in-process run get short-lived tokens (held in memory, revoked when the run ends).
"""

from __future__ import annotations

from org.errors import UsageError
from org.identity import files
from org.identity.tokens import Tokens, parse

__all__ = ["first_use_tokens", "agent_tokens", "revoke_all", "FIRST_USE"]

LOCAL_ISSUER = "org:local-bootstrap"
FIRST_USE = "org:first-use"


def _bus_of(bus_or_door):
    """The bus behind a door (org.identity.guard.Guard), or the bus itself: the bootstrap runs in the process
    that holds the database (it is not a door operation)."""
    from org.identity.guard import Guard

    return bus_or_door._bus if isinstance(bus_or_door, Guard) else bus_or_door


def first_use_tokens(bus, *, by: str = FIRST_USE) -> list[dict]:
    """Trust on first use: on a database that never held a principal token, issue every human's token into
    their own file (`issued`: True). Otherwise issue nothing and say, per human, whether their file here
    holds a live token (`status`: ok | missing | not valid | unusable). `bus`: a Bus or a door over one."""
    bus = _bus_of(bus)
    cfg = bus.config(required=True)
    tokens = Tokens(bus)
    root = bus.ctx.root
    made = tokens.first_use(by=by)
    db = tokens.db()
    if made is not None:
        return [
            {
                "principal": m["principal"],
                "issued": True,
                "id": m["id"],
                "token_file": str(files.write_human_token(root, m["principal"], m["token"], db)),
            }
            for m in made
        ]
    out = []
    for actor in sorted(a.id for a in cfg.actors.values() if a.is_human):
        path = files.human_token_path(root, actor, db)
        try:
            have = files.read_human_token(root, actor, db)
            status = "missing" if have is None else ("ok" if tokens.valid(have) else "not valid")
        except UsageError:
            status = "unusable"
        out.append({"principal": actor, "issued": False, "status": status, "token_file": str(path)})
    return out


def agent_tokens(
    bus, *, ttl: float = 12 * 3600, by: str = LOCAL_ISSUER, actors: list[str] | None = None
) -> dict[str, str]:
    """Fresh short-lived principal tokens for the org's agents (an in-process run's own, never written anywhere)."""
    bus = _bus_of(bus)
    cfg = bus.config(required=True)
    tokens = Tokens(bus)
    names = actors if actors is not None else sorted(a.id for a in cfg.actors.values() if not a.is_human)
    return {a: tokens.issue(a, by=by, ttl=ttl, note="in-process run")["token"] for a in names}


def revoke_all(bus, tokens_by_actor: dict[str, str], *, by: str = LOCAL_ISSUER) -> int:
    """Revoke a run's agent tokens (their job tokens stay bound to their leases)."""
    bus = _bus_of(bus)
    t = Tokens(bus)
    n = 0
    for tok in tokens_by_actor.values():
        p = parse(tok)
        if p:
            n += len(t.revoke(token_id=p[1], by=by))
    return n
