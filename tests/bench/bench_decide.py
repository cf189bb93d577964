"""Benchmark: decide() per decision on the default org vs cedarpy (same rules, same requests, this run).

    .ci/dev python tests/bench/bench_decide.py [N]

The org's rules become Cedar policies (tests/engine/cedar_policies.py, the same text the
differential test checks), parsed once into a PolicySet, with the entities parsed once. Both
sides then answer the same realistic random request mix (tests/engine/cedar_policies.request_mix),
one call at a time, each timed on its own; we print the median and p99 per decision and the ratio.
cedarpy's batch call (all requests in one go) is printed too, as its best case.
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

import cedarpy  # noqa: E402

from org.config.loader import load_org  # noqa: E402
from org.engine.policy import decide  # noqa: E402
from tests.engine.cedar_policies import entities, policies, request, request_mix  # noqa: E402
from tests.helpers import REPO  # noqa: E402


def per_call(fn, items) -> list[int]:
    """Nanoseconds of each call, timed one by one (GC off while timing)."""
    out = []
    clock = time.perf_counter_ns
    gc.disable()
    try:
        for it in items:
            t = clock()
            fn(it)
            out.append(clock() - t)
    finally:
        gc.enable()
    return out


def pct(xs: list[int], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))] / 1000


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    cfg = load_org(REPO)
    reqs = list(request_mix(cfg, n, seed=42))
    mix = {}

    ps = cedarpy.PolicySet.from_str(policies(cfg))  # parsed once
    ents = cedarpy.Entities.from_json_str(json.dumps(entities(cfg)))  # parsed once
    cedar_reqs = [request(*r) for r in reqs]

    def run_decide(r):
        actor, action, attrs, approvals, authors = r
        return decide(cfg, actor, action, attrs, approvals=approvals, authors=authors)

    def run_cedar(cr):
        return cedarpy.is_authorized(cr, ps, ents)

    for r in reqs[:2000]:  # warm both up
        run_decide(r)
    for cr in cedar_reqs[:500]:
        run_cedar(cr)
    for r in reqs:
        o = run_decide(r).outcome
        mix[o] = mix.get(o, 0) + 1

    # interleave rounds so both see the same machine load (the machine is shared)
    d_ns: list[int] = []
    c_ns: list[int] = []
    chunk = 2000
    for i in range(0, n, chunk):
        d_ns += per_call(run_decide, reqs[i : i + chunk])
        c_ns += per_call(run_cedar, cedar_reqs[i : i + chunk])
    t = time.perf_counter()
    cedarpy.is_authorized_batch(cedar_reqs, ps, ents)
    batch_us = (time.perf_counter() - t) / n * 1e6

    d_med, d_p99 = statistics.median(d_ns) / 1000, pct(d_ns, 0.99)
    c_med, c_p99 = statistics.median(c_ns) / 1000, pct(c_ns, 0.99)
    print(
        f"decide() vs cedarpy {version('cedarpy')} on the default org: {n} requests "
        f"({', '.join(f'{k} {v}' for k, v in sorted(mix.items()))}), policies and entities parsed once"
    )
    print(f"  {'':26}{'median':>10}{'p99':>10}")
    print(f"  {'org decide()':26}{d_med:>8.2f}us{d_p99:>8.2f}us")
    print(f"  {'cedarpy is_authorized':26}{c_med:>8.2f}us{c_p99:>8.2f}us")
    print(f"  {'cedarpy batch (amortised)':26}{batch_us:>8.2f}us")
    print(
        f"  ratio cedarpy/decide: median {c_med / d_med:.1f}x, p99 {c_p99 / d_p99:.1f}x "
        f"(target >= 5x); vs cedarpy batch {batch_us / d_med:.1f}x"
    )


if __name__ == "__main__":
    main()
