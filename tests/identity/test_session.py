"""AuthedBus: in-process agents work through their tokens; the log shows every agent action under its
job token and every approval under a human's token; closing revokes the run's agent tokens."""

from __future__ import annotations

import pytest

from org.errors import Denied
from tests.bus.bushelpers import drive
from tests.identity.idhelpers import events


def test_in_process_run_acts_with_job_tokens_and_human_tokens(root):
    from org.bus import Bus
    from org.identity.session import AuthedBus
    from org.identity.tokens import Tokens

    with AuthedBus(Bus.open(root=root)) as bus:
        t = bus.add_task("Ship", "change", attributes={"environment": "production"})["task"]
        view = drive(bus, t)  # drive() claims and submits through the wrapper, approver alice included
        assert view["status"] == "done"
        with pytest.raises(Denied):
            bus.approve(t, "rev-gpt")
        issued = list(bus.tokens.values())
        evs = events(bus.bus)
    for e in evs:
        if e["type"] in ("job.claimed", "job.submitted") and e.get("actor"):
            a = e["auth"]
            assert a["principal"] == e["actor"]
            if e["type"] == "job.submitted":
                assert a["via"] == "job" and a["job"] == e["job"]
            if e["lane"] == "approver":
                assert a["kind"] == "human"
            else:
                assert a["kind"] == "agent"
    gate = [e for e in evs if e["type"] == "job.submitted" and e["gate"] == "approval"]
    assert gate and gate[0]["auth"]["kind"] == "human"
    with Bus.open(root=root) as b:
        assert not any(Tokens(b).valid(tok) for tok in issued)  # the run's tokens died with it
