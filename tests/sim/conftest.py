"""Fixtures for the simulator's tests: scenario runs cached for the session (runs are deterministic)."""

from __future__ import annotations

import pytest

_CACHE: dict = {}


def _key(name, sets, seed):
    return (str(name), tuple(sorted((k, repr(v)) for k, v in (sets or {}).items())), seed)


@pytest.fixture(scope="session")
def sim():
    """sim(name, seed=None, **sets) -> metrics; the same call twice returns the cached metrics."""
    from org.sim.run import simulate

    def run(name, seed=None, **sets):
        key = _key(name, sets, seed)
        if key not in _CACHE:
            _CACHE[key] = simulate(name, seed=seed, sets=[(k.replace("__", "."), v) for k, v in sets.items()])
        return _CACHE[key]

    return run


@pytest.fixture(scope="session")
def sim_world():
    """sim_world(name, **sets) -> (world, metrics): the World too (its recorder keeps every wait); the
    metrics also answer sim(name, **sets) afterwards."""
    from org.sim.run import load, run_world

    worlds: dict = {}

    def run(name, **sets):
        key = _key(name, sets, None)
        if key not in worlds:
            worlds[key] = run_world(load(name, [(k.replace("__", "."), v) for k, v in sets.items()]))
            _CACHE.setdefault(key, worlds[key][1])
        return worlds[key]

    return run


@pytest.fixture(scope="session")
def sweep_of():
    """sweep_of(name, path, values, **sets) -> {value: metrics}, built from cached single runs."""
    from org.sim.run import simulate

    def run(name, path, values, **sets):
        out = {}
        for v in values:
            s = {**sets, path.replace(".", "__"): v}
            key = _key(name, s, None)
            if key not in _CACHE:
                _CACHE[key] = simulate(name, sets=[(k.replace("__", "."), x) for k, x in s.items()])
            out[v] = _CACHE[key]
        return out

    return run
