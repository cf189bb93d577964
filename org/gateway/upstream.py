"""The gateway's short way to a model server that already speaks OpenAI's chat completions at a base URL org
was given (the local model, a self-hosted server behind an OpenAI-compatible URL): the request forwarded on a
pooled keep-alive HTTP client, the answer read into the same CallResult litellm's path gives (unpriced: the
gateway's ledger writer prices it from the same cost map, org.agents.llm.price, off the call's path) and its
errors classified by the same rules (classify_error).

Every other endpoint (a provider's own API, a model litellm must translate) goes through litellm
(org.agents.llm.complete). The reason is cost: litellm's client adds 3 ms per call on an idle machine and
10-20 ms on a loaded one (tests/bench/bench_room.py prints both paths), which the gateway would pay on top
of the agent's own client for nothing when no translation is needed.
"""

from __future__ import annotations

import threading
import time
from typing import Any

__all__ = ["forwardable", "forward", "unix_base", "UNIX_SCHEME"]

_LOCK = threading.Lock()
_CLIENTS: dict[str | None, Any] = {}  # per Unix socket (None: TCP)
UNIX_SCHEME = "http+unix://"  # a base URL that names a Unix socket: http+unix://<quoted path>/v1


def unix_base(path: str) -> str:
    """The OpenAI-compatible base URL of a gateway reached through its Unix socket `path` (inside a room, where
    there is no TCP): what forward() and so org.agents.llm.complete take as api_base."""
    from urllib.parse import quote

    return f"{UNIX_SCHEME}{quote(str(path), safe='')}/v1"


def forwardable(ep: Any) -> bool:
    """True for an endpoint the gateway forwards as is: OpenAI's wire (`openai/...`) at an explicit base URL."""
    return bool(ep.api_base) and str(ep.called).startswith("openai/")


def _client(base: str) -> tuple[Any, str]:
    """(the pooled client for `base`, the URL to post to): a http+unix:// base goes over its socket."""
    uds = None
    if base.startswith(UNIX_SCHEME):
        from urllib.parse import unquote

        quoted, _, rest = base[len(UNIX_SCHEME) :].partition("/")
        uds, base = unquote(quoted), "http://localhost/" + rest
    with _LOCK:
        client = _CLIENTS.get(uds)
        if client is None:
            import httpx

            limits = httpx.Limits(max_keepalive_connections=32, max_connections=64)
            transport = httpx.HTTPTransport(uds=uds, limits=limits) if uds else None
            client = _CLIENTS[uds] = httpx.Client(limits=limits, transport=transport)
        return client, base


class UpstreamError(Exception):
    """An answer other than 200, shaped like the SDK errors classify_error reads."""

    def __init__(self, status: int, message: str, headers: dict[str, str], body: Any) -> None:
        super().__init__(message)
        self.status_code = status
        self.message = message
        self.headers = headers
        self.body = body


def forward(ep: Any, messages: list[dict], params: dict | None, model: str) -> Any:
    """One chat completion at `ep.api_base` for `model` (priced as `model`); never raises for upstream trouble."""
    from org.agents.llm import CallResult, classify_error

    res = CallResult(
        model=model, called=ep.called, provider=ep.budget_key, outcome="ok", served_by=ep.served_by
    )
    body = {**(params or {}), "model": str(ep.called).split("/", 1)[1], "messages": messages, "stream": False}
    body.pop("stream_options", None)
    headers = {"authorization": f"Bearer {ep.api_key}"} if ep.api_key else {}
    t0 = time.perf_counter()
    try:
        client, base = _client(str(ep.api_base))
        r = client.post(
            base.rstrip("/") + "/chat/completions",
            json=body,
            headers=headers,
            timeout=ep.timeout_s,
        )
        doc = r.json() if r.content else {}
        if r.status_code != 200:
            err = doc.get("error") if isinstance(doc, dict) else None
            msg = str((err or {}).get("message") if isinstance(err, dict) else err or r.reason_phrase)
            raise UpstreamError(r.status_code, msg, {k.lower(): v for k, v in r.headers.items()}, doc)
        choice = doc["choices"][0]
        message = choice.get("message") or {}
    except Exception as exc:
        import httpx

        res.latency_s = time.perf_counter() - t0
        if isinstance(exc, httpx.TransportError):
            exc = ConnectionError(str(exc) or type(exc).__name__)
        elif isinstance(exc, ValueError | KeyError | IndexError | TypeError):
            exc = UpstreamError(502, f"the model server's answer is not a chat completion ({exc})", {}, None)
        res.outcome, res.status, res.retry_after_s, res.error = classify_error(exc)
        return res
    res.latency_s = time.perf_counter() - t0
    res.content = message.get("content") or ""
    res.finish_reason = str(choice.get("finish_reason") or "")
    res.message = {"role": "assistant", "content": message.get("content")}
    if message.get("tool_calls"):
        res.message["tool_calls"] = [
            {
                "id": c.get("id"),
                "type": "function",
                "function": {
                    "name": (c.get("function") or {}).get("name"),
                    "arguments": (c.get("function") or {}).get("arguments"),
                },
            }
            for c in message["tool_calls"]
        ]
    usage = doc.get("usage") or {}
    res.prompt_tokens = int(usage.get("prompt_tokens") or 0)
    res.completion_tokens = int(usage.get("completion_tokens") or 0)
    res.status = 200  # priced by the caller (the gateway's ledger writer prices off the call's path)
    return res
