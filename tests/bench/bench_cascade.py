"""Benchmark: decide() under a resolved cascade (org -> repository -> task) against today's decide() on the
org alone and against cedarpy on the same rules; and `org config show --layers` work for 100 repositories.

    .ci/dev python tests/bench/bench_cascade.py [N]

Same requests on every side, timed call by call and interleaved in rounds so all see the same machine load;
we print medians, p99 and the ratios (goal: cascade/org <= 1.2x; cedarpy/cascade >= 5x). The second part
resolves 100 repositories' policy files and lists every value with its layers (what `org config show
--layers --repo R` does after reading the file), against listing the org's values alone, per repository.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

import cedarpy  # noqa: E402

from org.config.cascade import resolve  # noqa: E402
from org.config.loader import load_org  # noqa: E402
from org.config.provenance import values  # noqa: E402
from org.engine.policy import decide  # noqa: E402
from tests.bench.bench_decide import pct, per_call  # noqa: E402
from tests.engine.cedar_policies import entities, policies, request, request_mix  # noqa: E402
from tests.helpers import REPO  # noqa: E402

POLICY = """\
tier: medium
credentials: [github, jira]
limits: {max_rework_rounds: 2, budget_usd: 1}
lanes:
  builder: {may_not: [pr.open]}
workflows:
  change: {gates: {correctness: {quorum: 1, placed_families: true}}}
protected: [secrets/**]
max_diff: {lines: 300}
"""


def org_with_repos(tmp: Path, n: int) -> Path:
    for d in ("lanes", "gates", "adrs"):
        shutil.copytree(REPO / d, tmp / d)
    lines = ["repos:"] + [f"  r{i}: {{path: r{i}, max_diff: {{files: 50, lines: 800}}}}" for i in range(n)]
    (tmp / "gates" / "repos.yaml").write_text("\n".join(lines) + "\n")
    return tmp


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with tempfile.TemporaryDirectory() as t:
        root = org_with_repos(Path(t), 100)
        org = load_org(root)
        cascade = resolve(org, repo="r0", repo_text=POLICY, commit="0" * 40, task_policy={"tier": "medium"})
        reqs = list(request_mix(org, n, seed=42))
        ps = cedarpy.PolicySet.from_str(policies(cascade))
        ents = cedarpy.Entities.from_json_str(json.dumps(entities(cascade)))
        cedar_reqs = [request(*r) for r in reqs]

        def on(cfg):
            def run(r):
                actor, action, attrs, approvals, authors = r
                return decide(cfg, actor, action, attrs, approvals=approvals, authors=authors)

            return run

        d_org, d_cascade = on(org), on(cascade)

        def run_cedar(cr):
            return cedarpy.is_authorized(cr, ps, ents)

        for r in reqs[:2000]:
            d_org(r)
            d_cascade(r)
        for cr in cedar_reqs[:500]:
            run_cedar(cr)
        denied = sum(d_cascade(r).outcome == "deny" for r in reqs) - sum(
            d_org(r).outcome == "deny" for r in reqs
        )
        a: list[int] = []
        b: list[int] = []
        c: list[int] = []
        for i in range(0, n, 2000):
            a += per_call(d_org, reqs[i : i + 2000])
            b += per_call(d_cascade, reqs[i : i + 2000])
            c += per_call(run_cedar, cedar_reqs[i : i + 2000])
        med = [statistics.median(x) / 1000 for x in (a, b, c)]
        p99 = [pct(x, 0.99) for x in (a, b, c)]
        print(f"decide() under a resolved cascade (repository + task layers) vs the org alone: {n} requests")
        print(f"  ({denied} more denials under the cascade: its credential subset)")
        print(f"  {'':28}{'median':>10}{'p99':>10}")
        for name, m, p in zip(
            ("org decide()", "cascade decide()", "cedarpy is_authorized"), med, p99, strict=True
        ):
            print(f"  {name:28}{m:>8.2f}us{p:>8.2f}us")
        print(
            f"  ratio cascade/org: median {med[1] / med[0]:.2f}x, p99 {p99[1] / p99[0]:.2f}x (goal <= 1.2x)"
        )
        print(
            f"  ratio cedarpy/cascade: median {med[2] / med[1]:.1f}x, p99 {p99[2] / p99[1]:.1f}x (goal >= 5x)"
        )

        # config show --layers for 100 repositories (each resolved from its file), against the org's own listing
        rounds = 3
        org_s, repo_s = [], []
        for _ in range(rounds):
            fresh = load_org(root)
            t0 = time.perf_counter()
            for _i in range(100):
                [v.to_json(True) for v in values(fresh)]
            org_s.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for i in range(100):
                r = resolve(fresh, repo=f"r{i}", repo_text=POLICY, commit=f"{i:040d}")
                [v.to_json(True) for v in values(r)]
            repo_s.append(time.perf_counter() - t0)
        o, r_ = min(org_s), min(repo_s)
        print("config show --layers, 100 repositories (resolve + every value with its layers), best of 3:")
        print(f"  org values alone x100: {o * 1000:8.1f} ms ({o * 10:.2f} ms each)")
        print(
            f"  with each repository's layer: {r_ * 1000:8.1f} ms ({r_ * 10:.2f} ms each); ratio {r_ / o:.2f}x"
        )


if __name__ == "__main__":
    main()
