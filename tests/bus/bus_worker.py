"""A worker process for the concurrency tests: claim, (maybe dawdle), submit, log every outcome.

    python bus_worker.py URL ROOT LANE ACTOR LOG STOPFILE [--slow P] [--seed N] [--lease S]

Each line of LOG is JSON: {"job", "fence", "ok"|"error"}, written and flushed before the next step,
so a kill -9 loses at most the step in flight. --slow P: with probability P sleep past the lease
before submitting (its token should then be stale unless nobody took the job over).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path


def run_logged(argv: list[str], errfile: str) -> None:
    """Entry for multiprocessing workers: run, and leave any traceback in errfile."""
    import traceback

    try:
        code = main(argv)
    except BaseException:
        Path(errfile).write_text(traceback.format_exc())
        raise
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    for a in ("url", "root", "lane", "actor", "log", "stop"):
        ap.add_argument(a)
    ap.add_argument("--slow", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lease", type=float, default=2.0)
    ap.add_argument("--batch", type=int, default=1)
    # claim one batch, hold it until the fence of every job in it moved on (its lease expired and was swept or
    # taken over), then submit with the stale tokens and exit: the stale submission a kill -9 run must refuse
    ap.add_argument("--dawdle", action="store_true")
    args = ap.parse_args(argv)
    from org.bus import Bus
    from org.errors import NotFound, OrgError, Paused

    rng = random.Random(args.seed or os.getpid())
    log = open(args.log, "a", buffering=1)  # noqa: SIM115 - line-buffered for the whole life of the process
    stop = Path(args.stop)
    with Bus.open(args.url, root=args.root, max_attempts=1000) as bus:
        idle = 0
        while True:
            try:
                claims = bus.claim_many(
                    args.lane, args.actor, n=args.batch, lease_seconds=args.lease, wait_seconds=0.3
                )
            except NotFound:
                idle += 1
                if stop.exists() and idle >= 2:
                    return 0
                continue
            except Paused:
                time.sleep(0.05)
                continue
            idle = 0
            for c in claims:
                log.write(
                    json.dumps({"claimed": c.job, "fence": c.fence, "task": c.task, "gate": c.gate}) + "\n"
                )
            if args.dawdle:
                _until_fences_move(bus, claims)
            elif args.slow and rng.random() < args.slow:
                time.sleep(args.lease * 1.6)
            else:
                time.sleep(rng.random() * 0.004)
            items = [
                {
                    "job": c.job,
                    "token": c.token,
                    "verdict": "approve" if c.kind == "approval" else "pass",
                    "content": f"{args.actor} did {c.job}",
                }
                for c in claims
            ]
            try:
                results = bus.submit_many(items) if len(items) > 1 else [bus.submit(**items[0])]
            except OrgError as exc:
                results = [{"ok": False, "job": items[0]["job"], "error": exc.kind}]
            for c, r in zip(claims, results, strict=True):
                if r.get("ok"):
                    log.write(
                        json.dumps({"job": c.job, "fence": c.fence, "ok": True, "task": r.get("task")}) + "\n"
                    )
                else:
                    log.write(json.dumps({"job": c.job, "fence": c.fence, "error": r.get("error")}) + "\n")
            if args.dawdle:
                return 0


if __name__ == "__main__":
    sys.exit(main())


def _until_fences_move(bus, claims, bound: float = 300.0) -> None:
    """Wait (polling, bounded against a hang) until no claim's fence is the job's fence any more."""

    def fences() -> list[int]:
        return [
            bus.store.read(
                lambda tx, j=c.job: tx.x("SELECT fence FROM jobs WHERE id = :j", {"j": j}).scalar()
            )
            for c in claims
        ]

    end = time.monotonic() + bound
    while any(f == c.fence for f, c in zip(fences(), claims, strict=True)) and time.monotonic() < end:
        time.sleep(0.05)


def reserve_many(url: str, root: str, n: int) -> int:
    """Reserve one unit n times from the shared 'anthropic' bucket; how many succeeded."""
    from org.bus import Bus

    ok = 0
    with Bus.open(url, root=root) as b:
        for _ in range(n):
            ok += b.reserve("anthropic", 1).ok
    return ok
