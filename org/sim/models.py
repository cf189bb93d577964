"""Strict pydantic models of a simulation scenario: org overrides, workload, behaviour, providers, humans."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from org.sim.units import DAY, CountDist, Dist, Duration, TimeDist

__all__ = [
    "Scenario",
    "OrgSpec",
    "LaneOverride",
    "GateOverride",
    "Stream",
    "Workload",
    "KindBehaviour",
    "FamilyBehaviour",
    "Behaviour",
    "On429",
    "Pool",
    "Retry",
    "Pacing",
    "Humans",
    "Sweep",
    "EngineOptions",
    "Standup",
    "WEEKDAYS",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Scalar = str | int | float | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class LaneOverride(_Strict):
    """Reshape a lane: how many agents, which models (cycled over the agents), how many jobs at once."""

    agents: int | None = Field(default=None, ge=1, le=10_000, description="Number of agents in the lane.")
    models: list[str] | None = Field(
        default=None, min_length=1, description="Models, cycled over the agents."
    )
    concurrency: int | Literal["unlimited"] | None = Field(
        default=None, description="Jobs the lane works at once; follows the agent count when agents change."
    )

    @field_validator("concurrency")
    @classmethod
    def _positive(cls, v):
        if isinstance(v, int) and v < 1:
            raise ValueError("concurrency is at least 1 (or 'unlimited')")
        return v


class GateOverride(_Strict):
    """Change one gate of a workflow (any field of the live gate schema), or add a new one."""

    kind: Literal["work", "review", "approval", "check", "terminal"] | None = None
    lane: str | None = None
    after: list[str] | None = None
    tiers: list[str] | None = None
    quorum: int | None = Field(default=None, ge=1)
    cross_vendor: bool | None = None
    on_fail: str | None = None
    check: Literal["eligibility", "adrs"] | None = None
    description: str | None = None
    all_tiers: bool | None = Field(default=None, description="true: required at every tier (clears 'tiers').")


class LimitsOverride(_Strict):
    max_rework_rounds: int | None = Field(default=None, ge=0, le=100)
    budget_usd: float | None = Field(default=None, ge=0)


class OrgSpec(_Strict):
    root: str | None = Field(
        default=None,
        description="Folder with lanes/ and gates/ (relative to the scenario); "
        "default: the shipped default org.",
    )
    lanes: dict[str, LaneOverride] = Field(default_factory=dict)
    gates: dict[str, dict[str, GateOverride]] = Field(
        default_factory=dict, description="workflow -> gate -> change"
    )
    limits: dict[str, LimitsOverride] = Field(default_factory=dict, description="workflow -> limits")


class Stream(_Strict):
    """One kind of work arriving: a workflow with the attributes that set its risk tier."""

    name: str = Field(min_length=1)
    workflow: str
    attributes: dict[str, Scalar] = Field(default_factory=dict)
    tier: str | None = Field(
        default=None, description="Requested tier (raises the classified tier, never lowers)."
    )
    per_hour: float | None = Field(default=None, gt=0, description="Poisson arrival rate.")
    per_day: float | None = Field(default=None, gt=0, description="Poisson arrival rate.")
    weight: float | None = Field(
        default=None, gt=0, description="Share of new work when the workload is a backlog."
    )
    actions: dict[str, str] = Field(
        default_factory=dict, description="gate -> action decide() must allow first."
    )

    @model_validator(mode="after")
    def _rate(self) -> Stream:
        if self.per_hour is not None and self.per_day is not None:
            raise ValueError("give per_hour or per_day, not both")
        return self

    @property
    def rate_per_second(self) -> float:
        if self.per_hour is not None:
            return self.per_hour / 3600.0
        if self.per_day is not None:
            return self.per_day / DAY
        return 0.0


class Workload(_Strict):
    streams: list[Stream] = Field(min_length=1)
    backlog: int | None = Field(
        default=None,
        ge=1,
        le=100_000,
        description=(
            "Closed workload: keep this many tasks open (a finished task is replaced at once), picking streams "
            "by weight. Omitted: open Poisson arrivals at each stream's rate."
        ),
    )
    load: float = Field(
        default=1.0,
        gt=0,
        le=1000,
        description=("Load multiplier: every stream's arrival rate (or the backlog) times this."),
    )

    @model_validator(mode="after")
    def _rates(self) -> Workload:
        for i, s in enumerate(self.streams):
            if self.backlog is None and s.per_hour is None and s.per_day is None:
                raise ValueError(
                    f"streams.{i}: an open workload needs per_hour or per_day on every stream "
                    "(or set workload.backlog)"
                )
        names = [s.name for s in self.streams]
        for n in names:
            if names.count(n) > 1:
                raise ValueError(f"stream name '{n}' is used twice")
        return self


class KindBehaviour(_Strict):
    """One job of a kind: its working time, the model calls it makes and tokens per call."""

    time: TimeDist | None = None
    calls: CountDist | None = None
    tokens: CountDist | None = None


class FamilyBehaviour(_Strict):
    """How a model family (or model) behaves; unset fields fall back to the defaults."""

    work: KindBehaviour | None = None
    review: KindBehaviour | None = None
    defects: dict[str, float] | None = Field(
        default=None, description="class -> chance a work job injects one."
    )
    detect: dict[str, float] | None = Field(
        default=None, description="class -> chance this reviewer sees one."
    )
    blind_spot: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description=(
            "Chance a defect this family writes is invisible to every reviewer of the same family (correlated misses)."
        ),
    )
    false_alarm: float | None = Field(
        default=None, ge=0, le=1, description="Chance a clean review asks for changes."
    )
    fix: float | None = Field(
        default=None, ge=0, le=1, description="Chance a rework fixes a defect found in review."
    )
    rework_defects: float | None = Field(default=None, ge=0, description="Defect rate multiplier on rework.")

    @field_validator("defects", "detect")
    @classmethod
    def _probabilities(cls, v):
        for k, p in (v or {}).items():
            if not 0 <= p <= 1:
                raise ValueError(f"{k}: a probability is between 0 and 1")
        return v


class Behaviour(_Strict):
    default: FamilyBehaviour = Field(default_factory=FamilyBehaviour)
    families: dict[str, FamilyBehaviour] = Field(default_factory=dict, description="family -> overrides")
    models: dict[str, FamilyBehaviour] = Field(default_factory=dict, description="model glob -> overrides")
    focus: dict[str, list[str]] = Field(
        default_factory=dict,
        description=(
            "gate (or workflow.gate) -> defect classes its reviewers look for; omitted: every class"
        ),
    )


class On429(_Strict):
    latency: Duration = Field(default=1.0, description="Time a rejected call takes.")
    counts: bool = Field(
        default=True, description="A rejected call still uses one request of the per-minute limit."
    )
    usd: float = Field(default=0.0, ge=0)


class Pool(_Strict):
    """A rate budget (and price list) shared by the calls of the models it names."""

    models: list[str] = Field(min_length=1, description="Model globs, e.g. anthropic/claude-sonnet-* or *.")
    rpm: float | None = Field(default=None, gt=0, description="Requests per minute; omitted: unlimited.")
    tpm: float | None = Field(default=None, gt=0, description="Tokens per minute; omitted: unlimited.")
    burst: Duration = Field(default=60.0, gt=0, description="Bucket depth as time at the full rate.")
    per_agent: bool = Field(default=False, description="Every agent has its own budget of this size.")
    usd_per_call: float = Field(default=0.0, ge=0)
    usd_per_mtok: float = Field(default=0.0, ge=0, description="US dollars per million tokens.")
    on_429: On429 = Field(default_factory=On429)


class Retry(_Strict):
    base: Duration = 1.0
    cap: Duration = 60.0
    max_attempts: int = Field(
        default=6, ge=1, le=1000, description="Attempts per call before the job is dropped."
    )
    jitter: Literal["full", "none"] = "full"


class Pacing(_Strict):
    mode: Literal["paced", "naive"] = Field(
        default="paced",
        description=(
            "paced: the dispatcher reserves capacity before each call and never sends over the limit; "
            "naive: send at once, retry 429s with exponential backoff."
        ),
    )
    target: float = Field(default=1.0, gt=0, le=1, description="Share of each limit the pacer aims at.")
    retry: Retry = Field(default_factory=Retry)


class Humans(_Strict):
    count: int | None = Field(default=None, ge=1, le=10_000, description="Members of each human lane.")
    lanes: list[str] | None = Field(default=None, description="Human lanes this applies to; default: all.")
    hours: tuple[float, float] = Field(
        default=(9.0, 17.0), description="Working hours [start, end) each day."
    )
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"], min_length=1
    )
    review_time: TimeDist = Field(default_factory=lambda: Dist(dist="lognormal", mean=1200.0, cv=0.6))
    detect: dict[str, float] = Field(default_factory=dict, description="class -> chance a human sees one.")
    reject_on_defect: bool = Field(default=True, description="A human who finds a defect rejects the task.")

    @field_validator("hours")
    @classmethod
    def _hours(cls, v):
        if not 0 <= v[0] < v[1] <= 24:
            raise ValueError("hours are [start, end) with 0 <= start < end <= 24")
        return v


class Sweep(_Strict):
    set: str = Field(min_length=1, description="Dotted scenario path to vary, e.g. org.lanes.builder.agents.")
    values: list[Scalar] = Field(min_length=2)
    metric: str = Field(default="throughput_per_day", description="Metric to chart.")


class EngineOptions(_Strict):
    budget_escalation: bool = Field(
        default=True, description="Escalate tasks over their workflow's budget_usd."
    )


class Standup(_Strict):
    """The hivemind standup (org.sim.standup): agent workspaces wake every `every` and spend energy earned
    by last cycle's clean merges on flagging blockers, asking for help and, with energy to spare, chatter."""

    every: Duration | None = Field(
        default=None, gt=0, description="Time between standups; off (or omitted): no standups."
    )
    wake_tokens: float = Field(
        default=1500.0, ge=0, description="Tokens a workspace spends reading the board."
    )
    energy_per_merge: float = Field(
        default=4000.0,
        ge=0,
        description="Tokens of energy per task a workspace authored that finished done with no defect left.",
    )
    flag_tokens: float = Field(
        default=800.0, gt=0, description="Tokens one flag, ask or chatter message costs."
    )
    max_messages: int = Field(default=12, ge=0, le=1000, description="Messages per workspace per standup.")
    stale_after: Duration = Field(default=3600.0, description="A job waiting longer than this is a blocker.")
    help_time: Duration = Field(default=600.0, description="A helper's time on an ask.")
    help_tokens: float = Field(default=6000.0, ge=0, description="Tokens of the helper's call.")

    @field_validator("every", mode="before")
    @classmethod
    def _off(cls, v):
        return (
            None
            if v is None or v is False or (isinstance(v, str) and v.strip().lower() in ("off", "never"))
            else v
        )


class Scenario(_Strict):
    name: str = ""
    description: str = ""
    extends: str | None = Field(default=None, description="Another scenario (name or path) this one changes.")
    seed: int = 1
    duration: Duration = Field(default=7 * DAY, gt=0)
    warmup: Duration = Field(default=0.0, description="Start measuring after this much virtual time.")
    org: OrgSpec = Field(default_factory=OrgSpec)
    workload: Workload
    behaviour: Behaviour = Field(default_factory=Behaviour)
    providers: dict[str, Pool] = Field(default_factory=dict)
    pacing: Pacing = Field(default_factory=Pacing)
    humans: Humans = Field(default_factory=Humans)
    engine: EngineOptions = Field(default_factory=EngineOptions)
    standup: Standup | None = Field(default=None, description="Hivemind standups; omitted: none.")
    sweep: Sweep | None = None
    provenance: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Dotted parameter path -> where its value came from (n and an interval from history, or "
            "'assumed: ...'); written by org sim --from-history, shown by --explain."
        ),
    )

    @model_validator(mode="after")
    def _window(self) -> Scenario:
        if self.warmup >= self.duration:
            raise ValueError("warmup must be shorter than duration")
        return self
