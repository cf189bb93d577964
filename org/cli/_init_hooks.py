"""What `org init` does beyond copying the default org: create the database and every human's own token."""

from __future__ import annotations

from pathlib import Path

__all__ = ["run"]


def run(dest: Path) -> list[dict]:
    """Called by `org init` with the new org's folder; returns what was made (for --json and the message)."""
    from org.cli._common import opts
    from org.identity.bootstrap import first_use_tokens
    from org.identity.guard import Guard

    with Guard.open(opts().db, root=dest) as door:
        made = first_use_tokens(door, by="org init")
    return [{"kind": "human_token", **m} for m in made]
