"""The gateway's forwarding path (org.gateway.upstream) against a real loopback server that answers what a model
server may: tool calls, a 429 with its wait, a quota, a 5xx, garbage, nothing at all. Each ends as the CallResult
litellm's path would give (the same outcomes, from the same classify_error), never an exception."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from org.agents.endpoints import Endpoint
from org.gateway.upstream import forward, forwardable

TOOL_CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "read_file", "arguments": '{"path": "README.md"}'},
}


class Upstream:
    def __init__(self) -> None:
        self.answer: tuple[int, dict, bytes] = (200, {}, b"{}")
        self.seen: list[dict] = []
        self.drop_after_answer = False
        self.dropped = threading.Semaphore(0)  # released once per connection the server dropped
        up = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                return

            def do_POST(self):
                n = int(self.headers.get("content-length") or 0)
                up.seen.append(
                    {
                        "path": self.path,
                        "auth": self.headers.get("authorization"),
                        "body": json.loads(self.rfile.read(n)),
                        "peer": self.client_address,
                    }
                )
                status, headers, body = up.answer
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                if up.drop_after_answer:  # close the kept-alive connection without saying so
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    up.dropped.release()

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.srv.server_address[1]}/v1"

    def ep(self) -> Endpoint:
        return Endpoint(
            "openai/gpt-5-mini", "openai/gpt-5-mini", self.url, "k-upstream", "local", "local", "openai", 10.0
        )


@pytest.fixture
def up():
    u = Upstream()
    yield u
    u.srv.shutdown()
    u.srv.server_close()


def _answer(message: dict, finish: str = "stop") -> bytes:
    return json.dumps(
        {
            "id": "x",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
        }
    ).encode()


def test_only_openai_wire_at_an_explicit_base_is_forwarded(up):
    assert forwardable(up.ep())
    assert not forwardable(Endpoint("openai/gpt-5", "openai/gpt-5", None, None, "openai", "openai", "openai"))
    assert not forwardable(
        Endpoint(
            "anthropic/claude-sonnet-4-5",
            "anthropic/claude-sonnet-4-5",
            "http://127.0.0.1:1",
            None,
            "anthropic",
            "anthropic",
            "anthropic",
        )
    )


def test_tool_calls_and_params_cross_unchanged(up):
    up.answer = (
        200,
        {},
        _answer({"role": "assistant", "content": None, "tool_calls": [TOOL_CALL]}, "tool_calls"),
    )
    msgs = [{"role": "user", "content": "read it"}]
    tools = [{"type": "function", "function": {"name": "read_file", "parameters": {"type": "object"}}}]
    res = forward(
        up.ep(),
        msgs,
        {"tools": tools, "temperature": 0, "stream_options": {"include_usage": True}},
        "openai/gpt-5-mini",
    )
    assert res.ok and res.finish_reason == "tool_calls" and res.message["tool_calls"] == [TOOL_CALL]
    assert (res.prompt_tokens, res.completion_tokens, res.cost_usd) == (
        11,
        7,
        None,
    )  # priced by the ledger writer
    sent = up.seen[-1]
    assert sent["path"] == "/v1/chat/completions" and sent["auth"] == "Bearer k-upstream"
    assert (
        sent["body"]["model"] == "gpt-5-mini"
        and sent["body"]["tools"] == tools
        and sent["body"]["stream"] is False
    )
    assert "stream_options" not in sent["body"]


@pytest.mark.parametrize(
    ("status", "headers", "body", "outcome"),
    [
        (429, {"retry-after": "7"}, b'{"error": {"message": "slow down"}}', "rate_limited"),
        (
            429,
            {},
            b'{"error": {"message": "You exceeded your current quota", "code": "insufficient_quota"}}',
            "quota_exhausted",
        ),
        (503, {}, b'{"error": {"message": "overloaded"}}', "unavailable"),
        (401, {}, b'{"error": {"message": "bad key"}}', "auth"),
        (200, {}, b"not json at all", "unavailable"),
        (200, {}, b'{"choices": []}', "unavailable"),
        (400, {}, b"", "error"),
    ],
)
def test_upstream_trouble_becomes_an_outcome_not_an_exception(up, status, headers, body, outcome):
    up.answer = (status, headers, body)
    res = forward(up.ep(), [{"role": "user", "content": "x"}], None, "openai/gpt-5-mini")
    assert not res.ok and res.outcome == outcome, res
    if outcome == "rate_limited":
        assert res.retry_after_s == pytest.approx(7, abs=1)


def test_a_server_that_is_not_there_is_unavailable():
    ep = Endpoint(
        "openai/gpt-5-mini",
        "openai/gpt-5-mini",
        "http://127.0.0.1:9/v1",
        None,
        "local",
        "local",
        "openai",
        5.0,
    )
    res = forward(ep, [{"role": "user", "content": "x"}], None, "openai/gpt-5-mini")
    assert res.outcome == "unavailable" and res.status is None


def test_calls_in_a_row_share_one_kept_alive_connection(up):
    """The pooled client keeps its connection: ten calls, one connection at the server."""
    up.answer = (200, {}, _answer({"role": "assistant", "content": "ok"}))
    for _ in range(10):
        assert forward(up.ep(), [{"role": "user", "content": "x"}], None, "openai/gpt-5-mini").ok
    assert len({s["peer"] for s in up.seen}) == 1


def test_a_kept_connection_the_server_dropped_is_never_used_and_no_call_is_sent_twice(up):
    """A server that drops every connection after its answer (a keep-alive timeout, a restart): each call still
    goes through, on a fresh connection, and reaches the server exactly once (a model call is never repeated)."""
    up.answer = (200, {}, _answer({"role": "assistant", "content": "ok"}))
    up.drop_after_answer = True
    for i in range(5):
        res = forward(up.ep(), [{"role": "user", "content": f"call {i}"}], None, "openai/gpt-5-mini")
        assert res.ok, res
        # the drop happened while the connection sat idle (a server that drops it while a request is on its way
        # may have read it: never sent again, test_upstream_attacks.py)
        assert up.dropped.acquire(timeout=30)
    assert [s["body"]["messages"][0]["content"] for s in up.seen] == [f"call {i}" for i in range(5)]


def test_calls_from_many_threads_each_get_their_own_answer(up):
    """Concurrent calls on the pool: every call answered, none lost or crossed."""
    import concurrent.futures

    up.answer = (200, {}, _answer({"role": "assistant", "content": "ok"}))

    def one(i: int) -> bool:
        return forward(up.ep(), [{"role": "user", "content": f"t{i}"}], None, "openai/gpt-5-mini").ok

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert all(pool.map(one, range(64)))
    assert sorted(s["body"]["messages"][0]["content"] for s in up.seen) == sorted(f"t{i}" for i in range(64))


@pytest.mark.parametrize(
    "usage",
    [
        b'{"prompt_tokens": NaN, "completion_tokens": 7}',
        b'{"prompt_tokens": 11, "completion_tokens": Infinity}',
        b'{"prompt_tokens": -Infinity, "completion_tokens": 7}',
        b'{"prompt_tokens": -500, "completion_tokens": 7}',
        b'{"prompt_tokens": 1e300, "completion_tokens": 7}',
        b'{"prompt_tokens": 100000000000000000000000000000, "completion_tokens": 7}',
        b'{"prompt_tokens": 2.5, "completion_tokens": 7}',
        b'{"prompt_tokens": "11", "completion_tokens": 7}',
        b'{"prompt_tokens": true, "completion_tokens": 7}',
    ],
)
def test_usage_a_provider_states_that_is_no_count_is_unread_and_the_call_unpriced(up, usage):
    """A misbehaving model server's usage (NaN, inf, negative, huge, fractional, text): its answer is passed on,
    its counts are not believed (0, flagged) and the call is unpriced (a cost unknown, which a budget escalates
    to a human), never a NaN or a negative spend in the ledger."""
    from org.agents.llm import complete

    body = (
        b'{"choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],'
        b' "usage": ' + usage + b"}"
    )
    up.answer = (200, {}, body)
    res = forward(up.ep(), [{"role": "user", "content": "x"}], None, "openai/gpt-5-mini")
    assert res.ok and res.content == "ok"
    assert (res.prompt_tokens, res.completion_tokens, res.usage_unread) == (0, 0, True)
    priced = complete(
        "openai/gpt-5-mini", [{"role": "user", "content": "x"}], called="openai/gpt-5-mini", api_base=up.url
    )
    assert priced.ok and priced.cost_usd is None and priced.usage_unread


def test_usage_a_provider_states_plainly_is_read_and_priced(up):
    up.answer = (200, {}, _answer({"role": "assistant", "content": "ok"}))
    from org.agents.llm import complete

    res = complete(
        "openai/gpt-5-mini", [{"role": "user", "content": "x"}], called="openai/gpt-5-mini", api_base=up.url
    )
    assert (res.prompt_tokens, res.completion_tokens, res.usage_unread) == (11, 7, False)
    assert res.cost_usd is not None and res.cost_usd > 0
