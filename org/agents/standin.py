"""Stand-ins for the external services the demo's credential-bearing work calls, the way the local model
stands in for the providers: a deterministic HTTP server on loopback that answers like the service would,
and only to a caller that presents the credential's secret in the credential's header (401 otherwise).

The demo's supervisor runs it (in the user's process, beside the broker; never in the agent host) and
points the broker at it for the demo's own tasks (org.identity.broker.StandIns). When the user has not
set the credential's secret, the supervisor makes a random one for the run and gives it to the broker and
the stand-in only. Each credential gets a path prefix: `http://127.0.0.1:PORT/<credential>/...`.

Jira (service `jira`): POST /rest/api/2/issue creates an issue (201 with its id and key, e.g. REL-1;
400 naming a missing field), GET /rest/api/2/issue/KEY reads it back, GET /rest/api/2/myself and
GET /rest/api/2/serverInfo (or /) answer who and what; anything else is 404.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets as _secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from org.agents.localmodel import BackgroundServer

__all__ = ["SERVICES", "StandIn", "StandInServer", "stand_in_secrets"]

Answer = tuple[int, dict]


@dataclass
class StandIn:
    """One credential's stand-in: the service it plays and what the caller must present."""

    credential: str
    service: str
    header: str
    scheme: str
    secret: str
    state: dict = field(default_factory=dict)

    def authenticated(self, headers: Mapping[str, str]) -> bool:
        want = f"{self.scheme} {self.secret}" if self.scheme else self.secret
        got = headers.get(self.header) or ""
        return hmac.compare_digest(
            hashlib.sha256(got.encode()).digest(), hashlib.sha256(want.encode()).digest()
        )


def _jira(s: StandIn, method: str, path: str, body: bytes, base: str) -> Answer:
    issues: dict[str, dict] = s.state.setdefault("issues", {})
    path = path.split("?", 1)[0].rstrip("/") or "/"
    if method == "GET" and path in ("/", "/rest/api/2/serverInfo"):
        return 200, {
            "baseUrl": base,
            "serverTitle": "Jira (org demo stand-in)",
            "version": "9.12.0",
            "deploymentType": "Server",
        }
    if method == "GET" and path == "/rest/api/2/myself":
        return 200, {"name": "org-broker", "displayName": "org credential broker", "active": True}
    if method == "POST" and path == "/rest/api/2/issue":
        try:
            fields = (json.loads(body or b"{}") or {}).get("fields") or {}
        except (ValueError, AttributeError):
            return 400, {
                "errorMessages": ["Unexpected character in the request body: expected JSON."],
                "errors": {},
            }
        missing = {}
        if not isinstance(fields, dict):
            fields = {}
        if not str((fields.get("project") or {}).get("key") or "").strip():
            missing["project"] = "project is required"
        if not str(fields.get("summary") or "").strip():
            missing["summary"] = "You must specify a summary of the issue."
        if not str((fields.get("issuetype") or {}).get("name") or "").strip():
            missing["issuetype"] = "issue type is required"
        if missing:
            return 400, {"errorMessages": [], "errors": missing}
        project = str(fields["project"]["key"]).strip().upper()
        n = 1 + sum(1 for k in issues if k.startswith(project + "-"))
        key, iid = f"{project}-{n}", str(10000 + len(issues) + 1)
        issues[key] = {
            "id": iid,
            "key": key,
            "fields": {
                "summary": str(fields["summary"]),
                "issuetype": {"name": str(fields["issuetype"]["name"])},
                "project": {"key": project},
                "status": {"name": "To Do"},
            },
        }
        return 201, {"id": iid, "key": key, "self": f"{base}/rest/api/2/issue/{iid}"}
    if method == "GET" and path.startswith("/rest/api/2/issue/"):
        ref = path.rsplit("/", 1)[1]
        hit = issues.get(ref.upper()) or next((i for i in issues.values() if i["id"] == ref), None)
        if hit is not None:
            return 200, {**hit, "self": f"{base}/rest/api/2/issue/{hit['id']}"}
        return 404, {
            "errorMessages": ["Issue does not exist or you do not have permission to see it."],
            "errors": {},
        }
    return 404, {"errorMessages": [f"No resource for {method} {path}"], "errors": {}}


# service name -> how its stand-in answers (method, path below the credential's prefix, body, base URL)
SERVICES: dict[str, Callable[[StandIn, str, str, bytes, str], Answer]] = {"jira": _jira}
_UNAUTHORISED = {
    "errorMessages": ["You are not authenticated. Authentication required to perform this operation."],
    "errors": {},
}


class StandInServer(BackgroundServer):
    """The stand-ins of one run on 127.0.0.1 (an ephemeral port), in a background thread. `seen` keeps, per
    request, the credential, method, path, status and whether the caller presented the secret (never what
    it presented)."""

    thread_name = "org-stand-in"

    def __init__(self, stand_ins: list[StandIn], host: str = "127.0.0.1", port: int = 0) -> None:
        self.stand_ins = {s.credential: s for s in stand_ins}
        self.seen: list[dict] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                return

            def _answer(self) -> None:
                n = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(min(n, 1 << 20)) if n > 0 else b""
                status, payload = server.answer(self.command, self.path, self.headers, body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json;charset=UTF-8")
                self.send_header("content-length", str(len(data)))
                if status == 401:
                    self.send_header("www-authenticate", 'Bearer realm="org demo stand-in"')
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        class Server(ThreadingHTTPServer):
            daemon_threads = True

        self._httpd = Server((host, port), Handler)
        self.host, self.port = self._httpd.server_address[:2]
        self._thread: threading.Thread | None = None

    def url(self, credential: str) -> str:
        return f"http://{self.host}:{self.port}/{credential}"

    def answer(self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes) -> Answer:
        name, _, rest = raw_path.lstrip("/").partition("/")
        s = self.stand_ins.get(name)
        authed = s is not None and s.authenticated(headers)
        with self._lock:
            if s is None:
                status, payload = 404, {"errorMessages": ["No such service here."], "errors": {}}
            elif not authed:
                status, payload = 401, _UNAUTHORISED
            else:
                status, payload = SERVICES[s.service](s, method, "/" + rest, body, self.url(name))
            self.seen.append(
                {
                    "credential": name,
                    "method": method,
                    "path": "/" + rest,
                    "status": status,
                    "authenticated": authed,
                }
            )
        return status, payload


def stand_in_secrets(
    cfg: Any, credentials: list[str], environ: Mapping[str, str]
) -> tuple[list[StandIn], dict[str, str], list[str]]:
    """(stand-ins, environment variables to give the broker only, remarks) for these credentials: each one's
    secret is the user's own (its env var, or its file) when set, else a random one made for this run and
    handed over in the broker's environment. A credential whose service has no stand-in, or whose file
    secret cannot be read, gets none (the remark says why)."""
    from pathlib import Path

    out: list[StandIn] = []
    extra: dict[str, str] = {}
    notes: list[str] = []
    for name in credentials:
        spec = cfg.credentials.get(name)
        if spec is None or spec.service not in SERVICES:
            notes.append(f"no stand-in for '{name}' (service {getattr(spec, 'service', '?')})")
            continue
        secret = None
        if spec.env:
            secret = (environ.get(spec.env) or "").strip() or None
            if secret is None:
                secret = extra[spec.env] = _secrets.token_urlsafe(32)
                notes.append(
                    f"{spec.env}: a random secret made for this run, held only by the broker and the stand-in"
                )
            else:
                notes.append(
                    f"{spec.env}: yours, from the environment (it goes only to the broker and the stand-in)"
                )
        else:
            try:
                p = Path(spec.file).expanduser()
                secret = (
                    p.read_text(errors="ignore").strip() if p.is_file() and p.stat().st_size < 65536 else None
                )
            except OSError:
                secret = None
            if not secret:
                notes.append(f"no stand-in for '{name}': its secret file {spec.file} cannot be read")
                continue
        out.append(StandIn(name, spec.service, spec.header, spec.scheme, secret))
    return out, extra, notes
