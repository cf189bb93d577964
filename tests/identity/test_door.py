"""The one authenticated door to the bus (org.identity.guard.Guard), attacked.

Every public method of the raw Bus is enumerated and its writes are found by running it against a real
SQLite file: each must be reached through a door operation, or be named in the door's NOT_EXPOSED with a
reason (a new Bus method is in neither, and fails here). Every door operation is then called with no token,
a forged one, a revoked one and the wrong kind of token: it must refuse with an OrgError before it reaches
any Bus method, and change nothing but the audit log's `auth.*` events. Called properly, it reaches the bus
with the caller's identity stamped on every event. No caller outside org.bus and org.identity holds a raw
Bus, and the door has no pass-through.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import re
import sqlite3
from pathlib import Path

import pytest

from org.bus import Bus
from org.errors import OrgError
from org.identity import guard as door_module
from org.identity.guard import NOT_EXPOSED, Guard
from org.identity.tokens import parse

ORG = Path(door_module.__file__).resolve().parents[1]
LIFECYCLE = {"open", "close"}


def bus_methods() -> set[str]:
    return {n for n, f in inspect.getmembers(Bus, inspect.isfunction) if not n.startswith("_")} - LIFECYCLE


def door_operations() -> set[str]:
    return {n for n, f in inspect.getmembers(Guard, inspect.isfunction) if not n.startswith("_")} - LIFECYCLE


# -- a real org, a real database ---------------------------------------------------------------------
class State:
    """A bus with alice (human) and build-claude (agent) tokens, two change tasks, a claim on the first."""

    def __init__(self, root: Path, clock) -> None:
        self.bus = Bus.open(root=root, clock=clock)
        self.door = Guard(self.bus, token_files=False)
        tokens = self.door.tokens
        self.alice = tokens.issue("alice", by="test")["token"]
        self.bob = tokens.issue("bob", by="test")["token"]
        self.carol = tokens.issue("carol", by="test")["token"]  # a maintainer: takes over work
        self.agent = tokens.issue("build-claude", by="test")["token"]
        self.other_agent = tokens.issue("build-gpt", by="test")["token"]
        revoked = tokens.issue("alice", by="test")
        tokens.revoke(token_id=revoked["id"], by="test")
        self.revoked = revoked["token"]
        self.task = self.door.add_task(self.alice, "Fix login", "change", by="alice")["task"]
        self.task2 = self.door.add_task(self.alice, "Fix logout", "change", by="alice")["task"]
        self.claim, self.jt = self.door.claim(self.agent, "builder", "build-claude", lease_seconds=600)
        self.job = self.claim.job
        self.fence = self.bus.store.read(
            lambda tx: tx.x("SELECT token FROM jobs WHERE id = :j", {"j": self.job}).scalar()
        )
        self.root, self.clock, self.start, self.cfg = root, clock, clock.now, self.bus.config()
        self.approval = 1
        self.path = Path(self.bus.store.url.split("///", 1)[1])
        self.bus.close()
        self.saved = {p.name: p.read_bytes() for p in self.path.parent.glob("org.db*")}
        self.reopen()

    def reopen(self) -> None:
        """Back to the state as built, on a new Bus (each sample starts from the same database)."""
        self.bus.close()
        for p in self.path.parent.glob("org.db*"):
            p.unlink()
        for name, data in self.saved.items():
            (self.path.parent / name).write_bytes(data)
        self.clock.now = self.start
        self.approval = 1
        self.gated = None  # the task _at_approval drives to its approval gate
        self.bus = Bus.open(root=self.root, clock=self.clock, config=self.cfg)
        self.door = Guard(self.bus, token_files=False)

    def digest(self) -> dict[str, str]:
        """Per table, a hash of its rows (read by a separate connection: what was committed)."""
        con = sqlite3.connect(self.path)
        try:
            names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            return {
                n: hashlib.sha256(
                    repr(sorted(map(repr, con.execute(f'SELECT * FROM "{n}"')))).encode()
                ).hexdigest()
                for n in names
            }
        finally:
            con.close()

    def events(self, after: int) -> list[dict]:
        return self.bus.events_since(after, limit=10_000)


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The state, built once per module (each test starts again from its saved database)."""
    from tests.helpers import starter_org
    from tests.workspaces.gitrepo import make_repo

    root = starter_org(tmp_path_factory.mktemp("door-org"), ("lanes", "gates"))
    source = make_repo(tmp_path_factory.mktemp("door-repo") / "app")  # a repository task's (the data plane)
    (root / "gates" / "repos.yaml").write_text(f"repos:\n  app:\n    path: {source}\n    target: main\n")
    (root / "gates" / "code.yaml").write_text(CODE)
    home = tmp_path_factory.mktemp("door-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ORG_CONFIG_HOME", str(home))
        s = State(root, Clock())
    yield s, home
    s.bus.close()


@pytest.fixture
def state(built, monkeypatch):
    s, home = built
    monkeypatch.setenv("ORG_CONFIG_HOME", str(home))  # the pepper the tokens were made with
    s.reopen()
    return s


# How to call each raw Bus method in `state` (setup, then the call): each must succeed.
RAW = {
    "config": (None, lambda s: s.bus.config()),
    "add_task": (None, lambda s: s.bus.add_task("x", "change", by="alice")),
    "add_tasks": (None, lambda s: s.bus.add_tasks([{"title": "x", "workflow": "change", "by": "alice"}])),
    "list_tasks": (None, lambda s: s.bus.list_tasks()),
    "task": (None, lambda s: s.bus.task(s.task)),
    "timeline": (None, lambda s: s.bus.timeline(s.task)),
    "claim": (None, lambda s: s.bus.claim("builder", "build-gpt")),
    "claim_many": (None, lambda s: s.bus.claim_many("builder", "build-gpt", n=1)),
    "heartbeat": (None, lambda s: s.bus.heartbeat(s.job, s.fence, lease_seconds=900)),
    "comment": (None, lambda s: s.bus.comment(s.job, s.fence, "a note on the task")),
    "agent_events": (
        None,
        lambda s: s.bus.agent_events(s.job, s.fence, [{"kind": "message", "text": "working"}]),
    ),
    "record_tool_call": (
        None,
        lambda s: s.bus.record_tool_call(
            s.job, s.fence, {"tool": "list_files", "args_sha256": "a" * 16, "result": "ok"}
        ),
    ),
    "submit": (None, lambda s: s.bus.submit(s.job, s.fence, "pass", note="spec")),
    "submit_many": (None, lambda s: s.bus.submit_many([{"job": s.job, "token": s.fence, "verdict": "pass"}])),
    "submit_then_claim": (
        None,
        lambda s: s.bus.submit_then_claim(
            [{"job": s.job, "token": s.fence, "verdict": "pass"}], "builder", "build-gpt", n=1
        ),
    ),
    "release": (None, lambda s: s.bus.release(s.job, s.fence, reason="later")),
    "fail": (None, lambda s: s.bus.fail(s.job, s.fence, reason="cannot")),
    "take_over": (None, lambda s: s.bus.take_over(s.task, "carol", reason="stuck")),
    "work_result": (None, lambda s: s.bus.work_result(s.task)),
    "post_jobs": (None, lambda s: s.bus.post_jobs("builder", [{"n": 1}], by="alice")),
    "retry_job": (lambda s: _dead_plain_job(s), lambda s: s.bus.retry_job(s.plain, by="alice")),
    "sweep": (lambda s: setattr(s.clock, "now", s.clock.now + 10_000), lambda s: s.bus.sweep()),
    "act": (None, lambda s: s.bus.act("code.write", "alice", s.task)),
    "rehearse_act": (None, lambda s: s.bus.rehearse_act("deploy.production", "alice", s.task)),
    "approve": (lambda s: _escalate(s), lambda s: s.bus.approve(s.task, "bob", note="fine")),
    "reject": (lambda s: _escalate(s), lambda s: s.bus.reject(s.task, "bob", note="no")),
    "request_changes": (
        lambda s: _at_approval(s),
        lambda s: s.bus.request_changes(s.gated, "bob", note="log it"),
    ),
    "wait_for_decision": (lambda s: _escalate(s), lambda s: s.bus.wait_for_decision(s.approval, 0.01)),
    "pending_approvals": (None, lambda s: s.bus.pending_approvals()),
    "pause": (None, lambda s: s.bus.pause("lane", "builder", by="alice")),
    "resume": (
        lambda s: s.bus.pause("lane", "builder", by="alice"),
        lambda s: s.bus.resume("lane", "builder", by="alice"),
    ),
    "switches": (None, lambda s: s.bus.switches()),
    "holder_state": (
        lambda s: s.bus.pause("lane", "builder", by="alice"),
        lambda s: s.bus.holder_state(
            parse(s.jt)[1], s.claim.job, actor="build-claude", lane="builder", task=s.task
        ),
    ),
    "pauses_covering": (
        lambda s: s.bus.pause("lane", "builder", by="alice"),
        lambda s: s.bus.pauses_covering(actor="build-claude", lane="builder", task=s.task),
    ),
    "events_since": (None, lambda s: s.bus.events_since(0)),
    "head": (None, lambda s: s.bus.head()),
    "wait_for_events": (None, lambda s: s.bus.wait_for_events(10**9, 0.01)),
    "wait_for_work": (None, lambda s: s.bus.wait_for_work({"builder"}, 0.01)),
    "audit_verify": (None, lambda s: s.bus.audit_verify()),
    "record_usage": (
        None,
        lambda s: s.bus.record_usage("build-claude", "anthropic/claude-sonnet-4", tokens_in=1),
    ),
    "spend": (None, lambda s: s.bus.spend("actor")),
    "scope_spend": (None, lambda s: s.bus.scope_spend("actor", "build-claude")),
    "brake_over_budget": (
        lambda s: _unpriced_call(s),
        lambda s: s.bus.brake_over_budget("builder", "build-claude"),
    ),
    "budget": (None, lambda s: s.bus.budget("p", capacity=10, refill_per_s=1)),
    "reserve": (lambda s: s.bus.budget("p", capacity=10, refill_per_s=1), lambda s: s.bus.reserve("p", 1)),
    "settle": (
        lambda s: s.bus.budget("p", capacity=10, refill_per_s=1),
        lambda s: s.bus.settle(("p", 1.0), 0.5),
    ),
    "budgets": (None, lambda s: s.bus.budgets()),
    "pending_count": (None, lambda s: s.bus.pending_count("approver")),
    "task_count": (None, lambda s: s.bus.task_count()),
    "active_keys": (None, lambda s: s.bus.active_keys("demo:")),
    "pinned_config": (None, lambda s: s.bus.pinned_config(s.bus.task(s.task)["config_hash"])),
    "board": (None, lambda s: s.bus.board()),
    "task_usage": (None, lambda s: s.bus.task_usage(s.task)),
    "leases": (None, lambda s: s.bus.leases()),
    "gate_counts": (None, lambda s: s.bus.gate_counts()),
    "repo_task": (lambda s: _repo_task(s), lambda s: s.bus.repo_task(s.rtask)),
    "repo_job": (None, lambda s: s.bus.repo_job(s.job)),
    "workspace_holds": (None, lambda s: s.bus.workspace_holds(s.task)),
    "secrets_in": (None, lambda s: s.bus.secrets_in("nothing secret here")),
    "record_fact": (
        lambda s: _repo_task(s),
        lambda s: s.bus.record_fact("workspace.created", s.rtask, actor="alice", data={}),
    ),
    "outcome_events": (None, lambda s: s.bus.outcome_events()),
    "pipeline_queue": (lambda s: _at_tests(s), lambda s: s.bus.pipeline_queue()),
    "pipeline_apply": (
        lambda s: _at_tests(s),
        lambda s: s.bus.pipeline_apply(s.rtask, "tests", True, revision=SHA, reason="tests passed"),
    ),
}

CODE = """\
workflow: code
repository: required
gates:
  implement: {kind: work, lane: builder, action: code.write}
  tests: {kind: check, check: tests, after: [implement]}
  correctness: {kind: review, lane: reviewer, after: [tests], cross_vendor: true, on_fail: implement}
  approval: {kind: approval, lane: approver, after: [correctness], tiers: [high]}
  done: {kind: terminal, after: [approval]}
"""
SHA = "a" * 40


def _repo_task(s: State) -> None:
    """A task in the repository 'app' (its own builder job waits behind the others')."""
    s.rtask = s.bus.add_task("Swap", "code", by="alice", repo="app")["task"]


def _at_tests(s: State) -> None:
    """The repository task's work submitted with a revision org checked: its tests gate waits for the pipeline."""
    _repo_task(s)
    c = s.bus.claim("builder", "build-gpt")
    while c.task != s.rtask:
        c = s.bus.claim("builder", "build-gpt")
    s.rjob = c.job
    s.bus.record_fact("revision.committed", s.rtask, actor="build-gpt", data={"job": c.job, "commit": SHA})
    s.bus.submit(c.job, c.token, "pass", revision=SHA)


def _dead_plain_job(s: State) -> None:
    [s.plain] = s.bus.post_jobs("operator", [{"n": 1}], max_attempts=1, by="alice")
    c = s.bus.claim("operator", "ops-claude")
    s.bus.fail(c.job, c.token, reason="broken")


def _unpriced_call(s: State) -> None:
    """A model call of unknown cost in the builder lane (budget {usd: 20}): its brake pauses it."""
    s.bus.record_usage("build-claude", "anthropic/house-model-x", tokens_in=10, lane="builder")


def _at_approval(s: State) -> None:
    """A high-tier task driven up to its approval gate: a request only a human settles."""
    from tests.bus.bushelpers import drive

    s.gated = s.bus.add_task("Rotate", "change", by="alice", attributes={"environment": "production"})["task"]
    drive(s.bus, s.gated, workers={"approver": None})
    assert [a["subject"] for a in s.bus.pending_approvals(task=s.gated)] == ["approval"]


def _escalate(s: State) -> None:
    """The builder gives up: the task is escalated, a request only a human settles."""
    s.bus.fail(s.job, s.fence, reason="cannot")
    s.approval = s.bus.pending_approvals(task=s.task)[0]["approval"]


def test_every_bus_method_is_classified_and_its_writes_found(state):
    """A new Bus method without a sample here fails: classify it (expose it through the door, or say in
    NOT_EXPOSED why no caller may reach it), and the test finds out whether it writes."""
    missing = bus_methods() - set(RAW)
    assert not missing, (
        f"Bus methods with no sample call in this test (add one, then classify): {sorted(missing)}"
    )
    writes = set()
    s = state
    for name in sorted(bus_methods()):
        s.reopen()
        setup, call = RAW[name]
        if setup:
            setup(s)
        before = s.digest()
        call(s)
        if s.digest() != before:
            writes.add(name)
    # the sampler sees the writes it must see (a broken digest would classify everything as a read)
    assert {
        "add_task",
        "claim",
        "submit",
        "release",
        "fail",
        "post_jobs",
        "pause",
        "approve",
        "act",
    } <= writes
    assert not writes & {
        "list_tasks",
        "task",
        "timeline",
        "events_since",
        "head",
        "switches",
        "spend",
        "rehearse_act",
        "board",
        "leases",
        "gate_counts",
        "task_usage",
        "pending_count",
        "task_count",
        "pauses_covering",
        "holder_state",
        "repo_task",
        "repo_job",
        "workspace_holds",
        "secrets_in",
        "outcome_events",
        "pipeline_queue",
    }
    assert {"record_fact", "pipeline_apply"} <= writes
    reached = {m for op in Guard.OPERATIONS.values() for m in op}
    unclassified = bus_methods() - reached - set(NOT_EXPOSED)
    assert not unclassified, f"Bus methods neither behind the door nor in NOT_EXPOSED: {sorted(unclassified)}"
    assert not reached & set(NOT_EXPOSED), "a method both exposed and not"
    assert all(len(why) > 20 for why in NOT_EXPOSED.values())
    unreachable_writes = writes & set(NOT_EXPOSED)
    assert unreachable_writes == set(NOT_EXPOSED) & writes  # documented below, and in the door's docstring
    for name in unreachable_writes:
        assert name in (door_module.__doc__ or ""), (
            f"NOT_EXPOSED write {name} missing from the door's docstring"
        )


# How to call each door operation with `token` (the right token is given by GOOD).
DOOR = {
    "add_task": lambda s, t: s.door.add_task(t, "x", "change", by="alice"),
    "list_tasks": lambda s, t: s.door.list_tasks(t),
    "task": lambda s, t: s.door.task(t, s.task),
    "timeline": lambda s, t: s.door.timeline(t, s.task),
    "claim": lambda s, t: s.door.claim(t, "builder", "build-gpt"),
    "heartbeat": lambda s, t: s.door.heartbeat(t, s.job, lease_seconds=900),
    "comment": lambda s, t: s.door.comment(t, s.job, "a note on the task"),
    "agent_events": lambda s, t: s.door.agent_events(t, s.job, [{"kind": "message", "text": "working"}]),
    "record_tool_call": lambda s, t: s.door.record_tool_call(
        t, s.job, {"tool": "read_file", "args_sha256": "0" * 16, "result": "ok", "decision": "allow"}
    ),
    "whoami": lambda s, t: s.door.whoami(t),
    "submit": lambda s, t: s.door.submit(t, s.job, "pass", note="spec"),
    "release": lambda s, t: s.door.release(t, s.job, reason="later"),
    "fail": lambda s, t: s.door.fail(t, s.job, reason="cannot"),
    "take_over": lambda s, t: s.door.take_over(t, s.task, None, reason="stuck"),
    "job_facts": lambda s, t: s.door.job_facts(t, s.job),
    "job_read": lambda s, t: s.door.job_read(t, s.job, "switches"),
    "revision_read": lambda s, t: _revision_read(s, t),
    "work_result": lambda s, t: s.door.work_result(t, s.task),
    "sweep": lambda s, t: s.door.sweep(t),
    "act": lambda s, t: s.door.act(t, "code.write", None, s.task),
    "rehearse_act": lambda s, t: s.door.rehearse_act(t, "deploy.production", "alice", s.task),
    "approve": lambda s, t: s.door.approve(t, s.task, None, note="fine"),
    "reject": lambda s, t: s.door.reject(t, s.task, None, note="no"),
    "request_changes": lambda s, t: s.door.request_changes(t, s.gated, None, note="log it"),
    "wait_for_decision": lambda s, t: s.door.wait_for_decision(t, s.approval, 0.01),
    "pending_approvals": lambda s, t: s.door.pending_approvals(t),
    "pause": lambda s, t: s.door.pause(t, "lane", "builder", None),
    "resume": lambda s, t: s.door.resume(t, "lane", "builder", None),
    "switches": lambda s, t: s.door.switches(t),
    "pauses_covering": lambda s, t: s.door.pauses_covering(t, actor="build-claude", lane="builder"),
    "pinned_lane": lambda s, t: s.door.pinned_lane(t),
    "events_since": lambda s, t: s.door.events_since(t, 0),
    "head": lambda s, t: s.door.head(t),
    "wait_for_events": lambda s, t: s.door.wait_for_events(t, 10**9, 0.01),
    "wait_for_work": lambda s, t: s.door.wait_for_work(t, {"builder"}, 0.01),
    "audit_verify": lambda s, t: s.door.audit_verify(t),
    "record_usage": lambda s, t: s.door.record_usage(t, "anthropic/claude-sonnet-4", tokens_in=1, job=s.job),
    "spend": lambda s, t: s.door.spend(t, "actor"),
    "scope_spend": lambda s, t: s.door.scope_spend(t, "actor", "build-claude"),
    "brake_over_budget": lambda s, t: s.door.brake_over_budget(t, "builder"),
    "budget": lambda s, t: s.door.budget(t, "p", capacity=10, refill_per_s=1),
    "shape_budget": lambda s, t: s.door.shape_budget(t, "p", capacity=10, refill_per_s=1),
    "reserve": lambda s, t: s.door.reserve(t, "p", 1),
    "settle": lambda s, t: s.door.settle(t, ("p", 1.0), 0.5),
    "budgets": lambda s, t: s.door.budgets(t),
    "pending_count": lambda s, t: s.door.pending_count(t, "approver"),
    "task_count": lambda s, t: s.door.task_count(t),
    "active_keys": lambda s, t: s.door.active_keys(t, "demo:"),
    "pinned_config": lambda s, t: s.door.pinned_config(t, s.claim.config_hash),
    "board": lambda s, t: s.door.board(t),
    "task_usage": lambda s, t: s.door.task_usage(t, s.task),
    "leases": lambda s, t: s.door.leases(t),
    "gate_counts": lambda s, t: s.door.gate_counts(t),
    "reader": lambda s, t: s.door.reader(t, command="who"),
    "reading": lambda s, t: s.door.reading(t).head(),
    "principal": lambda s, t: s.door.principal(t, command="who"),
    "may_act": lambda s, t: s.door.may_act(
        s.door.principal(t, command="act", job_ok=True), "code.write", s.task, "act"
    ),
    "holder": lambda s, t: s.door.holder(t, command="model"),
    "holding": lambda s, t: s.door.holding(t, command="model"),
    # the holding it re-checks is one the door verified for the same token (the gateway keeps it per grant)
    "still_holding": lambda s, t: s.door.still_holding(t, s.door.holding(t, command="model")),
    "lease_live": lambda s, t: s.door.lease_live(
        s.door.principal(t, command="model", job_ok=True, principal_ok=False), "model"
    ),
    "config": lambda s, t: s.door.config(),
    "workspaces": lambda s, t: s.door.workspaces(t, command="workspace show").workspace_holds(s.task),
    "issue_token": lambda s, t: s.door.issue_token(t, "build-gpt", note="door"),
    "revoke_tokens": lambda s, t: s.door.revoke_tokens(t, actor="build-gpt"),
    "list_tokens": lambda s, t: s.door.list_tokens(t),
}


def _revision_read(s, t):
    """A build job's token may not read a revision this way (a review job's may): refused after the door let
    the holder in (UsageError), or refused at the door for any other token."""
    from org.errors import UsageError

    try:
        return s.door.revision_read(t, s.job, "list")
    except UsageError:
        return None


# the token that opens each operation; every other kind is refused
JOB = {
    "heartbeat",
    "comment",
    "agent_events",
    "record_tool_call",
    "revision_read",
    "submit",
    "release",
    "fail",
    "record_usage",
    "holder",
    "holding",
    "still_holding",
    "lease_live",
    "job_facts",
    "job_read",
    "pinned_lane",
}
HUMAN = {"approve", "reject", "request_changes", "issue_token", "list_tokens", "take_over"}
EITHER = {"act", "may_act"}  # a human's principal token or an agent's job token
# a member's principal token or a job token (brake: the bus decides from its ledger; whoami: who it is; the
# switches covering a job token's own actor, lane and task, and the shared rate budgets: what the model gateway
# reads and books as the job's holder, ADR 0157)
# (a job token reserves and settles its own bookings; setting a budget's shape is the org's own account: a
# principal's `budget`, or the gateway's in-process `shape_budget` from its configuration; review finding 5)
ANY = {"brake_over_budget", "whoami", "pauses_covering", "shape_budget", "reserve", "settle"}
NO_TOKEN = {"config"}  # the org's YAML, not the database


def good(s: State, op: str) -> str:
    if op in JOB or op in EITHER or op in ANY:
        return s.jt
    if op == "take_over":
        return s.carol  # a human whose lane may write code (bob's may not)
    if op in HUMAN:
        return s.bob
    return s.alice if op != "claim" else s.other_agent


def bad(s: State, op: str) -> list[tuple[str, str | None]]:
    out = [
        ("none", None),
        ("empty", ""),
        ("garbage", "hunter2"),
        ("forged", "orgp_0123456789abcdef_xxxxxxxx"),
        ("revoked", s.revoked),
    ]
    if op in JOB:
        out.append(("principal for a job", s.agent))
    elif op in HUMAN:
        out += [("agent", s.agent), ("job token", s.jt)]
    elif op in EITHER:
        out.append(("agent's principal token", s.agent))
    elif op not in ANY and op != "wait_for_decision":  # a job token waits on its own task (test below)
        out.append(("job token", s.jt))
    return out


def test_every_door_operation_is_sampled_and_declared():
    assert door_operations() == set(DOOR), "a door operation without an attack here (or a stale sample)"
    assert door_operations() == set(Guard.OPERATIONS), (
        "every door operation says which Bus methods it reaches"
    )
    assert "__getattr__" not in vars(Guard) and "__getattribute__" not in vars(Guard), "the door fails open"


@pytest.mark.parametrize("op", sorted(set(DOOR) - NO_TOKEN))
def test_a_door_operation_refuses_before_reaching_the_bus(state, op, monkeypatch):
    s = state
    reached: list[str] = []
    for name in bus_methods() - {"config"}:
        real = getattr(s.bus, name)
        monkeypatch.setattr(
            s.bus, name, lambda *a, _n=name, _r=real, **k: (reached.append(_n), _r(*a, **k))[1]
        )
    for why, token in bad(s, op):
        reached.clear()
        head, before = s.bus.store.read(lambda tx: tx.x("SELECT seq FROM audit_head").scalar()), s.digest()
        with pytest.raises(OrgError) as e:
            DOOR[op](s, token)
        assert e.value.exit_code in (4, 5, 7), (op, why, e.value)
        assert not reached, f"{op} with a {why} token reached Bus.{reached} before authenticating"
        after = s.digest()
        changed = {t for t in after if after[t] != before.get(t)} - {
            "events",
            "audit_head",
            "org_auth_failures",
        }
        assert not changed, f"{op} with a {why} token changed {changed}"
        assert all(ev["type"].startswith("auth.") for ev in s.events(head or 0)), (op, why)
    monkeypatch.undo()


@pytest.mark.parametrize("op", sorted(set(DOOR) - NO_TOKEN))
def test_a_door_operation_with_its_token_acts_as_that_principal(state, op):
    s = state
    token = good(s, op)
    prep = {
        "approve": _escalate,
        "reject": _escalate,
        "request_changes": _at_approval,
        "wait_for_decision": _escalate,
        "reserve": RAW["reserve"][0],
        "settle": lambda s: (RAW["settle"][0](s), s.door.reserve(s.jt, "p", 1)),
        "resume": RAW["resume"][0],
        "sweep": RAW["sweep"][0],
        "brake_over_budget": _unpriced_call,
    }.get(op)
    if prep:
        prep(s)
    head = s.bus.head()
    DOOR[op](s, token)
    from org.identity.tokens import parse

    recorded = s.events(head)
    assert recorded or op not in RECORDS, f"{op} recorded nothing"
    for ev in recorded:
        assert ev.get("auth", {}).get("token") == parse(token)[1], (op, ev["type"], ev.get("auth"))


RECORDS = {
    "add_task",
    "claim",
    "submit",
    "release",
    "fail",
    "take_over",
    "act",
    "approve",
    "reject",
    "request_changes",
    "pause",
    "resume",
    "sweep",
    "brake_over_budget",
    "issue_token",
    "revoke_tokens",
}


def test_a_reading_holds_only_the_doors_reads(state):
    """Guard.reading binds reads to one token: each of its methods is the door operation of the same name."""
    from org.identity.guard import Reading

    names = {n for n, _ in inspect.getmembers(Reading, inspect.isfunction) if not n.startswith("_")}
    assert names <= set(Guard.OPERATIONS) and "__getattr__" not in vars(Reading)
    writes = {
        "add_task",
        "claim",
        "submit",
        "release",
        "fail",
        "act",
        "approve",
        "reject",
        "request_changes",
        "pause",
        "resume",
        "sweep",
        "record_usage",
        "budget",
        "reserve",
        "settle",
        "brake_over_budget",
        "heartbeat",
    }
    assert not names & writes
    with pytest.raises(OrgError):
        state.door.reading("orgp_0123456789abcdef_forged").list_tasks()


def test_a_job_token_waits_only_for_a_request_on_its_own_task(state):
    s = state
    _escalate_other(s)
    with pytest.raises(OrgError) as e:
        s.door.wait_for_decision(s.jt, s.approval, 0.01)
    assert e.value.exit_code == 4 and "covers task" in e.value.message


def _escalate_other(s: State) -> None:
    """The other task's builder gives up: a request on a task the job token does not cover."""
    c = s.bus.claim("builder", "build-gpt")
    s.bus.fail(c.job, c.token, reason="cannot")
    s.approval = s.bus.pending_approvals(task=c.task)[0]["approval"]


RAW_NAMES = {"Bus", "Store"}  # a raw bus, or the store under it


def _raw_bus_uses(path: Path) -> list[str]:
    out, methods = [], bus_methods() - {"config"}
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in methods
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "bus"
        ):
            out.append(f"{node.lineno}: .bus.{node.attr}")
        if (
            isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("org.bus")
            and any(a.name in RAW_NAMES for a in node.names)
        ):
            out.append(f"{node.lineno}: imports {node.module}.{'/'.join(a.name for a in node.names)}")
        if isinstance(node, ast.Import) and any(
            a.name in ("org.bus.api", "org.bus.store") for a in node.names
        ):
            out.append(f"{node.lineno}: imports the bus's internals")
        if isinstance(node, ast.Attribute) and node.attr == "open" and getattr(node.value, "id", "") == "Bus":
            out.append(f"{node.lineno}: Bus.open")
        if isinstance(node, ast.Attribute) and node.attr == "_bus":
            out.append(f"{node.lineno}: ._bus")
        if isinstance(node, ast.Attribute) and node.attr in ("store", "ctx"):
            owner = (
                node.value.attr if isinstance(node.value, ast.Attribute) else getattr(node.value, "id", "")
            )
            if "bus" in owner.lower():
                out.append(f"{node.lineno}: {owner}.{node.attr}")
    return out


def test_no_caller_outside_the_bus_and_identity_holds_a_raw_bus():
    """The CLI, the TUI, the agents, the simulator and the model gateway reach the database only through the
    door. No exception list: a module that needs the bus takes a door (ADR 0157 took the last one off)."""
    offenders = []
    for path in sorted(ORG.rglob("*.py")):
        rel = path.relative_to(ORG).as_posix()
        if rel.startswith(("bus/", "identity/", "engine/", "config/")):
            continue
        offenders += [f"{rel}:{u}" for u in _raw_bus_uses(path)]
    assert not offenders, "raw bus access outside org.bus/org.identity:\n" + "\n".join(offenders)


def test_the_model_gateway_reaches_the_bus_only_as_the_job_holder(state, monkeypatch):
    """Every Bus method the model gateway reaches (its grant, the checks before a call, the shared rate budget,
    the ledger, a refusal and a paused call) runs inside the door as the principal of the job token that bought
    the grant (ADR 0157): the write paths of the gateway authenticate, and as nobody else."""
    from org.agents.localmodel import LocalModelServer
    from org.agents.pacing import Limits
    from org.bus.context import AUTH
    from org.gateway import Gateway
    from org.identity.tokens import parse

    s = state
    url = s.bus.store.url
    seen: list[tuple[str, dict | None]] = []
    for name in bus_methods() - {"config"}:
        real = getattr(Bus, name)

        def spy(self, *a, _n=name, _r=real, **k):
            seen.append((_n, AUTH.get()))
            return _r(self, *a, **k)

        monkeypatch.setattr(Bus, name, spy)
    body = b'{"model": "%s", "messages": [{"role": "user", "content": "hi"}]}'
    with (
        LocalModelServer() as local,
        Gateway.for_database(
            s.cfg, url, local_url=local.url, env={"ORG_MODELS": "local"}, limits={"local": Limits(rpm=6000)}
        ) as gw,
    ):
        token = gw.grant(s.jt)
        h = {"authorization": f"Bearer {token}"}
        assert gw.handle("/v1/chat/completions", h, body % b"anthropic/claude-sonnet-4-5")[0] == 200
        assert gw.handle("/v1/chat/completions", h, body % b"openai/gpt-5")[0] == 403  # not the lane's
        assert gw.flush()
        s.bus.pause("lane", "builder", by="alice")
        seen_before_pause = len(seen)
        assert gw.handle("/v1/chat/completions", h, body % b"anthropic/claude-sonnet-4-5")[0] == 403
        assert gw.flush()
    del seen[seen_before_pause - 1]  # the test's own pause
    reached = {n for n, _ in seen}
    assert {"pauses_covering", "task", "pinned_config", "budget", "reserve", "record_usage"} <= reached
    holder = parse(s.jt)[1]
    strangers = [(n, a) for n, a in seen if not a or a.get("token") != holder or a.get("via") != "job"]
    assert not strangers, f"the gateway reached the bus without the job token's identity: {strangers}"


def test_the_static_check_sees_a_raw_bus(tmp_path):
    """The check above is not blind: it flags each way a module could hold the raw bus."""
    p = tmp_path / "m.py"
    p.write_text(
        "from org.bus import Bus\nx = door._bus\ny = self.bus.store\nz = bus.ctx\nport.bus.submit(1)\n"
        "from org.bus.api import Bus as B\nfrom org.bus.store import Store\nimport org.bus.api\nBus.open(u)\n"
    )
    assert len(_raw_bus_uses(p)) == 9


def test_spend_already_made_is_recorded_after_a_pause_but_only_for_the_tokens_own_job(state):
    """The ledger never loses a model call made for a job (the actor paused meanwhile, as the budget brake
    does), yet a job token records usage only for its own job, and a paused actor's token does nothing else."""
    s = state
    s.bus.pause("actor", "build-claude", by="alice", note="budget")
    r = s.door.record_usage(s.jt, "anthropic/claude-sonnet-4-5", tokens_in=5, cost_usd=0.01, job=s.job)
    assert r and s.bus.scope_spend("actor", "build-claude")["spent_usd"] > 0
    with pytest.raises(OrgError) as e:
        s.door.record_usage(s.jt, "anthropic/claude-sonnet-4-5", tokens_in=5, job=s.job + 1)
    assert e.value.exit_code == 4
    with pytest.raises(OrgError) as e:
        s.door.heartbeat(s.jt, s.job)
    assert e.value.exit_code == 7  # paused: everything but the ledger waits


def test_lease_live_takes_only_a_job_tokens_principal(state):
    """A service beside the bus asks lease_live about a principal it authenticated: a member's principal (not a
    job's) is refused, whatever job number it is dressed up with."""
    import dataclasses

    from org.errors import Denied

    p = state.door.principal(state.alice, command="who")
    with pytest.raises(Denied):
        state.door.lease_live(p, "model")
    with pytest.raises(Denied):
        state.door.lease_live(dataclasses.replace(p, job=state.claim.job), "model")


# -- the bus is the only door to the database (issue 22 item 2) ---------------------------------------
SQL = re.compile(
    r"^\s*(SELECT\s+([\w\s,.*()]+?\s+FROM\s+\w|\d)|INSERT\s+INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s"
    r"|(CREATE|DROP|ALTER)\s+(TABLE|INDEX|UNIQUE|VIEW|TRIGGER|SCHEMA)\b|PRAGMA\s+\w|WITH\s+\w+\s+AS\s*\()",
    re.IGNORECASE,
)
# Modules outside org.bus that may run SQL, each with its reason (this list only shrinks).
OWN_DATABASE = {
    "adrs/index.py": "the ADR search index: its own SQLite file, a cache rebuilt from the ADR files, not the bus's",
}


def _sql_uses(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value):
            out.append(f"{node.lineno}: SQL {node.value[:40]!r}")
        if isinstance(node, ast.JoinedStr):  # an f-string, its placeholders read as names
            text = "".join(v.value if isinstance(v, ast.Constant) else "x" for v in node.values)
            if SQL.match(text):
                out.append(f"{node.lineno}: SQL f-string {text[:40]!r}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("x", "execute", "executemany", "executescript")
            and getattr(node.func.value, "id", getattr(node.func.value, "attr", ""))
            in ("tx", "con", "conn", "cur")
        ):
            out.append(f"{node.lineno}: {node.func.value.__class__.__name__}.{node.func.attr}()")
    return out


def test_no_sql_outside_the_bus():
    """Every statement on the org's database is in org.bus (identity's are org.bus.identityrows): one place
    to find any database access."""
    offenders, own = [], set()
    for path in sorted(ORG.rglob("*.py")):
        rel = path.relative_to(ORG).as_posix()
        if rel.startswith("bus/"):
            continue
        uses = _sql_uses(path)
        if uses and rel in OWN_DATABASE:
            own.add(rel)
        elif uses:
            offenders += [f"{rel}:{u}" for u in uses]
    assert not offenders, "SQL outside org.bus:\n" + "\n".join(offenders)
    assert own == set(OWN_DATABASE), (
        f"no SQL left, take them off OWN_DATABASE: {sorted(set(OWN_DATABASE) - own)}"
    )


def test_the_sql_check_sees_sql(tmp_path):
    p = tmp_path / "m.py"
    p.write_text(
        'a = "SELECT 1"\nb = f"select {x} FROM t"\ntx.x(q)\ncon.execute(q)\nc = "  delete from t"\n'
        'd = "Selected items"\ne = "Select an actor: then pause it from the board"\nf = "Delete the rows"\n'
    )
    assert sorted({int(u.split(":")[0]) for u in _sql_uses(p)}) == [1, 2, 3, 4, 5]


# -- the data plane's side of the door (org.identity.workdoor): what org.workspaces reads and records ------
def test_a_workspace_door_records_facts_only_as_its_own_principal(state):
    """A member's workspace door (org workspace, org pipeline) cannot write a fact in another actor's name:
    refused, and nothing but the refusal recorded. As itself, or as org's pipeline, the fact carries its token."""
    from org.bus.repofacts import PIPELINE
    from org.identity.tokens import parse

    s = state
    _repo_task(s)
    ws = s.door.workspaces(s.alice, command="workspace open")
    head = s.bus.head()
    for other in ("bob", "build-claude", None, ""):
        with pytest.raises(OrgError) as e:
            ws.record_fact("workspace.created", s.rtask, actor=other, data={})
        assert e.value.exit_code == 4
    assert [ev["type"] for ev in s.events(head)] == ["auth.denied"] * 4
    ws.record_fact("workspace.created", s.rtask, actor="alice", data={})
    ws.record_fact("outcome.reverted", s.rtask, actor=PIPELINE, data={})
    facts = [ev for ev in s.events(head) if not ev["type"].startswith("auth.")]
    assert [(ev["type"], ev["actor"]) for ev in facts] == [
        ("workspace.created", "alice"),
        ("outcome.reverted", PIPELINE),
    ]
    assert all(ev["auth"]["token"] == parse(s.alice)[1] for ev in facts)


def test_a_job_tokens_workspace_door_reaches_only_its_own_job_and_task(state):
    """The revision check of a submission runs with the job token's door: another job, another task's
    repository or facts, and org's pipeline are refused; a lease that ended voids it (exit 5)."""
    s = state
    _at_tests(s)
    ws = s.door.workspaces(
        s.jt, command="submit", job_ok=True, principal_ok=False
    )  # build-claude's, on task 1
    assert ws.repo_job(s.job)["repo"] is None
    attempts = [
        lambda: ws.repo_job(s.rjob),
        lambda: ws.repo_task(s.rtask),
        lambda: ws.record_fact("revision.committed", s.rtask, actor="build-claude", data={"job": s.job}),
        lambda: ws.record_fact("revision.committed", s.task, actor="build-gpt", data={"job": s.job}),
        lambda: ws.pipeline_apply(s.rtask, "tests", True, revision=SHA, reason="tests passed"),
        lambda: ws.act("code.write", "build-claude", s.rtask),
    ]
    before = s.digest()
    for attempt in attempts:
        with pytest.raises(OrgError) as e:
            attempt()
        assert e.value.exit_code == 4
    changed = {t for t, h in s.digest().items() if h != before.get(t)} - {"events", "audit_head"}
    assert not changed and s.bus.pipeline_queue()[0]["gate"] == "tests"  # the tests gate still waits
    s.door.release(s.jt, s.job, reason="later")
    with pytest.raises(OrgError) as e:
        s.door.workspaces(s.jt, command="submit", job_ok=True, principal_ok=False)
    assert e.value.exit_code == 5


def test_a_workspace_door_acts_only_by_the_doors_rules(state):
    """workspace gc acts through the door: an agent's principal token may not act (only a job token on the
    task; the CLI used to call the raw bus's act for it), nor may anyone act in another's name."""
    s = state
    _repo_task(s)
    agent = s.door.workspaces(s.agent, command="workspace gc")
    with pytest.raises(OrgError) as e:
        agent.act("workspace.gc", "build-claude", s.rtask)
    assert e.value.exit_code == 4 and "job token" in e.value.message
    human = s.door.workspaces(s.alice, command="workspace gc")
    with pytest.raises(OrgError) as e:
        human.act("workspace.gc", "bob", s.rtask)
    assert e.value.exit_code == 4
    assert human.act("workspace.gc", "alice", s.rtask)["decision"]["outcome"] in (
        "allow",
        "deny",
        "needs_approval",
    )


def test_token_administration_is_the_doors(state):
    """The rules of org token issue|revoke|list live behind the door, not in the CLI: an agent's principal
    token issues nothing, lists nothing and revokes only its own tokens; each refusal is an auth.denied event."""
    s = state
    head = s.bus.head()
    for attempt in (
        lambda: s.door.issue_token(s.agent, "build-claude"),
        lambda: s.door.list_tokens(s.agent),
        lambda: s.door.revoke_tokens(s.agent, actor="alice"),
        lambda: s.door.revoke_tokens(s.agent, token_id=s.door.list_tokens(s.alice, actor="alice")[0]["id"]),
    ):
        with pytest.raises(OrgError) as e:
            attempt()
        assert e.value.exit_code == 4
    assert [ev["type"] for ev in s.events(head)] == ["auth.denied"] * 4
    mine = s.door.issue_token(s.alice, "build-claude", note="spare")
    assert mine["issuer"] == "alice" and mine["token"].startswith("orgp_")
    assert s.door.revoke_tokens(s.agent, token_id=mine["id"]) == [mine["id"]]  # its own: yes
