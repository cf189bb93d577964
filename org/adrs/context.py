"""The accepted ADRs relevant to a piece of work, ranked, and rendered compactly for an agent's prompt.

    relevant_adrs(root, tags=..., paths=..., text=..., limit=5) -> [AdrRef]
    render_for_prompt(refs) -> str      ids to cite ("ADR-0007"), the decision, its constraints

Score = 1.0 per shared tag + 1.5 per given path one of the ADR's `paths` globs covers + up to
1.0 for full-text relevance (bm25 of the text against the ADR, relative to the best match).
Only accepted ADRs are returned: proposed, rejected and replaced ones do not bind anyone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from org.adrs.index import AdrIndex
from org.adrs.model import adr_id

__all__ = [
    "AdrRef",
    "relevant_adrs",
    "render_for_prompt",
    "path_matches",
    "TAG_WEIGHT",
    "PATH_WEIGHT",
    "TEXT_WEIGHT",
]

TAG_WEIGHT, PATH_WEIGHT, TEXT_WEIGHT = 1.0, 1.5, 1.0


@dataclass(frozen=True)
class AdrRef:
    """An accepted ADR given to an agent, with why it was chosen (record `id` as what the agent saw)."""

    number: int
    title: str
    status: str
    score: float
    why: str
    decision: str = ""  # the first paragraph of its Decision Outcome
    constraints: tuple[str, ...] = field(default=())  # "id: text" of each machine-checked constraint
    path: str = ""

    @property
    def id(self) -> str:
        return adr_id(self.number)

    def to_json(self) -> dict:
        return {
            "number": self.number,
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "score": round(self.score, 4),
            "why": self.why,
            "decision": self.decision,
            "constraints": list(self.constraints),
            "path": self.path,
        }


def _clean(p: str) -> str:
    p = p.strip()
    return p[2:] if p.startswith("./") else p


def path_matches(pattern: str, path: str) -> bool:
    """A governed-files glob against a file path: fnmatch ('*' also crosses '/'), or a folder prefix."""
    pattern, path = _clean(pattern), _clean(path)
    if not pattern or not path:
        return False
    if fnmatchcase(path, pattern) or fnmatchcase(path, pattern.replace("**/", "")):
        return True
    prefix = pattern.rstrip("/*")
    return bool(prefix) and "*" not in prefix and (path == prefix or path.startswith(prefix + "/"))


def relevant_adrs(
    root: Path,
    *,
    tags: Iterable[str] = (),
    paths: Iterable[str] = (),
    text: str = "",
    limit: int = 5,
    scope: Iterable[str] | None = None,
) -> list[AdrRef]:
    """Accepted ADRs relevant to work with these tags, touching these paths, described by this text; with
    `scope` (a task's policy layer, ADR 0120), only ADRs carrying one of those tags."""
    within = None if scope is None else {t.strip().lower() for t in scope}
    tags = {t.strip().lower() for t in tags if t and t.strip()}
    paths = [p for p in paths if p and p.strip()]
    if limit < 1 or not (tags or paths or text.strip()):
        return []
    with AdrIndex(root) as idx:
        idx.sync()
        text_scores: dict[int, tuple[float, int]] = {}
        if text.strip() and any(ch.isalnum() for ch in text):
            hits = idx.search(text, status="accepted", limit=max(50, limit * 5), mode="any")
            best = max((h.score for h in hits), default=0.0)
            for rank, h in enumerate(hits, 1):
                if best > 0 and h.score > 0:
                    text_scores[h.number] = (h.score / best, rank)
        scored: list[tuple[float, int, str]] = []
        for n, _title, adr_tags, globs in idx.summaries(status="accepted"):
            if within is not None and not within & {t.lower() for t in adr_tags}:
                continue
            why: list[str] = []
            score = 0.0
            shared = sorted(tags & {t.lower() for t in adr_tags})
            if shared:
                score += TAG_WEIGHT * len(shared)
                why.append("tags " + ", ".join(shared))
            covered = [(p, g) for p in paths for g in globs if path_matches(g, p)]
            files = list(dict.fromkeys(p for p, _ in covered))
            if files:
                score += PATH_WEIGHT * len(files)
                shown = [(p, next(g for q, g in covered if q == p)) for p in files[:3]]
                why.append(
                    "governs "
                    + ", ".join(p if g == p else f"{p} ({g})" for p, g in shown)
                    + (f" and {len(files) - 3} more" if len(files) > 3 else "")
                )
            if n in text_scores:
                rel, rank = text_scores[n]
                score += TEXT_WEIGHT * rel
                why.append(f"text match #{rank}")
            if score > 0:
                scored.append((score, n, "; ".join(why)))
        scored.sort(key=lambda x: (-x[0], x[1]))
        refs = []
        for score, n, reason in scored[:limit]:
            r = idx.get(n)
            if r is None:  # gone from the index since it was scored
                continue
            refs.append(
                AdrRef(
                    n,
                    r["title"],
                    r["status"],
                    score,
                    reason,
                    r.get("summary", ""),
                    tuple(f"{c['id']}: {c['text']}" for c in r["constraints"]),
                    r["path"],
                )
            )
    return refs


def render_for_prompt(refs: Iterable[AdrRef]) -> str:
    """A compact block for an agent's prompt: each ADR with its id to cite, decision and constraints."""
    refs = list(refs)
    if not refs:
        return ""
    out = [
        "Accepted architecture decisions (ADRs) that apply to this work. They are settled: follow them, "
        'cite them by id (e.g. "per ADR-0007"), and if one seems wrong, say so rather than work around it.'
    ]
    for r in refs:
        out.append(f"- {r.id} {r.title}")
        if r.decision:
            out.append(f"  decision: {r.decision}")
        for c in r.constraints:
            out.append(f"  must: {c}")
    return "\n".join(out)
