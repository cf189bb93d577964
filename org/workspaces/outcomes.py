"""Outcomes of work on repositories: reverts found on the target (`org outcomes scan`), and the report per lane,
member, model family, workflow and tier with Wilson intervals (`org outcomes`). A success is a task merged by
the pipeline and not reverted since."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from typing import Any

from org.workspaces.git import git

__all__ = ["wilson", "find_reverts", "report", "BY"]

BY = ("lane", "member", "family", "workflow", "tier")
_REVERTS = re.compile(r"This reverts commit ([0-9a-f]{7,40})")
_TRAILER = re.compile(r"^Org-Reverts:\s*(T-[0-9]+)\s*$", re.M)


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """The Wilson score interval of k successes in n trials (95% by default); None when n is 0."""
    if n <= 0:
        return None
    p = k / n
    d = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / d
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, centre - half), min(1.0, centre + half)


def find_reverts(git_dir: Any, target_ref: str, merged: dict[str, dict]) -> list[dict]:
    """Commits on the target that revert a merged task: a revert message naming the merge commit or the task's
    revision, or an `Org-Reverts: T-N` trailer. `merged`: {task: {"commit", "revision"}}. One per task."""
    if not merged:
        return []
    by_sha: dict[str, str] = {}
    for key in ("revision", "commit"):  # a merge commit names its task before a revision does
        for task, m in merged.items():
            if m.get(key):
                by_sha[m[key]] = task
    out = git(["log", "--format=%H%x00%B%x01", target_ref, "--"], git_dir=git_dir, timeout=600).stdout.decode(
        errors="replace"
    )
    found: dict[str, dict] = {}
    for rec in out.split("\x01"):
        if "\x00" not in rec:
            continue
        sha, body = rec.strip("\n").split("\x00", 1)
        hits = [t for t in _TRAILER.findall(body) if t in merged]
        for short in _REVERTS.findall(body):
            hits += [t for full, t in by_sha.items() if full.startswith(short)]
        for t in hits:
            if t not in found and sha not in (merged[t].get("commit"), merged[t].get("revision")):
                found[t] = {"task": t, "commit": sha, "reverted": merged[t].get("commit")}
    return list(found.values())


def _rate(k: int, n: int) -> dict:
    ci = wilson(k, n)
    return {"k": k, "n": n, "rate": (k / n) if n else None, "ci95": list(ci) if ci else None}


def report(
    events: list[dict], actors: dict[str, tuple[str, str]], cost: dict[str, float], by: str
) -> list[dict]:
    """Rows per group of `by`. `actors`: {actor: (lane, family)}; `cost`: {task: dollars}. Tasks are counted
    for their authors (lane, member, family) or for themselves (workflow, tier)."""
    tasks: dict[str, dict] = defaultdict(
        lambda: {
            "authors": set(),
            "merged": False,
            "reverted": False,
            "rounds": 0,
            "reviews": 0,
            "rejections": 0,
            "tests": 0,
            "tests_failed": 0,
            "human": False,
            "workflow": None,
            "tier": None,
            "repo": False,
        }
    )
    for e in events:
        t, typ, d = e["task"], e["type"], e.get("data") or {}
        s = tasks[t]
        if typ == "task.created":
            s["workflow"], s["tier"], s["repo"] = (
                d.get("workflow"),
                d.get("tier"),
                bool((d.get("attributes") or {}).get("repo")),
            )
        elif typ == "work.submitted":
            s["authors"].add(e.get("actor"))
        elif typ == "review.filed":
            s["reviews"] += 1
            s["rejections"] += d.get("verdict") in ("fail", "changes")
        elif typ == "rework.started":
            s["rounds"] = max(s["rounds"], int(d.get("round") or 0))
        elif typ in ("task.escalated", "task.resumed"):
            s["human"] = True
        elif typ == "outcome.tests_passed":
            s["tests"] += 1
        elif typ == "outcome.tests_failed":
            s["tests"] += 1
            s["tests_failed"] += 1
        elif typ == "outcome.merged":
            s["merged"] = True
        elif typ == "outcome.reverted":
            s["reverted"] = True
    groups: dict[str, list[tuple[str, dict]]] = defaultdict(list)
    for key, s in tasks.items():
        if not s["repo"]:
            continue
        if by in ("workflow", "tier"):
            names = {s[by] or "-"}
        else:
            names = set()
            for a in s["authors"] or {None}:
                lane, fam = actors.get(a or "", (None, None))
                names.add({"member": a, "lane": lane, "family": fam}[by] or "-")
        for n in names:
            groups[n].append((key, s))
    rows = []
    for name in sorted(groups):
        items = groups[name]
        n = len(items)
        ok = [k for k, s in items if s["merged"] and not s["reverted"]]
        merged = sum(s["merged"] for _k, s in items)
        spent = sum(cost.get(k, 0.0) for k, _s in items)
        rows.append(
            {
                by: name,
                "tasks": n,
                "success": _rate(len(ok), n),
                "rework_per_success": (sum(s["rounds"] for k, s in items if k in ok) / len(ok))
                if ok
                else None,
                "review_rejection": _rate(
                    sum(s["rejections"] for _k, s in items), sum(s["reviews"] for _k, s in items)
                ),
                "test_failure": _rate(
                    sum(s["tests_failed"] for _k, s in items), sum(s["tests"] for _k, s in items)
                ),
                "human_intervention": _rate(sum(s["human"] for _k, s in items), n),
                "revert": _rate(sum(s["reverted"] for _k, s in items), merged),
                "cost_usd": spent,
                "cost_per_success": (spent / len(ok)) if ok else None,
            }
        )
    return rows
