"""An in-process run through the door: agents work with their own tokens; the log shows every agent action
under its job token and every approval under a human's token; revoking the run's tokens ends them."""

from __future__ import annotations

import pytest

from org.errors import Denied
from tests.identity.idhelpers import events

WORKERS = {
    "builder": "build-claude",
    "reviewer": "rev-gpt",
    "design": "rev-gemini",
    "security": "sec-gemini",
    "approver": "bob",  # alice files: on the high tier another human approves
}


def _drive(door, tokens: dict[str, str], task: str) -> dict:
    """Claim and submit the task's open jobs through the door until it closes (humans with their own files)."""
    for _ in range(50):
        view = door.task(tokens["build-claude"], task)
        queued = [j for j in view["jobs"] if j["status"] == "queued"]
        if view["status"] != "active" or not queued:
            return view
        j = queued[0]
        actor = WORKERS["design"] if (j["lane"], j["gate"]) == ("reviewer", "design") else WORKERS[j["lane"]]
        c, jt = door.claim(tokens.get(actor), j["lane"], actor)
        assert c.token == jt  # the bare fencing token never leaves the door
        door.submit(jt, c.job, "approve" if c.kind == "approval" else "pass", content=f"work of {actor}")
    return view


def test_in_process_run_acts_with_job_tokens_and_human_tokens(root):
    from org.identity.bootstrap import agent_tokens, first_use_tokens, revoke_all
    from org.identity.guard import Guard

    with Guard.open(root=root) as door:
        first_use_tokens(door)
        tokens = agent_tokens(door)
        t = door.add_task(None, "Ship", "change", by="alice", attributes={"environment": "production"})[
            "task"
        ]
        assert _drive(door, tokens, t)["status"] == "done"
        with pytest.raises(Denied):
            door.approve(tokens["rev-gpt"], t, "rev-gpt")
        evs = events(door._bus)
        revoke_all(door, tokens)
        assert not any(door.tokens.valid(tok) for tok in tokens.values())  # the run's tokens died with it
    for e in evs:
        if e["type"] in ("job.claimed", "job.submitted") and e.get("actor"):
            a = e["auth"]
            assert a["principal"] == e["actor"]
            if e["type"] == "job.submitted":
                assert a["via"] == "job" and a["job"] == e["job"]
            assert a["kind"] == ("human" if e["lane"] == "approver" else "agent")
    gate = [e for e in evs if e["type"] == "job.submitted" and e["gate"] == "approval"]
    assert gate and gate[0]["auth"]["kind"] == "human"
