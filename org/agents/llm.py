"""The one door to litellm: an offline-safe lazy import and a call wrapper reporting usage, cost, latency
and outcome, with 429s classified as temporary (wait and retry) or quota exhausted (stop until reset).

No other module of org imports litellm. Everything here maps litellm's exceptions to plain data
(`CallResult.outcome`) at the boundary, so callers never see a third-party exception.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = [
    "CallResult",
    "redact_credentials",
    "Outcome",
    "litellm_module",
    "warm_litellm",
    "complete",
    "price",
    "register_prices",
    "provider_of",
    "classify_error",
    "parse_reset",
    "DEFAULT_QUOTA_RESET_S",
]

Outcome = Literal["ok", "rate_limited", "quota_exhausted", "unavailable", "auth", "error"]
DEFAULT_QUOTA_RESET_S = 3600.0  # when a provider says "quota exhausted" without saying until when

# Set before litellm is imported: no network fetch of the cost map, no hub downloads, quiet logs.
_OFFLINE_ENV = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "HF_HUB_OFFLINE": "1", "LITELLM_LOG": "ERROR"}
_LOCK = threading.Lock()
_MOD: Any = None


def warm_litellm() -> None:
    """Import litellm in a background thread now, so that a process that will call a model soon does not wait
    for the import at its first call (`org run`: the gateway warms while the agent host starts, and the agent
    host while it opens the bus; the two imports overlap instead of queueing behind the first job)."""
    if _MOD is None:
        _offline_env()  # here, not in the thread: the environment never changes under another thread's feet
        threading.Thread(target=_warm, name="org-warm-litellm", daemon=True).start()


def _offline_env() -> None:
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    for k, v in _OFFLINE_ENV.items():
        os.environ.setdefault(k, v)


def _warm() -> None:
    try:
        litellm_module()
    except Exception:
        return


def litellm_module() -> Any:
    """Import litellm once, offline-safe and quiet. Thread-safe."""
    global _MOD
    if _MOD is not None:
        return _MOD
    with _LOCK:
        if _MOD is None:
            _offline_env()
            import litellm  # lazy on purpose: ~3 s, 2,700 modules

            litellm.suppress_debug_info = True
            litellm.drop_params = True  # e.g. temperature on models that take none
            litellm.telemetry = False
            litellm.set_verbose = False
            if _REGISTERED:
                litellm.register_model(dict(_REGISTERED))
            _MOD = litellm
    return _MOD


@dataclass
class CallResult:
    """One model call, as plain data. `cost_usd` is None when the model is not in the cost map."""

    model: str  # the member's model string (what the call stands for; what it is priced as)
    called: str  # the litellm model string actually sent (e.g. openai/<model> against the local server)
    provider: str  # the provider whose rate budget the call used
    outcome: Outcome
    content: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    latency_s: float = 0.0
    status: int | None = None
    retry_after_s: float | None = None
    error: str = ""
    served_by: str = ""  # "local" for the loopback model, else the provider
    message: dict | None = None  # the whole assistant message (tool calls included), for the model gateway
    finish_reason: str = ""
    # the provider stated usage that is no count (NaN, inf, negative, huge, not a whole number): its tokens are
    # 0 and the call unpriced (a cost unknown, which a budget escalates), never believed (provider_usage)
    usage_unread: bool = False

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_json(self) -> dict:
        return {
            k: getattr(self, k)
            for k in (
                "model",
                "called",
                "provider",
                "served_by",
                "outcome",
                "prompt_tokens",
                "completion_tokens",
                "cost_usd",
                "latency_s",
                "status",
                "retry_after_s",
                "error",
                "usage_unread",
            )
        }


_PROVIDERS: dict[str, str] = {}
# Prefixes litellm takes literally as the provider ("anthropic/claude-x" -> anthropic), answered without importing
# litellm (~3 s): `org run`'s supervisor and `org validate` place every member this way (tests/agents/test_llm_fast_path.py
# checks each against litellm itself).
LITERAL_PROVIDERS = frozenset(
    (
        "anthropic",
        "openai",
        "gemini",
        "mistral",
        "groq",
        "deepseek",
        "xai",
        "cohere",
        "openrouter",
        "hosted_vllm",
    )
)


def provider_of(model: str) -> str:
    """litellm's provider for a model string ('gpt-5' -> openai); raises ValueError when it has none."""
    hit = _PROVIDERS.get(model)
    if hit is not None:
        return hit
    prefix, slash, rest = model.partition("/")
    if slash and rest and prefix in LITERAL_PROVIDERS:
        return prefix
    lt = litellm_module()
    try:
        _, provider, _, _ = lt.get_llm_provider(model)
    except Exception as exc:  # litellm raises BadRequestError for names it cannot place
        raise ValueError(f"litellm cannot tell which provider serves '{model}'") from exc
    _PROVIDERS[model] = provider
    return provider


MAX_PRICE_PER_TOKEN = 1.0  # dollars; with org.numbers.MAX_COUNT tokens a call's cost stays a finite number


def register_prices(prices: Mapping[str, Mapping[str, float]]) -> list[str]:
    """Register per-token prices for models the cost map lacks, e.g. self-hosted ones:
    {model: {input_cost_per_token, output_cost_per_token}}. Returns the names registered. Kept here (price()
    reads them without litellm) and handed to litellm when it is, or once it gets, imported."""
    entries = {}
    for model, p in prices.items():
        try:
            inp, out = float(p["input_cost_per_token"]), float(p["output_cost_per_token"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                f"price for '{model}' needs input_cost_per_token and output_cost_per_token"
            ) from exc
        if not all(math.isfinite(v) and 0 <= v <= MAX_PRICE_PER_TOKEN for v in (inp, out)):
            raise ValueError(f"price for '{model}': a cost per token is a finite number from 0 to $1")
        entries[model] = {
            "input_cost_per_token": inp,
            "output_cost_per_token": out,
            "mode": "chat",
            "litellm_provider": model.split("/", 1)[0] if "/" in model else "openai",
        }
    if entries:
        _REGISTERED.update(entries)
        if _MOD is not None:
            _MOD.register_model(entries)
        _PRICED.clear()
    return sorted(entries)


_REGISTERED: dict[str, dict] = {}  # register_prices(): litellm gets them too once it is imported
_MAP: dict | None = None
_COST_MAP_FILE = "model_prices_and_context_window_backup.json"  # what LITELLM_LOCAL_MODEL_COST_MAP=True reads
_TIER = re.compile(r"_above_(\d+)k_tokens")
# The only keys of a cost-map entry that price a plain chat call (prompt and completion tokens, no cache, audio,
# images or reasoning counted apart); an entry priced any other way per token is left to litellm.
_PLAIN_KEYS = ("input_cost_per_token", "output_cost_per_token")
# Read from the map only as PROVIDER/model for these (the families org tells apart); any other name asks litellm,
# whose own rules (bare names, other providers' aliases) are not repeated here.
_MAP_PROVIDERS = frozenset(("openai", "anthropic", "gemini"))


def _cost_map_path() -> str | None:
    """litellm's bundled cost map, found as data: importlib finds the package without running it."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("litellm")
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(folder, _COST_MAP_FILE)
        if os.path.isfile(path):
            return path
    return None


def _cost_map() -> dict:
    global _MAP
    if _MAP is None:
        import json

        path = _cost_map_path()
        try:
            with open(path or "", encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError):
            data = {}
        _MAP = data if isinstance(data, dict) else {}
    return _MAP


def _map_price(model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
    """The price of a plain chat call read from the cost map as data, without importing litellm (~3 s); None when
    the map alone cannot tell (not mapped, priced by more than tokens, a tier crossed): price() then asks litellm.
    tests/agents/test_run_without_litellm.py holds every answer to litellm's own."""
    entry = _REGISTERED.get(model)
    prefix, slash, rest = model.partition("/")
    if entry is None and slash and rest and prefix in _MAP_PROVIDERS:
        cost_map = _cost_map()
        for key in (model, rest):  # "anthropic/claude-x": litellm strips a prefix naming the entry's provider
            found = cost_map.get(key)
            if isinstance(found, dict) and found.get("litellm_provider") == prefix:
                entry = found
                break
    if not isinstance(entry, dict) or entry.get("mode") != "chat":
        return None
    inp, out = entry.get(_PLAIN_KEYS[0]), entry.get(_PLAIN_KEYS[1])
    if not isinstance(inp, int | float) or not isinstance(out, int | float):
        return None
    tokens = prompt_tokens + completion_tokens
    for key in entry:
        tier = _TIER.search(key)
        if tier and tokens > int(tier.group(1)) * 1000:
            return None
    return float(inp) * prompt_tokens + float(out) * completion_tokens


_PRICED: dict[str, bool] = {}


def _known(model: str) -> bool:
    hit = _PRICED.get(model)
    if hit is None:
        lt = litellm_module()
        try:
            info = lt.get_model_info(model)
            hit = (
                info.get("input_cost_per_token") is not None and info.get("output_cost_per_token") is not None
            )
        except Exception:
            hit = False
        _PRICED[model] = hit
    return hit


def price(model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
    """US dollars from litellm's cost map, or None when the model is not mapped (never guessed)."""
    fast = _map_price(model, prompt_tokens, completion_tokens)
    if fast is not None:
        return fast
    if not _known(model):
        return None
    lt = litellm_module()
    try:
        p, c = lt.cost_per_token(
            model=model, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
        )
    except Exception:
        return None
    return float(p) + float(c)


def provider_usage(res: CallResult, prompt_tokens: Any, completion_tokens: Any) -> None:
    """Set `res`'s token counts from what a provider stated (None or absent: 0). A value that is no count
    (org.numbers.count: NaN, inf, negative, absurdly large, fractional, text, a boolean) is not believed: both
    counts 0 and the call flagged `usage_unread`, so it is recorded unpriced, never as a poisoned number."""
    from org.errors import UsageError
    from org.numbers import count

    try:
        res.prompt_tokens = 0 if prompt_tokens is None else count(prompt_tokens, "prompt_tokens")
        res.completion_tokens = (
            0 if completion_tokens is None else count(completion_tokens, "completion_tokens")
        )
    except UsageError:
        res.prompt_tokens = res.completion_tokens = 0
        res.usage_unread = True


def direct_wire(called: str, api_base: str | None) -> bool:
    """True for a call already on OpenAI's wire (`openai/...`) at an explicit base URL (the local model, the
    model gateway, a self-hosted server): it needs no translation, so no litellm client (nor its import)."""
    return bool(api_base) and called.startswith("openai/")


def complete(
    model: str,
    messages: list[dict[str, str]],
    *,
    called: str | None = None,
    api_base: str | None = None,
    api_key: str | None = None,
    provider: str | None = None,
    served_by: str | None = None,
    timeout_s: float = 120.0,
    max_tokens: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> CallResult:
    """Call `called` (default: `model`) once, without retries; price it as `model`. OpenAI's wire at an explicit
    base URL goes on a plain pooled client (org.gateway.upstream.forward), everything else through litellm.
    Never raises for provider trouble: the outcome says what happened."""
    called = called or model
    prov = provider or _safe_provider(model)
    params = {**({"max_tokens": max_tokens} if max_tokens else {}), **(extra or {})}
    if not direct_wire(called, api_base):
        return _complete_litellm(
            model, messages, called, prov, served_by or prov, api_base, api_key, timeout_s, params
        )
    from types import SimpleNamespace

    from org.gateway.upstream import forward

    ep = SimpleNamespace(
        called=called,
        api_base=api_base,
        api_key=api_key,
        budget_key=prov,
        served_by=served_by or prov,
        timeout_s=timeout_s,
    )
    res: CallResult = forward(ep, messages, params, model)
    if res.status == 200 and not res.usage_unread:
        res.cost_usd = price(model, res.prompt_tokens, res.completion_tokens)
    return res


def _complete_litellm(
    model: str,
    messages: list[dict[str, str]],
    called: str,
    prov: str,
    served_by: str,
    api_base: str | None,
    api_key: str | None,
    timeout_s: float,
    params: dict[str, Any],
) -> CallResult:
    """complete() through litellm's client (a provider's own API, a model litellm must translate); `params`:
    max_tokens and the extra parameters, as the direct path sends them."""
    lt = litellm_module()
    kwargs: dict[str, Any] = {"model": called, "messages": messages, "timeout": timeout_s, "max_retries": 0}
    if api_base:
        kwargs["api_base"] = api_base
    if api_key:
        kwargs["api_key"] = api_key
    kwargs.update(params)
    if kwargs.get("tools"):  # function tools only: litellm's MCP bridge would import the (absent) mcp package
        kwargs.setdefault("_skip_mcp_handler", True)
    res = CallResult(model=model, called=called, provider=prov, outcome="ok", served_by=served_by)
    t0 = time.perf_counter()
    try:
        resp = lt.completion(**kwargs)
    except Exception as exc:
        res.latency_s = time.perf_counter() - t0
        res.outcome, res.status, res.retry_after_s, res.error = classify_error(exc)
        return res
    res.latency_s = time.perf_counter() - t0
    try:
        choice = resp.choices[0]
        res.content = choice.message.content or ""
        res.finish_reason = str(getattr(choice, "finish_reason", "") or "")
        res.message = _plain(choice.message)
    except (AttributeError, IndexError):
        res.content = ""
    usage = getattr(resp, "usage", None)
    provider_usage(res, getattr(usage, "prompt_tokens", None), getattr(usage, "completion_tokens", None))
    res.status = 200
    if not res.usage_unread:
        res.cost_usd = price(model, res.prompt_tokens, res.completion_tokens)
    return res


def _plain(message: Any) -> dict:
    """An assistant message as plain JSON-able data (role, content, tool_calls when there are any)."""
    out: dict[str, Any] = {"role": "assistant", "content": getattr(message, "content", None)}
    calls = getattr(message, "tool_calls", None)
    if calls:
        out["tool_calls"] = [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.function.name, "arguments": c.function.arguments},
            }
            for c in calls
        ]
    return out


def _safe_provider(model: str) -> str:
    try:
        return provider_of(model)
    except ValueError:
        return model.split("/", 1)[0] if "/" in model else "unknown"


# Words providers use when the account, not the minute, has run out.
_QUOTA_CODES = {"insufficient_quota", "billing_hard_limit_reached", "quota_exceeded", "billing_not_active"}
_QUOTA_TEXT = re.compile(
    r"exceeded your current quota|insufficient[_ ]quota|billing|credit balance|"
    r"per ?day|perday|daily limit|quota exceeded for .*day",
    re.I,
)
MAX_STATED_WAIT_S = 86400.0  # the longest wait a provider's headers are believed for
QUOTA_MIN_RETRY_S = 300.0  # a 429 that asks us to wait this long is a quota, not a burst


def classify_error(exc: BaseException) -> tuple[Outcome, int | None, float | None, str]:
    """(outcome, http status, seconds until retry is sensible, short message) for a litellm exception."""
    status = getattr(exc, "status_code", None)
    status = int(status) if isinstance(status, int | str) and str(status).isdigit() else None
    headers = _headers_of(exc)
    body = getattr(exc, "body", None)
    code = ""
    if isinstance(body, dict):
        err = body.get("error") if isinstance(body.get("error"), dict) else body
        code = " ".join(str(err.get(k) or "") for k in ("code", "type", "status")).lower()
    msg = _short(str(getattr(exc, "message", "") or exc))
    name = type(exc).__name__
    if status == 429 or name == "RateLimitError":
        wait = parse_reset(headers)
        quota = (
            any(c in code for c in _QUOTA_CODES)
            or bool(_QUOTA_TEXT.search(msg))
            or (wait is not None and wait >= QUOTA_MIN_RETRY_S)
        )
        if quota:
            return "quota_exhausted", 429, wait if wait is not None else DEFAULT_QUOTA_RESET_S, msg
        return "rate_limited", 429, wait, msg
    if name in ("AuthenticationError", "PermissionDeniedError") or status in (401, 403):
        return "auth", status, None, msg
    if status == 402 or name == "PaymentRequiredError":
        return "quota_exhausted", status, parse_reset(headers) or DEFAULT_QUOTA_RESET_S, msg
    if (
        name
        in (
            "APIConnectionError",
            "ServiceUnavailableError",
            "InternalServerError",
            "BadGatewayError",
            "Timeout",
        )
        or (status is not None and status >= 500)
        or isinstance(exc, TimeoutError | ConnectionError)
    ):
        return "unavailable", status, parse_reset(headers), msg
    return "error", status, None, msg


def _headers_of(exc: BaseException) -> dict[str, str]:
    for attr in ("litellm_response_headers", "headers"):
        h = getattr(exc, attr, None)
        if h:
            try:
                return {str(k).lower(): str(v) for k, v in dict(h).items()}
            except (TypeError, ValueError):
                continue
    resp = getattr(exc, "response", None)
    h = getattr(resp, "headers", None)
    return {str(k).lower(): str(v) for k, v in dict(h).items()} if h else {}


_DUR = re.compile(
    r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$"
)


def parse_reset(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds until a rate limit resets, from the headers providers send: retry-after-ms, retry-after
    (seconds or an HTTP date), x-ratelimit-reset-requests/-tokens ('1.5s', '6m0s'), and Anthropic's
    anthropic-ratelimit-*-reset (RFC 3339). The largest stated wait wins; None when none is stated."""
    h = {k.lower(): v for k, v in headers.items()}
    waits: list[float] = []
    if "retry-after-ms" in h:
        with contextlib.suppress(ValueError):
            waits.append(float(h["retry-after-ms"]) / 1000)
    if "retry-after" in h:
        v = h["retry-after"].strip()
        try:
            waits.append(float(v))
        except ValueError:
            from email.utils import parsedate_to_datetime

            with contextlib.suppress(TypeError, ValueError):
                waits.append(parsedate_to_datetime(v).timestamp() - (now or time.time()))
    for k in ("x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"):
        if k in h:
            d = _duration(h[k])
            if d is not None:
                waits.append(d)
    for k, v in h.items():
        if k.startswith("anthropic-ratelimit-") and k.endswith("-reset"):
            try:
                ts = datetime.fromisoformat(v.replace("Z", "+00:00"))
                if ts.tzinfo is None:
                    ts = ts.replace(tzinfo=UTC)
                waits.append(ts.timestamp() - (now or time.time()))
            except ValueError:
                pass
    # a wait stated as NaN is no wait; one past a day (inf included) is a day: no header blocks a provider for ever
    waits = [min(max(0.0, w), MAX_STATED_WAIT_S) for w in waits if not math.isnan(w)]
    return max(waits) if waits else None


def _duration(v: str) -> float | None:
    v = v.strip()
    try:
        return float(v)
    except ValueError:
        pass
    m = _DUR.match(v)
    if not m or not any(m.groups()):
        return None
    hh, mm, ss, ms = (float(x) if x else 0.0 for x in m.groups())
    return hh * 3600 + mm * 60 + ss + ms / 1000


# a credential an exception's text may carry from the request it was building (a header value quoted back:
# "Invalid header value b'Bearer sk-...'", an api_key=... in a client's repr): never in an error text
_CREDENTIAL = re.compile(
    r"(?i)(bearer\s+|(?:api[-_]?key|x-api-key|authorization|token|secret|password)['\"]?\s*[:=]\s*['\"]?)"
    r"(?:bearer\s+)?[^\s'\",}]+"
)


# the common shapes of provider keys, quoted bare (OpenAI and Anthropic sk-..., Google AIza...)
_KEY_SHAPE = re.compile(r"\b(?:sk-[A-Za-z0-9_\-]{12,}|AIza[0-9A-Za-z_\-]{20,})")


def redact_credentials(text: str) -> str:
    """`text` with every credential it quotes (a bearer token, an api_key=..., an authorization header, a key of a
    common provider shape, or the exact value of any provider key in this process's environment) as <redacted>:
    for any exception text from a model call's path that is noted or answered."""
    from org.agents.endpoints import holds_provider_secret

    for name, value in os.environ.items():
        if len(value) < 8 or not holds_provider_secret(name) or value not in text:
            continue
        text = text.replace(value, "<redacted>")
    return _KEY_SHAPE.sub("<redacted>", _CREDENTIAL.sub(r"\1<redacted>", text))


def _short(text: str, limit: int = 300) -> str:
    text = redact_credentials(" ".join(text.split()))
    text = re.sub(r"^litellm\.\w+: \w+: ", "", text)
    return text if len(text) <= limit else text[: limit - 3] + "..."
