"""Benchmark of the work bus against peers measured in the same run (a script, not a test).

    .ci/dev python tests/bench/bench_bus.py [--jobs 10000] [--pg-jobs 10000] [--batch 32] [--workers 4] [--runs 3]
                                            [--verify-events 1000000] [--skip-pg] [--skip-huey] [--skip-pgqueuer]

1. SQLite: org's bus with 4 worker processes (post N plain jobs; workers claim in batches with a lease and
   a fencing token per job and a hash-chained audit event per claim, then submit in batches with a fenced
   compare-and-swap and an audit event per submission; a worker's step submits its batch and claims the next
   in one transaction, Bus.submit_then_claim, and "apart" rows run claim_many and submit_many as a
   transaction each, --no-apart skips them), side by side with huey's SqliteHuey (enqueue N
   no-op tasks one by one; 4 consumer processes dequeue + execute). org: WAL, synchronous=NORMAL;
   huey runs twice: as shipped (synchronous=FULL, its default) and tuned to synchronous=NORMAL.
   Both as "mixed" (posting while the workers drain) and "drain" (all posted first, the workers timed alone).
2. PostgreSQL (ORG_TEST_PG_URL): the same org workload, side by side with PgQueuer (installed once into the
   bench's own venv under ~/.cache/org-bench, run by tests/bench/peer_pgqueuer.py) and a plain FOR UPDATE
   SKIP LOCKED claim + fenced ack loop with no audit, same batch size, same 4 processes.
3. `org audit verify` over 1,000,000 events (SQLite), with both cores and in one process, next to a bare
   sha256 chain over the same bytes.
Every comparison runs --runs times (3) and the summary prints median [min-max] of rates and ratios.
Each side is checked for duplicates (a job finished twice) and losses (a job never finished).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LANE, ACTORS = "builder", ("build-claude", "build-gpt")


def _all_ready(ready, procs) -> None:
    """Wait until every worker process is set up (imports, connections), so none starts late under load."""
    for _ in procs:
        ready.get(timeout=300)


_HOW = {
    False: "lease + fencing token + audit event per claim and submit; submit + next claim in one transaction",
    True: "the same, claim_many and submit_many as a transaction each",
}


# -- org's bus ---------------------------------------------------------------------------------------------
def _org_worker(url: str, root: str, actor: str, batch: int, separate: bool, ready, start, stop, out) -> None:
    """Claim a batch, submit it; by default a worker's step submits a batch and claims the next in one
    transaction (Bus.submit_then_claim), `separate`: claim_many and submit_many, a transaction each."""
    from org.bus import Bus
    from org.errors import NotFound

    done = 0
    with Bus.open(url, root=root) as bus:
        bus.config()
        ready.put(1)
        start.wait()
        cs: list = []
        while True:
            if not cs:
                try:
                    cs = bus.claim_many(LANE, actor, n=batch, lease_seconds=120, wait_seconds=0.2)
                except NotFound:
                    if stop.is_set():
                        break
                    continue
            items = [{"job": c.job, "token": c.token, "verdict": "pass"} for c in cs]
            if separate:
                res, cs = bus.submit_many(items), []
            else:
                res, cs = bus.submit_then_claim(items, LANE, actor, n=batch, lease_seconds=120)
            done += sum(1 for r in res if r.get("ok"))
    out.put(done)


def bench_org(
    ctx, url: str, root: Path, n: int, workers: int, batch: int, drain: bool = False, separate: bool = False
) -> dict:
    """mixed (drain=False): post while the workers claim; drain: post all first, time the workers alone."""
    from org.bus import Bus

    ready, start, stop, out = ctx.Queue(), ctx.Event(), ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(
            target=_org_worker,
            args=(url, str(root), ACTORS[i % 2], batch, separate, ready, start, stop, out),
        )
        for i in range(workers)
    ]
    for p in procs:
        p.start()
    bus = Bus.open(url, root=root)
    _all_ready(ready, procs)
    t0 = time.perf_counter()
    if not drain:
        start.set()
    for i in range(0, n, 1000):
        bus.post_jobs(LANE, [{"i": k} for k in range(i, min(n, i + 1000))])
    t_post = time.perf_counter() - t0
    if drain:
        start.set()
        t0 = time.perf_counter()
    while bus.store.read(lambda tx: tx.x("SELECT COUNT(*) FROM jobs WHERE status <> 'done'").scalar()):
        time.sleep(0.02)
    wall = time.perf_counter() - t0
    stop.set()
    acked = sum(out.get(timeout=60) for _ in procs)
    for p in procs:
        p.join(30)

    def check(tx):
        claims = tx.x("SELECT COUNT(*) FROM events WHERE type = 'job.claimed'").scalar()
        done = tx.x("SELECT COUNT(*) FROM jobs WHERE status = 'done'").scalar()
        events = tx.x("SELECT seq FROM audit_head").scalar()
        return claims, done, events

    claims, done, events = bus.store.read(check)
    subs: Counter = Counter()
    after = 0
    while True:  # every job.submitted event in the audit log, by job
        page = bus.events_since(after, limit=50_000, types=("job.submitted",))
        if not page:
            break
        subs.update(e["job"] for e in page)
        after = page[-1]["seq"]
    rep = bus.audit_verify()
    bus.close()
    dup = sum(c - 1 for c in subs.values() if c > 1)
    return {
        "n": n,
        "wall": wall,
        "post": t_post,
        "rate": n / wall,
        "dup": dup + max(0, acked - n),
        "lost": n - done,
        "claims": claims,
        "events": events,
        "verify_ok": rep.ok,
    }


# -- huey ------------------------------------------------------------------------------------------------
def _make_huey(path: str, normal: bool):
    from huey import SqliteHuey
    from huey.storage import SqliteStorage

    class NormalSync(SqliteStorage):  # the same durability as org's bus: WAL + synchronous=NORMAL
        def _create_connection(self):
            conn = super()._create_connection()
            conn.execute("pragma synchronous=1")
            return conn

    kw = {"storage_class": NormalSync} if normal else {}  # else: huey as shipped (WAL, SQLite's default FULL)
    # timeout: SQLite's busy wait per statement. huey's default (5 s) let consumers die with "database is locked"
    # on a loaded machine (load 15-20 on 2 cores) and the bench crashed; a longer wait only keeps them alive
    # (it costs nothing when the lock is free), as org's bus retries a busy write transaction itself.
    huey = SqliteHuey("bench", filename=path, results=False, timeout=60, **kw)
    seen: list[int] = []

    def noop(i):
        seen.append(i)

    noop.__module__ = "bench"  # the same registry name in the enqueuing script and in the consumers
    return huey, huey.task(name="noop")(noop), seen


def _huey_worker(path: str, normal: bool, ready, start, stop, out) -> None:
    huey, _, seen = _make_huey(path, normal)
    ready.put(1)
    start.wait()
    while True:
        task = huey.dequeue()
        if task is None:
            if stop.is_set():
                break
            time.sleep(0.001)
            continue
        huey.execute(task)
    out.put(seen)


def bench_huey(ctx, tmp: Path, n: int, workers: int, normal: bool, drain: bool = False) -> dict:
    path = str(tmp / f"huey-{'normal' if normal else 'default'}-{uuid.uuid4().hex[:6]}.db")
    huey, noop, _ = _make_huey(path, normal)
    ready, start, stop, out = ctx.Queue(), ctx.Event(), ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=_huey_worker, args=(path, normal, ready, start, stop, out)) for _ in range(workers)
    ]
    for p in procs:
        p.start()
    _all_ready(ready, procs)
    t0 = time.perf_counter()
    if not drain:
        start.set()
    for i in range(n):
        noop(i)
    t_post = time.perf_counter() - t0
    if drain:
        start.set()
        t0 = time.perf_counter()
    while huey.pending_count():
        time.sleep(0.02)
    stop.set()
    seen: list[int] = []
    for _ in procs:
        seen += out.get(timeout=60)
    wall = time.perf_counter() - t0
    for p in procs:
        p.join(30)
    c = Counter(seen)
    return {
        "n": n,
        "wall": wall,
        "post": t_post,
        "rate": n / wall,
        "dup": sum(v - 1 for v in c.values() if v > 1),
        "lost": n - len(c),
    }


# -- a plain SKIP LOCKED loop on PostgreSQL ---------------------------------------------------------------
def _pg_plain_worker(dsn: str, batch: int, ready, start, stop, out) -> None:
    import secrets

    import psycopg

    done = 0
    with psycopg.connect(dsn, autocommit=True) as c:
        ready.put(1)
        start.wait()
        while True:
            tok = secrets.token_hex(8)
            rows = c.execute(
                "UPDATE plain_jobs SET status = 'leased', token = %s, fence = fence + 1, lease_expires = now() + "
                "interval '120 seconds' WHERE id IN (SELECT id FROM plain_jobs WHERE status = 'queued' ORDER BY id "
                "LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING id, fence",
                (tok, batch),
            ).fetchall()
            if not rows:
                if stop.is_set():
                    break
                time.sleep(0.005)
                continue
            acked = c.execute(
                "UPDATE plain_jobs SET status = 'done', acks = acks + 1 WHERE id = ANY(%s) "
                "AND status = 'leased' AND token = %s RETURNING id",
                ([r[0] for r in rows], tok),
            ).fetchall()
            done += len(acked)
    out.put(done)


def bench_pg_plain(ctx, dsn: str, n: int, workers: int, batch: int) -> dict:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(
            "CREATE TABLE plain_jobs (id bigserial PRIMARY KEY, status text NOT NULL DEFAULT 'queued', "
            "token text, fence bigint NOT NULL DEFAULT 0, lease_expires timestamptz, acks int NOT NULL DEFAULT 0, "
            "payload text)"
        )
        c.execute("CREATE INDEX ON plain_jobs (status, id)")
    ready, start, stop, out = ctx.Queue(), ctx.Event(), ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=_pg_plain_worker, args=(dsn, batch, ready, start, stop, out))
        for _ in range(workers)
    ]
    for p in procs:
        p.start()
    _all_ready(ready, procs)
    start.set()
    t0 = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as c:
        for i in range(0, n, 1000):
            with c.transaction(), c.cursor() as cur:
                cur.executemany(
                    "INSERT INTO plain_jobs (payload) VALUES (%s)",
                    [(f'{{"i": {k}}}',) for k in range(i, min(n, i + 1000))],
                )
        t_post = time.perf_counter() - t0
        while c.execute("SELECT COUNT(*) FROM plain_jobs WHERE status <> 'done'").fetchone()[0]:
            time.sleep(0.02)
        wall = time.perf_counter() - t0
        stop.set()
        acked = sum(out.get(timeout=60) for _ in procs)
        dup = c.execute("SELECT COALESCE(SUM(acks - 1), 0) FROM plain_jobs WHERE acks > 1").fetchone()[0]
        lost = c.execute("SELECT COUNT(*) FROM plain_jobs WHERE status <> 'done'").fetchone()[0]
    for p in procs:
        p.join(30)
    return {
        "n": n,
        "wall": wall,
        "post": t_post,
        "rate": n / wall,
        "dup": int(dup) + max(0, acked - n),
        "lost": lost,
    }


# -- audit verify over 1M events --------------------------------------------------------------------------
def make_log(url: str, n: int) -> None:
    """n realistic events (claims and submissions of jobs), chained exactly as the bus chains them."""
    import sqlite3

    from org.bus.audit import GENESIS, canonical, header, link
    from org.bus.store import sqlite_path

    c = sqlite3.connect(sqlite_path(url))
    prev, rows = GENESIS, []
    for seq in range(1, n + 1):
        claim = seq % 2 == 1
        typ = "job.claimed" if claim else "job.submitted"
        ev = {
            "v": 1,
            "type": typ,
            "task": None,
            "actor": "build-claude",
            "lane": LANE,
            "family": "anthropic",
            "gate": None,
            "decision": "lease" if claim else "pass",
            "rules": [],
            "config_hash": "7944c74e984e6f79",
            "job": (seq + 1) // 2,
            "ts": "2026-11-21T14:47:20.857990Z",
            "data": {"fence": 1, "lease_seconds": 120, "expires": "2026-11-21T14:49:20.857990Z", "attempt": 1}
            if claim
            else {"fence": 1, "note": "", "content_sha256": None},
        }
        body = header(seq, None, typ) + canonical(ev)
        prev = link(prev, body)
        rows.append((seq, None, typ, body, prev))
        if len(rows) == 50_000:
            c.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?)", rows)
            rows = []
    c.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?)", rows)
    c.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (n, prev))
    c.commit()
    c.close()


def bench_verify(tmp: Path, root: Path, n: int) -> dict:
    from org.bus import Bus

    url = f"sqlite:///{tmp / 'verify.db'}"
    Bus.open(url, root=root).close()
    t0 = time.perf_counter()
    make_log(url, n)
    gen = time.perf_counter() - t0
    out = {"n": n, "gen": gen}
    with Bus.open(url, root=root) as bus:
        for _ in range(3):  # three rounds, side by side: the machine is shared
            for label, workers in (("parallel", None), ("single", 1)):
                cpu = _cpu_seconds()
                rep = bus.audit_verify(workers=workers)
                assert rep.ok and rep.events == n, rep
                out.setdefault(label, []).append(n / rep.seconds)
                out.setdefault(label + "_cpu", []).append((_cpu_seconds() - cpu) / n * 1e6)
            sha, mb, size, sha_cpu = _bare_sha256(url)
            out.setdefault("sha", []).append(sha)
            out.setdefault("sha_cpu", []).append(sha_cpu / n * 1e6)
            out.setdefault("sha_mb", []).append(mb)
            out["bytes"] = size
            out.setdefault("load", []).append(os.getloadavg()[0])
    return out


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its children that ended (verify's worker processes): a measure the
    other developers' load on the machine changes far less than wall time."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _bare_sha256(url: str) -> tuple[float, float, int, float]:
    """The floor under verify: the same links (sha256(prev || body)) over the same bytes read from the file, in
    one process with nothing else (no checks, no SQL per batch); and one sha256 over all the bytes at once."""
    import hashlib
    import sqlite3

    from org.bus.store import sqlite_path

    c = sqlite3.connect(sqlite_path(url))
    bodies = [b for (b,) in c.execute("SELECT body FROM events ORDER BY seq")]
    c.close()
    sha = hashlib.sha256
    t0, c0 = time.perf_counter(), time.process_time()
    prev = b"\0" * 32
    for b in bodies:
        prev = sha(prev + b).digest()
    links = len(bodies) / (time.perf_counter() - t0)
    cpu = time.process_time() - c0
    blob = b"".join(bodies)
    t0 = time.perf_counter()
    sha(blob).digest()
    return links, len(blob) / 1e6 / (time.perf_counter() - t0), len(blob), cpu


# -- main ------------------------------------------------------------------------------------------------
def _row(name: str, r: dict, what: str) -> str:
    return (
        f"  {name:<26} {r['n']:>7} jobs in {r['wall']:6.2f} s = {r['rate']:8,.0f} jobs/s   "
        f"(posting {r['post']:.2f} s)  dup {r['dup']}  lost {r['lost']}   [{what}]"
    )


def _spread(xs: list[float], fmt: str = ",.0f") -> str:
    """median [min-max] over the runs."""
    xs = sorted(xs)
    med = xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2
    return f"{med:{fmt}} [{xs[0]:{fmt}}-{xs[-1]:{fmt}}]" if len(xs) > 1 else f"{med:{fmt}}"


def _pgqueuer_python() -> str | None:
    """The bench's own venv with PgQueuer (never org's: PgQueuer brings its own dependencies), made once."""
    import subprocess

    home = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "org-bench" / "pgqueuer"
    py = home / "bin" / "python"
    if not py.exists():
        print(f"  (installing PgQueuer into {home} for the bench)", flush=True)
        uv = Path(sys.executable).parent / "uv"
        try:
            subprocess.run([sys.executable, "-m", "venv", str(home)], check=True)
            cmd = (
                [str(uv), "pip", "install", "-q", "--python", str(py)]
                if uv.exists()
                else [str(py), "-m", "pip", "install", "-q"]
            )
            subprocess.run([*cmd, "pgqueuer", "asyncpg"], check=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            print(f"  PgQueuer could not be installed ({exc}); its row is skipped")
            return None
    return str(py)


def bench_pgqueuer(py: str, dsn: str, schema: str, n: int, workers: int, batch: int) -> dict | None:
    import json
    import subprocess

    peer = Path(__file__).with_name("peer_pgqueuer.py")
    r = subprocess.run(
        [py, str(peer), dsn, schema, str(n), str(workers), str(batch)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    lines = [x for x in r.stdout.splitlines() if x.startswith("{")]
    out = json.loads(lines[-1]) if lines else {"error": r.stderr.strip()[-400:]}
    if "error" in out:
        print(f"  PgQueuer failed: {out['error']}")
        return None
    return out


def _pg_schema(dsn: str):
    import contextlib

    import psycopg

    @contextlib.contextmanager
    def made():
        schema = "bench_" + uuid.uuid4().hex[:10]
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield schema, f"{dsn}{'&' if '?' in dsn else '?'}options=-csearch_path%3D{schema}"
        finally:
            with psycopg.connect(dsn, autocommit=True) as c:
                c.execute(f'DROP SCHEMA "{schema}" CASCADE')

    return made()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=10_000)
    ap.add_argument("--pg-jobs", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--runs", type=int, default=3, help="rounds of every side by side comparison (spread)")
    ap.add_argument("--verify-events", type=int, default=1_000_000)
    ap.add_argument("--skip-pg", action="store_true")
    ap.add_argument("--skip-huey", action="store_true")
    ap.add_argument("--skip-pgqueuer", action="store_true")
    ap.add_argument("--skip-sqlite", action="store_true")
    ap.add_argument(
        "--apart",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run org's workers with claim_many and submit_many as a transaction each",
    )
    args = ap.parse_args()
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["org.bus", "huey"])
    tmp = Path(tempfile.mkdtemp(prefix="bench_bus_"))
    root = tmp / "org"
    for d in ("lanes", "gates"):
        shutil.copytree(REPO / d, root / d)
    dsn = None if args.skip_pg else os.environ.get("ORG_TEST_PG_URL")
    pgq = _pgqueuer_python() if dsn and not args.skip_pgqueuer else None
    rates: dict[str, list[float]] = {}
    loads: list[float] = []

    def keep(key: str, r: dict | None) -> None:
        if r is not None:
            rates.setdefault(key, []).append(r["rate"])

    try:
        print(
            f"bench_bus: {args.workers} worker processes, batch {args.batch}, {os.cpu_count()} CPUs, "
            f"{args.runs} run(s), load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        for run in range(1, args.runs + 1):
            loads.append(os.getloadavg()[0])
            print(f"\n== run {run} (load {loads[-1]:.1f})", flush=True)
            if not args.skip_sqlite:
                print(
                    "1. SQLite (WAL); mixed: posting while the workers drain; drain: posted first", flush=True
                )
                for mode in ("mixed", "drain"):
                    for separate in (False, True) if args.apart else (False,):
                        url = f"sqlite:///{tmp / f'org-{run}-{mode}-{int(separate)}.db'}"
                        org = bench_org(
                            ctx,
                            url,
                            root,
                            args.jobs,
                            args.workers,
                            args.batch,
                            drain=mode == "drain",
                            separate=separate,
                        )
                        keep(f"sqlite org{' apart' if separate else ''} {mode}", org)
                        print(
                            _row(
                                f"org bus{' apart' if separate else ''} ({mode})",
                                org,
                                f"NORMAL; {_HOW[separate]}; {org['events']:,} chained events, verify "
                                f"{'ok' if org['verify_ok'] else 'FAILED'}",
                            ),
                            flush=True,
                        )
                    if args.skip_huey:
                        continue
                    for normal in (True, False):
                        hu = bench_huey(
                            ctx, tmp, args.jobs, args.workers, normal=normal, drain=mode == "drain"
                        )
                        sync = "NORMAL" if normal else "FULL"
                        keep(f"sqlite huey {sync} {mode}", hu)
                        print(
                            _row(
                                f"huey {sync} ({mode})",
                                hu,
                                "tuned to org's durability"
                                if normal
                                else "as shipped; no lease, ack or audit",
                            ),
                            flush=True,
                        )
            if dsn:
                print("2. PostgreSQL (posting while the workers drain)", flush=True)
                for separate in (False, True) if args.apart else (False,):
                    with _pg_schema(dsn) as (_, sdsn):
                        pg = bench_org(
                            ctx, sdsn, root, args.pg_jobs, args.workers, args.batch, separate=separate
                        )
                    keep(f"pg org{' apart' if separate else ''}", pg)
                    print(
                        _row(
                            f"org bus{' apart' if separate else ''}",
                            pg,
                            f"{_HOW[separate]}; {pg['events']:,} chained events, "
                            f"verify {'ok' if pg['verify_ok'] else 'FAILED'}",
                        ),
                        flush=True,
                    )
                if pgq:
                    with _pg_schema(dsn) as (schema, _):
                        q = bench_pgqueuer(pgq, dsn, schema, args.pg_jobs, args.workers, args.batch)
                    keep("pg pgqueuer", q)
                    if q:
                        print(_row("PgQueuer", q, "asyncpg; buffered status log; no lease token, no audit"))
                with _pg_schema(dsn) as (_, sdsn):
                    plain = bench_pg_plain(ctx, sdsn, args.pg_jobs, args.workers, args.batch)
                keep("pg plain", plain)
                print(_row("plain SKIP LOCKED loop", plain, "claim batch + fenced ack; no audit, no engine"))
        print(f"\n== summary: median [min-max] over {args.runs} run(s), load {_spread(loads, '.1f')}")
        for key, xs in rates.items():
            print(f"  {key:<26} {_spread(xs)} jobs/s")

        def ratio(a: str, b: str, goal: str) -> None:
            if a in rates and b in rates and len(rates[a]) == len(rates[b]):
                rs = [x / y for x, y in zip(rates[a], rates[b], strict=True)]
                print(f"  {a} / {b}: {_spread(rs, '.2f')}x   ({goal})")

        for mode in ("mixed", "drain"):
            ratio(f"sqlite org {mode}", f"sqlite huey NORMAL {mode}", "goal >= 2x mixed, > 1x drain")
            ratio(f"sqlite org {mode}", f"sqlite huey FULL {mode}", "huey as shipped")
        for mode in ("mixed", "drain"):
            ratio(f"sqlite org apart {mode}", f"sqlite huey NORMAL {mode}", "claim and submit apart")
        ratio("pg org", "pg pgqueuer", "goal >= 1x, moonshot 2x")
        ratio("pg org apart", "pg pgqueuer", "claim and submit apart")
        ratio("pg org", "pg plain", "the floor: no audit, no engine")
        if args.verify_events:
            print(f"\n3. audit verify over {args.verify_events:,} events (SQLite)", flush=True)
            v = bench_verify(tmp, root, args.verify_events)
            print(
                f"  generated in {v['gen']:.1f} s; verify with both cores {_spread(v['parallel'])} events/s, in one "
                f"process {_spread(v['single'])} (goal >= 1,000,000 with both cores)\n"
                f"  bare sha256 chain over the same bytes, one process: {_spread(v['sha'])} links/s; one sha256 over "
                f"all of them: {v['bytes'] / 1e6:,.0f} MB at {_spread(v['sha_mb'])} MB/s\n"
                f"  ratio verify (both cores) / bare sha256 chain (one core): "
                f"{_spread([a / b for a, b in zip(v['parallel'], v['sha'], strict=True)], '.2f')}x  "
                f"(load {_spread(v['load'], '.1f')})\n"
                f"  CPU per event (all processes, less sensitive to load): verify both cores "
                f"{_spread(v['parallel_cpu'], '.2f')} us, one process {_spread(v['single_cpu'], '.2f')} us, bare sha256 "
                f"chain {_spread(v['sha_cpu'], '.2f')} us; ratio sha256 / verify (one process) "
                f"{_spread([a / b for a, b in zip(v['sha_cpu'], v['single_cpu'], strict=True)], '.2f')}x"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
