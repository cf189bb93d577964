"""The three wire shapes the gateway speaks, to and from one chat-completions call (what litellm makes).

    chat       POST /v1/chat/completions   OpenAI chat completions (aider, mini-swe-agent, opencode, ...)
    responses  POST /v1/responses          OpenAI Responses API (current Codex)
    messages   POST /v1/messages           Anthropic messages (Claude Code via ANTHROPIC_BASE_URL)

Each request becomes a `ChatCall` (model, chat messages, the parameters litellm takes); the one answer (an
assistant message with text and tool calls, its finish reason and usage) goes back in the caller's shape,
whole or as that API's server-sent events. Text and function tools are translated; other tool kinds of
the Responses API (web search, hosted shells) are dropped, since no agent of org may use them.
Streams are made from the finished answer: the caller sees its API's event sequence, not token timing.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ChatCall", "Answer", "WireError", "parse", "render", "stream", "error_body", "WIRES"]

WIRES = {
    "/v1/chat/completions": "chat",
    "/chat/completions": "chat",
    "/v1/responses": "responses",
    "/responses": "responses",
    "/v1/messages": "messages",
    "/messages": "messages",
}
_CHAT_PARAMS = (
    "tools",
    "tool_choice",
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "response_format",
    "seed",
    "parallel_tool_calls",
)


class WireError(ValueError):
    """A request the gateway cannot read (answered 400 in the caller's shape)."""


@dataclass
class ChatCall:
    model: str | None
    messages: list[dict]
    params: dict = field(default_factory=dict)
    stream: bool = False
    include_usage: bool = False


@dataclass
class Answer:
    model: str
    message: dict  # role, content, tool_calls
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int


# -- requests -------------------------------------------------------------------------------------------
def parse(wire: str, body: Any) -> ChatCall:
    if not isinstance(body, dict):
        raise WireError("the body must be a JSON object")
    model = body.get("model")
    if model is not None and not isinstance(model, str):
        raise WireError("'model' must be a string")
    if wire == "chat":
        msgs = body.get("messages")
        if not isinstance(msgs, list) or not msgs or not all(isinstance(m, dict) for m in msgs):
            raise WireError("'messages' must be a non-empty list of objects")
        params = {k: body[k] for k in _CHAT_PARAMS if k in body}
        opts = body.get("stream_options") or {}
        return ChatCall(
            model,
            msgs,
            params,
            bool(body.get("stream")),
            bool(isinstance(opts, dict) and opts.get("include_usage")),
        )
    if wire == "responses":
        return _parse_responses(body, model)
    return _parse_messages(body, model)


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for c in content:
            if isinstance(c, str):
                parts.append(c)
            elif isinstance(c, dict) and isinstance(c.get("text"), str):
                parts.append(c["text"])
            elif isinstance(c, dict) and c.get("type") == "tool_result":
                parts.append(_text(c.get("content")))
        return "\n".join(parts)
    raise WireError("message content must be text or a list of text parts")


def _parse_responses(body: dict, model: str | None) -> ChatCall:
    msgs: list[dict] = []
    if body.get("instructions"):
        msgs.append({"role": "system", "content": _text(body["instructions"])})
    items = body.get("input")
    if isinstance(items, str):
        items = [{"role": "user", "content": items}]
    if not isinstance(items, list) or not items:
        raise WireError("'input' must be text or a non-empty list of items")
    for it in items:
        if not isinstance(it, dict):
            raise WireError("each input item must be an object")
        kind = it.get("type", "message")
        if kind == "message":
            role = it.get("role", "user")
            msgs.append(
                {"role": "system" if role == "developer" else role, "content": _text(it.get("content"))}
            )
        elif kind == "function_call":
            msgs.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": it.get("call_id") or it.get("id"),
                            "type": "function",
                            "function": {"name": it.get("name"), "arguments": it.get("arguments") or "{}"},
                        }
                    ],
                }
            )
        elif kind == "function_call_output":
            out = it.get("output")
            msgs.append(
                {
                    "role": "tool",
                    "tool_call_id": it.get("call_id"),
                    "content": out if isinstance(out, str) else json.dumps(out),
                }
            )
        # reasoning items and hosted tools' items carry nothing a chat model takes
    tools = [
        {"type": "function", "function": {k: t[k] for k in ("name", "description", "parameters") if k in t}}
        for t in body.get("tools") or []
        if isinstance(t, dict) and t.get("type") == "function"
    ]
    params: dict = {"tools": tools} if tools else {}
    if body.get("max_output_tokens"):
        params["max_tokens"] = body["max_output_tokens"]
    if body.get("temperature") is not None:
        params["temperature"] = body["temperature"]
    return ChatCall(model, msgs, params, bool(body.get("stream")))


def _parse_messages(body: dict, model: str | None) -> ChatCall:
    msgs: list[dict] = []
    if body.get("system"):
        msgs.append({"role": "system", "content": _text(body["system"])})
    given = body.get("messages")
    if not isinstance(given, list) or not given:
        raise WireError("'messages' must be a non-empty list")
    if not any(isinstance(m, dict) and m.get("role") in ("user", "assistant") for m in given):
        raise WireError("'messages' needs a user or assistant message")
    for m in given:
        # Claude Code (2.1.197, recorded) also sends a `system` message among its messages: its text only
        if not isinstance(m, dict) or m.get("role") not in ("user", "assistant", "system"):
            raise WireError("each message needs role user, assistant or system")
        content = m.get("content")
        blocks = content if isinstance(content, list) else [{"type": "text", "text": _text(content)}]
        text = "\n".join(
            b["text"]
            for b in blocks
            if isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str)
        )
        if m["role"] == "system":
            msgs.append({"role": "system", "content": text})
            continue
        uses = [b for b in blocks if isinstance(b, dict) and b.get("type") == "tool_use"]
        results = [b for b in blocks if isinstance(b, dict) and b.get("type") == "tool_result"]
        for r in results:
            msgs.append(
                {"role": "tool", "tool_call_id": r.get("tool_use_id"), "content": _text(r.get("content"))}
            )
        if uses:
            msgs.append(
                {
                    "role": "assistant",
                    "content": text or None,
                    "tool_calls": [
                        {
                            "id": u.get("id"),
                            "type": "function",
                            "function": {
                                "name": u.get("name"),
                                "arguments": json.dumps(u.get("input") or {}),
                            },
                        }
                        for u in uses
                    ],
                }
            )
        elif text or not results:
            msgs.append({"role": m["role"], "content": text})
    tools = [
        {
            "type": "function",
            "function": {
                "name": t.get("name"),
                "description": t.get("description", ""),
                "parameters": t.get("input_schema") or {"type": "object"},
            },
        }
        for t in body.get("tools") or []
        if isinstance(t, dict) and t.get("name")
    ]
    params: dict = {"tools": tools} if tools else {}
    if body.get("max_tokens"):
        params["max_tokens"] = body["max_tokens"]
    if body.get("temperature") is not None:
        params["temperature"] = body["temperature"]
    return ChatCall(model, msgs, params, bool(body.get("stream")))


# -- answers --------------------------------------------------------------------------------------------
def _calls(a: Answer) -> list[dict]:
    return [c for c in a.message.get("tool_calls") or [] if isinstance(c, dict)]


def render(wire: str, a: Answer) -> dict:
    """The whole answer in the caller's shape."""
    if wire == "chat":
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": a.model,
            "choices": [{"index": 0, "message": a.message, "finish_reason": a.finish_reason}],
            "usage": {
                "prompt_tokens": a.prompt_tokens,
                "completion_tokens": a.completion_tokens,
                "total_tokens": a.prompt_tokens + a.completion_tokens,
            },
        }
    if wire == "responses":
        return _response(a, "completed", _response_items(a))
    content: list[dict] = []
    if a.message.get("content"):
        content.append({"type": "text", "text": a.message["content"]})
    for c in _calls(a):
        content.append(
            {
                "type": "tool_use",
                "id": c.get("id") or f"toolu_{uuid.uuid4().hex[:20]}",
                "name": c["function"]["name"],
                "input": _json(c["function"].get("arguments")),
            }
        )
    return {
        "id": f"msg_{uuid.uuid4().hex[:24]}",
        "type": "message",
        "role": "assistant",
        "model": a.model,
        "content": content,
        "stop_reason": _stop_reason(a),
        "stop_sequence": None,
        "usage": {"input_tokens": a.prompt_tokens, "output_tokens": a.completion_tokens},
    }


def _json(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else (text or {})
    except ValueError:
        return {"_raw": text}


def _stop_reason(a: Answer) -> str:
    if _calls(a):
        return "tool_use"
    return "max_tokens" if a.finish_reason == "length" else "end_turn"


def _response_items(a: Answer) -> list[dict]:
    items: list[dict] = []
    if a.message.get("content"):
        items.append(
            {
                "type": "message",
                "id": f"msg_{uuid.uuid4().hex[:24]}",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": a.message["content"], "annotations": []}],
            }
        )
    for c in _calls(a):
        items.append(
            {
                "type": "function_call",
                "id": f"fc_{uuid.uuid4().hex[:24]}",
                "status": "completed",
                "call_id": c.get("id") or f"call_{uuid.uuid4().hex[:20]}",
                "name": c["function"]["name"],
                "arguments": c["function"].get("arguments") or "{}",
            }
        )
    return items


def _response(a: Answer, status: str, items: list[dict], rid: str | None = None) -> dict:
    return {
        "id": rid or f"resp_{uuid.uuid4().hex[:24]}",
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "model": a.model,
        "output": items,
        "usage": {
            "input_tokens": a.prompt_tokens,
            "output_tokens": a.completion_tokens,
            "total_tokens": a.prompt_tokens + a.completion_tokens,
        }
        if status == "completed"
        else None,
    }


def _sse(data: dict, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()


def stream(wire: str, a: Answer, include_usage: bool = False) -> Iterator[bytes]:
    """The answer as the caller's API streams it (server-sent events)."""
    if wire == "chat":
        yield from _stream_chat(a, include_usage)
    elif wire == "responses":
        yield from _stream_responses(a)
    else:
        yield from _stream_messages(a)


def _stream_chat(a: Answer, include_usage: bool) -> Iterator[bytes]:
    cid, now = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())

    def chunk(delta: dict, finish: str | None = None, usage: dict | None = None) -> bytes:
        d: dict = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": now,
            "model": a.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}] if usage is None else [],
        }
        if usage is not None:
            d["usage"] = usage
        return _sse(d)

    yield chunk({"role": "assistant", "content": a.message.get("content") or ""})
    for i, c in enumerate(_calls(a)):
        yield chunk({"tool_calls": [{"index": i, **c}]})
    yield chunk({}, a.finish_reason or "stop")
    if include_usage:
        yield chunk(
            {},
            usage={
                "prompt_tokens": a.prompt_tokens,
                "completion_tokens": a.completion_tokens,
                "total_tokens": a.prompt_tokens + a.completion_tokens,
            },
        )
    yield b"data: [DONE]\n\n"


def _stream_responses(a: Answer) -> Iterator[bytes]:
    rid = f"resp_{uuid.uuid4().hex[:24]}"
    seq = iter(range(1_000_000))

    def ev(kind: str, **data: Any) -> bytes:
        return _sse({"type": kind, "sequence_number": next(seq), **data}, kind)

    yield ev("response.created", response=_response(a, "in_progress", [], rid))
    yield ev("response.in_progress", response=_response(a, "in_progress", [], rid))
    items = _response_items(a)
    for i, item in enumerate(items):
        if item["type"] == "message":
            text = item["content"][0]["text"]
            yield ev(
                "response.output_item.added",
                output_index=i,
                item={**item, "status": "in_progress", "content": []},
            )
            part = {"type": "output_text", "text": "", "annotations": []}
            yield ev(
                "response.content_part.added", item_id=item["id"], output_index=i, content_index=0, part=part
            )
            yield ev(
                "response.output_text.delta", item_id=item["id"], output_index=i, content_index=0, delta=text
            )
            yield ev(
                "response.output_text.done", item_id=item["id"], output_index=i, content_index=0, text=text
            )
            yield ev(
                "response.content_part.done",
                item_id=item["id"],
                output_index=i,
                content_index=0,
                part={**part, "text": text},
            )
        else:
            yield ev(
                "response.output_item.added",
                output_index=i,
                item={**item, "status": "in_progress", "arguments": ""},
            )
            yield ev(
                "response.function_call_arguments.delta",
                item_id=item["id"],
                output_index=i,
                delta=item["arguments"],
            )
            yield ev(
                "response.function_call_arguments.done",
                item_id=item["id"],
                output_index=i,
                arguments=item["arguments"],
            )
        yield ev("response.output_item.done", output_index=i, item=item)
    yield ev("response.completed", response=_response(a, "completed", items, rid))


def _stream_messages(a: Answer) -> Iterator[bytes]:
    whole = render("messages", a)
    start = {
        **whole,
        "content": [],
        "stop_reason": None,
        "usage": {"input_tokens": a.prompt_tokens, "output_tokens": 0},
    }
    yield _sse({"type": "message_start", "message": start}, "message_start")
    for i, block in enumerate(whole["content"]):
        if block["type"] == "text":
            yield _sse(
                {"type": "content_block_start", "index": i, "content_block": {"type": "text", "text": ""}},
                "content_block_start",
            )
            yield _sse(
                {
                    "type": "content_block_delta",
                    "index": i,
                    "delta": {"type": "text_delta", "text": block["text"]},
                },
                "content_block_delta",
            )
        else:
            yield _sse(
                {"type": "content_block_start", "index": i, "content_block": {**block, "input": {}}},
                "content_block_start",
            )
            yield _sse(
                {
                    "type": "content_block_delta",
                    "index": i,
                    "delta": {"type": "input_json_delta", "partial_json": json.dumps(block["input"])},
                },
                "content_block_delta",
            )
        yield _sse({"type": "content_block_stop", "index": i}, "content_block_stop")
    yield _sse(
        {
            "type": "message_delta",
            "delta": {"stop_reason": whole["stop_reason"], "stop_sequence": None},
            "usage": {"output_tokens": a.completion_tokens},
        },
        "message_delta",
    )
    yield _sse({"type": "message_stop"}, "message_stop")


# -- refusals -------------------------------------------------------------------------------------------
_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    503: "overloaded_error",
}


def error_body(wire: str, status: int, message: str, code: str) -> dict:
    """A refusal in the caller's shape (its SDK then raises the matching error)."""
    if wire == "messages":
        return {
            "type": "error",
            "error": {"type": _ANTHROPIC_TYPES.get(status, "api_error"), "message": message},
        }
    kind = {
        400: "invalid_request_error",
        401: "authentication_error",
        403: "permission_error",
        429: "rate_limit_exceeded",
    }.get(status, "server_error")
    return {"error": {"message": message, "type": kind, "code": code}}
