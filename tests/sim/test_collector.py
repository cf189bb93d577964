"""A run defers CPython's cyclic collector (ADR 0321): its memo and metrics make a large long-lived heap that every
full collection would scan again, while the run itself makes no reference cycles, so deferring loses nothing. Here:
no shipped scenario's run leaves cyclic garbage (a change that adds a cycle per task fails here, before it piles up
unreclaimed in a long run), and the collector is left as the run found it, also when the run is stopped."""

from __future__ import annotations

import gc

import pytest

from org.sim.orgbuild import build_org
from org.sim.run import load
from org.sim.scenario import list_scenarios
from org.sim.world import World


def _world(name: str, days: str = "1d") -> World:
    ls = load(name, [("duration", days), ("warmup", "0d")])
    return World(ls.spec, build_org(ls), keep=True)


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
