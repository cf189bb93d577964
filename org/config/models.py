"""Strict pydantic models of the org's YAML: lanes, workflows (gates), rules, risk and credentials."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

__all__ = [
    "Strict",
    "Condition",
    "Member",
    "CommandRuntime",
    "RUNTIMES",
    "Budget",
    "RoomLimits",
    "Lane",
    "Gate",
    "Limits",
    "Workflow",
    "RuleSpec",
    "RulesFile",
    "AttributeSpec",
    "TierSpec",
    "ClassifyRule",
    "RiskFile",
    "CredentialSpec",
    "CredentialsFile",
    "ActionPattern",
    "is_exemption_key",
    "EXEMPTION_WORDS",
    "GATE_KINDS",
    "CONTROL_KINDS",
    "GATE_ACTIONS",
    "ActionFacts",
    "canonical_text",
    "WORK_ACTION",
]

ID = r"^[a-z0-9][a-z0-9_.-]*$"
RULE_ID = r"^[A-Z][A-Z0-9-]*[A-Z0-9]$"
GATE_KINDS = ("work", "review", "approval", "check", "terminal")
CONTROL_KINDS = ("review", "approval", "check")
# The action each gate kind makes its holder take (a work gate's is its own `action`, else WORK_ACTION).
GATE_ACTIONS = {"review": "review.file", "approval": "approve"}
WORK_ACTION = "work.submit"
# Words that would grant an exemption; org has none (DESIGN invariant 1).
ACTION_RE = re.compile(r"[A-Za-z0-9_.:/*-]+")
EXEMPTION_WORDS = ("exempt", "bypass", "skip_rules", "unless_lane", "unless_actor", "override", "allow_all")


class Strict(BaseModel):
    """Base of every config model: unknown fields are rejected (an exemption key included: the
    loader reports those with the exact line and says that org has no exemptions)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def is_exemption_key(key: object) -> bool:
    """True for a key that reads like an exemption (`exempt`, `bypass`, `override` ...)."""
    return isinstance(key, str) and any(w in key.lower() for w in EXEMPTION_WORDS)


def _action_pattern(v: str) -> str:
    """An action pattern in its one spelling: NFKC, case-folded (as every action is before a rule sees it)."""
    canon = unicodedata.normalize("NFKC", v).casefold().strip()
    if not ACTION_RE.fullmatch(canon) or not canon.isascii():
        raise ValueError(
            f"action pattern '{v}' may hold letters, digits, '_', '.', ':', '/', '-' and the wildcard '*' only"
        )
    return canon


# An action or a glob over actions; '*' is the only wildcard (statically analysable, maps to Cedar `like`).
ActionPattern = Annotated[
    str,
    AfterValidator(_action_pattern),
    WithJsonSchema({"type": "string", "pattern": "^[A-Za-z0-9_.:/*-]+$"}),
]


class PathsTest(Strict):
    """The paths a revision changes (a fact org reads from git with each revision of a repository task):
    `any` is true when some changed path matches one of the globs, `all` when every changed path matches
    one. Before a revision exists the paths are not known: both are false then (not a missing fact)."""

    any: list[str] | None = None
    all: list[str] | None = None

    @model_validator(mode="after")
    def _one(self) -> PathsTest:
        from org.config.repos import _check_glob

        given = [k for k in ("any", "all") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("'paths' takes exactly one of any: [globs] or all: [globs]")
        globs = getattr(self, given[0])
        if not globs:
            raise ValueError(f"'paths.{given[0]}' needs at least one glob")
        for g in globs:
            _check_glob(g)
        return self


class Condition(Strict):
    """A statically analysable test over a request's attributes. Exactly one form:
    {attr, eq|ne|in|not_in|exists|eq_attr|ne_attr}, {paths: {any|all: [globs]}} or {all: [...]},
    {any: [...]}, {not: ...}."""

    attr: str | None = None
    eq: str | int | float | bool | None = None
    ne: str | int | float | bool | None = None
    in_: list[str | int | float | bool] | None = Field(default=None, alias="in")
    not_in: list[str | int | float | bool] | None = None
    exists: bool | None = None
    eq_attr: str | None = None
    ne_attr: str | None = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = Field(default=None, alias="not")
    paths: PathsTest | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        tests = [
            k
            for k in ("eq", "ne", "in_", "not_in", "exists", "eq_attr", "ne_attr")
            if getattr(self, k) is not None
        ]
        combos = [k for k in ("all", "any", "not_") if getattr(self, k) is not None]
        if self.paths is not None:
            if self.attr is not None or tests or combos:
                raise ValueError("a 'paths' condition stands alone: {paths: {any: [globs]}}")
            return self
        if self.attr is not None:
            if combos:
                raise ValueError("a condition is either {attr: ..., <test>} or all/any/not, not both")
            if len(tests) != 1:
                raise ValueError(
                    "an attribute condition needs exactly one test: eq, ne, in, not_in, exists, eq_attr or ne_attr"
                )
        else:
            if tests:
                raise ValueError(f"'{tests[0].rstrip('_')}' needs 'attr'")
            if len(combos) != 1:
                raise ValueError("a condition needs 'attr' with a test, or exactly one of all, any, not")
            if combos[0] in ("all", "any") and not getattr(self, combos[0]):
                raise ValueError(f"'{combos[0]}' needs at least one condition")
        return self

    def attributes(self) -> set[str]:
        """Every attribute name this condition reads (for static analysis)."""
        out: set[str] = set()
        if self.attr:
            out.add(self.attr)
        for a in (self.eq_attr, self.ne_attr):
            if a:
                out.add(a)
        for sub in (self.all or []) + (self.any or []) + ([self.not_] if self.not_ else []):
            out |= sub.attributes()
        return out


# A spend ceiling is a finite number under a sane bound: .inf, .nan or 1e300 would spend without limit (or
# compare false against every spend).
MAX_BUDGET_USD = 1e9
MAX_BUDGET_TOKENS = 10**15


class Budget(Strict):
    usd: float | None = Field(
        default=None, ge=0, le=MAX_BUDGET_USD, allow_inf_nan=False, description="Spend ceiling in US dollars."
    )
    tokens: int | None = Field(default=None, ge=0, le=MAX_BUDGET_TOKENS, description="Token ceiling.")


# How an agent member works: org's built-in agent, or a coding CLI org starts in the sandbox (org.agents.clis).
RUNTIMES = ("builtin", "claude", "codex", "aider", "opencode", "mini-swe-agent", "command")
# What a command template may name; the prompt goes on stdin, keys only in the environment.
COMMAND_FIELDS = ("model", "workspace")


def _command_line(v: str) -> str:
    import shlex
    import string

    try:
        words = shlex.split(v)
    except ValueError as exc:
        raise ValueError(f"the command line cannot be split into words ({exc})") from None
    if not words:
        raise ValueError("the command line is empty")
    for word in words:
        try:
            names = [f for _t, f, _s, _c in string.Formatter().parse(word) if f is not None]
        except ValueError as exc:
            raise ValueError(f"'{word}': {exc} (write a literal brace as {{{{ or }}}})") from None
        for name in names:
            if name not in COMMAND_FIELDS:
                raise ValueError(
                    f"'{{{name}}}' is not a field of a command template (use {', '.join('{' + f + '}' for f in COMMAND_FIELDS)}; "
                    "the gateway's URL and token reach the CLI in its environment, never its command line)"
                )
    return v


class CommandRuntime(Strict):
    """Any other coding CLI: its command line (the prompt on its stdin) and the line that says it is done."""

    run: Annotated[str, AfterValidator(_command_line)] = Field(
        description="The command line, split like a shell would (no shell runs it); {model} and {workspace} are "
        "filled in. The handover arrives on stdin; OPENAI_BASE_URL / OPENAI_API_KEY name the gateway."
    )
    done: str = Field(
        min_length=1,
        max_length=200,
        description="Completion marker: a line of its output holding this text says the work is done; "
        "an exit without it fails the job.",
    )


class Member(Strict):
    id: str = Field(pattern=ID, description="Principal id, unique across the org.")
    model: str | None = Field(default=None, description="litellm model string (agents only).")
    family: str | None = Field(default=None, description="Model family override for self-hosted models.")
    name: str | None = Field(default=None, description="Display name (humans).")
    budget: Budget | None = None
    runtime: (
        Literal["builtin", "claude", "codex", "aider", "opencode", "mini-swe-agent", "command"] | None
    ) = Field(
        default=None,
        description="How the agent works: builtin (org's own agent, the default) or a coding CLI org starts "
        "in the sandbox behind the model gateway: claude, codex, aider, opencode, mini-swe-agent, or "
        "command (any other CLI, with `command:`).",
    )
    command: CommandRuntime | None = Field(
        default=None, description="For runtime: command, the command line and its completion marker."
    )

    @model_validator(mode="after")
    def _runtime_command(self) -> Member:
        if self.runtime == "command" and self.command is None:
            raise ValueError("runtime: command needs 'command: {run: CMDLINE, done: MARKER}'")
        if self.command is not None and self.runtime != "command":
            raise ValueError("'command' is only for runtime: command")
        return self


class RoomLimits(Strict):
    """What bounds each room a lane's agents work in (ADR 0291); a value left out keeps org's default (built-in
    agents: wall 900 s, CPU 600 s, 4096 MiB; coding CLIs: wall 900 s, CPU and memory unlimited)."""

    wall_s: float | None = Field(
        default=None,
        strict=True,
        gt=0,
        le=86400,
        allow_inf_nan=False,
        description="Wall time of one job's room in seconds (then stopped, the job released).",
    )
    cpu_s: int | None = Field(
        default=None,
        strict=True,
        ge=1,
        le=86400,
        description="CPU seconds of each process in the room (RLIMIT_CPU; then killed, the job failed).",
    )
    memory_mb: int | None = Field(
        default=None,
        strict=True,
        ge=128,
        le=1 << 20,
        description="Address space of each process in the room in MiB (RLIMIT_AS).",
    )


class Lane(Strict):
    lane: str = Field(pattern=ID)
    kind: Literal["agent", "human"]
    purpose: str = Field(min_length=1)
    may: list[ActionPattern] = Field(
        default_factory=list, description="Action patterns this lane may take ('*' globs)."
    )
    may_not: list[ActionPattern] = Field(
        default_factory=list, description="Action patterns this lane never takes."
    )
    members: list[Member] = Field(min_length=1)
    concurrency: int | None = Field(default=None, ge=1, description="How many jobs the lane works at once.")
    budget: Budget | None = None
    models: list[str] | None = Field(
        default=None,
        description="Models its members may call through the model gateway; omitted: each member's own.",
    )
    isolation: Literal["required", "auto"] = Field(
        default="auto",
        description="Sandbox its agents: required (refuse to run without one) or auto (sandbox when "
        "bubblewrap works here, else environment scrubbing only, recorded as isolation: none).",
    )
    room: RoomLimits | None = Field(
        default=None,
        description="Limits of each room its agents work in: wall_s, cpu_s, memory_mb (omitted: org's defaults).",
    )

    @field_validator("room")
    @classmethod
    def _room_for_agents(cls, v: RoomLimits | None, info: ValidationInfo) -> RoomLimits | None:
        if v is not None and info.data.get("kind") != "agent":
            raise ValueError("'room' limits are for agent lanes (a human lane works in no room)")
        return v


class Gate(Strict):
    kind: Literal["work", "review", "approval", "check", "terminal"]
    lane: str | None = Field(default=None, description="Lane that holds the gate (not for check/terminal).")
    after: list[str] = Field(
        default_factory=list, description="Gates that must be passed or skipped first (join)."
    )
    tiers: list[str] | None = Field(
        default=None, description="Risk tiers that require this gate; omitted: all."
    )
    quorum: int = Field(default=1, ge=1, description="Reviews or approvals needed to pass.")
    cross_vendor: bool = Field(
        default=False, description="Reviewers' model family must differ from every author's."
    )
    placed_families: bool = Field(
        default=False,
        description="At a cross-vendor gate, count only reviewers whose "
        "family org places from the model string, not declared ones.",
    )
    on_fail: str | None = Field(default=None, description="Work gate a failed review sends the task back to.")
    check: Literal["eligibility", "adrs", "tests"] | None = Field(
        default=None,
        description="What a check gate verifies (tests: the repository's test command on the bound commit).",
    )
    action: ActionPattern | None = Field(
        default=None,
        description="The action the holder takes to do a work gate (default: work.submit); a review "
        "gate's is review.file, an approval gate's approve. The holder's lane must may it.",
    )
    carries_out: str | None = Field(
        default=None,
        description="For a work gate after the controls: the earlier work gate whose approved plan it "
        "carries out. It keeps that plan's revision; it never delivers new content.",
    )
    adrs: list[int] = Field(default_factory=list, description="ADR numbers that established this gate.")
    description: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> Gate:
        if self.kind in ("work", "review", "approval") and not self.lane:
            raise ValueError(f"a {self.kind} gate needs a 'lane'")
        if self.kind in ("check", "terminal") and self.lane:
            raise ValueError(f"a {self.kind} gate is held by the engine, not a lane; remove 'lane'")
        if self.kind != "review" and (self.cross_vendor or self.on_fail):
            raise ValueError("'cross_vendor' and 'on_fail' apply to review gates only")
        if self.placed_families and not self.cross_vendor:
            raise ValueError("'placed_families' applies to cross-vendor gates (cross_vendor: true)")
        if self.kind == "check" and not self.check:
            raise ValueError("a check gate needs 'check: eligibility', 'check: adrs' or 'check: tests'")
        if self.kind == "terminal" and self.tiers is not None:
            raise ValueError("the terminal gate applies to every tier")
        if self.kind != "work" and (self.action is not None or self.carries_out is not None):
            raise ValueError(
                f"'action' and 'carries_out' apply to work gates only (a {self.kind} gate's action is "
                f"{GATE_ACTIONS.get(self.kind, 'none')})"
            )
        if self.action is not None and "*" in self.action:
            raise ValueError(f"a gate's action is one action, not a pattern: '{self.action}'")
        return self

    @property
    def implied_action(self) -> str | None:
        """The action the holder of this gate takes (None: the engine holds it)."""
        if self.kind == "work":
            return self.action or WORK_ACTION
        return GATE_ACTIONS.get(self.kind)


class Limits(Strict):
    max_rework_rounds: int = Field(default=3, ge=0, le=100)
    no_progress_seconds: int = Field(
        default=3600, ge=1, description="Escalate a task with no event for this long."
    )
    budget_usd: float | None = Field(
        default=None, ge=0, le=MAX_BUDGET_USD, allow_inf_nan=False, description="Spend ceiling per task."
    )


class Workflow(Strict):
    workflow: str = Field(pattern=ID)
    description: str | None = None
    gates: dict[str, Gate] = Field(min_length=1)
    limits: Limits = Field(default_factory=Limits)
    requires: list[str] = Field(
        default_factory=list,
        description="Attributes every task of this workflow is filed with (else refused).",
    )
    implies: dict[str, str | int | float | bool | None] = Field(
        default_factory=dict,
        description="Attributes every task of this workflow has, so every action on it (filled in where the "
        "filing is silent; a filing saying otherwise is refused); null: its tasks have no such fact.",
    )
    repository: Literal["required", "optional", "none"] = Field(
        default="optional",
        description="Whether a task of this workflow works in a repository of gates/repos.yaml.",
    )

    @field_validator("gates")
    @classmethod
    def _gate_names(cls, v: dict[str, Gate]) -> dict[str, Gate]:
        for name in v:
            if not re.match(ID, name) or name == "start":
                raise ValueError(f"gate name '{name}' must match {ID} and not be 'start'")
        return v


class RuleSpec(Strict):
    id: str = Field(pattern=RULE_ID, description="Stable rule id, cited in every decision.")
    title: str = Field(min_length=1)
    actions: list[ActionPattern] = Field(
        default_factory=lambda: ["*"], description="Action patterns ('*' globs) it applies to."
    )
    when: Condition | None = Field(default=None, description="Attribute condition; omitted: always.")
    reason: str | None = Field(default=None, description="What a person is told when it matches.")
    adr: int | None = Field(default=None, ge=1, description="The ADR that established the rule.")


class AttributeSpec(Strict):
    type: Literal["str", "bool", "int", "float"] = "str"
    values: list[str] | None = None
    description: str | None = None
    source: Literal["task", "org", "action"] = Field(
        default="task",
        description="Who states it (ADR 0071): task = the task as filed or the approved plan (an "
        "acting agent's value can only make a decision stricter); org = org derives it "
        "and ignores any request's value (e.g. via); action = the acting agent may state "
        "it (refused for an attribute a RED, consequential or risk rule reads).",
    )
    casefold: bool = Field(default=True, description="Compare its string values case-folded (NFKC always).")

    @model_validator(mode="after")
    def _canonical_values(self) -> AttributeSpec:
        if self.values is not None:
            canon = [canonical_text(v, self.casefold) for v in self.values]
            object.__setattr__(self, "values", canon)
        return self


def canonical_text(v: str, casefold: bool = True) -> str:
    """A string attribute value's one spelling: NFKC, blanks around it removed, case-folded unless declared not."""
    t = unicodedata.normalize("NFKC", v).strip()
    return t.casefold() if casefold else t


class ActionFacts(Strict):
    """What some actions require and imply (ADR 0071): a required fact that is missing is unknown and read at its
    worst (every RED, consequential and risk rule fires if any value would make it fire); an implied fact holds
    for the action whatever a request says (a request that says otherwise is read both ways, strictest wins)."""

    actions: list[ActionPattern] = Field(
        min_length=1, description="Action patterns ('*' globs) this applies to."
    )
    requires: list[str] = Field(
        default_factory=list, description="Attributes these actions cannot be judged without."
    )
    implies: dict[str, str | int | float | bool | None] = Field(
        default_factory=dict,
        description="Attributes these actions always have; null: they have no such fact (e.g. no environment "
        "for work in a workspace), so its silence is not read at its worst.",
    )


class RulesFile(Strict):
    attributes: dict[str, AttributeSpec] = Field(default_factory=dict)
    actions: list[ActionFacts] = Field(default_factory=list, description="What actions require and imply.")
    red: list[RuleSpec] = Field(default_factory=list, description="Denied for every lane and actor, always.")
    consequential: list[RuleSpec] = Field(
        default_factory=list, description="Need a non-author human's approval."
    )


class TierSpec(Strict):
    id: str = Field(pattern=ID)
    requires: list[Literal["review", "approval", "check"]] = Field(
        default_factory=list, description="Control kinds every workflow must enforce at this tier."
    )
    filer_may_approve: bool = Field(
        default=True,
        description="May the human who filed a task of this tier approve it? Off (the two-person rule), the "
        "filer counts as an author of the task: another human approves.",
    )
    description: str | None = None


class ClassifyRule(Strict):
    id: str = Field(pattern=RULE_ID)
    tier: str
    when: Condition
    title: str | None = None


class RiskSpec(Strict):
    tiers: list[TierSpec] = Field(min_length=1, description="Ordered from lowest to highest risk.")
    default: str
    classify: list[ClassifyRule] = Field(default_factory=list)


class RiskFile(Strict):
    risk: RiskSpec


class CredentialSpec(Strict):
    service: str = Field(pattern=ID)
    env: str | None = Field(default=None, description="Environment variable holding the secret.")
    file: str | None = Field(default=None, description="File holding the secret.")
    url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s@]+$",
        description="Base URL the credential broker calls for allowed actions (no user info).",
    )
    header: str = Field(
        default="Authorization",
        pattern=r"^[A-Za-z][A-Za-z0-9-]{0,63}$",
        description="Request header the broker puts the secret in.",
    )
    scheme: str = Field(
        default="Bearer",
        pattern=r"^[A-Za-z0-9-]{0,32}$",
        description="Prefix before the secret in that header ('' for the bare secret).",
    )
    description: str | None = None

    @model_validator(mode="after")
    def _source(self) -> CredentialSpec:
        if (self.env is None) == (self.file is None):
            raise ValueError(
                "a credential names exactly one source: 'env' or 'file' (never the secret itself)"
            )
        return self


class CredentialsFile(Strict):
    credentials: dict[str, CredentialSpec] = Field(default_factory=dict)
