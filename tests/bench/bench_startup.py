"""Benchmark: the start-up of bus commands against `python -c "import sqlalchemy"`, side by side in one run
(issue 23 item 6: `org claim` and `org submit` within 1.5x). A script, not a test.

    .ci/dev python tests/bench/bench_startup.py [--runs 5]

Makes a starter org with its bus, files one change and issues an agent token, then alternates: the peer
(`python -c "import sqlalchemy"`), `org claim` (claims the spec job), `org submit` (a stale token: refused
after the config is loaded and the job read) and `org task list`, each a fresh interpreter. Prints median
and spread per command, the ratio to the peer per run, and the heavy modules each command imported
(networkx, git, litellm, textual, opentelemetry), from one `-X importtime` run.

org's own modules are compiled to bytecode first, as an install compiles them (`uv pip install
--compile-bytecode`, a wheel's install): in a checkout under PYTHONDONTWRITEBYTECODE=1 (set on these machines)
every start recompiles its ~100 modules (~0.3 s, more than the peer's whole import); `--no-compile` measures that.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

HEAVY = ("networkx", "git", "litellm", "textual", "opentelemetry")


def _org(root: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "org", *args], cwd=root, env=env, capture_output=True, text=True
    )


def main() -> int:
    from tests.helpers import starter_org

    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument(
        "--no-compile", action="store_true", help="leave org's modules uncompiled (a checkout's way)"
    )
    args = ap.parse_args()
    if not args.no_compile:
        import compileall

        compileall.compile_dir(Path(__file__).resolve().parents[2] / "org", quiet=1)
    with tempfile.TemporaryDirectory() as d:
        env = {**os.environ, "ORG_CONFIG_HOME": str(Path(d) / "config")}
        env.pop("ORG_TOKEN", None)
        root = starter_org(Path(d) / "org")
        r = _org(root, env, "task", "add", "bench", "-w", "change", "--as", "alice", "--json")
        assert r.returncode == 0, r.stderr
        r = _org(root, env, "token", "issue", "--for", "build-claude", "--as", "alice", "--json")
        assert r.returncode == 0, r.stderr
        env["ORG_TOKEN"] = json.loads(r.stdout)["token"]
        cmds = {
            "import sqlalchemy": [sys.executable, "-c", "import sqlalchemy"],
            "org claim": [sys.executable, "-m", "org", "claim", "--lane", "builder", "--as", "build-claude"],
            "org submit": [
                sys.executable,
                "-m",
                "org",
                "submit",
                "1",
                "--verdict",
                "pass",
                "--token",
                "stale",
            ],
            "org task list": [sys.executable, "-m", "org", "task", "list"],
            # the same claim with the remembered proof removed first: what every command paid before ADR 0262
            "org claim (proving)": [
                sys.executable,
                "-m",
                "org",
                "claim",
                "--lane",
                "builder",
                "--as",
                "build-claude",
            ],
        }

        def forget(name: str) -> None:
            if name.endswith("(proving)"):
                shutil.rmtree(root / ".org" / "proved", ignore_errors=True)

        times: dict[str, list[float]] = {k: [] for k in cmds}
        for _ in range(args.runs):
            for name, cmd in cmds.items():
                forget(name)
                t0 = time.perf_counter()
                subprocess.run(cmd, cwd=root, env=env, capture_output=True)
                times[name].append(time.perf_counter() - t0)
        peer = times["import sqlalchemy"]
        print(f"start-up, {args.runs} runs each, interleaved (load {os.getloadavg()[0]:.1f}):")
        for name, ts in times.items():
            line = f"  {name:18s} median {statistics.median(ts) * 1000:7.0f} ms (spread {min(ts) * 1000:.0f}-{max(ts) * 1000:.0f})"
            if name != "import sqlalchemy":
                ratios = [t / p for t, p in zip(ts, peer, strict=True)]
                line += f"  ratio to import sqlalchemy: median {statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f}x)"
                forget(name)
                r = subprocess.run(
                    [cmd[0], "-X", "importtime", *cmd[1:]], cwd=root, env=env, capture_output=True, text=True
                )
                mods = {
                    ln.split("|")[-1].strip().split(".")[0]
                    for ln in r.stderr.splitlines()
                    if ln.startswith("import time:")
                }
                line += f"; imports {sorted(mods & set(HEAVY)) or 'none of ' + '/'.join(HEAVY)}"
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
