"""The hivemind standup (issue 21 item 6; org.sim.standup, scenario `hivemind`): energy comes only from clean
merges, every message is a charged model call, flagged blockers go first, help comes only from an idle member
of another family, `off` means no standups, and the cadence sweep the scenario asks for runs."""

from __future__ import annotations

import pytest

from org.errors import ConfigError, UsageError
from org.sim import world as world_mod
from org.sim.run import load, run_world, sweep


def _run(**sets):
    return run_world(load("hivemind", [(k.replace("__", "."), v) for k, v in sets.items()]))


@pytest.mark.parametrize("off", ["off", False, "never", None])
def test_off_means_no_standups(off):
    ls = load("hivemind", [("standup.every", off), ("duration", "2d")])
    assert ls.spec.standup is not None and ls.spec.standup.every is None
    w, m = run_world(ls)
    assert "standup" not in m and w.su is None


@pytest.mark.parametrize("bad", ["0s", -1, "soon"])
def test_a_cadence_that_is_not_a_duration_is_refused(bad):
    with pytest.raises((ConfigError, UsageError)):
        load("hivemind", [("standup.every", bad)])


def test_messages_are_counted_and_charged_and_cost_throughput_at_a_frantic_cadence():
    w, m = _run(duration="3d")
    su = m["standup"]
    agents = sum(not x.human for x in w.workers.values())
    assert su["standups"] > 0 and su["wakes"] == su["standups"] * agents  # every agent workspace wakes
    assert su["asks"] > 0 and su["chatter"] > 0
    assert su["calls"] == su["wakes"] + su["flags"] + su["asks"] + su["helps"] + su["chatter"]
    assert su["tokens"] == (
        su["wakes"] * 1500 + (su["flags"] + su["asks"] + su["chatter"]) * 800 + su["helps"] * 6000
    )
    assert su["usd"] == pytest.approx(su["tokens"] * 5.0 / 1e6, rel=1e-6)
    assert (
        m["rate_limits"]["pools"]["shared"]["calls"] > su["calls"]
    )  # the pool saw them among the jobs' calls
    _w, quiet = _run(duration="3d", standup__every="off")
    assert m["cost"]["usd"] > quiet["cost"]["usd"]
    # every 5 minutes the wake-ups alone (17 x 1500 tokens) take almost a third of the shared 18k tokens/min
    _w, frantic = _run(duration="3d", standup__every="5m")
    assert frantic["rate_limits"]["stall_hours"] > quiet["rate_limits"]["stall_hours"]
    assert frantic["cycle_time_hours"]["p50"] > quiet["cycle_time_hours"]["p50"]


def test_energy_comes_only_from_clean_merges():
    """Work that always escapes with a defect (nobody can see it) earns no energy: the workspaces wake and
    say nothing, however busy the board."""
    _w, m = _run(
        duration="3d",
        behaviour__default__defects={"logic": 1.0},
        behaviour__default__detect={"logic": 0.0},
    )
    su = m["standup"]
    assert m["tasks"]["done"] > 0 and m["defects"]["escaped_total"] >= m["tasks"]["done"]
    assert su["wakes"] > 0
    assert su["flags"] == su["asks"] == su["helps"] == su["chatter"] == 0


def test_flagged_jobs_go_first_and_help_comes_from_an_idle_member_of_another_family(monkeypatch):
    seen = {"flags": 0, "helps": 0}
    flag, ask = world_mod.World._standup_flag, world_mod.World._standup_ask

    def checked_flag(self, job):
        flag(self, job)
        seen["flags"] += 1
        q = self.lanes[job.lane].queue
        if job in job.task.queued:  # not started at once: behind earlier flags only
            i = next(k for k, e in enumerate(q) if e[2] is job)
            assert all(e[0] == -1 for e in q[: i + 1])

    def checked_ask(self, w, task):
        idle = list(self.lanes[w.lane].idle)
        helping = set(self.su_helping)
        ask(self, w, task)
        new = set(self.su_helping) - helping
        for hid in new:
            h = self.workers[hid]
            seen["helps"] += 1
            assert h in idle and h.job is None and h not in self.lanes[w.lane].idle
            assert h.family != w.family and h.lane == w.lane

    monkeypatch.setattr(world_mod.World, "_standup_flag", checked_flag)
    monkeypatch.setattr(world_mod.World, "_standup_ask", checked_ask)
    # one security reviewer for all the work: reviews of the builders' work wait for hours (blockers to flag),
    # while builders are now and then idle to help
    _w, m = _run(duration="3d", org__lanes__security__agents=1, standup__every="1h")
    assert seen["flags"] > 0 and seen["helps"] > 0
    assert m["standup"]["flags"] <= seen["flags"]  # (the warm-up's flags are not counted in the window)


def test_the_cadence_sweep_runs_and_reports_standups():
    out = sweep("hivemind", path="standup.every", values=["off", "2h"], sets=[("duration", "2d")])
    runs = [p["metrics"] for p in out["points"]]
    assert "standup" not in runs[0] and runs[1]["standup"]["standups"] > 0


def test_explain_counts_the_standup_settings_among_the_inputs():
    from org.sim.explain import parameters

    got = parameters(load("hivemind"))
    assert got["standup.every"] == ("2h", "1h")
    assert got["standup.stale_after"] == ("1h", "30m")
    for k in ("wake_tokens", "energy_per_merge", "flag_tokens", "max_messages", "help_time", "help_tokens"):
        assert f"standup.{k}" in got, k
    assert not [k for k in parameters(load("baseline")) if k.startswith("standup")]
