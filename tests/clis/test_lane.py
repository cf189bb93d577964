"""A builder lane of a real aider member and a real mini-swe-agent member works the demo's tasks end to end
with `org run`: each CLI in its bubblewrap room, its model calls through the run's gateway to the deterministic
local model, its work committed through the diff guard, then the repository's tests, the cross-vendor reviews
of the built-in reviewers and org's pipeline merge. The user's provider key stays with org, and every model
call is counted at the gateway."""

from __future__ import annotations

import json

import pytest

from org.bus import Bus
from tests.workspaces.gitrepo import sh_git

pytestmark = pytest.mark.slow
TASKS = (
    "Add retry with backoff to the webhook sender",
    "Retry transient failures in the webhook sender with backoff",
)


def test_a_lane_of_real_aider_and_mini_swe_agent_members_works_tasks_end_to_end(live_org):
    o = live_org("aider", "mini")
    tasks = [o.task(title) for title in TASKS]
    summary, wall = o.run()
    served = o.local.stats()["served"]
    usage = o.usage()
    with Bus.open(o.url, root=o.root) as bus:
        views = {t: bus.task(t) for t in tasks}
        events = {t: bus.events_since(0, limit=100_000, task=t) for t in tasks}
    assert not summary["failures"] and summary["tasks_done"] == len(tasks), summary
    # every call the local model served came through the gateway and is a row of its ledger
    assert len(usage) == served and {u[3] for u in usage} == {"ok"}, (len(usage), served)
    by_member = {a: sum(1 for u in usage if u[0] == a) for a in sorted({u[0] for u in usage})}
    assert by_member.get("build-aider") and by_member.get("build-mini"), by_member  # both CLIs worked
    mirror = o.root / ".org" / "repos" / "service.git"
    for t, view in views.items():
        gates = view["state"]["gates"]
        assert view["state"]["status"] == "done", (t, gates)
        assert gates["tests"]["status"] == "passed", gates
        files = sh_git(mirror, "show", "--name-only", "--format=", view["revision"]).split()
        assert files == ["webhooks/sender.py"], files
        builders = {
            e.get("actor")
            for e in events[t]
            if e["type"] == "work.submitted" and e["data"].get("gate") in ("spec", "implement")
        }
        assert builders and builders <= {"build-aider", "build-mini"}, builders
        assert {"agent.started", "agent.finished"} <= {e["type"] for e in events[t]}
        assert o.key not in json.dumps(events[t])
    print(f"org run: {len(tasks)} tasks done in {wall:.0f} s; model calls by member: {by_member}")
