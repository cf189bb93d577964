"""org.identity: principals, scoped job tokens and the credential broker.

- `tokens.Tokens`: issue / revoke / list principal tokens (only a salted, peppered HMAC is stored),
  mint job tokens inside a claim, authenticate a presented token in constant time.
- `guard.Guard`: the one authenticated door to the bus (the CLI, the TUI, the built-in agents; deny by default).
- `broker.Broker`: actions that name a credential; decide() first, the secret only for an allowed action.
- `brokerd.BrokerDaemon` / `brokerclient`: the broker as its own process (`org broker serve`, a private Unix
  socket) and its clients (`org credential use`); the only process that reads secrets.
- `bootstrap`: humans' tokens on an org's first use only (trust on first use, ADR 0058); an in-process run's agents' tokens.
- `files`: the per-org config folder: the pepper and humans' own token files (0600).
"""

from typing import TYPE_CHECKING

from org.lazy import lazy_names

if TYPE_CHECKING:
    from org.identity.guard import Guard, acting
    from org.identity.tokens import Principal, Tokens

_HOMES = {"Guard": "guard", "acting": "guard", "Principal": "tokens", "Tokens": "tokens"}


__getattr__ = lazy_names("org.identity", _HOMES, globals())


__all__ = ["Guard", "Principal", "Tokens", "acting"]
