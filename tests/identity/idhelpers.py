"""Helpers for the identity tests: run `org` with a token (through the console script's entry, in this process
by default), read events."""

from __future__ import annotations

import json

from tests.helpers import org_in_process, run_org

__all__ = ["org", "events"]


def org(root, *args, token: str | None = None, env: dict | None = None, process: bool = False):
    """Run `org --json ...` (in a real `python -m org` with process=True); (exit code, the JSON document or
    None, stderr). Never a traceback."""
    e = dict(env or {})
    if token is not None:
        e["ORG_TOKEN"] = token
    r = (run_org if process else org_in_process)("--json", *args, root=root, env=e)
    assert "Traceback" not in r.stderr, r.stderr
    doc = json.loads(r.stdout) if r.stdout.strip() else None
    return r.returncode, doc, r.stderr


def events(bus, *types: str) -> list[dict]:
    return bus.events_since(0, limit=100_000, types=tuple(types) or None)
