"""The gateway's short way to a model server that already speaks OpenAI's chat completions at a base URL org
was given (the local model, a self-hosted server behind an OpenAI-compatible URL): the request forwarded on a
pooled keep-alive HTTP client (http.client: head and body in one write, a kept connection the server closed
never used, a request that went out never sent twice), the answer read into the same CallResult litellm's path gives (unpriced: the
gateway's ledger writer prices it from the same cost map, org.agents.llm.price, off the call's path) and its
errors classified by the same rules (classify_error).

Every other endpoint (a provider's own API, a model litellm must translate) goes through litellm
(org.agents.llm.complete). The reason is cost: litellm's client adds 3 ms per call on an idle machine and
10-20 ms on a loaded one (tests/bench/bench_room.py prints both paths), which the gateway would pay on top
of the agent's own client for nothing when no translation is needed.
"""

from __future__ import annotations

import atexit
import http.client
import json
import select
import socket
import threading
import time
from http.client import HTTPException
from typing import Any

__all__ = ["forwardable", "forward", "unix_base", "UNIX_SCHEME"]

_LOCK = threading.Lock()
_IDLE: dict[tuple[str, str, int, str | None], list[Any]] = {}  # kept-alive connections per server, idle
MAX_IDLE = 32  # per server
UNIX_SCHEME = "http+unix://"  # a base URL that names a Unix socket: http+unix://<quoted path>/v1


def unix_base(path: str) -> str:
    """The OpenAI-compatible base URL of a gateway reached through its Unix socket `path` (inside a room, where
    there is no TCP): what forward() and so org.agents.llm.complete take as api_base."""
    from urllib.parse import quote

    return f"{UNIX_SCHEME}{quote(str(path), safe='')}/v1"


def forwardable(ep: Any) -> bool:
    """True for an endpoint the gateway forwards as is: OpenAI's wire (`openai/...`) at an explicit base URL."""
    return bool(ep.api_base) and str(ep.called).startswith("openai/")


def _server(base: str) -> tuple[tuple[str, str, int, str | None], str]:
    """((scheme, host, port, Unix socket), path prefix) of a base URL: http://, https:// or http+unix://."""
    from urllib.parse import unquote, urlsplit

    if base.startswith(UNIX_SCHEME):
        quoted, _, rest = base[len(UNIX_SCHEME) :].partition("/")
        return ("http", "localhost", 80, unquote(quoted)), "/" + rest
    u = urlsplit(base)
    if u.scheme not in ("http", "https") or not u.hostname:
        raise ConnectionError(f"not an http(s) base URL: {base!r}")
    port = u.port or (443 if u.scheme == "https" else 80)
    return (u.scheme, u.hostname, port, None), u.path


def _one_write(cls: type) -> type:
    """`cls` (an http.client connection class) sending a request's head and a bytes body in one write: one
    wake-up of the server, not two (http.client writes them apart; on a loaded machine each wake-up costs a
    scheduling delay, tests/bench/bench_room.py)."""

    class OneWrite(cls):  # type: ignore[misc, valid-type]
        def _send_output(self, message_body: Any = None, encode_chunked: bool = False) -> None:
            if not isinstance(message_body, bytes):
                super()._send_output(message_body, encode_chunked)
                return
            self._buffer.extend((b"", b""))
            head = b"\r\n".join(self._buffer)
            del self._buffer[:]
            self.send(head + message_body)

    return OneWrite


_HTTP = _one_write(http.client.HTTPConnection)
_HTTPS = _one_write(http.client.HTTPSConnection)


def _connect(key: tuple[str, str, int, str | None], timeout_s: float) -> Any:
    scheme, host, port, uds = key
    if scheme == "https":
        return _HTTPS(host, port, timeout=timeout_s)  # connects at its first request
    conn = _HTTP(host if uds is None else "localhost", port, timeout=timeout_s)
    if uds is None:
        conn.connect()  # with TCP_NODELAY (http.client sets it)
        return conn
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout_s)
    try:
        sock.connect(uds)
    except OSError:
        sock.close()
        raise
    conn.sock = sock
    return conn


def _stale(conn: Any) -> bool:
    """A kept connection the server closed (or wrote to unasked) while it sat idle: readable before we asked.
    Such a connection is dropped before use, so a call is never sent on it and never sent twice."""
    sock = conn.sock
    if sock is None:
        return True
    try:
        poll = select.poll()
        poll.register(sock, select.POLLIN)
        return bool(poll.poll(0))
    except (OSError, ValueError):
        return True


def _take(key: tuple[str, str, int, str | None], timeout_s: float) -> tuple[Any, bool]:
    """(a connection to the server, whether it was kept from an earlier call)."""
    while True:
        with _LOCK:
            idle = _IDLE.get(key)
            conn = idle.pop() if idle else None
        if conn is None:
            return _connect(key, timeout_s), False
        if _stale(conn):
            conn.close()
            continue
        conn.sock.settimeout(timeout_s)
        return conn, True


@atexit.register
def _close_idle() -> None:
    """Close every kept connection (at exit, so none is left to the garbage collector)."""
    with _LOCK:
        conns = [c for idle in _IDLE.values() for c in idle]
        _IDLE.clear()
    for c in conns:
        c.close()


def _give_back(key: tuple[str, str, int, str | None], conn: Any) -> None:
    with _LOCK:
        idle = _IDLE.setdefault(key, [])
        if len(idle) < MAX_IDLE:
            idle.append(conn)
            return
    conn.close()


def _post(
    base: str, suffix: str, body: bytes, headers: dict[str, str], timeout_s: float
) -> tuple[int, str, dict[str, str], bytes]:
    """POST `body` to `base` + `suffix` on a kept-alive connection (headers and body in one write); (status,
    reason, lower-cased headers, body). Raises OSError / http.client.HTTPException for transport trouble."""
    key, prefix = _server(base)
    while True:
        conn, kept = _take(key, timeout_s)
        try:
            conn.request(
                "POST",
                prefix.rstrip("/") + suffix,
                body=body,
                headers={"content-type": "application/json", **headers},
            )
        except (BrokenPipeError, ConnectionResetError):
            conn.close()
            if not kept:
                raise
            # the write itself failed on a kept connection the server had closed (its idle timeout raced our
            # request): the request never went out, so once more on a new connection, which is never retried
            continue
        except BaseException:
            conn.close()
            raise
        try:
            r = conn.getresponse()
        except BaseException:
            # the request went out: the server may have read it and started (billed) the completion before the
            # connection died, so it is never sent again here; the caller's pacer decides on a booked retry
            conn.close()
            raise
        try:
            data = r.read()
        except BaseException:
            conn.close()
            raise
        break
    if r.will_close:
        conn.close()
    else:
        _give_back(key, conn)
    return r.status, r.reason, {k.lower(): v for k, v in r.getheaders()}, data


def _transport_text(exc: OSError) -> str:
    """An OSError's short text without anything the request carried: its errno text (strerror) or its type."""
    text = exc.strerror if isinstance(exc.strerror, str) and exc.strerror else ""
    if isinstance(exc, TimeoutError) and not text:
        text = "timed out"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class UpstreamError(Exception):
    """An answer other than 200, shaped like the SDK errors classify_error reads."""

    def __init__(self, status: int | None, message: str, headers: dict[str, str], body: Any) -> None:
        super().__init__(message)
        self.status_code = status
        self.message = message
        self.headers = headers
        self.body = body


def forward(ep: Any, messages: list[dict], params: dict | None, model: str) -> Any:
    """One chat completion at `ep.api_base` for `model` (priced as `model`); never raises for upstream trouble."""
    from org.agents.llm import CallResult, classify_error, provider_usage

    res = CallResult(
        model=model, called=ep.called, provider=ep.budget_key, outcome="ok", served_by=ep.served_by
    )
    body = {**(params or {}), "model": str(ep.called).split("/", 1)[1], "messages": messages, "stream": False}
    body.pop("stream_options", None)
    headers = {"authorization": f"Bearer {ep.api_key}"} if ep.api_key else {}
    t0 = time.perf_counter()
    try:
        try:
            status, reason, answer_headers, data = _post(
                str(ep.api_base), "/chat/completions", json.dumps(body).encode(), headers, ep.timeout_s
            )
        except OSError as exc:  # refused, reset, timed out: the server is not there
            raise ConnectionError(_transport_text(exc)) from None
        except HTTPException as exc:  # not HTTP, or a request http.client would not build
            raise ConnectionError(f"the model server did not answer HTTP ({type(exc).__name__})") from None
        except Exception as exc:
            # building the request failed (http.client refuses a header value with a CR/LF: ValueError with the
            # header, the provider's key included, in its text): a fixed message, never the exception's text
            raise UpstreamError(
                None, f"the request could not be built ({type(exc).__name__})", {}, None
            ) from None
        doc = json.loads(data) if data else {}
        if status != 200:
            err = doc.get("error") if isinstance(doc, dict) else None
            msg = str((err or {}).get("message") if isinstance(err, dict) else err or reason)
            raise UpstreamError(status, msg, answer_headers, doc)
        choice = doc["choices"][0]
        message = choice.get("message") or {}
    except Exception as exc:
        res.latency_s = time.perf_counter() - t0
        if isinstance(exc, ValueError | KeyError | IndexError | TypeError):
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
    stated = doc.get("usage")
    usage: dict = stated if isinstance(stated, dict) else {}
    provider_usage(res, usage.get("prompt_tokens"), usage.get("completion_tokens"))
    res.status = 200  # priced by the caller (the gateway's ledger writer prices off the call's path)
    return res
