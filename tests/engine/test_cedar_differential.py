"""decide() agrees with Cedar on random requests: the org's rules as Cedar policies (see cedar_policies.py
for how requests and outcomes map), parsed once, against the default org and an org whose rules use
every condition form. Outcomes must be equal, and so must the rules each side names."""

from __future__ import annotations

import json
import random

import pytest
from engine_tools import org_with
from helpers import REPO

cedarpy = pytest.importorskip("cedarpy", reason="cedarpy is the reference for the differential test")

import cedar_policies as cp  # noqa: E402

from org.config.loader import load_org  # noqa: E402
from org.engine.policy import decide  # noqa: E402

EXTENDED_RULES = """attributes:
  environment: {type: str, values: [dev, staging, production]}
  disposable: {type: bool}
  irreversible: {type: bool}
  credential: {type: str}
  service: {type: str}
  via: {type: str, values: [pipeline, manual, agent]}
  kind: {type: str, values: [code, docs, deploy, env, config, migration, ops]}
  region: {type: str}
red:
  - id: RED-CREDENTIAL-REUSE
    title: own service only
    when: {all: [{attr: credential, exists: true}, {attr: credential_service, ne_attr: service}]}
  - id: RED-HOST-CONFIG-OUTSIDE-PIPELINE
    title: pipeline only
    actions: [host.config.*, "*.hostconf"]
    when: {not: {attr: via, in: [pipeline]}}
  - id: RED-NO-MANUAL-MIGRATION
    title: no manual migrations in production
    actions: [db.migrate]
    when: {all: [{attr: environment, eq: production}, {any: [{attr: via, eq: manual}, {attr: via, exists: false}]}]}
  - id: RED-REGION-MATCH
    title: deploy only to the credential's own region name
    actions: [deploy.*]
    when: {all: [{attr: region, exists: true}, {attr: region, ne_attr: service}]}
consequential:
  - id: CONSEQ-NOT-DEV
    title: outside dev needs a human
    actions: [deploy.*, db.*, env.*]
    when: {attr: environment, not_in: [dev]}
  - id: CONSEQ-IRREVERSIBLE
    title: irreversible
    when: {not: {attr: irreversible, ne: true}}
  - id: CONSEQ-KIND
    title: config and migrations
    when: {any: [{attr: kind, in: [config, migration]}, {attr: disposable, eq: false}]}
  - id: CONSEQ-SAME-NAMES
    title: a credential named like its service
    when: {attr: credential, eq_attr: service}
"""
AUDITOR = "lane: auditor\nkind: human\npurpose: Reads and may not approve.\nmay: [code.read, approve.*]\n" \
          "may_not: [approve]\nmembers:\n  - {id: carol}\n"


def _expand(patterns) -> list[str]:
    out = []
    for p in patterns:
        out.append(p)  # the pattern itself, taken literally as an action name
        out += [p.replace("*", tail) for tail in ("production", "staging", "x", "", "a.b")] if "*" in p else []
    return sorted(set(out))


UNKNOWN_ACTIONS = ["foo.bar", "approve", "deploy", "host.config", "hostconfig.push", "", "*", "secret", "db.migrate"]


def _values(cfg) -> tuple[dict[str, list], dict[str, list]]:
    """(plausible values, junk values) per declared attribute."""
    services = sorted({c.service for c in cfg.credentials.values()})
    good: dict[str, list] = {}
    junk: dict[str, list] = {}
    for name, spec in cfg.attributes.items():
        if spec.type == "bool":
            good[name] = [True, False, "true", "yes", "no", "false", "True", "NO"]
            junk[name] = ["maybe", 1, 0, "", None]
        elif spec.values is not None:
            good[name] = list(spec.values)
            junk[name] = ["prod", "PRODUCTION", "", 3, True, None]
        else:
            good[name] = services + ["aws"]
            junk[name] = ["", "x y", 7, False, None]
    good["credential"], junk["credential"] = sorted(cfg.credentials), ["aws-root", "", 5, None]
    good["service"], junk["service"] = services + ["aws"], ["", None, "Github"]
    return good, junk


def _requests(cfg, n: int, seed: int):
    """A realistic mix: mostly known actors doing what their lane may (and may not) do, with plausible
    attributes; some junk values, unknown actors and actions, approvals by anyone."""
    rnd = random.Random(seed)
    actors = sorted(cfg.actors)
    everything = _expand({p for lane in cfg.lanes.values() for p in lane.may + lane.may_not}
                         | {p for r in cfg.rules for p in r.spec.actions}) + UNKNOWN_ACTIONS
    good, junk = _values(cfg)
    extra = {"ticket": ["T-1"], "actor": ["alice", "sec-gemini"], "lane": ["security"], "tier": ["low", "high"],
             "credential_service": ["github", "jira"], "action": ["code.read"], "note": [None, "x"]}
    for _ in range(n):
        actor = rnd.choice(actors) if rnd.random() < 0.92 else rnd.choice(["ghost", "root", ""])
        lane = cfg.lanes.get(cfg.actors[actor].lane) if actor in cfg.actors else None
        r = rnd.random()
        if lane is not None and r < 0.55:
            action = rnd.choice(_expand(lane.may))
        elif lane is not None and lane.may_not and r < 0.7:
            action = rnd.choice(_expand(lane.may_not))
        else:
            action = rnd.choice(everything)
        attrs = {}
        for k in good:
            if rnd.random() < 0.35:
                attrs[k] = rnd.choice(junk[k]) if rnd.random() < 0.06 else rnd.choice(good[k])
        if "credential" in attrs and attrs["credential"] in cfg.credentials and rnd.random() < 0.6:
            attrs["service"] = cfg.credentials[attrs["credential"]].service  # mostly used for its own service
        attrs.update({k: rnd.choice(v) for k, v in extra.items() if rnd.random() < 0.05})
        pool = actors + ["ghost"]
        approvals = rnd.sample(pool, rnd.choice([0, 0, 1, 1, 2]))
        authors = rnd.sample(pool, rnd.choice([0, 0, 1, 2]))
        if approvals and rnd.random() < 0.3:
            authors.append(approvals[0])  # an author approving their own work must not count
        if approvals and rnd.random() < 0.1:
            actor = approvals[0]  # nor an actor approving their own action
        yield actor, action, attrs, approvals, authors


def _compare(cfg, n: int, seed: int) -> dict:
    ps = cedarpy.PolicySet.from_str(cp.policies(cfg))  # parsed once
    ents = cedarpy.Entities.from_json_str(json.dumps(cp.entities(cfg)))
    consequential = {r.spec.id for r in cfg.rules if r.effect == "needs_approval"}
    reqs = list(_requests(cfg, n, seed))
    results = cedarpy.is_authorized_batch([cp.request(*r) for r in reqs], ps, ents)
    seen: dict[str, int] = {}
    bad = []
    for (actor, action, attrs, approvals, authors), res in zip(reqs, results, strict=True):
        assert not res.diagnostics.errors or res.diagnostics.errors[0].startswith("error while evaluating policy `policy0`"), \
            res.diagnostics.errors
        d = decide(cfg, actor, action, attrs, approvals=approvals, authors=authors)
        c_out, c_ids = cp.outcome(res, consequential)
        c_ids = {"ORG-BAD-ATTRIBUTE" if i.startswith("ORG-BAD-ATTRIBUTE-") else i for i in c_ids}
        d_ids = set(d.rule_ids)
        seen[d.outcome] = seen.get(d.outcome, 0) + 1
        ok = d.outcome == c_out
        if ok and d.outcome == "deny":
            if any(i.startswith("ORG-") for i in d_ids):  # the engine stops at the first of these checks
                ok = d_ids <= c_ids
            else:
                ok = d_ids == c_ids - consequential
        elif ok and d.outcome == "needs_approval":
            ok = d_ids == c_ids
        if not ok:
            bad.append((actor, action, attrs, approvals, authors, d.outcome, sorted(d_ids), c_out, sorted(c_ids)))
    assert not bad, f"{len(bad)} disagreements, e.g.:\n" + "\n".join(map(str, bad[:5]))
    return seen


def test_default_org_agrees_with_cedar_on_10000_requests():
    seen = _compare(load_org(REPO), 10_000, seed=20261121)
    # every outcome is well represented, or the comparison would prove little
    assert min(seen.get(o, 0) for o in ("allow", "deny", "needs_approval")) >= 500, seen


def test_every_condition_form_agrees_with_cedar(tmp_path):
    cfg = org_with(tmp_path, files={"gates/rules.yaml": EXTENDED_RULES, "lanes/auditor.yaml": AUDITOR})
    seen = _compare(cfg, 6_000, seed=7)
    assert min(seen.get(o, 0) for o in ("allow", "deny", "needs_approval")) >= 200, seen
