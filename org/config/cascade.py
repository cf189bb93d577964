"""The policy cascade org -> repository -> task: every lower layer only tightens, every value keeps its source.

`resolve(cfg, repo=..., repo_text=..., task_policy=...)` returns the OrgConfig a task runs under: the org's
with the repository's `.org/policy.yaml` (as committed on the target branch) and the task's own policy
applied. A layer that would widen a value raises ConfigError naming the value, its FILE:LINE and where the
value it tries to widen came from (DESIGN invariant 19). The layers' texts join the config's `files`
(under LAYERS), so the hash a task pins covers them and `load_org_files` rebuilds the same cascade from a
pin (DESIGN invariant 9). `statements(cfg)` lists what every layer said about each value it touched.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from org.config.layers import REPO_POLICY, RepoPolicy, TaskPolicy, widening_key
from org.config.loader import OrgConfig, SourcedRule, _problems_from
from org.config.models import ClassifyRule, Condition, Limits, RuleSpec
from org.config.yamlsrc import Located, load_yaml
from org.errors import ConfigError, Problem

__all__ = [
    "Statement",
    "LAYERS",
    "TASK_FILE",
    "REPO_TIER",
    "TASK_TIER",
    "REPO_CREDENTIALS",
    "TASK_CREDENTIALS",
    "resolve",
    "resolve_files",
    "repo_layer_key",
    "task_policy_text",
    "statements",
    "layer_files",
]

LAYERS = "layers/"  # prefix of the lower layers' texts in OrgConfig.files
TASK_FILE = "layers/task/policy.yaml"
# Ids of the rules a layer adds (not org's built-in ORG- rules: they come from a layer's file and line).
REPO_TIER = "LAYER-REPO-TIER"
TASK_TIER = "LAYER-TASK-TIER"
REPO_CREDENTIALS = "LAYER-REPO-CREDENTIALS"
TASK_CREDENTIALS = "LAYER-TASK-CREDENTIALS"
_ALWAYS = Condition(attr="repo", ne="\x00")  # a missing attribute is ne anything (ADR 0002): always true
_LIMITS = ("max_rework_rounds", "no_progress_seconds", "budget_usd")
_WIDEN = "a lower layer only tightens (DESIGN invariant 19, docs/DESIGN.md)"


@dataclass(frozen=True)
class Statement:
    """What one layer says about one value: its dotted path, the value, the layer and its FILE:LINE."""

    path: str
    value: Any
    layer: str  # org | repo | task
    source: str

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "value": self.value, "layer": self.layer, "source": self.source}


def repo_layer_key(repo: str, commit: str) -> str:
    """Where a repository's policy file, as committed at `commit`, sits in a config's files."""
    return f"{LAYERS}repo/{repo}@{commit}/{REPO_POLICY}"


def task_policy_text(policy: dict[str, Any] | None) -> str:
    """A task's policy as the YAML text that is pinned (and cited by line)."""
    if not policy:
        return ""
    return yaml.safe_dump(policy, sort_keys=True, default_flow_style=False, allow_unicode=True)


def layer_files(cfg: OrgConfig) -> dict[str, str]:
    return {k: v for k, v in cfg.files.items() if k.startswith(LAYERS)}


def resolve(
    cfg: OrgConfig,
    *,
    repo: str | None = None,
    repo_text: str | None = None,
    commit: str = "",
    task_policy: dict[str, Any] | None = None,
) -> OrgConfig:
    """The org's config with the repository's and the task's layers applied (each only tightening). A task
    with a repository always gets the repository layer: its policy file is then a protected path even when
    the repository has none yet. The org's own config is returned unchanged when there is no layer."""
    files = {k: v for k, v in cfg.files.items() if not k.startswith(LAYERS)}
    if repo is not None:
        files[repo_layer_key(repo, commit or "none")] = repo_text or ""
    text = task_policy_text(task_policy)
    if text:
        files[TASK_FILE] = text
    return resolve_files(_base(cfg), files)


def _base(cfg: OrgConfig) -> OrgConfig:
    """The org layer of a config (a resolved config keeps it, so layers are never applied twice)."""
    base: OrgConfig = cfg.__dict__.get("_org_layer", cfg)
    return base


def resolve_files(org: OrgConfig, files: dict[str, str]) -> OrgConfig:
    """Apply the layers among `files` (LAYERS keys) to the org layer `org`; `files` also holds the org's."""
    layers = sorted(k for k in files if k.startswith(LAYERS))
    if not layers:
        return org
    work = _Work(org)
    problems: list[Problem] = []
    repo_keys = [k for k in layers if k.startswith(f"{LAYERS}repo/")]
    if len(repo_keys) > 1:
        problems.append(Problem(repo_keys[1], 0, "", "a task works in one repository"))
    for key in repo_keys[:1]:
        name = key[len(f"{LAYERS}repo/") :].split("@", 1)[0]
        if name not in org.repos:
            problems.append(Problem(_label(key), 0, "", f"no repository '{name}' in gates/repos.yaml"))
            continue
        problems += work.apply(key, files[key], "repo", name)
    if TASK_FILE in files:
        repo_name = repo_keys[0][len(f"{LAYERS}repo/") :].split("@", 1)[0] if repo_keys else None
        problems += work.apply(TASK_FILE, files[TASK_FILE], "task", repo_name)
    if problems:
        raise ConfigError(problems)
    return work.build(files)


def _label(key: str) -> str:
    """How a layer file is named in messages: 'app@1a2b3c4d5e6f:.org/policy.yaml', 'task policy'."""
    if key == TASK_FILE:
        return "task policy"
    rest = key[len(f"{LAYERS}repo/") :]
    head, _, path = rest.partition("/")
    name, _, commit = head.partition("@")
    return f"{name}@{commit[:12]}:{path}" if commit and commit != "none" else f"{name}:{path}"


def _fmt(v: Any) -> str:
    if v is None:
        return "unlimited"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, list):
        return "[" + ", ".join(str(x) for x in v) + "]"
    return str(v)


class _Work:
    """The values being resolved, each with the statements every layer made about it."""

    def __init__(self, org: OrgConfig) -> None:
        self.org = org
        self.said: dict[str, list[Statement]] = {}
        self.rules: list[SourcedRule] = []
        self.classify: list[ClassifyRule] = []
        self.sources: dict[str, str] = {}
        self._docs = _org_docs(org)

    # -- the org layer, read lazily: only the values a lower layer touches ---------------------
    def _org_source(self, file_key: str, path: tuple[Any, ...]) -> str:
        f, _, line = self.org.source(file_key).rpartition(":")
        doc = self._docs.get(f)
        if doc is None:
            return self.org.source(file_key)
        return f"{f}:{doc.line(path)}" if path in doc.lines else f"{f}:{line} (default)"

    def current(self, path: str) -> Statement:
        said = self.said.get(path)
        if said:
            return said[-1]
        st = self._org_statement(path)
        self.said[path] = [st]
        return st

    def _org_statement(self, path: str) -> Statement:
        org = self.org
        parts = path.split(".")
        value: Any
        if parts[0] == "lanes":
            lane = org.lanes[parts[1]]
            key = parts[2]
            if key == "models":
                value = (
                    list(lane.models) if lane.models else sorted({m.model for m in lane.members if m.model})
                )
                where = ("models",) if lane.models else ("members",)
            else:
                value, where = list(lane.may_not), (key,)
            return Statement(path, value, "org", self._org_source(f"lane:{lane.lane}", where))
        if parts[0] == "workflows":
            wf = org.workflows[parts[1]]
            if parts[2] == "limits":
                return Statement(
                    path,
                    getattr(wf.limits, parts[3]),
                    "org",
                    self._org_source(f"workflow:{wf.workflow}", ("limits", parts[3])),
                )
            gate = wf.gates[parts[3]]
            value = getattr(gate, parts[4])
            return Statement(
                path,
                list(value) if isinstance(value, list) else value,
                "org",
                self._org_source(f"workflow:{wf.workflow}", ("gates", parts[3], parts[4])),
            )
        if parts[0] == "repos":
            spec = org.repos[parts[1]]
            key = parts[2]
            value = getattr(spec, key)
            if key == "max_diff":
                value = getattr(value, parts[3]) if value is not None else None
            elif isinstance(value, BaseModel):
                value = value.model_dump()
            elif isinstance(value, list):
                value = list(value)
            src = org.source(f"repo:{parts[1]}:{key}") or f"{org.source(f'repo:{parts[1]}')} (default)"
            return Statement(path, value, "org", src)
        if path == "credentials":
            first = next(iter(sorted(org.credentials)), None)
            src = org.source(f"credential:{first}") if first else "(no gates credentials file)"
            return Statement(path, sorted(org.credentials), "org", src)
        if path == "adrs.tags":
            return Statement(path, None, "org", "adrs/ (every accepted ADR)")
        if path == "risk.floor":
            return Statement(path, org.risk.default, "org", org.source("risk:default"))
        raise KeyError(path)

    # -- applying a layer ------------------------------------------------------------------
    def apply(self, key: str, text: str, layer: str, repo: str | None) -> list[Problem]:
        label = _label(key)
        doc, problems = load_yaml(self.org.root / key, label, text)
        if doc is None and all(p.message == "file is empty" for p in problems):
            doc = Located(label, {}, {}, text)  # no policy file (or an empty one): nothing tightened
        if doc is None:
            return problems
        if doc.data is None:
            doc.data = {}
        if not isinstance(doc.data, dict):
            return [Problem(label, 1, "", "expected a mapping at the top level")]
        model = RepoPolicy if layer == "repo" else TaskPolicy
        if layer == "task":
            for k in ("setup", "test", "protected", "golden", "max_diff"):
                if k in doc.data:
                    return [
                        Problem(
                            label,
                            doc.line((k,)),
                            k,
                            f"only a repository states its '{k}' (gates/repos.yaml or its {REPO_POLICY}); "
                            "a task cannot change it",
                        )
                    ]
        try:
            pol = model.model_validate(doc.data)
        except ValidationError as err:
            out = []
            for p in _problems_from(err, doc):
                what = widening_key(tuple(p.path.split(".")))
                if what and p.message.startswith("unknown field"):
                    p = Problem(
                        p.file, p.line, p.path, f"'{p.path.split('.')[-1]}' would change {what}: {_WIDEN}"
                    )
                out.append(p)
            return out
        return _Layer(self, doc, label, layer, repo).run(pol)

    def say(self, st: Statement) -> None:
        self.current(st.path)
        self.said[st.path].append(st)

    # -- the resolved config ---------------------------------------------------------------
    def build(self, files: dict[str, str]) -> OrgConfig:
        org = self.org
        lanes = dict(org.lanes)
        workflows = dict(org.workflows)
        repos = dict(org.repos)
        adr_scope = org.adr_scope
        for path, said in self.said.items():
            if len(said) < 2:
                continue
            value = said[-1].value
            parts = path.split(".")
            if parts[0] == "lanes":
                lanes[parts[1]] = lanes[parts[1]].model_copy(update={parts[2]: value})
            elif parts[0] == "adrs":
                adr_scope = list(value)
            elif parts[0] == "workflows" and parts[2] == "limits":
                wf = workflows[parts[1]]
                limits = Limits.model_validate({**wf.limits.model_dump(), parts[3]: value})
                workflows[parts[1]] = wf.model_copy(update={"limits": limits})
            elif parts[0] == "workflows":
                wf = workflows[parts[1]]
                gate = wf.gates[parts[3]].model_copy(update={parts[4]: value})
                workflows[parts[1]] = wf.model_copy(update={"gates": {**wf.gates, parts[3]: gate}})
            elif parts[0] == "repos":
                spec = repos[parts[1]]
                if parts[2] == "max_diff":
                    from org.config.repos import MaxDiff

                    md = spec.max_diff.model_dump() if spec.max_diff else {}
                    update: dict[str, Any] = {"max_diff": MaxDiff.model_validate({**md, parts[3]: value})}
                elif parts[2] in ("setup", "test"):
                    from org.config.repos import Command

                    update = {parts[2]: Command.model_validate(value)}
                else:
                    update = {parts[2]: value}
                repos[parts[1]] = spec.model_copy(update=update)
        sources = {**org.sources, **self.sources}
        for path, said in self.said.items():
            if len(said) > 1:
                sources[f"value:{path}"] = said[-1].source
                parts = path.split(".")
                if parts[0] == "repos" and parts[2] in ("protected", "golden"):
                    for older, newer in zip(
                        said, said[1:], strict=False
                    ):  # each glob cites the layer adding it
                        for glob in newer.value:
                            if glob not in older.value:
                                sources[f"repo:{parts[1]}:{parts[2]}:{glob}"] = newer.source
                elif parts[0] == "repos":
                    sources[f"repo:{parts[1]}:{parts[2]}"] = said[-1].source
        risk = org.risk
        if self.classify:
            risk = risk.model_copy(update={"classify": [*risk.classify, *self.classify]})
        digest = hashlib.sha256()
        for rel in sorted(files):
            digest.update(rel.encode() + b"\0" + files[rel].encode() + b"\0")
        out = dataclasses.replace(
            org,
            lanes=lanes,
            workflows=workflows,
            repos=repos,
            rules=[*org.rules, *self.rules],
            risk=risk,
            sources=sources,
            files=dict(files),
            config_hash=digest.hexdigest()[:16],
            adr_scope=adr_scope,
        )
        out.__dict__["_org_layer"] = org
        out.__dict__["_docs"] = self._docs  # the org layer's parsed files (the layers are not among them)
        out.__dict__["_statements"] = {p: tuple(s) for p, s in self.said.items() if len(s) > 1}
        return out


def _org_docs(org: OrgConfig) -> dict[str, Located]:
    docs = org.__dict__.get("_docs")
    if docs is None:
        docs = {}
        for rel, text in org.files.items():
            if rel.startswith(LAYERS):
                continue
            doc, _ = load_yaml(org.root / rel, rel, text)
            if doc is not None:
                docs[rel] = doc
        org.__dict__["_docs"] = docs
    return docs


class _Layer:
    """One layer's statements, each checked against the value it tightens."""

    def __init__(self, work: _Work, doc: Located, label: str, layer: str, repo: str | None) -> None:
        self.w, self.doc, self.label, self.layer, self.repo = work, doc, label, layer, repo
        self.problems: list[Problem] = []

    def src(self, path: tuple[Any, ...]) -> str:
        return f"{self.label}:{self.doc.line(path)}"

    def refuse(self, path: tuple[Any, ...], message: str) -> None:
        self.problems.append(
            Problem(self.label, self.doc.line(path), ".".join(str(x) for x in path), message)
        )

    def widens(self, path: tuple[Any, ...], target: str, new: Any, cur: Statement, how: str) -> None:
        self.refuse(
            path,
            f"widens {target}: {_fmt(new)} {how} {_fmt(cur.value)}, the {cur.layer} layer's value at "
            f"{cur.source}; {_WIDEN}",
        )

    def run(self, pol: TaskPolicy) -> list[Problem]:
        org = self.w.org
        agent_lanes = [n for n, lane in org.lanes.items() if lane.kind == "agent"]
        if pol.tier is not None:
            self.tier(pol.tier)
        if pol.models is not None:
            known = {m for n in agent_lanes for m in self.w.current(f"lanes.{n}.models").value}
            for i, m in enumerate(pol.models):
                if m not in known:
                    self.refuse(
                        ("models", i),
                        f"unknown model '{m}': no agent lane may call it here ({_fmt(sorted(known))})",
                    )
            for n in agent_lanes:
                cur = self.w.current(f"lanes.{n}.models")
                keep = [m for m in cur.value if m in pol.models]
                self.w.say(Statement(f"lanes.{n}.models", keep, self.layer, self.src(("models",))))
        if pol.credentials is not None:
            self.credentials(pol.credentials)
        if pol.adrs is not None:
            cur = self.w.current("adrs.tags")
            tags = sorted({t.strip().lower() for t in pol.adrs if t.strip()})
            wider = [t for t in tags if cur.value is not None and t not in cur.value]
            if wider:
                self.widens(("adrs",), "adrs.tags", wider, cur, "is not within")
            else:
                self.w.say(Statement("adrs.tags", tags, self.layer, self.src(("adrs",))))
        if pol.limits is not None:
            for wf in org.workflows:
                self.limits(("limits",), wf, pol.limits)
        for name, lane_layer in pol.lanes.items():
            if name not in org.lanes:
                self.refuse(("lanes", name), f"unknown lane '{name}' (lanes: {', '.join(sorted(org.lanes))})")
                continue
            if lane_layer.may_not:
                cur = self.w.current(f"lanes.{name}.may_not")
                added = [p for p in lane_layer.may_not if p not in cur.value]
                self.w.say(
                    Statement(
                        f"lanes.{name}.may_not",
                        [*cur.value, *added],
                        self.layer,
                        self.src(("lanes", name, "may_not")),
                    )
                )
            if lane_layer.models is not None:
                if org.lanes[name].kind != "agent":
                    self.refuse(
                        ("lanes", name, "models"), f"lane '{name}' is a human lane: it calls no models"
                    )
                    continue
                cur = self.w.current(f"lanes.{name}.models")
                for i, m in enumerate(lane_layer.models):
                    if m not in cur.value:
                        self.widens(
                            ("lanes", name, "models", i), f"lanes.{name}.models", [m], cur, "is not within"
                        )
                keep = [m for m in lane_layer.models if m in cur.value]
                self.w.say(
                    Statement(f"lanes.{name}.models", keep, self.layer, self.src(("lanes", name, "models")))
                )
        for wf_name, wf_layer in pol.workflows.items():
            if wf_name not in org.workflows:
                self.refuse(
                    ("workflows", wf_name),
                    f"unknown workflow '{wf_name}' (workflows: {', '.join(sorted(org.workflows))})",
                )
                continue
            if wf_layer.limits is not None:
                self.limits(("workflows", wf_name, "limits"), wf_name, wf_layer.limits)
            for g, gate_layer in wf_layer.gates.items():
                self.gate(wf_name, g, gate_layer)
        if isinstance(pol, RepoPolicy):
            self.repo_values(pol)
        return self.problems

    def tier(self, tier: str) -> None:
        order = [t.id for t in self.w.org.risk.tiers]
        if tier not in order:
            self.refuse(("tier",), f"unknown tier '{tier}' (tiers: {', '.join(order)})")
            return
        cur = self.w.current("risk.floor")
        if order.index(tier) < order.index(cur.value):
            self.widens(("tier",), "risk.floor", tier, cur, "is below")
            return
        self.w.say(Statement("risk.floor", tier, self.layer, self.src(("tier",))))
        rule_id = REPO_TIER if self.layer == "repo" else TASK_TIER
        title = f"the {self.layer} layer's tier floor ({self.label})"
        self.w.classify = [c for c in self.w.classify if c.id != rule_id]
        self.w.classify.append(ClassifyRule(id=rule_id, tier=tier, when=_ALWAYS, title=title))
        self.w.sources[rule_id] = self.src(("tier",))

    def credentials(self, names: list[str]) -> None:
        org = self.w.org
        cur = self.w.current("credentials")
        for i, n in enumerate(names):
            if n not in org.credentials:
                self.refuse(
                    ("credentials", i),
                    f"unknown credential '{n}' (credentials: {', '.join(sorted(org.credentials)) or 'none'})",
                )
            elif n not in cur.value:
                self.widens(("credentials", i), "credentials", [n], cur, "is not within")
        if "credential" not in org.attributes:
            self.refuse(
                ("credentials",),
                "the org declares no 'credential' attribute (gates/rules.yaml), so no rule can narrow "
                "which credentials actions use",
            )
            return
        keep = sorted(n for n in names if n in cur.value)
        self.w.say(Statement("credentials", keep, self.layer, self.src(("credentials",))))
        rule_id = REPO_CREDENTIALS if self.layer == "repo" else TASK_CREDENTIALS
        spec = RuleSpec(
            id=rule_id,
            title=f"Only the credentials the {self.layer} layer names",
            reason=f"the {self.layer} layer ({self.label}) allows only these credentials: {_fmt(keep)}",
            when=Condition.model_validate(
                {
                    "all": [
                        {"attr": "credential", "exists": True},
                        {"attr": "credential", "not_in": keep or [""]},
                    ]
                }
            ),
        )
        src = self.src(("credentials",))
        self.w.rules = [r for r in self.w.rules if r.spec.id != rule_id]
        self.w.rules.append(SourcedRule(spec, "deny", src, ("credentials",)))
        self.w.sources[rule_id] = src

    def limits(self, at: tuple[Any, ...], wf: str, limits: Any) -> None:
        for k in _LIMITS:
            new = getattr(limits, k)
            if new is None:
                continue
            path = f"workflows.{wf}.limits.{k}"
            cur = self.w.current(path)
            if cur.value is not None and new > cur.value:
                self.widens((*at, k), path, new, cur, "is higher than")
                continue
            if (
                k == "max_rework_rounds"
                and new < 1
                and any(g.on_fail for g in self.w.org.workflows[wf].gates.values())
            ):
                self.refuse((*at, k), f"workflow '{wf}' has rework loops: they need a bound of at least 1")
                continue
            self.w.say(Statement(path, new, self.layer, self.src((*at, k))))

    def gate(self, wf: str, g: str, layer: Any) -> None:
        org = self.w.org
        gates = org.workflows[wf].gates
        at = ("workflows", wf, "gates", g)
        if g not in gates:
            self.refuse(at, f"unknown gate '{g}' of workflow '{wf}' (gates: {', '.join(gates)})")
            return
        spec = gates[g]
        base = f"workflows.{wf}.gates.{g}"
        if layer.quorum is not None:
            if spec.kind not in ("review", "approval"):
                self.refuse((*at, "quorum"), f"a {spec.kind} gate has no quorum")
            else:
                cur = self.w.current(f"{base}.quorum")
                if layer.quorum < cur.value:
                    self.widens((*at, "quorum"), f"{base}.quorum", layer.quorum, cur, "is below")
                else:
                    self.w.say(
                        Statement(f"{base}.quorum", layer.quorum, self.layer, self.src((*at, "quorum")))
                    )
        for flag in ("cross_vendor", "placed_families"):
            new = getattr(layer, flag)
            if new is None:
                continue
            if spec.kind != "review":
                self.refuse((*at, flag), f"'{flag}' applies to review gates only")
                continue
            cur = self.w.current(f"{base}.{flag}")
            if cur.value and not new:
                self.widens((*at, flag), f"{base}.{flag}", False, cur, "turns off")
            elif new:
                if flag == "placed_families" and not self.w.current(f"{base}.cross_vendor").value:
                    self.refuse((*at, flag), "'placed_families' needs cross_vendor: true")
                    continue
                self.w.say(Statement(f"{base}.{flag}", True, self.layer, self.src((*at, flag))))
        if layer.tiers is not None:
            order = [t.id for t in org.risk.tiers]
            bad = [t for t in layer.tiers if t not in order]
            if bad:
                self.refuse((*at, "tiers"), f"unknown tier '{bad[0]}' (tiers: {', '.join(order)})")
                return
            if spec.kind == "terminal":
                self.refuse((*at, "tiers"), "the terminal gate applies to every tier")
                return
            cur = self.w.current(f"{base}.tiers")
            if cur.value is None:  # required at every tier already: nothing to add
                return
            missing = [t for t in cur.value if t not in layer.tiers]
            if missing:
                self.widens(
                    (*at, "tiers"), f"{base}.tiers", layer.tiers, cur, f"drops tier '{missing[0]}' of"
                )
                return
            merged = [t for t in order if t in cur.value or t in layer.tiers]
            self.w.say(Statement(f"{base}.tiers", merged, self.layer, self.src((*at, "tiers"))))

    def repo_values(self, pol: RepoPolicy) -> None:
        name = self.repo
        assert name is not None
        base = f"repos.{name}"
        for key in ("setup", "test"):
            new = getattr(pol, key)
            if new is None:
                continue
            cur = self.w.current(f"{base}.{key}")
            if cur.value is not None:
                self.refuse(
                    (key,),
                    f"'{key}' of repository '{name}' is already stated at {cur.source}: one home for each "
                    "value (state it in one of gates/repos.yaml and the repository's policy file)",
                )
                continue
            self.w.say(Statement(f"{base}.{key}", new.model_dump(), self.layer, self.src((key,))))
        for key in ("protected", "golden"):
            extra = getattr(pol, key)
            cur = self.w.current(f"{base}.{key}")
            added = [g for g in extra if g not in cur.value]
            if key == "protected" and REPO_POLICY not in cur.value:
                added.append(REPO_POLICY)  # the policy file itself: no revision changes its own rules
            if added:
                where = (
                    self.src((key,)) if extra else f"{self.label} (built in: the policy file is protected)"
                )
                self.w.say(Statement(f"{base}.{key}", [*cur.value, *added], self.layer, where))
        if pol.max_diff is not None:
            for k in ("files", "lines"):
                new = getattr(pol.max_diff, k)
                if new is None:
                    continue
                cur = self.w.current(f"{base}.max_diff.{k}")
                if cur.value is not None and new > cur.value:
                    self.widens(("max_diff", k), f"{base}.max_diff.{k}", new, cur, "is higher than")
                    continue
                self.w.say(Statement(f"{base}.max_diff.{k}", new, self.layer, self.src(("max_diff", k))))


def statements(cfg: OrgConfig) -> dict[str, tuple[Statement, ...]]:
    """What each layer said about every value a lower layer touched (org first; the last one holds)."""
    return dict(cfg.__dict__.get("_statements", {}))
