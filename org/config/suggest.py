"""Did-you-mean suggestions for unknown names in config and ADRs (lanes, gates, tiers, attributes, fields)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean", "field_names"]


def did_you_mean(name: object, known: Iterable[object]) -> str:
    """'; did you mean 'reviewer'?' for the closest known name, else ''. Case-insensitive, at most one."""
    text = str(name)
    names = sorted({str(k) for k in known if str(k) != text})
    if not names:
        return ""
    lowered = {n.lower(): n for n in names}
    if text.lower() in lowered:
        return f"; did you mean '{lowered[text.lower()]}'?"
    close = difflib.get_close_matches(text.lower(), list(lowered), n=1, cutoff=0.75)
    return f"; did you mean '{lowered[close[0]]}'?" if close else ""


def field_names() -> set[str]:
    """Every field name (and alias) of the org's config models: the vocabulary for unknown-field hints."""
    from pydantic import BaseModel

    from org.config import models

    out: set[str] = set()
    for obj in vars(models).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel) and obj is not BaseModel:
            for fname, f in obj.model_fields.items():
                out.add(f.alias or fname)
    return out
