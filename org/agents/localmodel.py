"""The offline default model: a real OpenAI-compatible HTTP server on loopback, deterministic and plausible.

org starts it on 127.0.0.1 (an ephemeral port) when no provider API keys are present; agents call it
through the real litellm client (`openai/<member-model>` with `api_base` pointing here), so usage and
cost flow exactly as with a provider. It can also play a difficult provider, for tests and the
benchmark: an rpm / tpm limit enforced with 429s (token buckets, headers like OpenAI's), quota
exhaustion (429 insufficient_quota), malformed replies, and being down (503).

    python -m org.agents.localmodel --rpm 600      # serve until Ctrl-C; prints the URL
"""

from __future__ import annotations

import argparse
import json
import math
import threading
import time
from dataclasses import asdict, dataclass, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from org.agents.localcli import cli_reply
from org.agents.localwriter import compose, compose_tools, unit

__all__ = ["LocalModelConfig", "LocalModelServer", "BackgroundServer", "main"]


@dataclass
class LocalModelConfig:
    seed: int = 0
    defect_rate: float = 0.3  # share of builders' first attempts that carry a defect
    # scripted defects per kind of work ("code", "docs", "deploy"), one per attempt (round), instead of the rate
    defects: dict[str, list[str]] | None = None
    catch_rate: float = 1.0  # share of defects in their field that reviewers catch
    overreach_rate: float = 1.0  # share of credential-bearing reviews where security tries to overreach
    malformed_rate: float = 0.0  # share of first replies that are not valid output (1.0: always, repairs too)
    latency_s: float = 0.0  # simulated model time per call (+/- 50%, deterministic per request)
    rpm: float | None = None  # requests per minute before 429s
    tpm: float | None = None  # tokens per minute before 429s
    burst_s: float = 1.0  # bucket depth in seconds of the limit
    quota_requests: int | None = None  # successful calls before the quota is exhausted
    quota_reset_s: float = 3600.0  # what the 429 says about when the quota comes back
    down: bool = False  # answer 503 to everything

    def update(self, data: dict[str, Any]) -> None:
        names = {f.name for f in fields(self)}
        for k, v in data.items():
            if k not in names:
                raise ValueError(f"unknown setting '{k}'")
            setattr(self, k, v)


class _Bucket:
    def __init__(self, per_minute: float, burst_s: float) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate * burst_s)
        self.level = self.capacity
        self.t = time.monotonic()

    def take(self, amount: float) -> float:
        """0 when granted, else the seconds until it would be."""
        now = time.monotonic()
        self.level = min(self.capacity, self.level + (now - self.t) * self.rate)
        self.t = now
        need = min(amount, self.capacity)  # a request larger than the bucket goes through when it is full
        if self.level >= need:
            self.level -= amount
            return 0.0
        return (need - self.level) / self.rate


class BackgroundServer:
    """An HTTP server (`self._httpd`) served by a daemon thread: start, stop, and `with` for both."""

    thread_name = "org-http"
    _httpd: ThreadingHTTPServer
    _thread: threading.Thread | None = None

    def start(self) -> Self:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=self.thread_name,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class LocalModelServer(BackgroundServer):
    """Serve the local model on 127.0.0.1 in a background thread; `url` is the api_base for litellm."""

    thread_name = "org-local-model"

    def __init__(
        self, config: LocalModelConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or LocalModelConfig()
        self._lock = threading.Lock()
        self._rpm: _Bucket | None = None
        self._tpm: _Bucket | None = None
        self._limits_for: tuple = ()
        self.counts: dict[str, int] = {}
        self.ok_times: list[float] = []
        self._served = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # keep-alive without a 40 ms stall per call

            def log_message(self, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                if self.path.rstrip("/") in ("/health", "/v1/health"):
                    self._send(200, {"ok": True})
                elif self.path.rstrip("/") == "/stats":
                    self._send(200, server.stats())
                elif self.path.rstrip("/") == "/v1/models":
                    self._send(200, {"object": "list", "data": [{"id": "local", "object": "model"}]})
                else:
                    self._send(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

            def do_POST(self) -> None:
                try:
                    n = int(self.headers.get("content-length") or 0)
                    body = json.loads(self.rfile.read(n) or b"{}")
                except (ValueError, json.JSONDecodeError):
                    self._send(
                        400, {"error": {"message": "invalid JSON body", "type": "invalid_request_error"}}
                    )
                    return
                path = self.path.rstrip("/")
                if path == "/control":
                    try:
                        with server._lock:
                            server.config.update(body)
                        self._send(200, asdict(server.config))
                    except (ValueError, TypeError) as exc:
                        self._send(400, {"error": {"message": str(exc)}})
                    return
                if path not in ("/v1/chat/completions", "/chat/completions"):
                    self._send(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
                    return
                status, payload, headers = server.handle_chat(body)
                self._send(status, payload, headers)

            def _send(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128

        self._httpd = Server((host, port), Handler)
        self.host, self.port = self._httpd.server_address[:2]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def _count(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1

    def stats(self) -> dict:
        with self._lock:
            return {"counts": dict(self.counts), "served": self._served, "config": asdict(self.config)}

    def handle_chat(self, body: dict) -> tuple[int, dict, dict[str, str]]:
        cfg = self.config
        messages = body.get("messages") or []
        model = str(body.get("model") or "local")
        prompt_tokens = max(1, math.ceil(sum(len(str(m.get("content") or "")) for m in messages) / 4))
        with self._lock:
            self._count("requests")
            if cfg.down:
                self._count("down")
                return (
                    503,
                    {"error": {"message": "the local model is down (simulated)", "type": "server_error"}},
                    {},
                )
            if cfg.quota_requests is not None and self._served >= cfg.quota_requests:
                self._count("quota_exhausted")
                return (
                    429,
                    {
                        "error": {
                            "message": "You exceeded your current quota, please check your plan and billing "
                            "details.",
                            "type": "insufficient_quota",
                            "code": "insufficient_quota",
                        }
                    },
                    {"retry-after": str(int(cfg.quota_reset_s))},
                )
            limits = (cfg.rpm, cfg.tpm, cfg.burst_s)
            if limits != self._limits_for:
                self._rpm = _Bucket(cfg.rpm, cfg.burst_s) if cfg.rpm else None
                self._tpm = _Bucket(cfg.tpm, cfg.burst_s) if cfg.tpm else None
                self._limits_for = limits
            wait, kind = 0.0, ""
            if self._rpm is not None:
                wait, kind = self._rpm.take(1), "requests"
            if not wait and self._tpm is not None:
                wait, kind = self._tpm.take(prompt_tokens), "tokens"
                if wait and self._rpm is not None:
                    self._rpm.level += 1  # the request was refused; give its slot back
            if wait:
                self._count("rate_limited")
                return (
                    429,
                    {
                        "error": {
                            "message": f"Rate limit reached for {kind} (simulated)",
                            "type": kind,
                            "code": "rate_limit_exceeded",
                        }
                    },
                    {
                        "retry-after-ms": str(max(1, int(wait * 1000))),
                        "retry-after": str(max(1, math.ceil(wait))),
                        f"x-ratelimit-reset-{kind}": f"{wait:.3f}s",
                        f"x-ratelimit-limit-{kind}": str(
                            int(cfg.rpm if kind == "requests" else cfg.tpm or 0)
                        ),
                    },
                )
            self._served += 1
        if cfg.latency_s > 0:
            time.sleep(cfg.latency_s * (0.5 + unit("latency", cfg.seed, json.dumps(messages)[-512:])))
        cli = cli_reply(
            messages, body.get("tools"), cfg
        )  # aider or mini-swe-agent, in the shape each asks for
        if cli is not None:
            finish = cli.pop("finish")
            message, malformed = cli, False
            content = str(cli.get("content") or "") + (
                json.dumps(cli["tool_calls"]) if cli.get("tool_calls") else ""
            )
        elif body.get("tools"):  # an agent with tools: a tool call (OpenAI style), or a reviewer's verdict
            message = compose_tools(messages, cfg, model)
            if message.get("tool_calls"):
                content, malformed, finish = json.dumps(message["tool_calls"]), False, "tool_calls"
            else:
                content, malformed, finish = str(message.get("content") or ""), False, "stop"
        else:
            content, malformed = compose(messages, model, cfg)
            message, finish = {"role": "assistant", "content": content}, "stop"
        completion_tokens = max(1, math.ceil(len(content) / 4))
        with self._lock:
            self._count("malformed" if malformed else "ok")
            self.ok_times.append(time.monotonic())
        return (
            200,
            {
                "id": f"chatcmpl-local-{self._served}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "system_fingerprint": "org-local",
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "finish_reason": finish,
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
            {},
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m org.agents.localmodel", description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rpm", type=float, default=None)
    p.add_argument("--tpm", type=float, default=None)
    p.add_argument("--latency", type=float, default=0.0, help="simulated seconds per call")
    p.add_argument("--defect-rate", type=float, default=0.3)
    a = p.parse_args(argv)
    srv = LocalModelServer(
        LocalModelConfig(seed=a.seed, rpm=a.rpm, tpm=a.tpm, latency_s=a.latency, defect_rate=a.defect_rate),
        port=a.port,
    ).start()
    print(srv.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
