"""What is a secret environment variable: the one home of that rule (ADR 0126, ADR 0118).

`secret_env(name)`: provider keys, cloud credentials, database passwords, org's identity and database. The
sandbox refuses to hand any of them to an agent (org.runtime.sandbox.forbidden_env), whoever asks.
`credential_env(name)`: those, and every other credential a user's shell commonly holds (a forge's token,
a client secret, a credentials file).

What an outside process org starts may see of the user's environment is an allow-list, here: the sandbox's
agents get `PASS_ENV` (and what org hands them on purpose, e.g. a job-scoped ORG_GATEWAY_TOKEN, which is no
user credential: so the sandbox refuses `secret_env`); the notification hook (org.identity.notify), the
user's own program, gets `HOOK_ENV` through `passed_env`, minus any `credential_env`. A variable is passed
because it is named, never because no secret pattern caught it (a DSN, a custom token, a proxy password).

This module sits in config, the bottom layer, so that every layer asks the same question."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

__all__ = ["secret_env", "credential_env", "PASS_ENV", "HOOK_ENV", "HOST_ENV", "passed_env", "host_env"]

# what the sandbox's agents see of the parent's environment: locale, time zone, terminal
PASS_ENV = ("LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "TERM", "NO_COLOR")
# what a program started for the user needs to run as them (a hook, org's agent host)
_AS_USER = ("PATH", "HOME", "USER", "LOGNAME", "SHELL", "TMPDIR")
# and what the user's own hook program needs to run as them and reach their desktop's notifications
HOOK_ENV = PASS_ENV + _AS_USER + ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR")

# provider keys (every *_API_KEY), secrets and passwords, org's identity and database, cloud credentials
_SECRET = re.compile(
    r"(^|_)(API_KEY|SECRET|PASSWORD|PASSWD|PEPPER)($|_)|^ORG_(TOKEN_PEPPER|PEPPER_FD|DATABASE_URL|"
    r"CONFIG_HOME|BROKER_SOCKET)$|^(AWS|AZURE|GOOGLE|GCLOUD|VERTEXAI)_|^PG(PASSWORD|PASSFILE|"
    r"SERVICEFILE)$|^(XDG_CONFIG_HOME|SSH_AUTH_SOCK)$"
)
# and any other credential: tokens (GITHUB_TOKEN, HF_TOKEN, ORG_TOKEN), credentials, private keys, auth
# and connection strings, which carry their password (DATABASE_URL, REDIS_URL, a DSN), and any *_KEY
_CREDENTIAL = re.compile(
    r"(^|_)(TOKEN|TOKENS|CREDENTIALS?|PRIVATE_KEY|ACCESS_KEY|AUTH|APIKEY|KEY_ID|KEY|DSN)($|_)|^(ORG|SSH|GPG|"
    r"DOCKER|NPM|PYPI|TWINE|CARGO|HF|HUGGING_FACE|OPENAI|ANTHROPIC|GEMINI|MISTRAL|GROQ)_|"
    r"(^|_)(DATABASE|DB|REDIS|MONGO|MONGODB|AMQP|RABBITMQ|BROKER|CELERY_BROKER|SQLALCHEMY_DATABASE)_(URL|URI)$"
)


def secret_env(name: str) -> bool:
    """True for a variable no agent's environment may hold (keys, secrets, org's identity and database)."""
    return bool(_SECRET.search(name.upper()))


def credential_env(name: str) -> bool:
    """True for a secret_env variable or any other credential of the user's (a hook's environment lacks it)."""
    return secret_env(name) or bool(_CREDENTIAL.search(name.upper()))


def passed_env(environ: Mapping[str, str], allow: Iterable[str], drop: Iterable[str] = ()) -> dict[str, str]:
    """The variables of `environ` an outside process may see: those `allow` names, but never one in `drop` or
    a credential (credential_env)."""
    gone = set(drop)
    return {k: environ[k] for k in allow if k in environ and k not in gone and not credential_env(k)}


# what org's own agent host (`org run`'s child, ADR 0140) needs by name: to run as the user and find its tools;
# beside these, PostgreSQL's PG* (it opens the database) and org's own ORG_* / OTEL_* settings (`host_env`)
HOST_ENV = PASS_ENV + _AS_USER + ("COLUMNS", "LINES", "VIRTUAL_ENV")


def host_env(environ: Mapping[str, str], drop: Iterable[str] = ()) -> dict[str, str]:
    """The agent host's environment: HOST_ENV by name, PG* (the host opens the database, PGPASSWORD too),
    ORG_* that are no secret, OTEL_* that are no credential (never the exporter's headers); never one in
    `drop`. Every other variable (a provider token of any name, a DSN, a proxy URL) stays out."""
    gone = set(drop)
    out = {k: environ[k] for k in HOST_ENV if k in environ and k not in gone and not credential_env(k)}
    for k, v in environ.items():
        if k in gone or k in out:
            continue
        if (
            k.startswith("PG")
            or (k.startswith("ORG_") and not secret_env(k))
            or (k.startswith("OTEL_") and "HEADERS" not in k and not credential_env(k))
        ):
            out[k] = v
    return out
