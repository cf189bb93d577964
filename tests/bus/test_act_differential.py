"""Issue 19's differential property for actions (the twin of tests/engine/test_validate_differential.py for gates):
over random orgs (lanes with random may / may_not, random RED and consequential rules, some reading the tier, and
random `actions:` facts) and random sequences of actions, approvals and rejections through the real bus `act` path
(the one `org act` and `org explain --task` use, on a real SQLite file), whatever the pure engine, asked as
`org explain` asks it with the task's facts, says is denied is denied at run time, and whatever it says needs
approval is never allowed at run time unless a human who is not the actor, not an author, and whose lane may
approve granted exactly that action on this revision. For every lane, the security lane included."""

from __future__ import annotations

import shutil

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, seed, settings
from hypothesis import strategies as st

from org.config.loader import load_org
from org.engine.policy import compile_policy, decide_within
from org.errors import ConfigError, OrgError
from tests.engine.test_dropping_facts import VALUES, rules_files
from tests.helpers import REPO

POOL = [
    "deploy.production",
    "deploy.release",
    "db.migrate",
    "host.config.push",
    "credential.use",
    "service.restart",
    "env.rebuild",
    "data.purge",
    "report.send",
    "secret.read",
    "code.write",
    "scan.run",
    "ops.execute",
]
GATE_ACTIONS = {  # what each default lane's gates ask of it (class 2: a lane must may its gates' actions)
    "approver": ["approve", "reject", "task.add", "pause", "resume"],
    "builder": ["spec.write", "code.write"],
    "maintainer": [],
    "operator": ["ops.plan", "ops.execute"],
    "reviewer": ["review.file"],
    "security": ["review.file"],
}


@st.composite
def org_files(draw) -> dict[str, str]:
    files = {"gates/rules.yaml": draw(rules_files())}
    for lane, needs in GATE_ACTIONS.items():
        doc = yaml.safe_load((REPO / f"lanes/{lane}.yaml").read_text())
        extra = draw(st.lists(st.sampled_from(POOL), max_size=5, unique=True))
        doc["may"] = list(dict.fromkeys([*needs, *extra]))
        not_pool = [a for a in POOL if a not in doc["may"]]
        doc["may_not"] = draw(st.lists(st.sampled_from(not_pool), max_size=3, unique=True)) + ["branch.merge"]
        files[f"lanes/{lane}.yaml"] = yaml.safe_dump(doc, sort_keys=False)
    return files


PAIRING_SEED = 1  # a seed whose examples meet every pairing (deterministic: the check never flakes)
SEEN: set[tuple[str, str]] = set()  # (explain's answer, act's): what the property met, over all examples
STRICT = {"allow": 0, "needs_approval": 1, "deny": 2}
claims = st.fixed_dictionaries(
    {}, optional={k: st.sampled_from(v) for k, v in VALUES.items() if k != "credential"}
)


@pytest.mark.slow
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(files=org_files(), data=st.data())
def test_what_explain_refuses_is_refused_by_act(tmp_path_factory, files, data):
    from org.bus import Bus

    root = tmp_path_factory.mktemp("act")
    for d in ("lanes", "gates"):
        shutil.copytree(REPO / d, root / d)
    for rel, text in files.items():
        (root / rel).write_text(text)
    try:
        cfg = load_org(root)
    except ConfigError:
        assume(False)
    pol = compile_policy(cfg)
    humans = sorted(a.id for a in cfg.actors.values() if a.is_human)
    actors = sorted(cfg.actors)
    with Bus.open(f"sqlite:///{root / '.org' / 'org.db'}", root=root, config=cfg) as bus:
        filed = {"environment": data.draw(st.sampled_from(VALUES["environment"])), **data.draw(claims)}
        try:
            task = bus.add_task("Random work", "ops", by="alice", attributes=filed)["task"]
        except OrgError:
            assume(False)
        granted: dict[tuple[str, str], set[str]] = {}  # (action, revision) -> humans who granted it
        pending: list[tuple[str, str, dict]] = []  # requests that got needs_approval
        for _ in range(data.draw(st.integers(3, 16))):
            view = bus.task(task)
            state = view["state"]
            revision, authors = state.get("revision"), set(state.get("authors") or ())
            if not cfg.risk.tiers or not _filer_may_approve(cfg, state["tier"]):
                authors.add("alice")  # the filer counts as an author where the tier says so (ADR 0111)
            step = data.draw(st.sampled_from(["act", "act", "act", "approve", "approve", "reject"]))
            action = data.draw(st.sampled_from(POOL))
            if step in ("approve", "reject"):
                actor, said = "", {}
                if pending and data.draw(st.integers(0, 3)):
                    action, actor, said = data.draw(st.sampled_from(pending))  # a request that waits
                human = data.draw(st.sampled_from([*humans, "bob", "bob"]))  # bob: neither filer nor author
                try:
                    getattr(bus, step)(task, human, action=action, note="differential")
                except OrgError:
                    continue
                if step == "approve":
                    granted.setdefault((action, revision), set()).add(human)
                if (action, actor, said) not in pending:
                    continue
                # the same request again, now that a human decided it
            else:
                actor = data.draw(st.sampled_from(actors))
                said = data.draw(claims)
            static, _ = decide_within(
                cfg, actor, action, view["attributes"], said
            )  # org explain, no approvals
            rehearsed = bus.rehearse_act(action, actor, task, said)["decision"]["outcome"]
            try:
                out = bus.act(action, actor, task, said)["decision"]
            except OrgError:
                continue  # refused before deciding (a rejected task, a bad attribute): nothing allowed
            got = out["outcome"]
            SEEN.add((static.outcome, got))
            if got == "needs_approval":
                pending.append((action, actor, said))
            assert rehearsed == got, (
                actor,
                action,
                said,
                rehearsed,
                got,
            )  # explain --task is act's own answer
            assert STRICT[got] >= STRICT[static.outcome] or (
                static.outcome == "needs_approval" and got == "allow" and out["approved_by"]
            ), (actor, cfg.actors[actor].lane, action, filed, said, static.reason, out["reason"])
            if static.outcome == "deny":
                assert got == "deny", (actor, action, said, static.reason, out["reason"])
            if got == "allow" and static.outcome != "allow":
                who = out["approved_by"]
                assert who in granted.get((action, revision), set()) or who in _gate_approvers(state), (
                    who,
                    granted,
                )
                assert who != actor and who not in authors and who in pol._approvers, (who, actor, authors)


def _gate_approvers(state: dict) -> set[str]:
    return {r.get("actor") for g in (state.get("gates") or {}).values() for r in (g.get("reviews") or [])}


def _filer_may_approve(cfg, tier: str) -> bool:
    from org.engine.flow import filer_may_approve

    return filer_may_approve(cfg, tier)


@pytest.mark.slow
def test_the_property_met_every_pairing_worth_checking(tmp_path_factory):
    """The property met refusals, approvals and a needs_approval turned allow by a human's grant, or it
    proved little. Run alone (`-k met_every`, or on another xdist worker) it runs the property itself first:
    it fails or passes, never skips."""
    want = {
        ("deny", "deny"),
        ("needs_approval", "needs_approval"),
        ("allow", "allow"),
        ("needs_approval", "allow"),
    }
    if not want <= SEEN:  # alone, or a random run that missed one: the property again, on a fixed seed
        seed(PAIRING_SEED)(test_what_explain_refuses_is_refused_by_act)(tmp_path_factory)
    assert want <= SEEN, SEEN
