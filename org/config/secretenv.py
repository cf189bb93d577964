"""What is a secret environment variable: the one home of that rule (ADR 0126, ADR 0118).

`secret_env(name)`: provider keys, cloud credentials, database passwords, org's identity and database. The
sandbox refuses to hand any of them to an agent (org.runtime.sandbox.forbidden_env), whoever asks.
`credential_env(name)`: those, and every other credential a user's shell commonly holds (a forge's token,
a client secret, a credentials file). What runs in the user's environment on org's behalf (the notification
hook, org.identity.notify) gets none of them. The sandbox's agents get no parent variable at all but a short
allow-list, and a job-scoped token org hands them on purpose (ORG_GATEWAY_TOKEN) is no user credential: so
the sandbox refuses `secret_env`, and a hook drops `credential_env`.

This module sits in config, the bottom layer, so that every layer asks the same question."""

from __future__ import annotations

import re

__all__ = ["secret_env", "credential_env"]

# provider keys (every *_API_KEY), secrets and passwords, org's identity and database, cloud credentials
_SECRET = re.compile(
    r"(^|_)(API_KEY|SECRET|PASSWORD|PASSWD|PEPPER)($|_)|^ORG_(TOKEN_PEPPER|PEPPER_FD|DATABASE_URL|"
    r"CONFIG_HOME|BROKER_SOCKET)$|^(AWS|AZURE|GOOGLE|GCLOUD|VERTEXAI)_|^PG(PASSWORD|PASSFILE|"
    r"SERVICEFILE)$|^(XDG_CONFIG_HOME|SSH_AUTH_SOCK)$"
)
# and any other credential: tokens (GITHUB_TOKEN, HF_TOKEN, ORG_TOKEN), credentials, private keys, auth
_CREDENTIAL = re.compile(
    r"(^|_)(TOKEN|TOKENS|CREDENTIALS?|PRIVATE_KEY|ACCESS_KEY|AUTH|APIKEY|KEY_ID)($|_)|^(ORG|SSH|GPG|"
    r"DOCKER|NPM|PYPI|TWINE|CARGO|HF|HUGGING_FACE|OPENAI|ANTHROPIC|GEMINI|MISTRAL|GROQ)_"
)


def secret_env(name: str) -> bool:
    """True for a variable no agent's environment may hold (keys, secrets, org's identity and database)."""
    return bool(_SECRET.search(name.upper()))


def credential_env(name: str) -> bool:
    """True for a secret_env variable or any other credential of the user's (a hook's environment lacks it)."""
    return secret_env(name) or bool(_CREDENTIAL.search(name.upper()))
