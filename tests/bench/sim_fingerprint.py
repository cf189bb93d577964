"""The simulator's fidelity check for speed work (ADR 0305): every shipped scenario on seeds 1 and 7 (large for
3 days), its metrics and final task states hashed, written to a JSON file. Run it on two trees and compare the
files: a change that only makes the simulator faster leaves every hash as it was.

    .ci/dev python tests/bench/sim_fingerprint.py OUT.json
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from org.sim.orgbuild import build_org
from org.sim.run import load
from org.sim.scenario import list_scenarios
from org.sim.world import World


def fingerprint(name: str, seed: int) -> str:
    sets: list = [("seed", seed)]
    if name == "large":
        sets.append(("duration", "3d"))
    ls = load(name, sets)
    w = World(ls.spec, build_org(ls), keep=True)
    m = w.run()
    m.pop("engine_calls", None)  # (how many calls were made, not what they answered)
    m.pop("wall_seconds", None)
    tasks = [t.state.to_json() for t in [*(w.finished or []), *w.open.values()]]
    return hashlib.sha256(json.dumps([m, tasks], sort_keys=True, default=str).encode()).hexdigest()


def main() -> None:
    out = {}
    for name in [s["name"] for s in list_scenarios()]:
        for seed in (1, 7):
            out[f"{name}:{seed}"] = h = fingerprint(name, seed)
            print(name, seed, h[:16], flush=True)
    Path(sys.argv[1]).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
