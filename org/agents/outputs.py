"""What lane agents must answer: strict pydantic models for builder, operator, reviewer and security
output, and a parser that finds the one JSON object in a model's reply or says precisely what is wrong.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = [
    "ActionRequest",
    "ServiceCall",
    "Finding",
    "BuilderOutput",
    "PlanOutput",
    "ReviewVerdict",
    "SecurityVerdict",
    "OUTPUT_MODELS",
    "MalformedOutput",
    "parse_output",
    "schema_text",
]

Scalar = str | int | float | bool


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ServiceCall(_Out):
    """The HTTP request the credential broker makes on the service for a credential.use, with the secret it
    alone holds; the agent gets back the status and the answer (scrubbed), never the secret."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    path: str = Field(
        default="/",
        max_length=2000,
        pattern=r"^/([^/\s]\S*)?$",
        description="Path on the service (no scheme or host), e.g. /rest/api/2/issue.",
    )
    body: str | dict[str, Any] | None = Field(
        default=None, description="Request body: JSON text or an object."
    )


class ActionRequest(_Out):
    """An action the agent asks to take. It names credentials; it never carries a secret. Every request
    goes through decide() like anyone else's, and is recorded."""

    action: str = Field(
        min_length=1,
        max_length=80,
        pattern=r"^[a-z][a-z0-9_.*-]*$",
        description="Action name, e.g. credential.use, deploy.production, env.rebuild.",
    )
    attributes: dict[str, Scalar] = Field(
        default_factory=dict,
        description="Attributes of the action, e.g. credential, service, environment, via.",
    )
    why: str = Field(default="", max_length=500, description="One sentence: why this action is needed.")
    call: ServiceCall | None = Field(
        default=None,
        description="For credential.use: the request on the service "
        "that the broker makes with the credential.",
    )


class Finding(_Out):
    severity: Literal["info", "low", "medium", "high", "critical"]
    text: str = Field(
        min_length=1, max_length=2000, description="What is wrong and where, in one or two sentences."
    )
    file: str | None = Field(default=None, max_length=300)
    line: int | None = Field(default=None, ge=1, description="The line in `file` the finding is about.")


class BuilderOutput(_Out):
    """A builder's delivery: the change as a unified diff (or the full new text of a document)."""

    summary: str = Field(min_length=1, max_length=2000, description="What changed and why, for reviewers.")
    diff: str = Field(min_length=1, max_length=200_000, description="Unified diff of the change.")
    files: list[str] = Field(min_length=1, max_length=200, description="Paths the change touches.")
    adrs_cited: list[int] = Field(default_factory=list, description="Ids of the ADRs the work follows.")
    actions: list[ActionRequest] = Field(default_factory=list, max_length=20)


class PlanOutput(_Out):
    """An operator's plan (at a plan gate) or record of execution (at an execute gate)."""

    summary: str = Field(min_length=1, max_length=2000)
    steps: list[str] = Field(min_length=1, max_length=50, description="Exactly what will be done, in order.")
    adrs_cited: list[int] = Field(default_factory=list)
    actions: list[ActionRequest] = Field(
        default_factory=list,
        max_length=20,
        description="The actions the steps take, each named with its attributes.",
    )


class ReviewVerdict(_Out):
    """A review of one revision: pass, fail, or changes (send back for rework) with findings."""

    verdict: Literal["pass", "fail", "changes"]
    revision: str = Field(min_length=1, max_length=64, description="The revision hash that was reviewed.")
    summary: str = Field(min_length=1, max_length=2000)
    findings: list[Finding] = Field(default_factory=list, max_length=50)
    adrs_cited: list[int] = Field(default_factory=list)


class SecurityVerdict(ReviewVerdict):
    """A security review; the security lane may also ask to take actions (e.g. run a scanner with a
    credential). Those requests are bound by the same RED rules as everyone's."""

    actions: list[ActionRequest] = Field(default_factory=list, max_length=20)


OUTPUT_MODELS: dict[str, type[_Out]] = {
    "BuilderOutput": BuilderOutput,
    "PlanOutput": PlanOutput,
    "ReviewVerdict": ReviewVerdict,
    "SecurityVerdict": SecurityVerdict,
}


class MalformedOutput(ValueError):
    """The reply is not one valid object of the expected model. `problems` says what to fix."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def schema_text(model: type[_Out]) -> str:
    """The JSON Schema the prompt shows the model (compact, stable key order)."""
    return json.dumps(model.model_json_schema(), sort_keys=True, separators=(",", ":"))


_FENCE = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.S)


def _candidates(text: str) -> list[str]:
    text = text.strip()
    out = [m.group(1) for m in _FENCE.finditer(text)]
    if text.startswith("{"):
        out.insert(0, text)
    start = text.find("{")
    end = text.rfind("}")
    if start != -1 and end > start:
        out.append(text[start : end + 1])
    return out


def parse_output(model: type[_Out], text: str, *, revision: str | None = None) -> Any:
    """Parse the reply as `model`. A review must name the revision it reviewed. Raises MalformedOutput."""
    if not text or not text.strip():
        raise MalformedOutput(["the reply was empty; expected one JSON object"])
    data = None
    for cand in _candidates(text):
        try:
            data = json.loads(cand)
            break
        except json.JSONDecodeError:
            continue
    if data is None:
        raise MalformedOutput(["the reply is not JSON; expected exactly one JSON object and no prose"])
    if not isinstance(data, dict):
        raise MalformedOutput([f"expected a JSON object, got {type(data).__name__}"])
    try:
        out = model.model_validate(data)
    except ValidationError as exc:
        raise MalformedOutput(
            [f"{'.'.join(str(x) for x in e['loc']) or '(top level)'}: {e['msg']}" for e in exc.errors()[:10]]
        ) from None
    if revision is not None and isinstance(out, ReviewVerdict) and out.revision != revision:
        raise MalformedOutput([f"revision: you reviewed '{revision}' but answered for '{out.revision}'"])
    if isinstance(out, ReviewVerdict) and out.verdict != "pass" and not out.findings:
        raise MalformedOutput([f"findings: a '{out.verdict}' verdict needs at least one finding"])
    return out
