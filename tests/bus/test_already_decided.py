"""Deciding a request twice is a conflict (exit 5, 'already decided' in the contract), never 'not found'."""

from __future__ import annotations

import json

from org.bus import Bus
from tests.bus.bushelpers import GITHUB, carrying_out
from tests.helpers import org_in_process


def _org(root, *args):
    r = org_in_process("--json", *args, root=root)
    assert "Traceback" not in r.stderr, r.stderr
    return r.returncode, json.loads(r.stdout) if r.stdout.strip() else None, r.stderr


def test_second_decision_on_a_decided_request_exits_5(root, tokens):
    from org.identity.guard import Guard

    with Bus.open(root=root) as bus:
        t = bus.add_task(
            "Rotate",
            "ops",
            attributes={"environment": "staging", "irreversible": False},
        )["task"]
        c, jt = carrying_out(Guard(bus), tokens, t, "credential.use", attrs=GITHUB)
    r = org_in_process(
        "act", "credential.use", "--as", "ops-claude", "--task", t, root=root, env={"ORG_TOKEN": jt}
    )
    assert r.returncode == 6, r.stderr
    code, first, _ = _org(root, "approve", t, "--as", "alice", "--note", "ok")
    assert code == 0
    for verb in (
        ("approve", t, "--as", "alice"),
        ("approve", t, "--as", "bob"),
        ("reject", t, "--as", "bob", "--note", "too late"),
        ("approve", t, "--as", "alice", "--id", str(first["approval"])),
        ("approve", t, "--as", "alice", "--action", "credential.use"),
    ):
        code, doc, err = _org(root, *verb)
        assert code == 5, (verb, code, err)
        assert doc["error"] == "conflict" and "already approved by alice" in err, err
    # a request that never existed is still 'not found' (exit 3)
    code, doc, err = _org(root, "approve", t, "--as", "alice", "--id", "999")
    assert code == 3 and doc["error"] == "not_found"
    code, doc, err = _org(root, "approve", t, "--as", "alice", "--action", "deploy.production")
    assert code == 3
