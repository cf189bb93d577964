"""Helpers for the MCP server's tests: a real org (SQLite file), the run's real bus socket (org.agents.host.bus_socket,
the one `org run` serves its agents) and principal tokens for builders and reviewers of several model families."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from org.bus import Bus
from org.identity.bootstrap import first_use_tokens
from org.identity.guard import Guard


class Org:
    """An org with a task waiting for its builder, and tokens (principal tokens only: the server claims)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = f"sqlite:///{root / '.org' / 'org.db'}"
        with Bus.open(self.url, root=root) as bus:
            first_use_tokens(bus)
            g = Guard(bus, token_files=False)
            issue = lambda who: g.tokens.issue(who, by="test")["token"]  # noqa: E731
            self.alice = issue("alice")
            self.tokens = {
                who: issue(who)
                for who in ("build-claude", "build-gpt", "rev-gpt", "rev-claude", "sec-gemini")
            }
            self.task = g.add_task(self.alice, "MCP walk", "change", by="alice")["task"]

    def door(self):
        return Guard.open(self.url, root=self.root)

    def rows(self, sql: str, **params) -> list[tuple]:
        with Bus.open(self.url, root=self.root) as bus:
            return [tuple(r) for r in bus.store.read(lambda tx: tx.x(sql, params).all())]

    def events(self, type_: str) -> list[dict]:
        with Bus.open(self.url, root=self.root) as bus:
            return [e for e in bus.events_since(0, limit=100_000) if e["type"] == type_]


def serve_env(org: Org, sock: Path, token: str | None) -> dict:
    """The environment an agent hands `org mcp serve`: its token and the socket, no database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORG_")}
    env.update(
        ORG_BUS_SOCKET=str(sock), ORG_ROOT=str(org.root), ORG_CONFIG_HOME=os.environ["ORG_CONFIG_HOME"]
    )
    if token is not None:
        env["ORG_TOKEN"] = token
    return env


def org_command() -> list[str]:
    return [sys.executable, "-m", "org"]


def structured(result) -> dict:
    """A tool result's structured content (the JSON document), its error document on is_error."""
    if result.structured_content is not None:
        return result.structured_content
    return json.loads(result.content[0].text)
