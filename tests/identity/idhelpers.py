"""Helpers for the identity tests: run the real `org` with a token, read events."""

from __future__ import annotations

import json

from tests.helpers import run_org

__all__ = ["org", "events"]


def org(root, *args, token: str | None = None, env: dict | None = None):
    """Run the real `org --json ...`; (exit code, the JSON document or None, stderr). Never a traceback."""
    e = dict(env or {})
    if token is not None:
        e["ORG_TOKEN"] = token
    r = run_org("--json", *args, root=root, env=e)
    assert "Traceback" not in r.stderr, r.stderr
    doc = json.loads(r.stdout) if r.stdout.strip() else None
    return r.returncode, doc, r.stderr


def events(bus, *types: str) -> list[dict]:
    return bus.events_since(0, limit=100_000, types=tuple(types) or None)
