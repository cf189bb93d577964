"""`org notify`: run a hook (a command, a webhook) for every request that waits for a human (ADR 0126)."""

from __future__ import annotations

import os
import shlex
import time
from typing import Annotated

import typer

from org.cli._common import JsonFlag, emit, err, opts, token_option

__all__ = ["register", "notify"]


def register(app: typer.Typer) -> None:
    app.command("notify")(notify)


def notify(
    command: Annotated[
        str | None,
        typer.Option(
            "--command",
            envvar="ORG_NOTIFY_COMMAND",
            show_envvar=True,
            help="Run this for each notice (split like a shell line, run without a shell); the notice is JSON "
            "on its stdin, ORG_NOTICE_TASK / _EVENT / _TEXT in its environment.",
        ),
    ] = None,
    webhook_env: Annotated[
        str | None,
        typer.Option(
            "--webhook-env",
            envvar="ORG_NOTIFY_WEBHOOK_ENV",
            show_envvar=True,
            help="The name of the environment variable holding a webhook URL to POST each notice to (the URL "
            "itself never goes on a command line).",
        ),
    ] = None,
    watch: Annotated[
        bool, typer.Option("--watch", help="Keep following the bus (Ctrl-C stops); else deliver what is new.")
    ] = False,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="Seconds each hook may take.")] = 10.0,
    as_: Annotated[str | None, typer.Option("--as", help="The human whose token reads the bus.")] = None,
    token: Annotated[str | None, token_option("A principal token.")] = None,
    json_: JsonFlag = False,
) -> None:
    """Tell people that something waits: run the hook for each approval request and escalation still pending."""
    from org.cli.bus_cmds import open_door, reader_as
    from org.identity.notify import Cursor, Hooks, NotifyFailed, hook_environment, run_once

    o = opts(json_)
    hooks = Hooks(shlex.split(command) if command else [], webhook_env or None, timeout)
    hooks.check(os.environ)
    sent: list[dict] = []

    def said(n: dict) -> None:
        if not o.json:
            err(f"org notify: {n['text']}")

    with open_door(o) as door:
        as_ = reader_as(door, token, as_)
        reading = door.reading(token, as_=as_)
        env = hook_environment(door.config(), os.environ, hooks)
        cursor = Cursor(o.org_root(), o.db_url(), hooks)
        try:
            while True:
                try:
                    sent += run_once(reading, hooks, cursor, env, os.environ, on_notice=said)
                except NotifyFailed as exc:
                    if not watch:
                        raise
                    err(f"org notify: {exc.message}; trying again in 30s (nothing is skipped)")
                    time.sleep(30)
                    continue
                if not watch:
                    break
                door.wait_for_events(token, cursor.get(), 30.0, as_=as_)
        except KeyboardInterrupt:
            pass
    emit(
        {"ok": True, "sent": sent, "cursor": cursor.get()},
        lambda: f"{len(sent)} notice(s) sent" if sent else "nothing new waits for a human",
    )
