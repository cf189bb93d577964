"""One home per rule (issue 18, item 1): attributes are typed by the engine alone, so filing a task, acting
and explaining agree on every spelling; `org explain --task` runs what `act` runs, under the task's pinned
policy, and leaves nothing behind."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from org.engine.policy import decide
from org.engine.rule_ids import BAD_ATTRIBUTE
from org.errors import UsageError
from tests.helpers import org_in_process

SPELLINGS = [
    "on",
    "off",
    "1",
    "0",
    "ON",
    " yes ",
    "TRUE",
    "no",
    "y",
    "",
    "nan",
    "inf",
    "-inf",
    "1.5",
    "1e3",
    " 7 ",
    "production",
    "Production",
    " production",
    "pipeline",
    "Pipeline",
]


def _engine_accepts(cfg, name, value) -> bool:
    d = decide(cfg, "alice", "approve", {name: value})
    return BAD_ATTRIBUTE not in d.rule_ids


def _bus_accepts(bus, name, value) -> tuple[bool, dict]:
    base = {} if name == "environment" else {"environment": "staging"}  # an ops task states it (ADR 0071)
    try:
        t = bus.add_task("t", "ops", attributes={**base, name: value})["task"]
    except UsageError:
        return False, {}
    return True, bus.task(t)["attributes"]


def test_filing_a_task_and_deciding_type_every_spelling_alike(bus):
    """`--set irreversible=on` used to start a high-tier task while decide() refused 'on' (ORG-BAD-ATTRIBUTE)."""
    cfg = bus.config()
    for name in sorted(cfg.attributes):
        if cfg.attributes[name].source == "org":  # org derives it: nobody files it (ADR 0071)
            assert not any(_bus_accepts(bus, name, v)[0] for v in SPELLINGS)
            continue
        for value in SPELLINGS:
            engine = _engine_accepts(cfg, name, value)
            filed, attrs = _bus_accepts(bus, name, value)
            assert filed == engine, (name, value, filed, engine)
            if filed:
                assert attrs[name] == decide(cfg, "alice", "approve", {name: value}).attributes[name], (
                    name,
                    value,
                )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=st.one_of(
        st.text(max_size=6),
        st.sampled_from(SPELLINGS),
        st.integers(-3, 3),
        st.booleans(),
        st.floats(allow_nan=True, allow_infinity=True),
    )
)
def test_any_value_is_accepted_by_both_or_by_neither(sbus, value):
    cfg = sbus.config()
    for name in ("irreversible", "environment", "service"):
        assert _bus_accepts(sbus, name, value)[0] == _engine_accepts(cfg, name, value), (name, value)


@pytest.mark.slow
def test_the_cli_refuses_on_alike_when_filing_and_explaining(root):
    add = org_in_process(
        "task",
        "add",
        "Drop the table",
        "--workflow",
        "ops",
        "--as",
        "alice",
        "--set",
        "irreversible=on",
        root=root,
    )
    explain = org_in_process(
        "explain", "db.migrate", "--as", "ops-claude", "--set", "irreversible=on", root=root
    )
    assert add.returncode == 2, add.stdout + add.stderr
    assert explain.returncode == 2, explain.stdout + explain.stderr
    assert "irreversible" in add.stderr and "irreversible" in explain.stderr
    assert "Traceback" not in add.stderr + explain.stderr


# -- org explain --task is act, rolled back ---------------------------------------------------------------
def _explain(root, bus, task, action, actor, *sets, env=None):
    args = ["explain", action, "--as", actor, "--task", task, "--json"]
    for s in sets:
        args += ["--set", s]
    r = org_in_process(*args, root=root, env={"ORG_DATABASE_URL": bus.store.url, **(env or {})})
    assert "Traceback" not in r.stderr, r.stderr
    return r


def _snapshot(bus):
    def fn(tx):
        return (
            tx.x("SELECT COUNT(*) FROM events").scalar(),
            tx.x("SELECT COUNT(*) FROM approvals").scalar(),
            tx.x("SELECT MAX(seq) FROM events").scalar(),
        )

    return bus.store.read(fn)


def test_explain_task_answers_as_act_does_and_writes_nothing(bus, root):
    from org.identity.bootstrap import first_use_tokens

    t = bus.add_task(
        "Rotate", "ops", attributes={"environment": "staging", "credential": "github", "service": "github"}
    )["task"]
    first_use_tokens(bus)  # the humans' tokens exist (the door would issue them on first use, as any read)
    before = _snapshot(bus)
    r = _explain(root, bus, t, "credential.use", "ops-claude")
    assert r.returncode == 6, r.stdout + r.stderr
    assert _snapshot(bus) == before, "explain wrote to the bus"
    # a human's rejection stands for act; explain must say so too
    bus.act("credential.use", "ops-claude", t)
    bus.reject(t, "alice", action="credential.use", note="not this week")
    acted = bus.act("credential.use", "ops-gpt", t)
    before = _snapshot(bus)
    r = _explain(root, bus, t, "credential.use", "ops-gpt")
    assert r.returncode == acted["exit_code"] == 4, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert [h["id"] for h in out["rules"]] == [h["id"] for h in acted["decision"]["rules"]]
    assert _snapshot(bus) == before


def test_explain_task_decides_under_the_pinned_policy(bus, root):
    """The YAML changes after the task started: act keeps the pinned rules, and so does explain."""
    t = bus.add_task("Ship", "ops", attributes={"environment": "production"})["task"]
    rules = root / "gates" / "rules.yaml"
    text = rules.read_text()
    assert "CONSEQ-PRODUCTION" in text
    # drop every consequential rule from today's config (a loosening edit made mid-flight)
    lines, out, skip = text.splitlines(), [], False
    for ln in lines:
        if ln.startswith("consequential:"):
            out.append("consequential: []")
            skip = True
            continue
        if skip and (ln.startswith((" ", "-")) or not ln.strip()):
            continue
        skip = False
        out.append(ln)
    rules.write_text("\n".join(out) + "\n")
    r = _explain(root, bus, t, "deploy.production", "ops-claude")
    acted = bus.act("deploy.production", "ops-claude", t)
    assert acted["exit_code"] == 6
    assert r.returncode == 6, r.stdout + r.stderr
    assert json.loads(r.stdout)["config_hash"] == acted["decision"]["config_hash"]


def test_explain_task_is_paused_when_act_is(bus, root):
    t = bus.add_task("Ship", "ops", attributes={"environment": "staging"})["task"]
    bus.pause("task", t, by="alice", note="freeze")
    r = _explain(root, bus, t, "deploy.staging", "ops-claude")
    with pytest.raises(Exception) as exc:
        bus.act("deploy.staging", "ops-claude", t)
    assert getattr(exc.value, "exit_code", None) == 7
    assert r.returncode == 7, r.stdout + r.stderr


def test_explain_task_reads_the_database_only_through_the_door(sbus, root):
    """`org explain --task` reads the task, its approvals and its pauses: with no token the door accepts it
    answers nothing (review finding: it opened the raw bus and answered anyone). A revoked and a missing
    token are refused (exit 4) and no decision is printed; a member's token gets act's answer."""
    from org.identity.bootstrap import agent_tokens, first_use_tokens
    from org.identity.tokens import Tokens
    from tests.helpers import token_file

    t = sbus.add_task("Ship", "ops", attributes={"environment": "production"})["task"]
    first_use_tokens(sbus)
    agents = agent_tokens(sbus)
    revoked = Tokens(sbus).issue("alice", by="test")
    Tokens(sbus).revoke(token_id=revoked["id"], by="test")
    # (every kind of bad token is tried against the door itself in tests/identity/test_door.py)
    r = _explain(root, sbus, t, "deploy.production", "ops-claude", env={"ORG_TOKEN": revoked["token"]})
    assert r.returncode == 4, r.stdout + r.stderr
    assert "needs_approval" not in r.stdout + r.stderr
    good = _explain(root, sbus, t, "deploy.production", "ops-claude", env={"ORG_TOKEN": agents["ops-claude"]})
    assert good.returncode == 6, good.stdout + good.stderr
    assert json.loads(good.stdout)["task"] == t
    # no token at all, and no human's own token file on a database that already gave humans tokens
    for human in [a.id for a in sbus.config().actors.values() if a.is_human]:
        token_file(root, human, sbus.store.url).unlink(missing_ok=True)
    r = _explain(root, sbus, t, "deploy.production", "ops-claude", env={"ORG_TOKEN": ""})
    assert r.returncode == 4 and "authentication required" in r.stderr, r.stdout + r.stderr
    assert "needs_approval" not in r.stdout
