"""A run defers CPython's cyclic collector (ADR 0321): its memo and metrics make a large long-lived heap that every
full collection would scan again, while the run itself makes no reference cycles, so deferring loses nothing. Here:
no shipped scenario's run leaves cyclic garbage (a change that adds a cycle per task fails here, before it piles up
unreclaimed in a long run), and the collector is left as the run found it, also when the run is stopped."""

from __future__ import annotations

import gc
import weakref

import pytest

from org.sim.orgbuild import build_org
from org.sim.run import load
from org.sim.scenario import list_scenarios
from org.sim.world import World


def _world(name: str, days: str = "1d") -> World:
    """As the CLI makes it: closed tasks are not kept (kept, anything hanging off a task would stay reachable and
    no cycle made per task could show as garbage)."""
    ls = load(name, [("duration", days), ("warmup", "0d")])
    return World(ls.spec, build_org(ls))


@pytest.mark.parametrize("name", [s["name"] for s in list_scenarios()])
def test_a_run_makes_no_cyclic_garbage(name):
    w = _world(name, "0.5d" if name == "large" else "1d")
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        m = w.run()
        found = gc.collect()
    finally:
        if was:
            gc.enable()
    assert m["events"] > 0
    assert found == 0, f"{name}: the run left {found} objects only the cyclic collector reclaims"


def test_the_collector_is_deferred_during_the_run_and_restored_after():
    seen = []
    w = _world("large", "0.5d")  # (progress is reported every 8192 events)
    assert gc.isenabled()
    w.run(progress=lambda *a: seen.append(gc.isenabled()))
    assert seen and not any(seen)  # deferred while the run's loop turns
    assert gc.isenabled()


def test_a_stopped_run_restores_the_collector():
    w = _world("large", "0.5d")

    def stop(*a):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        w.run(progress=stop)
    assert gc.isenabled()


def test_a_run_leaves_a_disabled_collector_disabled():
    w = _world("baseline")
    gc.disable()
    try:
        w.run()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_runs_in_a_row_do_not_keep_the_earlier_worlds():
    """A finished World is cyclic garbage once dropped (lanes and members point at each other, the loop holds
    its methods): a run must not defer its collection past the next run, or sweeps, compares and replications
    in one process keep every earlier run in memory."""
    refs = []
    for seed in (1, 2, 3):
        ls = load("baseline", [("duration", "1d"), ("warmup", "0d"), ("seed", seed)])
        w = World(ls.spec, build_org(ls))
        w.run()
        refs.append(weakref.ref(w))
        del w
    assert [r() is None for r in refs[:-1]] == [True, True]


def test_a_run_leaves_a_callers_frozen_objects_frozen():
    """Objects a caller froze on purpose (gc.freeze before a fork) stay frozen after a run."""
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        _world("baseline").run()
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()
