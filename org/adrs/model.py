"""What an ADR is: the strict schema of its YAML front matter, its constraints, and the parsed record."""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator

from org.config.models import ID, RULE_ID, Condition, Strict

__all__ = [
    "STATUSES",
    "Status",
    "Constraint",
    "AdrMeta",
    "Adr",
    "adr_id",
    "adr_label",
]

STATUSES = ("proposed", "accepted", "rejected", "deprecated", "superseded")
Status = Literal["proposed", "accepted", "rejected", "deprecated", "superseded"]
GATE_REF = r"^[a-z0-9][a-z0-9_.-]*\.[a-z0-9][a-z0-9_-]*$"


def adr_id(number: int) -> str:
    """The id agents, rules and events cite: ADR-0007."""
    return f"ADR-{number:04d}"


def adr_label(number: int) -> str:
    """How people read it in a sentence: ADR 0007."""
    return f"ADR {number:04d}"


class Constraint(Strict):
    """Work in scope (`when`) must satisfy `require`. Same condition language as gates/rules.yaml."""

    id: str = Field(pattern=ID, description="Stable id, unique within the ADR.")
    text: str = Field(min_length=1, description="The constraint in one sentence, as people say it.")
    when: Condition | None = Field(default=None, description="The work it applies to; omitted: all work.")
    require: Condition = Field(description="What work in scope must satisfy.")
    rule: str | None = Field(
        default=None, pattern=RULE_ID, description="The rule in gates/ that enforces it."
    )


class AdrMeta(Strict):
    """The YAML front matter of an ADR (MADR fields plus org's machine-checkable content)."""

    status: Status
    date: _dt.date = Field(description="When the decision was last updated (YYYY-MM-DD).")
    deciders: list[str] = Field(
        default_factory=list,
        validation_alias=AliasChoices("deciders", "decision-makers"),
        description="Who decided (MADR 4 calls them decision-makers; both are read).",
    )
    consulted: list[str] = Field(default_factory=list)
    informed: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    supersedes: list[int] = Field(default_factory=list, description="ADR numbers this decision replaces.")
    superseded_by: int | None = Field(default=None, description="The ADR that replaced this one.")
    rules: list[str] = Field(default_factory=list, description="Rule ids the decision establishes.")
    gates: list[str] = Field(default_factory=list, description="workflow.gate ids the decision establishes.")
    paths: list[str] = Field(default_factory=list, description="Globs of the files the decision governs.")
    constraints: list[Constraint] = Field(default_factory=list)

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, v: Any) -> Any:
        if isinstance(v, str) and v.strip().lower() in STATUSES:
            return v.strip().lower()
        if v is None or (isinstance(v, str) and v.strip().lower() not in STATUSES):
            raise ValueError(f"unknown status '{v}' (one of: {', '.join(STATUSES)})")
        return v

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, v: Any) -> Any:
        if isinstance(v, _dt.datetime):
            return v.date()
        if isinstance(v, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v.strip()):
            raise ValueError(f"'{v}' is not a date; write YYYY-MM-DD")
        return v

    @field_validator("supersedes", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [] if v is None else [v] if isinstance(v, int) and not isinstance(v, bool) else v

    @field_validator("deciders", "consulted", "informed", "tags", "rules", "gates", "paths", mode="before")
    @classmethod
    def _none_is_empty(cls, v: Any) -> Any:
        return [] if v is None else v

    @field_validator("supersedes")
    @classmethod
    def _positive(cls, v: list[int]) -> list[int]:
        for n in v:
            if n < 1:
                raise ValueError("ADR numbers start at 1")
        return v

    @field_validator("superseded_by")
    @classmethod
    def _positive_one(cls, v: int | None) -> int | None:
        if v is not None and v < 1:
            raise ValueError("ADR numbers start at 1")
        return v

    @field_validator("gates")
    @classmethod
    def _gate_refs(cls, v: list[str]) -> list[str]:
        for g in v:
            if not re.match(GATE_REF, g):
                raise ValueError(f"'{g}' is not a gate id; write workflow.gate, e.g. change.approval")
        return v

    @field_validator("rules")
    @classmethod
    def _rule_ids(cls, v: list[str]) -> list[str]:
        for r in v:
            if not re.match(RULE_ID, r):
                raise ValueError(f"'{r}' is not a rule id (upper case, e.g. RED-CREDENTIAL-REUSE)")
        return v

    @model_validator(mode="after")
    def _unique_constraints(self) -> AdrMeta:
        seen: set[str] = set()
        for i, c in enumerate(self.constraints):
            if c.id in seen:
                raise ValueError(f"constraints.{i}.id: constraint id '{c.id}' is used twice in this ADR")
            seen.add(c.id)
        return self


@dataclass(frozen=True)
class Adr:
    """One parsed ADR file. `lines` maps front-matter paths (tuples) to 1-based lines of the file."""

    number: int
    slug: str
    title: str
    path: Path
    rel: str  # path shown to people, relative to the org root
    meta: AdrMeta
    body: str  # the Markdown after the front matter
    title_line: int
    lines: dict[tuple, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def id(self) -> str:
        return adr_id(self.number)

    @property
    def label(self) -> str:
        return adr_label(self.number)

    @property
    def status(self) -> str:
        return self.meta.status

    @property
    def binding(self) -> bool:
        """Only accepted decisions bind work; a superseded one has handed over to its successor."""
        return self.meta.status == "accepted"

    def line(self, *path: Any) -> int:
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return 2

    def where(self, *path: Any) -> str:
        return f"{self.rel}:{self.line(*path)}"

    def to_json(self, body: bool = False) -> dict:
        m = self.meta
        out = {
            "number": self.number,
            "id": self.id,
            "title": self.title,
            "status": m.status,
            "date": m.date.isoformat(),
            "deciders": list(m.deciders),
            "tags": list(m.tags),
            "supersedes": list(m.supersedes),
            "superseded_by": m.superseded_by,
            "rules": list(m.rules),
            "gates": list(m.gates),
            "paths": list(m.paths),
            "constraints": [
                {
                    **c.model_dump(by_alias=True, exclude_none=True, mode="json"),
                    "source": self.where("constraints", i),
                }
                for i, c in enumerate(m.constraints)
            ],
            "binding": self.binding,
            "path": self.rel,
        }
        if body:
            out["body"] = self.body
        return out
