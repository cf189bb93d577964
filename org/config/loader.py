"""Load lanes/ and gates/ into one validated OrgConfig, reporting every problem as FILE:LINE: path: message."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from org.config.families import RESERVED_FAMILIES, candidates, family_of
from org.config.models import (
    ActionFacts,
    CredentialsFile,
    CredentialSpec,
    Lane,
    Member,
    RiskFile,
    RiskSpec,
    RulesFile,
    RuleSpec,
    Workflow,
    is_exemption_key,
)
from org.config.repos import DEFAULT_WORKSPACES, Repo, ReposFile, repo_problems
from org.config.yamlsrc import MAX_YAML_BYTES, Located, load_yaml
from org.errors import ConfigError, Problem, UsageError
from org.inputs import read_bounded

_M = TypeVar("_M", bound=BaseModel)

__all__ = [
    "OrgConfig",
    "Actor",
    "SourcedRule",
    "load_org",
    "load_org_files",
    "load_org_from_texts",
    "find_root",
    "config_files",
]


@dataclass(frozen=True)
class Actor:
    """A principal from lanes/: an agent (with model and family) or a human."""

    id: str
    lane: str
    kind: str  # agent | human
    model: str | None
    family: str | None
    source: str  # file:line of the member entry
    family_declared: bool = (
        False  # the family is the member's `family:` (org could not place its model), not derived
    )

    @property
    def is_human(self) -> bool:
        return self.kind == "human"


@dataclass(frozen=True)
class SourcedRule:
    spec: RuleSpec
    effect: str  # deny | needs_approval
    source: str  # file:line
    path: tuple[Any, ...] = ()  # where in its file, e.g. ("red", 0)


@dataclass
class OrgConfig:
    """The whole org, validated. Pure data: the engine reads it, never the files."""

    root: Path
    lanes: dict[str, Lane]
    workflows: dict[str, Workflow]
    rules: list[SourcedRule]
    risk: RiskSpec
    credentials: dict[str, CredentialSpec]
    attributes: dict[str, Any]
    actors: dict[str, Actor]
    config_hash: str
    repos: dict[str, Repo] = field(default_factory=dict)  # gates/repos.yaml
    workspaces_dir: str = DEFAULT_WORKSPACES
    sources: dict[str, str] = field(
        default_factory=dict
    )  # "lane:builder", "gate:change.review", rule ids ...
    files: dict[str, str] = field(default_factory=dict)  # relative path -> text, what the hash covers
    action_facts: list[tuple[ActionFacts, str]] = field(
        default_factory=list
    )  # [(ActionFacts, "file:line")]: what actions require and imply
    adr_scope: list[str] | None = None  # the ADR tags agents are given ADRs of (a lower layer's; ADR 0120)

    def source(self, key: str) -> str:
        return self.sources.get(key, "")

    def tier_index(self, tier: str) -> int:
        return [t.id for t in self.risk.tiers].index(tier)


def find_root(start: Path | None = None) -> Path:
    """ORG_ROOT, else the nearest folder upward holding lanes/ and gates/."""
    env = os.environ.get("ORG_ROOT")
    if env:
        return Path(env).expanduser().resolve()
    here = (start or Path.cwd()).resolve()
    for p in (here, *here.parents):
        if (p / "lanes").is_dir() and (p / "gates").is_dir():
            return p
    raise UsageError(
        f"no org found: neither {here} nor any folder above it holds lanes/ and gates/ "
        "(run 'org init' to create one, or pass --root)"
    )


def config_files(root: Path) -> list[Path]:
    out: list[Path] = []
    for sub in ("lanes", "gates"):
        d = root / sub
        if d.is_dir():
            # anything but a folder: a FIFO or device named *.yaml is refused by load_yaml, not skipped
            out += sorted(p for p in d.iterdir() if p.suffix in (".yaml", ".yml") and not p.is_dir())
    return out


def _bounded_text(path: Path) -> str:
    """A config file's text for a best-effort look (its lane name), or "" when load_yaml refused to read it."""
    try:
        return read_bounded(path, limit=MAX_YAML_BYTES, what="YAML file").decode("utf-8", errors="replace")
    except (OSError, UsageError):
        return ""


def _problems_from(err: ValidationError, doc: Located, prefix: tuple[Any, ...] = ()) -> list[Problem]:
    out = []
    for e in err.errors():
        loc = tuple(prefix) + tuple(
            x for x in e["loc"] if not (isinstance(x, str) and x.startswith("function-"))
        )
        # pydantic reports the alias-less name of aliased fields; map back to what the user wrote.
        loc = tuple({"in_": "in", "not_": "not"}.get(x, x) if isinstance(x, str) else x for x in loc)
        msg = e["msg"]
        if e["type"] == "extra_forbidden" and loc and is_exemption_key(loc[-1]):
            msg = (
                f"'{loc[-1]}': org has no exemptions; every lane and actor is bound by every rule "
                "(DESIGN invariant 1, docs/DESIGN.md)"
            )
        elif e["type"] == "extra_forbidden":
            from org.config.suggest import did_you_mean, field_names

            msg = "unknown field (not part of the schema)" + (
                did_you_mean(loc[-1], field_names()) if loc else ""
            )
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if e["type"] == "union_tag_invalid" or "literal_error" in e["type"]:
            msg = e["msg"]
        out.append(Problem(doc.file, doc.line(loc), ".".join(str(x) for x in loc), msg))
    return out


def _parse(model: type[_M], doc: Located, problems: list[Problem]) -> _M | None:
    try:
        return model.model_validate(doc.data)
    except ValidationError as err:
        problems += _problems_from(err, doc)
        return None


def load_org(root: Path) -> OrgConfig:
    """Load and cross-check the org at `root`. Raises ConfigError with every problem found."""
    root = Path(root)
    problems: list[Problem] = []
    for sub in ("lanes", "gates"):
        if not (root / sub).is_dir():
            problems.append(Problem(str(root / sub), 0, "", "folder not found (run 'org init')"))
    if problems:
        raise ConfigError(problems)
    return _load(root, [(str(p.relative_to(root)), p, None) for p in config_files(root)])


def load_org_files(files: Mapping[str, str], root: Path | None = None) -> OrgConfig:
    """Load an org from {relative path: text}, e.g. the `files` a task pinned (cfg.files): the
    result has the same config_hash as the org those texts came from."""
    base = Path(root) if root is not None else Path(".")
    entries = [
        (rel, base / rel, text)
        for rel, text in sorted(files.items())
        if rel.split("/", 1)[0] in ("lanes", "gates") and rel.endswith((".yaml", ".yml"))
    ]
    cfg = _load(base, entries)
    if any(rel.startswith("layers/") for rel in files):  # a task's pinned cascade (org.config.cascade)
        from org.config.cascade import resolve_files

        return resolve_files(
            cfg, {**cfg.files, **{k: v for k, v in files.items() if k.startswith("layers/")}}
        )
    return cfg


load_org_from_texts = load_org_files  # the work bus's name for the same thing


def _load(root: Path, entries: Sequence[tuple[str, Path, str | None]]) -> OrgConfig:
    problems: list[Problem] = []
    lanes: dict[str, Lane] = {}
    workflows: dict[str, Workflow] = {}
    rules: list[SourcedRule] = []
    risk: RiskSpec | None = None
    risk_doc: Located | None = None
    credentials: dict[str, CredentialSpec] = {}
    repos: dict[str, Repo] = {}
    workspaces_dir = DEFAULT_WORKSPACES
    attributes: dict[str, Any] = {}
    actors: dict[str, Actor] = {}
    action_facts: list[tuple[ActionFacts, str]] = []
    sources: dict[str, str] = {}
    files: dict[str, str] = {}
    docs: dict[str, Located] = {}

    guessed: dict[str, str] = {}  # lane file that is not YAML -> the lane name its 'lane:' line gives
    kind_of: dict[
        str, str
    ] = {}  # file -> lanes|workflow|rules|risk|credentials (what failed is not cross-checked)
    for rel, path, text in entries:
        kind_of[rel] = "lanes" if rel.startswith("lanes") else "gates"
        doc, probs = load_yaml(path, rel, text)
        problems += probs
        if doc is None:
            if rel.startswith("lanes"):  # known by name still, so references to the other lanes are checked
                raw = (
                    _bounded_text(path)
                    if text is None
                    else text.decode("utf-8", errors="replace")
                    if isinstance(text, bytes)
                    else text
                )
                m = re.search(r"^lane:[ \t]*['\"]?([\w.-]+)", raw, re.M)
                if m:
                    guessed[rel] = m.group(1)
            continue
        files[rel] = doc.text
        if not isinstance(doc.data, dict):
            problems.append(Problem(rel, 1, "", "expected a mapping at the top level"))
            continue
        docs[rel] = doc
        keys = set(doc.data)
        if rel.startswith("lanes"):
            if "lane" not in keys:
                problems.append(Problem(rel, 1, "lane", "a lane file starts with 'lane: NAME'"))
                continue
            lane = _parse(Lane, doc, problems)
            if lane is None:
                continue
            if lane.lane in lanes:
                problems.append(
                    Problem(
                        rel,
                        doc.line(("lane",)),
                        "lane",
                        f"lane '{lane.lane}' is defined twice ({sources['lane:' + lane.lane]})",
                    )
                )
                continue
            lanes[lane.lane] = lane
            sources[f"lane:{lane.lane}"] = f"{rel}:{doc.line(('lane',))}"
            sources[f"lane:{lane.lane}:may"] = f"{rel}:{doc.line(('may',))}"
            sources[f"lane:{lane.lane}:may_not"] = (
                f"{rel}:{doc.line(('may_not',)) if 'may_not' in doc.data else doc.line(('may',))}"
            )
            for key in ("may", "may_not"):
                for i in range(len(getattr(lane, key))):
                    sources[f"lane:{lane.lane}:{key}:{i}"] = f"{rel}:{doc.line((key, i))}"
            problems += _member_problems(lane, doc)
            for i, member in enumerate(lane.members):
                src = f"{rel}:{doc.line(('members', i))}"
                if member.id in actors:
                    problems.append(
                        Problem(
                            rel,
                            doc.line(("members", i, "id")),
                            f"members.{i}.id",
                            f"actor '{member.id}' is already a member of lane '{actors[member.id].lane}' "
                            f"({actors[member.id].source})",
                        )
                    )
                    continue
                actors[member.id] = _actor(member, lane, src)
        elif "workflow" in keys:
            kind_of[rel] = "workflow"
            wf = _parse(Workflow, doc, problems)
            if wf is None:
                continue
            if wf.workflow in workflows:
                problems.append(
                    Problem(
                        rel,
                        doc.line(("workflow",)),
                        "workflow",
                        f"workflow '{wf.workflow}' is defined twice ({sources['workflow:' + wf.workflow]})",
                    )
                )
                continue
            workflows[wf.workflow] = wf
            sources[f"workflow:{wf.workflow}"] = f"{rel}:{doc.line(('workflow',))}"
            for g in wf.gates:
                sources[f"gate:{wf.workflow}.{g}"] = f"{rel}:{doc.line(('gates', g))}"
            sources[f"limits:{wf.workflow}"] = f"{rel}:{doc.line(('limits',))}"
        elif keys & {"red", "consequential", "attributes"}:
            kind_of[rel] = "rules"
            rf = _parse(RulesFile, doc, problems)
            if rf is None:
                continue
            for name, spec in rf.attributes.items():
                if name in attributes:
                    problems.append(
                        Problem(
                            rel,
                            doc.line(("attributes", name)),
                            f"attributes.{name}",
                            "attribute declared twice",
                        )
                    )
                attributes[name] = spec
                sources[f"attr:{name}"] = f"{rel}:{doc.line(('attributes', name))}"
            for i, af in enumerate(rf.actions):
                action_facts.append((af, f"{rel}:{doc.line(('actions', i))}"))
            for section, effect in (("red", "deny"), ("consequential", "needs_approval")):
                for i, spec in enumerate(getattr(rf, section)):
                    src = f"{rel}:{doc.line((section, i))}"
                    if spec.id in sources:
                        problems.append(
                            Problem(
                                rel,
                                doc.line((section, i, "id")),
                                f"{section}.{i}.id",
                                f"rule id '{spec.id}' is used twice ({sources[spec.id]})",
                            )
                        )
                        continue
                    sources[spec.id] = src
                    rules.append(SourcedRule(spec, effect, src, (section, i)))
        elif "risk" in keys:
            kind_of[rel] = "risk"
            rk = _parse(RiskFile, doc, problems)
            if rk is None:
                continue
            if risk is not None:
                first = risk_doc.file if risk_doc is not None else "another file"
                problems.append(Problem(rel, 1, "risk", f"risk is defined twice (also in {first})"))
                continue
            risk, risk_doc = rk.risk, doc
            for i, c in enumerate(risk.classify):
                sources[c.id] = f"{rel}:{doc.line(('risk', 'classify', i))}"
            sources["risk:default"] = f"{rel}:{doc.line(('risk', 'default'))}"
        elif "credentials" in keys:
            kind_of[rel] = "credentials"
            cf = _parse(CredentialsFile, doc, problems)
            if cf is None:
                continue
            for name, cred in cf.credentials.items():
                if name in credentials:
                    problems.append(
                        Problem(
                            rel,
                            doc.line(("credentials", name)),
                            f"credentials.{name}",
                            "credential declared twice",
                        )
                    )
                credentials[name] = cred
                sources[f"credential:{name}"] = f"{rel}:{doc.line(('credentials', name))}"
        elif "repos" in keys:
            kind_of[rel] = "repos"
            rp = _parse(ReposFile, doc, problems)
            if rp is None:
                continue
            if repos:
                problems.append(Problem(rel, 1, "repos", "repositories are defined in two files"))
                continue
            repos, workspaces_dir = dict(rp.repos), rp.workspaces
            for name in rp.repos:
                sources[f"repo:{name}"] = f"{rel}:{doc.line(('repos', name))}"
                for key in doc.data["repos"][name]:  # every field's line, cited by the diff guard's denials
                    sources[f"repo:{name}:{key}"] = f"{rel}:{doc.line(('repos', name, key))}"
        else:
            problems.append(
                Problem(
                    rel,
                    1,
                    "",
                    "unrecognised file: expected a top-level 'lane', 'workflow', 'red'/'consequential', 'risk', 'credentials' or 'repos' key",
                )
            )

    if risk is None and not any(kind_of.get(p.file) in ("risk", "gates") for p in problems):
        problems.append(
            Problem(
                "gates/risk.yaml",
                0,
                "",
                "no risk model found: add a gates file with 'risk: {tiers: ..., default: ...}'",
            )
        )
    if risk is None:
        raise ConfigError([_printable(p) for p in problems])

    digest = hashlib.sha256()
    for rel in sorted(files):
        digest.update(rel.encode() + b"\0" + files[rel].encode() + b"\0")
    cfg = OrgConfig(
        root=root,
        lanes=lanes,
        workflows=workflows,
        rules=rules,
        risk=risk,
        credentials=credentials,
        attributes=attributes,
        actors=actors,
        config_hash=digest.hexdigest()[:16],
        sources=sources,
        files=files,
        repos=repos,
        workspaces_dir=workspaces_dir,
        action_facts=action_facts,
    )
    from org.config.checks import cross_check  # keeps module import order simple

    # Cross-check what did load, so one run reports (nearly) everything; references into files
    # that failed to load are not reported (they would only echo the first problem).
    failed = {kind_of.get(p.file, "gates") for p in problems}
    if "lanes" in failed:
        # a lane whose file parsed but did not validate is still known by name; an unparsable one is not
        named = [
            str(docs[p.file].data.get("lane"))
            for p in problems
            if kind_of.get(p.file) == "lanes"
            and p.file in docs
            and isinstance(docs[p.file].data, dict)
            and "lane" in docs[p.file].data
        ]
        unparsed = any(
            kind_of.get(p.file) == "lanes" and p.file not in docs and p.file not in guessed for p in problems
        )
        failed = (failed - {"lanes"}) | (
            {"lanes"} if unparsed else {f"lane:{n}" for n in [*named, *guessed.values()]}
        )
    problems += cross_check(cfg, docs, skip=failed)
    problems += repo_problems(cfg, docs)
    if problems:
        raise ConfigError([_printable(p) for p in problems])
    return cfg


def _printable(p: Problem) -> Problem:
    """One problem, one line: control characters a file smuggled into a key or value are escaped."""

    def clean(text: str) -> str:
        return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)

    if p.path.isprintable() and p.message.isprintable():
        return p
    return Problem(p.file, p.line, clean(p.path), clean(p.message))


def _member_problems(lane: Lane, doc: Located) -> list[Problem]:
    """Agents need a model whose family is known (cross-vendor review depends on it); humans have none."""
    out = []
    for i, m in enumerate(lane.members):
        model = m.model or ""  # an agent's model is there past the first branch
        if lane.kind == "agent" and not m.model:
            out.append(
                Problem(
                    doc.file,
                    doc.line(("members", i)),
                    f"members.{i}.model",
                    f"agent member '{m.id}' needs a 'model' (a litellm model string)",
                )
            )
        elif (
            lane.kind == "agent"
            and m.family
            and (
                m.family.strip().lower() in RESERVED_FAMILIES
                or family_of(model) not in ("unknown", m.family.strip().lower())
            )
        ):
            placed = family_of(model)
            out.append(
                Problem(
                    doc.file,
                    doc.line(("members", i, "family")),
                    f"members.{i}.family",
                    f"'{m.family}' is reserved for org"
                    if m.family.strip().lower() in RESERVED_FAMILIES
                    else f"org places '{m.model}' as a {placed} model; a family override is only for models "
                    "org cannot place (a cross-vendor gate never trusts a declared family over the model)",
                )
            )
        elif (
            lane.kind == "agent"
            and m.family
            and candidates(model)
            and m.family.strip().lower() not in candidates(model)
        ):
            one, other = candidates(model)
            out.append(
                Problem(
                    doc.file,
                    doc.line(("members", i, "family")),
                    f"members.{i}.family",
                    f"'{m.model}' is a {other} model name behind a {one} provider prefix: its family is "
                    f"{one} or {other}, never '{m.family}' (a cross-vendor gate never trusts a declared "
                    "family the model string rules out)",
                )
            )
        elif lane.kind == "agent" and family_of(model, m.family) == "unknown":
            out.append(
                Problem(
                    doc.file,
                    doc.line(("members", i, "model")),
                    f"members.{i}.model",
                    f"cannot tell the model family of '{m.model}' (cross-vendor review depends on it); "
                    "add 'family: <vendor>', e.g. family: meta",
                )
            )
        elif lane.kind == "human" and (m.runtime or m.command):
            out.append(
                Problem(
                    doc.file,
                    doc.line(("members", i, "runtime" if m.runtime else "command")),
                    f"members.{i}.{'runtime' if m.runtime else 'command'}",
                    f"human member '{m.id}' has no agent runtime (runtime is for agent lanes' members)",
                )
            )
        elif lane.kind == "human" and m.model:
            out.append(
                Problem(
                    doc.file,
                    doc.line(("members", i, "model")),
                    f"members.{i}.model",
                    f"human member '{m.id}' cannot have a 'model'",
                )
            )
        elif lane.kind == "human" and m.family:
            out.append(
                Problem(
                    doc.file,
                    doc.line(("members", i, "family")),
                    f"members.{i}.family",
                    f"human member '{m.id}' cannot have a model 'family'",
                )
            )
    return out


def _actor(m: Member, lane: Lane, src: str) -> Actor:
    placed = family_of(m.model) if m.model else None
    declared = placed == "unknown" and bool(m.family)
    fam = (family_of(m.model, m.family) if declared else placed) if m.model else None
    return Actor(
        id=m.id,
        lane=lane.lane,
        kind=lane.kind,
        model=m.model,
        family=fam,
        source=src,
        family_declared=declared,
    )
