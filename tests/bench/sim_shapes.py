"""Why the transition memo misses (ADR 0305): in one run, every submission the memo did not know is classified
(a shape nothing was submitted from before, or a new call on a known shape), and the new states it made are
counted as distinct forms under coarser and coarser views, so a coarser memo key can be weighed before it is
proven. Not a test: the views past the first are not claims that the engine ignores what they drop.

    .ci/dev python tests/bench/sim_shapes.py [SCENARIO] [--days N]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from org.errors import OrgError
from org.sim.orgbuild import build_org
from org.sim.run import load
from org.sim.world import World


def _rename(x: Any, names: dict[str, str]) -> Any:
    if isinstance(x, str):
        return names.get(x, x)
    if isinstance(x, list):
        return [_rename(v, names) for v in x]
    if isinstance(x, dict):
        return {_rename(k, names): _rename(v, names) for k, v in x.items()}
    return x


def canonical(state: dict, names: list[str], profiles: dict) -> str:
    """The state under a renaming that does not depend on the order names arrived in (a heuristic: each name is
    placed by the state as seen from it, every other name read as its profile; ties keep the task's order, so
    equal states may still differ here, never the reverse). The full state, reasons included."""
    kind = {n: str(profiles.get(n, "revision" if i else "task")) for i, n in enumerate(names)}

    def seen_from(n: str) -> str:
        return json.dumps(_rename(state, {**kind, n: "@me"}), sort_keys=True)

    order = sorted(range(len(names)), key=lambda i: (seen_from(names[i]), i))
    return json.dumps(_rename(state, {names[i]: f"@{k}" for k, i in enumerate(order)}), sort_keys=True)


def views(state: dict, names: list[str], profiles: dict) -> list[str]:
    """The state as text under each view, coarser and coarser."""
    out = []
    j = _rename(state, {n: f"@{i}" for i, n in enumerate(names)})
    out.append(json.dumps(j, sort_keys=True))  # equal up to renaming, names in the task's order
    j.pop("events", None)
    out.append(json.dumps(j, sort_keys=True))
    for g in j["gates"].values():
        g["reviews"] = [r for r in g["reviews"] if r["revision"] == g["bound"]]
    out.append(json.dumps(j, sort_keys=True))
    for g in j["gates"].values():
        g.pop("reason", None)
        for r in g["reviews"]:
            r.pop("why", None)
    out.append(json.dumps(j, sort_keys=True))
    out.append(canonical(state, names, profiles))
    by_profile = {f"@{i}": str(profiles.get(n, "revision" if i else "task")) for i, n in enumerate(names)}
    j = _rename(j, by_profile)
    j["authors"] = sorted(set(j["authors"]))
    out.append(json.dumps(j, sort_keys=True))
    return out


VIEWS = [
    "states equal up to renaming (names as positions in the task's order)",
    "  and the count of events folded left out",
    "  and reviews of revisions other than the gate's bound one left out",
    "  and the gates' reasons and reviews' explanations left out",
    "states equal up to a renaming independent of arrival order (heuristic; all fields)",
    "  and names by profile only (an upper bound: who is who is lost)",
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", nargs="?", default="large")
    ap.add_argument("--days", type=float, default=5)
    args = ap.parse_args()
    ls = load(args.scenario, [("duration", f"{args.days}d")])
    w = World(ls.spec, build_org(ls))
    tr = w.transitions
    submit = tr.submit
    kinds: Counter = Counter()
    gates_from: dict[int, set[str]] = {}
    forms: list[set[str]] = [set() for _ in VIEWS]

    def classified(task: Any, rounds: int, actor: str, gate: str, *rest: Any) -> Any:
        sig, misses = task.sig, tr.misses
        try:
            out = submit(task, rounds, actor, gate, *rest)
        except OrgError as e:  # refused (a stale revision...): the engine's answer, never kept by the memo
            kinds[f"refused by the engine ({type(e).__name__}), never kept"] += tr.misses - misses
            raise
        if tr.misses > misses:
            if sig not in gates_from:
                kinds["on a shape nothing was submitted from before"] += 1
            elif gate in gates_from[sig]:
                kinds[
                    "on a known shape, at a gate submitted before (another verdict, profile, findings)"
                ] += 1
            else:
                kinds["on a known shape, at a new gate"] += 1
            if task.sig is not None:
                for f, text in zip(forms, views(task.state.to_json(), task.names, tr.profiles), strict=True):
                    f.add(text)
        if sig is not None:
            gates_from.setdefault(sig, set()).add(gate)
        return out

    tr.submit = classified  # type: ignore[method-assign]
    w.run()
    print(
        f"{args.scenario}, {args.days:g} days: {tr.hits:,} hits, {tr.misses:,} misses, {len(tr.shapes):,} shapes"
    )
    print("submissions the memo missed:")
    for k, v in kinds.most_common():
        print(f"  {v:7,}  {k}")
    print("new states those misses made, as distinct forms:")
    for name, f in zip(VIEWS, forms, strict=True):
        print(f"  {len(f):7,}  {name}")


if __name__ == "__main__":
    main()
