"""Defects: injected by work, looked for by reviews and humans, fixed by rework, escaped when done.

Correlated misses: when a defect is written, it falls in its author family's blind spot with the
family's `blind_spot` chance; then every reviewer of that same family misses it together, while a
reviewer of another family still sees it with its own detection chance.
"""

from __future__ import annotations

import random

from org.sim.behaviour import Profile

__all__ = ["Defect", "inject", "look", "rework"]


class Defect:
    __slots__ = ("cls", "family", "blind", "found")

    def __init__(self, cls: str, family: str, blind: bool) -> None:
        self.cls, self.family, self.blind, self.found = cls, family, blind, False


def inject(
    defects: list[Defect], author: Profile, family: str, in_rework: bool, rng: random.Random
) -> list[Defect]:
    """A work job's new defects (one chance per class; rework rounds scale the chances)."""
    scale = author.rework_defects if in_rework else 1.0
    new = []
    for cls, p in author.defects:
        if rng.random() < p * scale:
            d = Defect(cls, family, rng.random() < author.blind_spot)
            defects.append(d)
            new.append(d)
    return new


def look(
    defects: list[Defect],
    detect: dict[str, float],
    family: str,
    focus: frozenset[str] | None,
    rng: random.Random,
) -> list[Defect]:
    """What a reviewer of `family` finds among the open defects (marks them found)."""
    found = []
    for d in defects:
        if d.found or (focus is not None and d.cls not in focus):
            continue
        if d.blind and d.family == family:
            continue  # the shared blind spot: same-family reviewers miss it together
        p = detect.get(d.cls, 0.0)
        if p and rng.random() < p:
            d.found = True
            found.append(d)
    return found


def rework(defects: list[Defect], fix: float, rng: random.Random) -> list[Defect]:
    """Rework fixes each found defect with chance `fix`; the unfixed ones can be found again."""
    kept = []
    for d in defects:
        if d.found:
            if fix >= 1.0 or rng.random() < fix:
                continue
            d.found = False
        kept.append(d)
    return kept
