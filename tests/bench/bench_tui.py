"""Benchmark: the TUI board over 10,000 tasks on a real SQLite bus, measured through Pilot.

Prints the time to first paint of the board and the latency from a filter keystroke to the repainted table
(targets: < 1 s and < 100 ms), beside a peer measured in the same run: a bare Textual DataTable app that
loads the same rows with one SQL query and repaints every matching row on each filter keystroke.

    .ci/dev python tests/bench/bench_tui.py [--tasks 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

KINDS = ("code", "docs", "deploy", "env", "config", "migration", "ops")
ENVS = ("dev", "staging", "production")


def seed(root: Path, n: int) -> str:
    from org.bus import Bus

    url = f"sqlite:///{root / '.org' / 'org.db'}"
    t0 = time.perf_counter()
    with Bus.open(url, root=root) as bus:
        for i in range(n):
            kind = KINDS[i % len(KINDS)]
            wf = "ops" if kind in ("deploy", "env", "migration", "ops") else "change"
            bus.add_task(f"Task {i}: {kind} work in {ENVS[i % 3]}", wf, by="alice",
                         attributes={"kind": kind, "environment": ENVS[i % 3]})
            if (i + 1) % 2000 == 0:
                print(f"  seeded {i + 1:,} tasks ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    return url


async def measure_org(root: Path, url: str, presses: int) -> tuple[float, list[float]]:
    from textual.widgets import DataTable

    from org.config.loader import load_org
    from org.tui.app import OrgApp
    from org.tui.principal import resolve_principal

    class BoardFirst(OrgApp):
        DEFAULT_MODE = "board"

    t0 = time.perf_counter()
    app = BoardFirst(principal=resolve_principal(load_org(root)), root=root, db_url=url, poll_seconds=5)
    async with app.run_test(size=(120, 40)) as pilot:
        while True:
            tables = app.screen.query("#board-table")
            if tables and tables.first(DataTable).row_count > 0:
                break
            await asyncio.sleep(0.002)
        await pilot.pause()
        first = time.perf_counter() - t0
        base = []
        for _ in range(presses):  # Pilot's own cost per keystroke: a key nothing is bound to
            t1 = time.perf_counter()
            await pilot.press("z")
            await pilot.pause()
            base.append(time.perf_counter() - t1)
        lat = []
        for _ in range(presses):  # cycle the tier filter: any -> low -> medium -> high -> any
            t1 = time.perf_counter()
            await pilot.press("t")
            await pilot.pause()
            lat.append(time.perf_counter() - t1)
    return first, lat, base


async def measure_peer(url: str, presses: int) -> tuple[float, list[float]]:
    import sqlite3

    from textual.app import App
    from textual.widgets import DataTable

    path = url[len("sqlite:///"):]
    tiers = [None, "low", "medium", "high"]

    class Peer(App):
        BINDINGS = [("t", "tier", "Tier")]

        def compose(self):
            yield DataTable(id="t", cursor_type="row")

        def on_mount(self) -> None:
            con = sqlite3.connect(path)
            self.rows = con.execute("SELECT key, title, workflow, tier, status FROM tasks ORDER BY id DESC").fetchall()
            con.close()
            t = self.query_one(DataTable)
            t.add_columns("task", "title", "workflow", "tier", "status")
            t.add_rows(self.rows)
            self.i = 0

        def action_tier(self) -> None:
            self.i = (self.i + 1) % len(tiers)
            want = tiers[self.i]
            t = self.query_one(DataTable)
            t.clear()
            t.add_rows([r for r in self.rows if want is None or r[3] == want])

    t0 = time.perf_counter()
    app = Peer()
    async with app.run_test(size=(120, 40)) as pilot:
        while app.query("#t").first(DataTable).row_count == 0:
            await asyncio.sleep(0.002)
        await pilot.pause()
        first = time.perf_counter() - t0
        lat = []
        for _ in range(presses):
            t1 = time.perf_counter()
            await pilot.press("t")
            await pilot.pause()
            lat.append(time.perf_counter() - t1)
    return first, lat


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--presses", type=int, default=24)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-tui-"))
    try:
        for d in ("lanes", "gates", "adrs"):
            shutil.copytree(REPO / d, tmp / d)
        print(f"seeding {args.tasks:,} tasks on SQLite ...", file=sys.stderr)
        url = seed(tmp, args.tasks)
        org_first, org_lat, base = asyncio.run(measure_org(tmp, url, args.presses))
        peer_first, peer_lat = asyncio.run(measure_peer(url, args.presses))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def p(xs: list[float], q: float) -> float:
        return sorted(xs)[min(len(xs) - 1, int(q * len(xs)))] * 1000

    print(f"\nTUI board over {args.tasks:,} tasks (SQLite, Pilot 120x40, {args.presses} filter keystrokes)")
    print(f"{'':34}{'org tui board':>16}{'bare DataTable':>16}{'ratio':>8}")
    print(f"{'first paint (s)':34}{org_first:>16.3f}{peer_first:>16.3f}{org_first / peer_first:>8.2f}")
    om, pm = statistics.median(org_lat) * 1000, statistics.median(peer_lat) * 1000
    print(f"{'filter keystroke -> repaint p50 (ms)':34}{om:>16.1f}{pm:>16.1f}{om / pm:>8.2f}")
    print(f"{'filter keystroke -> repaint p90 (ms)':34}{p(org_lat, 0.9):>16.1f}{p(peer_lat, 0.9):>16.1f}"
          f"{p(org_lat, 0.9) / p(peer_lat, 0.9):>8.2f}")
    print(f"{'filter keystroke -> repaint max (ms)':34}{max(org_lat) * 1000:>16.1f}{max(peer_lat) * 1000:>16.1f}")
    print(f"{'Pilot keystroke, nothing bound (ms)':34}{statistics.median(base) * 1000:>16.1f}"
          "   (included in both rows above)")
    print("targets: first paint < 1 s, keystroke -> repaint < 100 ms. The board paints 100 rows "
          "per step (more as you scroll); the peer repaints every matching row.")


if __name__ == "__main__":
    main()
