"""Where each agent's calls go: the real provider when its API key is in the environment, else the local
model on loopback. Same lanes, same prompts, same pacing and ledger either way.

    ORG_MODELS=auto   (default) per provider: real when its key is set, local otherwise
    ORG_MODELS=local  everything to the local model, keys or not
    ORG_MODELS=real   everything to the providers (a missing key then fails the call, clearly)
    ORG_LOCAL_MODEL_URL=http://127.0.0.1:PORT/v1   use a running local model instead of starting one
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from org.errors import UsageError
from org.numbers import finite

__all__ = [
    "Endpoint",
    "PROVIDER_KEYS",
    "models_mode",
    "has_key",
    "is_provider_key",
    "holds_provider_secret",
    "plan_endpoints",
    "gateway_endpoints",
    "endpoint_for",
    "needs_local",
    "needs_litellm",
    "LocalModelHandle",
    "local_model",
    "missing_keys",
    "check_keys",
]

# The environment variables litellm reads for each provider's credentials.
PROVIDER_KEYS: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "vertex_ai": ("GOOGLE_APPLICATION_CREDENTIALS", "VERTEXAI_PROJECT"),
    "bedrock": (
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_BEARER_TOKEN_BEDROCK",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ),
    "azure": ("AZURE_API_KEY", "AZURE_OPENAI_API_KEY"),
    "openrouter": ("OPENROUTER_API_KEY",),
    "mistral": ("MISTRAL_API_KEY",),
    "groq": ("GROQ_API_KEY",),
    "together_ai": ("TOGETHERAI_API_KEY", "TOGETHER_API_KEY"),
    "deepseek": ("DEEPSEEK_API_KEY",),
    "xai": ("XAI_API_KEY",),
    "cohere": ("COHERE_API_KEY",),
    "cohere_chat": ("COHERE_API_KEY",),
    "fireworks_ai": ("FIREWORKS_AI_API_KEY", "FIREWORKS_API_KEY"),
}
# A provider's settings that name, not hold, a credential (a profile, a project, a path): kept from an agent like
# its keys (is_provider_key), never blanked from an error text (holds_provider_secret): their values are words.
_NOT_SECRET = frozenset({"AWS_PROFILE", "VERTEXAI_PROJECT", "GOOGLE_APPLICATION_CREDENTIALS"})
# Self-hosted servers need no key: a model pointed at one is always called for real.
SELF_HOSTED = ("ollama", "ollama_chat", "hosted_vllm", "lm_studio", "llamafile", "vllm")


@dataclass(frozen=True)
class Endpoint:
    model: str  # the member's model string: what the call stands for and is priced as
    called: str  # the litellm model string sent
    api_base: str | None
    api_key: str | None
    served_by: str  # "local" or the provider
    budget_key: str  # the rate budget the call spends ("local" for the local model)
    family: str
    timeout_s: float = 120.0

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "api_key"}

    def through(self, access: Any) -> Endpoint:
        """This endpoint for one job: to the gateway at `access.api_base` (its loopback URL, or its Unix socket
        in a room) with its per-job token."""
        from dataclasses import replace

        return replace(self, api_base=access.api_base, api_key=access.token)


def models_mode(env: Mapping[str, str] | None = None) -> str:
    mode = (env if env is not None else os.environ).get("ORG_MODELS", "auto").strip().lower() or "auto"
    if mode not in ("auto", "local", "real"):
        raise UsageError(f"ORG_MODELS is '{mode}'; use auto, local or real")
    return mode


def is_provider_key(name: str) -> bool:
    """True for a variable that holds a model provider's credential (PROVIDER_KEYS, or any *_API_KEY)."""
    return name.upper().endswith("_API_KEY") or any(name in keys for keys in PROVIDER_KEYS.values())


def holds_provider_secret(name: str) -> bool:
    """True for a provider variable whose value is a secret, never to be quoted: a provider key, but for the
    settings that only name a credential (a profile, a project, a path)."""
    return is_provider_key(name) and name not in _NOT_SECRET


def has_key(provider: str, env: Mapping[str, str] | None = None) -> bool:
    e = env if env is not None else os.environ
    if provider in SELF_HOSTED:
        return True
    return any(e.get(k) for k in PROVIDER_KEYS.get(provider, (f"{provider.upper()}_API_KEY",)))


def _check_key(provider: str, env: Mapping[str, str]) -> None:
    """Refuse a provider key with a CR, LF or NUL in it (a secret file's trailing newline): an HTTP client would
    refuse the header and quote it, key included, in its error. Names the variable, never the value."""
    for name in PROVIDER_KEYS.get(provider, (f"{provider.upper()}_API_KEY",)):
        if any(c in (env.get(name) or "") for c in "\r\n\0"):
            raise UsageError(
                f"{name} holds a line break or NUL: strip it (for example a secret file's last newline)"
            )


def plan_endpoints(
    cfg: Any, local_url: str | None, env: Mapping[str, str] | None = None, mode: str | None = None
) -> dict[str, Endpoint]:
    """An Endpoint for every agent member of the org. `local_url` is needed when any goes local."""
    e = env if env is not None else os.environ
    mode = mode or models_mode(e)
    out: dict[str, Endpoint] = {}
    for actor in cfg.actors.values():
        if actor.is_human or not actor.model:
            continue
        out[actor.id] = endpoint_for(actor.model, _override(cfg, actor), local_url, e, mode)
    return out


def gateway_endpoints(cfg: Any, routes: Mapping[str, Mapping[str, Any]]) -> dict[str, Endpoint]:
    """An Endpoint for every agent member of the org whose calls go to the run's model gateway (ADR 0170):
    OpenAI's wire to the gateway, whose base URL and per-job token each job fills in (`Endpoint.through`);
    served_by, budget_key and family as the gateway routes the member's model (RunGateway.routes)."""
    from org.agents.families import identify

    out: dict[str, Endpoint] = {}
    for actor in cfg.actors.values():
        if actor.is_human or not actor.model:
            continue
        r = routes.get(actor.id) or {}
        ident = identify(actor.model, _override(cfg, actor))
        out[actor.id] = Endpoint(
            actor.model,
            f"openai/{actor.model}",
            None,
            None,
            str(r.get("served_by") or ident.provider),
            str(r.get("budget_key") or ident.provider),
            str(r.get("family") or ident.family),
            # the gateway's own timeout, and a little to answer
            timeout_s=finite(
                r.get("timeout_s") or 120.0, f"the gateway's route of {actor.id}: timeout_s", high=86400.0
            )
            + 5.0,
        )
    return out


def endpoint_for(
    model: str,
    family: str | None,
    local_url: str | None,
    env: Mapping[str, str] | None = None,
    mode: str | None = None,
) -> Endpoint:
    """Where a call for `model` goes: its provider when its key is set (per ORG_MODELS), else the local model."""
    from org.agents.families import identify

    e = env if env is not None else os.environ
    mode = mode or models_mode(e)
    ident = identify(model, family)
    if _to_provider(ident.provider, e, mode):
        _check_key(ident.provider, e)
        return Endpoint(model, model, None, None, ident.provider, ident.provider, ident.family)
    if not local_url:
        raise UsageError("the local model is needed but not running")
    return Endpoint(
        model, f"openai/{model}", local_url, "org-local", "local", "local", ident.family, timeout_s=30.0
    )


def missing_keys(
    cfg: Any, env: Mapping[str, str] | None = None, lanes: list[str] | None = None
) -> list[dict]:
    """With ORG_MODELS=real: every agent member (of `lanes`, default all) whose provider has no key in the
    environment, with the variables that would give it one. Empty in the other modes (they fall back)."""
    from org.agents.families import identify

    e = env if env is not None else os.environ
    if models_mode(e) != "real":
        return []
    out = []
    for a in sorted(cfg.actors.values(), key=lambda a: (a.lane, a.id)):
        if a.is_human or not a.model or (lanes and a.lane not in lanes):
            continue
        provider = identify(a.model, _override(cfg, a)).provider
        if not has_key(provider, e):
            out.append(
                {
                    "member": a.id,
                    "lane": a.lane,
                    "model": a.model,
                    "provider": provider,
                    "env": list(PROVIDER_KEYS.get(provider, (f"{provider.upper()}_API_KEY",))),
                }
            )
    return out


def check_keys(cfg: Any, env: Mapping[str, str] | None = None, lanes: list[str] | None = None) -> None:
    """Refuse up front (exit 2) when ORG_MODELS=real and any member's provider has no key: every member would
    otherwise fail its calls one by one, and some would sit out for much longer than others."""
    missing = missing_keys(cfg, env, lanes)
    if not missing:
        return
    by_provider: dict[str, list[str]] = {}
    for m in missing:
        by_provider.setdefault(f"{m['provider']} ({' or '.join(m['env'])})", []).append(m["member"])
    lines = "; ".join(f"{p}: {', '.join(ms)}" for p, ms in sorted(by_provider.items()))
    raise UsageError(
        f"ORG_MODELS=real, but {len(missing)} member(s) have no API key for their provider: {lines}. "
        "Set the keys, or use ORG_MODELS=auto (members without a key use the local model)",
        missing=missing,
    )


def _to_provider(provider: str, env: Mapping[str, str], mode: str) -> bool:
    """Whether a member of `provider` calls it (else the local model), per ORG_MODELS and the keys set."""
    return mode == "real" or (mode == "auto" and has_key(provider, env))


def _override(cfg: Any, actor: Any) -> str | None:
    lane = cfg.lanes.get(actor.lane)
    for m in getattr(lane, "members", []) or []:
        if m.id == actor.id:
            return m.family
    return None


def needs_local(cfg: Any, env: Mapping[str, str] | None = None, mode: str | None = None) -> bool:
    return any(not to for to in _members_to_provider(cfg, env, mode))


def needs_litellm(cfg: Any, env: Mapping[str, str] | None = None, mode: str | None = None) -> bool:
    """Whether any member calls its provider, the only calls made through litellm's client: the local model (and
    the model gateway) speak OpenAI's wire at a loopback URL and are called without it (org.agents.llm.complete),
    so a run on the local model never imports litellm (seconds per process; issue 20)."""
    return any(_members_to_provider(cfg, env, mode))


def _members_to_provider(cfg: Any, env: Mapping[str, str] | None, mode: str | None) -> list[bool]:
    from org.agents.families import identify

    e = env if env is not None else os.environ
    mode = mode or models_mode(e)
    return [
        _to_provider(identify(a.model, _override(cfg, a)).provider, e, mode)
        for a in cfg.actors.values()
        if not a.is_human and a.model
    ]


class LocalModelHandle:
    """The local model for this run: a server we started (stopped on close) or one already running."""

    def __init__(self, url: str | None, server: Any = None) -> None:
        self.url = url
        self.server = server

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def __enter__(self) -> LocalModelHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def local_model(cfg: Any, env: Mapping[str, str] | None = None, config: Any = None) -> LocalModelHandle:
    """Start the local model if any member needs it (or reuse ORG_LOCAL_MODEL_URL)."""
    e = env if env is not None else os.environ
    if not needs_local(cfg, e):
        return LocalModelHandle(None)
    if e.get("ORG_LOCAL_MODEL_URL"):
        return LocalModelHandle(e["ORG_LOCAL_MODEL_URL"].rstrip("/"))
    from org.agents.localmodel import LocalModelServer

    srv = LocalModelServer(config).start()
    return LocalModelHandle(srv.url, srv)
