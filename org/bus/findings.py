"""The findings that sent a task back, read from its events: those of the last revision a review (or a human's
request for changes) sent back, each with who filed it. One home for the handover (org.identity.jobfacts) and
the built-in agents' rework prompt (org.agents.busport); plain code importing nothing of org, so an agent's
process reads it through org.bus without loading the database."""

from __future__ import annotations

from typing import Any

__all__ = ["last_review_findings", "SENT_BACK"]

# the events whose verdict "changes" or "fail" sends a task back with findings
SENT_BACK = ("review.filed", "approval.changes_requested")


def last_review_findings(events: list[dict]) -> list[dict]:
    """The findings of the reviews that sent the task back (those on the newest revision sent back); events of
    other types are passed over."""
    found: list[tuple[Any, list, Any]] = []
    for e in events:
        if e.get("type") not in SENT_BACK:
            continue
        d = e.get("data") or {}
        if d.get("verdict") in ("changes", "fail"):
            found.append((d.get("revision"), d.get("findings") or [], e.get("actor")))
    if not found:
        return []
    last = found[-1][0]
    return [{**f, "by": who} for rev, fs, who in found if rev == last for f in fs]
