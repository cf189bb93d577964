"""Telling people that something waits for them: the notification hook (issue 20, ADR 0126).

`org notify` follows the bus's chained events through the door, with a human's own token, and for every
request that waits for a human (`approval.requested`: an approval gate or a consequential action;
`escalation.opened`: a task stopped by a hard stop) and is still pending when it is seen, runs the hooks:

* a command (argv, no shell) with the notice as one JSON document on stdin and ORG_NOTICE_* variables, in
  an allow-list of the user's environment (org.config.secretenv.HOOK_ENV: path, home, locale, display; never
  a credential, a declared credential's variable or the webhook's); its output is not echoed;
* a webhook: the notice POSTed as JSON to the URL held in an environment variable (a chat webhook's URL
  is its secret: it never appears on a command line, in YAML, in a message or in the bus).

Delivery is at least once: a cursor (the last event seq delivered) is kept per database in the org's
`.org/` folder and moves only after every hook succeeded, so a crash or a failed hook delivers again.
Notices carry what the bus already holds (its redacted request and task title), never a secret.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from org.config.secretenv import HOOK_ENV, passed_env
from org.errors import OrgError, UsageError

__all__ = [
    "HOOK_EVENTS",
    "Hooks",
    "NotifyFailed",
    "notices",
    "deliver",
    "Cursor",
    "hook_environment",
    "run_once",
]

HOOK_EVENTS = ("approval.requested", "escalation.opened")
_SECRET_VARS = ("ORG_TOKEN", "ORG_TOKEN_PEPPER", "ORG_PEPPER_FD", "ORG_DATABASE_URL", "ORG_BROKER_SOCKET")


class NotifyFailed(OrgError):
    """A hook did not take a notice (a command exited non-zero or timed out, a webhook did not answer 2xx):
    retry later (exit 7); the cursor did not move, so nothing is lost."""

    exit_code = 7
    code = "notify_failed"


@dataclass
class Hooks:
    """What to run for each notice: a command (argv) and/or a webhook whose URL is in `webhook_env`."""

    command: list[str] = field(default_factory=list)
    webhook_env: str | None = None
    timeout: float = 10.0

    def check(self, environ: Mapping[str, str]) -> None:
        if not self.command and not self.webhook_env:
            raise UsageError(
                "give a hook: --command CMD and/or --webhook-env VAR (the variable holding the URL)"
            )
        if self.webhook_env:
            url = environ.get(self.webhook_env, "")
            if not url:
                raise UsageError(
                    f"--webhook-env {self.webhook_env}: that variable is not set (it holds the URL)"
                )
            if not url.startswith(("http://", "https://")):
                raise UsageError(f"--webhook-env {self.webhook_env}: the URL it holds is not http(s)")


def notices(reading: Any, after: int, limit: int = 500) -> tuple[list[dict], int]:
    """(the notices for requests still pending among the events after seq `after`, the last seq looked at).
    `reading` is a Guard reading (org.identity.guard.Reading) bound to a human's token."""
    events = reading.events_since(after, types=HOOK_EVENTS, limit=limit)
    if not events:
        return [], after
    pending = {p["approval"]: p for p in reading.pending_approvals()}
    out = []
    for e in events:
        d = e.get("data") or {}
        p = pending.get(d.get("approval"))
        if p is None:  # decided (or gone) before anyone was told: nothing waits any more
            continue
        ev = p.get("evidence") or {}
        what = p["subject"] if p["kind"] == "gate" else f"{p['kind']} {p['subject']}"
        task = p.get("task") or "-"
        out.append(
            {
                "event": e["type"],
                "seq": e["seq"],
                "approval": p["approval"],
                "task": p.get("task"),
                "kind": p["kind"],
                "subject": p["subject"],
                "lane": p.get("lane"),
                "title": ev.get("title"),
                "tier": ev.get("tier"),
                "workflow": ev.get("workflow"),
                "requested_by": p.get("requested_by"),
                "reason": p.get("reason"),
                "text": f"{task} {ev.get('title') or ''}: waits for a human ({what}, tier {ev.get('tier') or '-'})",
                "decide": f"org tui, or org approve {task} --as HUMAN (reject / request-changes with --note)",
            }
        )
    return out, int(events[-1]["seq"])


def hook_environment(cfg: Any, environ: Mapping[str, str], hooks: Hooks) -> dict[str, str]:
    """What the command hook runs in: the user's environment's HOOK_ENV variables (an allow-list,
    org.config.secretenv), never a credential, the org's declared credentials' variables or the webhook's."""
    drop = set(_SECRET_VARS) | {s.env for s in (cfg.credentials.values() if cfg is not None else ()) if s.env}
    if hooks.webhook_env:
        drop.add(hooks.webhook_env)
    return passed_env(environ, HOOK_ENV, drop)


def deliver(notice: dict, hooks: Hooks, env: Mapping[str, str], environ: Mapping[str, str]) -> None:
    """Run every hook for one notice; NotifyFailed names what failed (never the URL or the hook's output)."""
    body = json.dumps(notice, sort_keys=True, default=str)
    if hooks.command:
        cenv = {
            **env,
            "ORG_NOTICE_EVENT": notice["event"],
            "ORG_NOTICE_TASK": str(notice.get("task") or ""),
            "ORG_NOTICE_TEXT": notice["text"],
        }
        try:
            r = subprocess.run(
                hooks.command,
                input=body.encode(),
                env=cenv,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=hooks.timeout,
                check=False,
            )
        except FileNotFoundError as exc:
            raise UsageError(f"hook command not found: {hooks.command[0]}") from exc
        except subprocess.TimeoutExpired as exc:
            raise NotifyFailed(f"hook command {hooks.command[0]} took over {hooks.timeout:g}s") from exc
        if r.returncode != 0:
            raise NotifyFailed(
                f"hook command {hooks.command[0]} exited {r.returncode} on request #{notice['approval']}"
            )
    if hooks.webhook_env:
        url = environ.get(hooks.webhook_env, "")
        req = urllib.request.Request(
            url, data=body.encode(), method="POST", headers={"Content-Type": "application/json"}
        )
        where = f"the webhook in ${hooks.webhook_env}"
        try:
            with urllib.request.urlopen(req, timeout=hooks.timeout) as resp:
                status = resp.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise NotifyFailed(f"{where} did not answer ({type(reason).__name__})") from None
        if not 200 <= status < 300:
            raise NotifyFailed(f"{where} answered HTTP {status} on request #{notice['approval']}")


class Cursor:
    """The last event seq delivered for one database, in `<root>/.org/notify-<hash>.json` (written atomically)."""

    def __init__(self, root: Path, db_url: str, hooks: Hooks) -> None:
        key = hashlib.sha256(f"{db_url}\0{hooks.command}\0{hooks.webhook_env}".encode()).hexdigest()[:16]
        self.path = root / ".org" / f"notify-{key}.json"

    def get(self) -> int:
        try:
            return int(json.loads(self.path.read_text())["seq"])
        except (OSError, ValueError, KeyError, TypeError):
            return 0

    def put(self, seq: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"seq": seq}))
        os.replace(tmp, self.path)


def run_once(
    reading: Any,
    hooks: Hooks,
    cursor: Cursor,
    env: Mapping[str, str],
    environ: Mapping[str, str],
    on_notice: Callable[[dict], None] | None = None,
) -> list[dict]:
    """Deliver every notice after the cursor, oldest first, moving the cursor after each one delivered."""
    sent: list[dict] = []
    while True:
        after = cursor.get()
        batch, last = notices(reading, after)
        for n in batch:
            deliver(n, hooks, env, environ)
            cursor.put(n["seq"])
            sent.append(n)
            if on_notice is not None:
                on_notice(n)
        if last == after:
            return sent
        cursor.put(last)
