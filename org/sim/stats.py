"""Replications and their statistics: runs over several seeds in parallel processes, every metric as a
mean with a 95% interval, and paired differences (common random numbers) that say when they are not
significant."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

__all__ = ["t975", "interval", "flatten", "summarise", "paired", "replicate", "seeds_for", "SKIP"]

# Student's t 0.975 quantiles for 1..30 degrees of freedom; beyond, the normal approximation with
# the Cornish-Fisher correction is within 0.001.
_T = [
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
]

# Leaves of a run that describe the run, not the org: never averaged or compared.
SKIP = (
    "seed",
    "wall_seconds",
    "events_per_second",
    "events",
    "engine_calls",
    "duration_days",
    "warmup_days",
    "window_days",
    "load",
    "backlog",
    "series",
    "org",
    "description",
    "scenario",
    "pacing",
    "human_lanes",
)


def t975(df: int) -> float:
    if df < 1:
        return math.inf
    if df <= 30:
        return _T[df - 1]
    z = 1.959964
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def interval(xs: list[float]) -> dict:
    """Mean and 95% t-interval of independent replications (one value: no interval)."""
    n = len(xs)
    m = sum(xs) / n if n else 0.0
    if n < 2:
        return {"mean": m, "lo": None, "hi": None, "half": None, "n": n}
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))
    h = t975(n - 1) * sd / math.sqrt(n)
    return {"mean": m, "lo": m - h, "hi": m + h, "half": h, "n": n}


def flatten(m: dict, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a run's metrics by dotted path (run descriptors skipped)."""
    out: dict[str, float] = {}
    for k, v in m.items():
        if not prefix and k in SKIP:
            continue
        path = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, path + "."))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[path] = float(v)
    return out


def summarise(runs: list[dict]) -> dict[str, dict]:
    """path -> mean and 95% interval over replications (a missing leaf counts as 0 where another run has it)."""
    flats = [flatten(r) for r in runs]
    keys = sorted({k for f in flats for k in f})
    return {k: _round(interval([f.get(k, 0.0) for f in flats])) for k in keys}


def paired(runs_a: list[dict], runs_b: list[dict]) -> dict[str, dict]:
    """path -> mean of b - a over seed-paired replications with its 95% interval and a verdict:
    significant when the interval excludes zero; 'same' when every pair is identical."""
    fa, fb = [flatten(r) for r in runs_a], [flatten(r) for r in runs_b]
    keys = sorted({k for f in fa + fb for k in f})
    out = {}
    for k in keys:
        d = [b.get(k, 0.0) - a.get(k, 0.0) for a, b in zip(fa, fb, strict=True)]
        iv = _round(interval(d))
        same = all(abs(x) < 1e-12 for x in d)
        iv["significant"] = not same and iv["lo"] is not None and (iv["lo"] > 0 or iv["hi"] < 0)
        iv["same"] = same
        out[k] = iv
    return out


def _round(iv: dict) -> dict:
    return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in iv.items()}


def seeds_for(base: int, n: int) -> list[int]:
    return [base + i for i in range(n)]


def _one(job: tuple) -> dict:
    from org.sim.run import run_loaded

    ls, seed = job
    return run_loaded(ls.with_sets([("seed", seed)]))


def replicate(
    jobs: list[tuple[Any, int]], workers: int | None = None, progress: Callable[[float], None] | None = None
) -> list[dict]:
    """Run (loaded scenario, seed) jobs, in parallel processes when there is more than one (forked:
    the org is already imported), and return their metrics in the order given."""
    n = len(jobs)
    workers = max(1, min(n, workers or os.cpu_count() or 1))
    if workers == 1 or n == 1:
        out = []
        for i, job in enumerate(jobs):
            out.append(_one(job))
            if progress is not None:
                progress((i + 1) / n)
        return out
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
    results: list[dict | None] = [None] * n
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {pool.submit(_one, job): i for i, job in enumerate(jobs)}
        for done, fut in enumerate(as_completed(futures), 1):
            results[futures[fut]] = fut.result()
            if progress is not None:
                progress(done / n)
    return [r for r in results if r is not None]
