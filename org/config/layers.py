"""The lower policy layers' files: a repository's `.org/policy.yaml` and a task's policy, as strict models.

Each key names a value of the org's policy that a lower layer may only tighten (DESIGN invariant 19):
lists of what is allowed become subsets (`models`, `credentials`), limits become lower, lists of what is
forbidden or required grow (`may_not`, `protected`, `golden`, a gate's `tiers`), requirements become
stronger (`quorum` up, `cross_vendor` and `placed_families` only turned on), and a tier floor only raises.
There is no key that widens: a `may`, a higher limit or a removed requirement is refused with the line of
the value it tries to widen (org.config.cascade). A repository alone knows its `setup` and `test` commands;
a task cannot state them.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from org.config.models import ActionPattern, Strict
from org.config.repos import Command, MaxDiff, _check_glob
from org.errors import UsageError

__all__ = [
    "REPO_POLICY",
    "WIDENING_KEYS",
    "LimitsLayer",
    "LaneLayer",
    "GateLayer",
    "WorkflowLayer",
    "TaskPolicy",
    "RepoPolicy",
    "policy_from_pairs",
]

REPO_POLICY = (
    ".org/policy.yaml"  # committed in the repository; read from its target branch, never a workspace
)

# Keys a hostile or mistaken layer might write to widen the org's policy, with what they would widen.
WIDENING_KEYS = {
    "may": "the actions a lane may take",
    "members": "who works in a lane",
    "kind": "what a gate or lane is",
    "lane": "who holds a gate",
    "after": "the order of gates",
    "on_fail": "where a failed review sends the work",
    "requires": "what a tier or workflow requires",
    "red": "the RED rules",
    "consequential": "the rules needing a human",
    "classify": "the risk classification",
    "attributes": "the attributes rules read",
    "tiers": "the risk tiers",
    "path": "where the repository is",
    "url": "where the repository is",
    "target": "the branch the pipeline merges into",
    "binary": "where binary files may enter a revision",
    "merge": "how the pipeline merges",
    "retest_on_merge": "whether a moved target is tested again",
    "repository": "whether a workflow works in a repository",
}


class LimitsLayer(Strict):
    """Limits a layer lowers, for every workflow (or one, under `workflows`)."""

    max_rework_rounds: int | None = Field(default=None, ge=0, le=100)
    no_progress_seconds: int | None = Field(default=None, ge=1)
    budget_usd: float | None = Field(default=None, ge=0)


class LaneLayer(Strict):
    """A lane, narrowed: more actions it never takes, fewer models it may call."""

    may_not: list[ActionPattern] = Field(
        default_factory=list, description="More actions the lane never takes."
    )
    models: list[str] | None = Field(default=None, description="A subset of the models the lane may call.")


class GateLayer(Strict):
    """A gate, made stricter: a larger quorum, cross-vendor turned on, required at more tiers."""

    quorum: int | None = Field(default=None, ge=1, description="Reviews or approvals needed (only higher).")
    cross_vendor: bool | None = Field(default=None, description="Only turned on.")
    placed_families: bool | None = Field(default=None, description="Only turned on.")
    tiers: list[str] | None = Field(default=None, description="More tiers that require the gate.")


class WorkflowLayer(Strict):
    limits: LimitsLayer | None = None
    gates: dict[str, GateLayer] = Field(default_factory=dict)


class TaskPolicy(Strict):
    """What a task's filer may tighten (the task layer)."""

    tier: str | None = Field(default=None, description="The lowest tier the task starts at (only raises).")
    models: list[str] | None = Field(default=None, description="Models every agent lane may call (a subset).")
    credentials: list[str] | None = Field(
        default=None, description="The credentials actions may use (a subset of gates' credentials)."
    )
    limits: LimitsLayer | None = None
    lanes: dict[str, LaneLayer] = Field(default_factory=dict)
    workflows: dict[str, WorkflowLayer] = Field(default_factory=dict)
    adrs: list[str] | None = Field(
        default=None,
        description="The ADR tags agents are given ADRs of (a narrower scope); the ADRs a gate or rule "
        "cites are always given.",
    )


class RepoPolicy(TaskPolicy):
    """A repository's `.org/policy.yaml`: the task layer's keys, and what only the repository knows."""

    setup: Command | None = Field(
        default=None, description="Run once in a new workspace (its one home: here or gates/repos.yaml)."
    )
    test: Command | None = Field(
        default=None, description="The tests gate's command (its one home: here or gates/repos.yaml)."
    )
    protected: list[str] = Field(default_factory=list, description="More globs no agent may change.")
    golden: list[str] = Field(default_factory=list, description="More existing files no revision may change.")
    max_diff: MaxDiff | None = Field(default=None, description="A lower size limit of one revision.")

    @field_validator("protected", "golden")
    @classmethod
    def _globs(cls, v: list[str]) -> list[str]:
        return [_check_glob(x) for x in v]


def widening_key(path: tuple[Any, ...]) -> str | None:
    """What an unknown key at `path` would widen, when it names a value only the org sets."""
    key = path[-1] if path else None
    return WIDENING_KEYS.get(key) if isinstance(key, str) else None


def policy_from_pairs(pairs: list[str] | None) -> dict[str, Any]:
    """A task's policy from `KEY=VALUE` pairs (`--policy limits.max_rework_rounds=1 --policy
    models=[openai/gpt-5]`): dotted keys nest, each value is read as YAML (a number, a list, a word)."""
    import yaml

    out: dict[str, Any] = {}
    for item in pairs or []:
        key, eq, raw = item.partition("=")
        parts = [p.strip() for p in key.split(".")]
        if not eq or not all(parts) or len(item) > 4096:
            raise UsageError(
                f"--policy takes KEY=VALUE with a dotted KEY, e.g. limits.max_rework_rounds=1; got '{item}'"
            )
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            raise UsageError(
                f"--policy {key}: '{raw}' is not a value (a number, a word or a [list])"
            ) from None
        node = out
        for p in parts[:-1]:
            nxt = node.setdefault(p, {})
            if not isinstance(nxt, dict):
                raise UsageError(f"--policy {key}: '{p}' is already a value")
            node = nxt
        if parts[-1] in node:
            raise UsageError(f"--policy {key} is given twice")
        node[parts[-1]] = value
    return out
