"""The MCP server on the official Python SDK (`mcp` 2.x): org.mcp.tools' desk as MCP tools and resources, each
with a JSON Schema for its arguments and its result, over stdio or streamable HTTP on loopback.

    server = build_server(Desk(BusClient(path), root=root), token=os.environ["ORG_TOKEN"])   # stdio, tests
    server = build_server(desk)              # HTTP: each request's 'Authorization: Bearer orgp_...'

Errors: an OrgError becomes a tool error result (`isError`) whose structured content is the CLI's --json
document ({"ok": false, "error": KIND, "message": ..., "exit_code": N}): the same kinds and messages, and the
agent (the model) reads why. A tool the caller's lanes do not use is not listed, and calling it is `denied`.
Anything else that goes wrong in a tool is `internal` without its details. Resource reads raise MCP errors
(-32000 - exit code) with the same document as their data.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import socket
import sys
import time
from collections.abc import Callable
from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, TextContent
from pydantic import BaseModel, ConfigDict, Field

from org.errors import OrgError, UsageError
from org.mcp.tools import Caller, Desk

__all__ = ["build_server", "serve_stdio", "serve_http", "loopback", "MAX_BODY", "MAX_CONTENT"]

MAX_CONTENT = 4 << 20  # characters of a submission's content (the bus socket's frame is 16 MiB of JSON)
MAX_TEXT = 8192  # a note, a reason, a comment
MAX_BODY = 8 << 20  # bytes of one HTTP request
MAX_JOB = 2**63 - 1
MAX_LEASE = 7 * 86400.0

Job = Annotated[int, Field(ge=1, le=MAX_JOB, description="The job id (work_claim's `job`).")]
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class Open(BaseModel):
    """A result: the fields below are always there; the bus's own fields come with them."""

    model_config = ConfigDict(extra="allow")


class WhoAmI(Open):
    principal: str
    kind: str
    lanes: list[dict[str, Any]]
    may: list[str]
    may_not: list[str]
    tools: list[str]
    never: list[str] = Field(description="What no agent is offered over MCP, whatever its lane.")
    held_jobs: list[int]


class Waiting(Open):
    task: str
    title: str
    workflow: str
    tier: str | None
    gate: str
    lane: str


class Ready(Open):
    lanes: list[str]
    ready: list[Waiting]


class Queue(Open):
    lanes: list[str]
    queue: list[Waiting]


class Shown(Open):
    task: dict[str, Any]
    timeline: list[dict[str, Any]] | None = None


class Claimed(Open):
    job: int
    kind: str
    lane: str
    task: str | None
    gate: str | None
    lease_expires_at: str
    handover: dict[str, Any] = Field(
        description="Everything the job needs (org job show), without its token."
    )
    job_token: str = Field(
        description="Always 'held by the MCP server': the agent names the job, never a token."
    )


class Lease(Open):
    job: int
    lease_expires_at: str


class Done(Open):
    job: int


class Events(Open):
    events: list[dict[str, Any]]
    last: int


class Diff(Open):
    job: int
    task: str | None
    revision: str | None = Field(description="Name it in review_submit: a review binds to this revision.")
    diff: dict[str, Any] | None


class Decision(Open):
    task: str
    decision: dict[str, Any] = Field(
        description="outcome (allow, deny, needs_approval), reason, rules, sources."
    )
    exit_code: int = Field(description="What `org act` would exit with: 0, 4 denied or 6 needs approval.")


class Config(Open):
    config_hash: str
    values: list[dict[str, Any]]


class Adrs(Open):
    adrs: list[dict[str, Any]]


class OneAdr(Open):
    adr: dict[str, Any]


class Hits(Open):
    hits: list[dict[str, Any]]


class Finding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file: Annotated[str, Field(min_length=1, max_length=1024)]
    line: Annotated[int | None, Field(ge=0, le=10_000_000)] = None
    text: Annotated[str, Field(min_length=1, max_length=2000)]
    severity: Literal["low", "medium", "high", "critical"] = "medium"


def refusal(exc: OrgError) -> CallToolResult:
    """An OrgError as a tool error result: the CLI's --json document, and one line of text."""
    doc = {**exc.to_json(), "exit_code": exc.exit_code}
    return CallToolResult(
        content=[TextContent(type="text", text=f"{exc.kind} (exit {exc.exit_code}): {exc.message}")],
        structured_content=doc,
        is_error=True,
    )


def bearer(headers: Any) -> str | None:
    """The token of an 'Authorization: Bearer TOKEN' header (None without one)."""
    if not headers:
        return None
    value = headers.get("authorization") or ""
    scheme, _, token = value.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def build_server(desk: Desk, *, token: str | None = None, http: bool = False) -> MCPServer:
    """The MCP server over `desk`: with `token` every call is that principal's (stdio, in memory); with
    `http` each request's Authorization header names its caller."""

    def token_of(request: Any) -> str | None:
        if http:
            return bearer(getattr(request, "headers", None))
        return token

    def run(ctx: Context, tool: str, body: Callable[[Caller], Any]) -> Any:
        t0, who, outcome = time.perf_counter(), None, "ok"
        try:
            c = desk.caller(token_of(ctx.request_context.request), tool)
            who = c.actor
            return body(c)
        except OrgError as exc:
            outcome = exc.kind
            return refusal(exc)
        except Exception as exc:  # a fault of ours: said plainly, its details stay in the server
            outcome = f"internal {type(exc).__name__}"
            return refusal(OrgError(f"internal error ({type(exc).__name__}) serving {tool}"))
        finally:  # one line per call (never its arguments, result or token); the bus records what it does
            ms = round((time.perf_counter() - t0) * 1000, 1)
            line = {"mcp": tool, "principal": who, "outcome": outcome, "ms": ms}
            print(json.dumps(line), file=sys.stderr, flush=True)

    takes: dict[str, frozenset[str]] = {}

    class Lanes:
        """tools/list answers with the tools the caller's lanes use (whoami alone for a refused token), each
        schema closed to other arguments; tools/call with an argument its tool does not take is refused
        before anything runs (the SDK's argument models would drop it silently: `as` is no way to be someone)."""

        async def __call__(self, ctx: Any, call_next: Any) -> Any:
            if ctx.method == "tools/call" and isinstance(ctx.params, dict):
                if not takes:
                    takes.update(
                        {
                            t.name: frozenset(t.input_schema.get("properties") or ())
                            for t in await mcp.list_tools()
                        }
                    )
                name, args = ctx.params.get("name"), ctx.params.get("arguments")
                if isinstance(args, dict) and name in takes and set(args) - takes[name]:
                    odd = sorted(set(args) - takes[name])[0]
                    return refusal(
                        UsageError(
                            f"'{name}' takes no argument '{odd[:64]}' (it takes: {', '.join(sorted(takes[name])) or 'none'}; "
                            "who you are is your token's)"
                        )
                    )
            res = await call_next(ctx)
            if ctx.method == "tools/list" and isinstance(res, dict):
                import anyio

                def allowed() -> frozenset[str]:
                    try:
                        return desk.caller(token_of(ctx.request), "whoami").tools
                    except OrgError:
                        return frozenset({"whoami"})

                names = await anyio.to_thread.run_sync(allowed)
                res["tools"] = [t for t in res["tools"] if t.get("name") in names]
                for t in res["tools"]:
                    t["inputSchema"] = {**t["inputSchema"], "additionalProperties": False}
            return res

    mcp = MCPServer(
        "org",
        instructions=(
            "org's work bus. whoami says who you are and what you may do; work_ready / review_queue what "
            "waits; work_claim takes a job and hands over everything it needs; finish it with work_submit "
            "(or review_submit naming the revision you reviewed), work_release or work_fail. Your identity "
            "is your token's; nothing here approves, merges or pauses."
        ),
        log_level="WARNING",
        middleware=[Lanes()],
    )
    tool = mcp.tool

    # -- context ----------------------------------------------------------------------------------------
    @tool()
    def whoami(ctx: Context) -> WhoAmI:
        """Who your token speaks for: your lanes, what they may and may not do, the tools you are offered."""
        return run(ctx, "whoami", desk.whoami)

    # -- work -------------------------------------------------------------------------------------------
    @tool()
    def work_ready(ctx: Context, limit: Annotated[int, Field(ge=1, le=200)] = 20) -> Ready:
        """Work waiting in your work lanes (queued jobs by task and gate)."""
        return run(ctx, "work_ready", lambda c: desk.work_ready(c, limit))

    @tool()
    def work_show(ctx: Context, task: Name, timeline: bool = False) -> Shown:
        """A task: its state, jobs and requests; with timeline, every event of it in order."""
        return run(ctx, "work_show", lambda c: desk.work_show(c, task, timeline))

    @tool()
    def work_claim(
        ctx: Context,
        lane: Annotated[
            str | None, Field(max_length=64, description="Your lane (needed if you have several).")
        ] = None,
        lease_seconds: Annotated[float, Field(ge=1, le=MAX_LEASE)] = 300.0,
    ) -> Claimed:
        """Claim the next job you may take: the lease and the whole handover (task, tier and why, the gate and
        what it asks, your boundaries, workspace, diff, findings, ADRs). The job token stays with the server.
        Nothing to claim is `not_found` with why (e.g. every queued job was authored by your model family)."""
        return run(ctx, "work_claim", lambda c: desk.work_claim(c, lane, lease_seconds))

    @tool()
    def work_heartbeat(
        ctx: Context, job: Job, lease_seconds: Annotated[float | None, Field(ge=1, le=MAX_LEASE)] = None
    ) -> Lease:
        """Extend the lease of a job you hold."""
        return run(ctx, "work_heartbeat", lambda c: desk.work_heartbeat(c, job, lease_seconds))

    @tool()
    def work_release(ctx: Context, job: Job, reason: Text) -> Done:
        """Hand a job back to its queue (someone else may take it), saying why."""
        return run(ctx, "work_release", lambda c: desk.work_release(c, job, reason))

    @tool()
    def work_fail(ctx: Context, job: Job, reason: Text) -> Done:
        """Give up a job: the task escalates to a human with your reason."""
        return run(ctx, "work_fail", lambda c: desk.work_fail(c, job, reason))

    @tool()
    def work_submit(
        ctx: Context,
        job: Job,
        verdict: Literal["pass", "fail"],
        note: Annotated[str, Field(max_length=MAX_TEXT)] = "",
        content: Annotated[str | None, Field(max_length=MAX_CONTENT)] = None,
        commit: Annotated[str | None, Field(pattern=r"^[0-9a-fA-F]{7,64}$")] = None,
    ) -> Done:
        """Deliver a work job. For a repository task org reads your workspace's commit itself (or `commit`),
        recomputes the diff and runs the diff guard; what you say about it is not evidence."""
        return run(ctx, "work_submit", lambda c: desk.work_submit(c, job, verdict, note, content, commit))

    @tool()
    def work_comment(ctx: Context, job: Job, body: Text) -> Done:
        """A comment on the task of a job you hold (recorded as a task.comment event)."""
        return run(ctx, "work_comment", lambda c: desk.work_comment(c, job, body))

    @tool()
    def work_events(
        ctx: Context,
        task: Annotated[str | None, Field(max_length=200)] = None,
        after: Annotated[int, Field(ge=0, le=MAX_JOB)] = 0,
        limit: Annotated[int, Field(ge=1, le=1000)] = 100,
    ) -> Events:
        """Events after sequence number `after` (of one task, or all); `last` is where to go on from."""
        return run(ctx, "work_events", lambda c: desk.work_events(c, task, after, limit))

    # -- review -----------------------------------------------------------------------------------------
    @tool()
    def review_queue(ctx: Context, limit: Annotated[int, Field(ge=1, le=200)] = 20) -> Queue:
        """Reviews waiting in your review lanes."""
        return run(ctx, "review_queue", lambda c: desk.review_queue(c, limit))

    @tool()
    def review_diff(ctx: Context, job: Job) -> Diff:
        """The revision a review job you hold is bound to, and its real diff (read by org, not the author's)."""
        return run(ctx, "review_diff", lambda c: desk.review_diff(c, job))

    @tool()
    def review_submit(
        ctx: Context,
        job: Job,
        verdict: Literal["pass", "changes", "fail"],
        revision: Annotated[str, Field(min_length=1, max_length=128)],
        note: Annotated[str, Field(max_length=MAX_TEXT)] = "",
        findings: Annotated[list[Finding], Field(max_length=200)] = [],  # noqa: B006 (a schema default)
    ) -> Done:
        """File a review of the revision you reviewed; refused (conflict, exit 5) unless `revision` is the
        task's current head at this gate: a review binds to content."""
        found = [f.model_dump() for f in findings]
        return run(ctx, "review_submit", lambda c: desk.review_submit(c, job, verdict, revision, note, found))

    # -- policy -----------------------------------------------------------------------------------------
    @tool()
    def policy_check(
        ctx: Context,
        action: Annotated[str, Field(min_length=1, max_length=200)],
        task: Name,
        attributes: Annotated[dict[str, str | int | float | bool] | None, Field(max_length=64)] = None,
    ) -> Decision:
        """What org would decide if you took `action` on `task` now (nothing recorded): allow, deny or
        needs approval, with the matching rules and the file and line each came from."""
        return run(ctx, "policy_check", lambda c: desk.policy_check(c, action, task, attributes))

    @tool()
    def config_show(ctx: Context, prefix: Annotated[str | None, Field(max_length=200)] = None) -> Config:
        """The org's resolved policy values, each with its layer and FILE:LINE (optionally under `prefix`)."""
        return run(ctx, "config_show", lambda c: desk.config_show(c, prefix))

    # -- decisions --------------------------------------------------------------------------------------
    @tool()
    def adr_list(
        ctx: Context,
        status: Literal["proposed", "accepted", "rejected", "deprecated", "superseded"] | None = None,
        tag: Annotated[str | None, Field(max_length=64)] = None,
    ) -> Adrs:
        """The org's architecture decision records (number, title, status, tags)."""
        return run(ctx, "adr_list", lambda c: desk.adr_list(c, status, tag))

    @tool()
    def adr_get(ctx: Context, number: Annotated[int, Field(ge=1, le=99999)]) -> OneAdr:
        """One ADR: its front matter, constraints and text."""
        return run(ctx, "adr_get", lambda c: desk.adr_get(c, number))

    @tool()
    def adr_search(
        ctx: Context,
        query: Annotated[str, Field(min_length=1, max_length=500)],
        limit: Annotated[int, Field(ge=1, le=50)] = 10,
    ) -> Hits:
        """Full-text search of the ADRs (ranked; title counts most)."""
        return run(ctx, "adr_search", lambda c: desk.adr_search(c, query, limit))

    # -- resources --------------------------------------------------------------------------------------
    def read(ctx: Context, tool: str, body: Callable[[Caller], Any]) -> Any:
        try:
            return body(desk.caller(token_of(ctx.request_context.request), tool))
        except OrgError as exc:
            raise MCPError(-32000 - exc.exit_code, exc.message, {**exc.to_json(), "exit_code": exc.exit_code})

    @mcp.resource("org://task/{task}/timeline", mime_type="application/json")
    def task_timeline(task: str, ctx: Context) -> str:
        """A task's timeline: every event of it in order."""
        return json.dumps(read(ctx, "work_show", lambda c: desk.work_show(c, task, True)), default=str)

    @mcp.resource("org://adr/{number}", mime_type="text/markdown")
    def adr_text(number: str, ctx: Context) -> str:
        """An ADR's text."""
        if not number.isdigit() or not 0 < int(number) < 100000:
            raise MCPError(-32602, f"an ADR number is 1 to 99999, not '{number[:40]}'")
        adr = read(ctx, "adr_get", lambda c: desk.adr_get(c, int(number)))["adr"]
        return f"# {adr['id']}: {adr['title']}\n\n{adr.get('body') or ''}"

    return mcp


def loopback(addr: str) -> tuple[str, int]:
    """HOST:PORT on loopback (127.0.0.1, ::1 or localhost; port 0 picks a free one), or a UsageError."""
    host, sep, port = addr.rpartition(":")
    host = host.strip("[]")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(f"--http takes HOST:PORT on loopback (e.g. 127.0.0.1:8765), not '{addr}'")
    try:
        ok = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = False
    if not ok:
        raise UsageError(
            f"--http serves on loopback only (127.0.0.1, ::1 or localhost), not '{host}': the tokens it "
            "carries are bearer credentials"
        )
    return ("127.0.0.1" if host == "localhost" else host), int(port)


def serve_stdio(desk: Desk, token: str | None) -> None:
    """Serve one agent over stdin/stdout until its client closes them; jobs still held are handed back."""
    import signal

    import anyio

    def stop(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)  # unwinds through the finally below: held jobs are handed back

    server = build_server(desk, token=token)
    old = signal.signal(signal.SIGTERM, stop)
    try:
        anyio.run(server.run_stdio_async)
    finally:
        signal.signal(signal.SIGTERM, old)
        desk.close()  # held jobs handed back, the ADR index's temp folder removed


def serve_http(desk: Desk, addr: str, *, ready: Callable[[str], None] | None = None) -> None:
    """Serve streamable HTTP at http://HOST:PORT/mcp (stateless: each request carries its token) until
    interrupted; `ready(url)` is told the URL once the socket listens (port 0: the one the system chose)."""
    import anyio
    import uvicorn

    host, port = loopback(addr)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {addr}: {exc.strerror or exc}") from None
    sock.listen(128)
    bound = sock.getsockname()[1]
    server = build_server(desk, http=True)
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    from mcp.server.transport_security import TransportSecuritySettings

    names = sorted({shown, "127.0.0.1", "localhost", "[::1]"})
    guard = (
        TransportSecuritySettings(  # DNS rebinding: a page elsewhere cannot name this server by its own host
            enable_dns_rebinding_protection=True,
            allowed_hosts=[f"{h}:*" for h in names],
            allowed_origins=[f"http://{h}:*" for h in names],
        )
    )
    app = server.streamable_http_app(
        stateless_http=True,
        json_response=True,
        max_request_body_size=MAX_BODY,
        host=host,
        transport_security=guard,
    )
    url = f"http://{shown}:{bound}/mcp"
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2)
    web = uvicorn.Server(config)

    async def main() -> None:
        import signal

        def stop(*_a: Any) -> None:
            web.should_exit = True  # uvicorn finishes the requests in flight, then serve() returns

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, stop)
        if ready is not None:
            ready(url)
        await web.serve(sockets=[sock])

    try:
        anyio.run(main)
    finally:
        with contextlib.suppress(OSError):
            sock.close()
        desk.close()  # held jobs handed back, the ADR index's temp folder removed
