"""Action names: one canonical spelling (NFKC, case-folded, a fixed alphabet) and the lane boundaries over them."""

from __future__ import annotations

import re
import unicodedata
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from org.config.models import Lane

__all__ = ["canonical_action", "action_matches", "lane_refusal", "CANONICAL_ACTION"]

# A canonical action: lower-case ASCII words of letters, digits, '_' and '-', joined by '.', ':' or '/'.
CANONICAL_ACTION = re.compile(r"[a-z0-9_-]+(?:[.:/][a-z0-9_-]+)*")
_CACHE: dict[str, str | None] = {}


def canonical_action(action: object) -> str | None:
    """The one spelling of an action (NFKC, case-folded, surrounding blanks removed), or None when what is
    left is not an action name: look-alike letters from other scripts, invisible characters, empty words
    ('host..config'), wildcards. Every rule and lane boundary sees only this spelling."""
    if not isinstance(action, str):
        return None
    hit = _CACHE.get(action, _CACHE)
    if hit is not _CACHE:
        return hit  # type: ignore[return-value]
    text = unicodedata.normalize("NFKC", action).casefold().strip()
    out = text if CANONICAL_ACTION.fullmatch(text) else None
    if len(_CACHE) < 8192:
        _CACHE[action] = out
    return out


def action_matches(patterns: list[str] | tuple[str, ...], action: str) -> bool:
    """Does `action` match any pattern? '*' is the only wildcard (patterns are validated to hold
    no other glob characters, so fnmatch is an exact '*'-glob here)."""
    return any(p == "*" or p == action or ("*" in p and fnmatchcase(action, p)) for p in patterns)


def lane_refusal(lane: Lane, action: str) -> tuple[str, int | None] | None:
    """Why `lane` may not take `action`: ("may_not", index of the pattern) or ("may", None); None when it may."""
    for i, pat in enumerate(lane.may_not):
        if action_matches((pat,), action):
            return "may_not", i
    if not action_matches(lane.may, action):
        return "may", None
    return None
