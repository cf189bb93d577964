"""PgQueuer drained by worker processes, as bench_bus measures org's bus (run in the bench's own venv, not org's).

    PYTHON_WITH_PGQUEUER tests/bench/peer_pgqueuer.py DSN SCHEMA N WORKERS BATCH

Installs PgQueuer's tables in SCHEMA (which must exist), starts WORKERS processes each running a
QueueManager with one no-op entrypoint (batch_size BATCH), enqueues N jobs in batches of 1000 (as org's
bench posts them) while they run, waits until every job is logged done, and prints one JSON line:
{"n", "wall", "post", "rate", "dup", "lost"}. PgQueuer acknowledges through its buffered status log (no
lease token per job, no audit chain).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import sys
import time
from collections import Counter


async def _connect(dsn: str, schema: str):
    import asyncpg

    return await asyncpg.connect(dsn, server_settings={"search_path": schema})


def _worker(dsn: str, schema: str, batch: int, ready, start, stop, out) -> None:
    from pgqueuer import QueueManager
    from pgqueuer.queries import Queries

    seen: list[int] = []

    async def main() -> None:
        conn = await _connect(dsn, schema)
        qm = QueueManager(Queries.from_asyncpg_connection(conn))

        @qm.entrypoint("noop")
        async def noop(job) -> None:
            seen.append(int(job.payload))

        async def watch() -> None:
            while not stop.is_set():
                await asyncio.sleep(0.02)
            qm.shutdown.set()

        ready.put(1)
        start.wait()
        w = asyncio.create_task(watch())
        await qm.run(dequeue_timeout=__import__("datetime").timedelta(seconds=0.2), batch_size=batch)
        w.cancel()
        await conn.close()

    asyncio.run(main())
    out.put(seen)


def main() -> int:
    dsn, schema, n, workers, batch = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
    from pgqueuer.queries import Queries

    async def setup():
        conn = await _connect(dsn, schema)
        await Queries.from_asyncpg_connection(conn).install()
        return conn

    loop = asyncio.new_event_loop()
    conn = loop.run_until_complete(setup())
    q = Queries.from_asyncpg_connection(conn)
    ctx = mp.get_context("forkserver")
    ready, start, stop, out = ctx.Queue(), ctx.Event(), ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(dsn, schema, batch, ready, start, stop, out))
        for _ in range(workers)
    ]
    for p in procs:
        p.start()
    for _ in procs:  # every worker connected, its QueueManager built (importing PgQueuer takes seconds)
        ready.get(timeout=120)
    start.set()
    t0 = time.perf_counter()
    for i in range(0, n, 1000):
        ids = range(i, min(n, i + 1000))
        loop.run_until_complete(
            q.enqueue(["noop"] * len(ids), [str(k).encode() for k in ids], [0] * len(ids))
        )
    t_post = time.perf_counter() - t0

    async def left() -> int:
        return await conn.fetchval("SELECT count(*) FROM pgqueuer")

    while loop.run_until_complete(left()):
        if not all(p.is_alive() for p in procs):
            stop.set()
            print(json.dumps({"error": "a PgQueuer worker died"}))
            return 1
        if "-v" in sys.argv:
            print(time.perf_counter() - t0, loop.run_until_complete(left()), file=sys.stderr)
        time.sleep(0.02)
    wall = time.perf_counter() - t0
    stop.set()
    seen: list[int] = []
    for _ in procs:
        seen += out.get(timeout=120)
    for p in procs:
        p.join(30)
    loop.run_until_complete(conn.close())
    c = Counter(seen)
    print(
        json.dumps(
            {
                "n": n,
                "wall": wall,
                "post": t_post,
                "rate": n / wall,
                "dup": sum(v - 1 for v in c.values() if v > 1),
                "lost": n - len(c),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
