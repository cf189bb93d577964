"""Benchmark: the padded room's costs against their peers, measured side by side in one run.

    .ci/dev python tests/bench/bench_room.py [--n 40] [--runs 3]

Each measurement runs `--runs` times; every line is printed per run, then the spread of the ratios.

1. Sandbox start-up per job: `true` and `python -c pass` in the sandbox (org.runtime.Sandbox, bubblewrap)
   against the same command as a plain subprocess; prints medians and the ratio and the added ms
   (goal: under 50 ms added).
2. Gateway overhead per model call: the agent's call to the local model (its own process) directly against the
   same call through the gateway (its own process, as the supervisor's in a run), with org's client and with
   litellm's, the gateway forwarding OpenAI's wire, the same paced on the shared rate budget, and the gateway
   calling through litellm's path (goal: under 2 ms added). ADR 0285 says what each call still costs.
4. Kill-switch time to effect: an agent calling the gateway in a loop, its lane paused on the bus; the time
   from the pause's commit to the first refused call (goal: its next call), against one call's length.
   And per job of a built-in agent (ADR 0170): its grant (`model_access`, POST /org/grant with the job token)
   and its ledger flush before the budget check (POST /org/flush), against one model call.
3. Claim + submit through the agents' bus socket (org.identity.busd, org.runtime.busclient) against the
   same two calls on the in-process door (goal: under 1.5x).
5. A CLI job's room and its git objects (ADR 0290): per job, org's preparation (the task's room store brought up
   to date, its workspace's alternates checked) plus `git status` in the room binding the task's store and the
   target's, against `git status` in a room binding the mirror's whole objects/ (as before ADR 0290); per task,
   the target and room stores made and the clone from the task's store, against the former `clone --shared`
   from the mirror. `--only room_objects` runs this part alone.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


RATIOS: dict[str, list[float]] = {}  # what each run measured, by line: the spread printed at the end


def ratio(label: str, value: float) -> float:
    RATIOS.setdefault(label, []).append(value)
    return value


def paired_ms(a, b, n: int, block: int = 1) -> tuple[float, float]:
    """Medians of `a` and `b` run alternately, `block` calls at a time (so a load that comes and goes hits both
    alike)."""
    ma, mb, _ = paired(a, b, n, block)
    return ma, mb


def paired(a, b, n: int, block: int = 1) -> tuple[float, float, float]:
    """paired_ms, and the median of the n differences b - a of calls made one right after the other (in ms):
    on a machine whose load comes and goes, steadier than the difference of the two medians."""
    ta, tb = [], []
    for _ in range(max(1, n // block)):
        for fn, out in ((a, ta), (b, tb)):
            for _ in range(block):
                t0 = time.perf_counter()
                fn()
                out.append(time.perf_counter() - t0)
    diff = statistics.median(y - x for x, y in zip(ta, tb, strict=True))
    return statistics.median(ta) * 1000, statistics.median(tb) * 1000, diff * 1000


def sandbox(n: int) -> None:
    from org.runtime import Sandbox, probe

    ok, why = probe()
    if not ok:
        print(f"sandbox: skipped ({why})")
        return
    with tempfile.TemporaryDirectory() as d:
        for label, argv in (("true", ["true"]), ("python -c pass", [sys.executable, "-c", "pass"])):
            sb = Sandbox(Path(d), python=label != "true")
            plain, boxed = paired_ms(
                lambda argv=argv: subprocess.run(argv, cwd=d, check=True),
                lambda argv=argv, sb=sb: sb.run(argv),
                n,
            )
            print(
                f"sandbox start-up, {label:15s} plain {plain:7.2f} ms  sandboxed {boxed:7.2f} ms  "
                f"ratio {ratio(f'sandbox {label}', boxed / plain):5.1f}x  added {boxed - plain:6.2f} ms"
            )
        # a built-in agent's job worker (org.agents.worker, ADR 0171) to the point where it waits for its job,
        # plain against in its room (org.runtime.job_sandbox with a bus and a gateway socket bound in)
        import socket

        socks = {}
        for name in ("bus", "gateway"):
            s = socket.socket(socket.AF_UNIX)
            s.bind(str(Path(d) / f"{name}.sock"))
            s.listen(1)
            socks[name] = (s, Path(d) / f"{name}.sock")
        from org.runtime import Isolation, job_sandbox

        ws = Path(d) / "ws"
        ws.mkdir()
        room = job_sandbox(ws, sockets={k: p for k, (_s, p) in socks.items()}, isolation=Isolation("bwrap"))
        worker = [sys.executable, "-m", "org.agents.worker"]
        plain, boxed = paired_ms(
            lambda: subprocess.run(worker, cwd=ws, stdin=subprocess.DEVNULL, check=True),
            lambda: room.run(worker, input=b""),
            max(4, n // 4),
        )
        room.close()
        for s, _p in socks.values():
            s.close()
        print(
            f"sandbox start-up, job worker    plain {plain:7.2f} ms  sandboxed {boxed:7.2f} ms  "
            f"ratio {ratio('sandbox job worker', boxed / plain):5.1f}x  added {boxed - plain:6.2f} ms"
        )


_LOCAL = (  # the local model in a process of its own (as a provider would be)
    "import sys; from org.agents.localmodel import LocalModelServer; s = LocalModelServer().start(); "
    "print(s.url, flush=True); sys.stdin.read()"
)
_GATEWAY = (  # the gateway in a process of its own (as in a run: the supervisor's), a grant for one real job;
    # argv[6]: the run's rate limits (--limit's syntax), '' for none
    "import sys; from pathlib import Path; from org.config.loader import load_org; from org.gateway import Gateway; "
    "from org.agents.pacing import parse_limits; "
    "cfg = load_org(Path(sys.argv[2])); "
    "g = Gateway.for_database(cfg, sys.argv[1], local_url=sys.argv[3], env={'ORG_MODELS': 'local'}, "
    "forward=sys.argv[4] != 'litellm', limits=parse_limits(sys.argv[6])).serve(); "
    "print(g.url, g.grant(sys.argv[5]), flush=True); sys.stdin.read(); g.stop()"
)
# the paced path: a provider's calls book its rate budget (requests and tokens) on the shared database table
# before the call and settle the tokens after it, as every call to a real provider does (never a wait here)
_PACED = "local=1000000/1000000000"


def _job_token(url: str, root: Path) -> str:
    """A new database with a task whose work job build-claude claimed: the job token a grant is bought with
    (the gateway acts only as a job's holder, ADR 0157)."""
    from org.bus import Bus
    from org.identity.bootstrap import first_use_tokens
    from org.identity.guard import Guard

    with Bus.open(url, root=root) as bus:
        first_use_tokens(bus)
        g = Guard(bus, token_files=False)
        alice = g.tokens.issue("alice", by="bench")["token"]
        agent = g.tokens.issue("build-claude", by="bench")["token"]
        g.add_task(alice, "bench", "change", by="alice")
        return g.claim(agent, "builder", "build-claude", lease_seconds=3600)[1]


def _serve(code: str, *args: str) -> tuple[subprocess.Popen, list[str]]:
    p = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert p.stdout is not None
    return p, p.stdout.readline().split()


def _stop(p: subprocess.Popen) -> None:
    assert p.stdin is not None
    p.stdin.close()
    p.wait(timeout=60)


def gateway(n: int) -> None:
    """The agent's model call straight to the local model (its own process), against the same call through the
    gateway (its own process), with the agent's client (org.agents.llm.complete: OpenAI's wire on kept-alive
    http.client connections) and with litellm's own client (litellm.completion, as CLIs built on it call);
    the gateway forwarding OpenAI's wire as is (its path for the local model and any OpenAI-compatible base
    URL), the same with the shared rate budget booked and settled on the database per call (a real
    provider's path), and the gateway calling through org.agents.llm.complete's litellm path."""
    import os

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    from org.agents.llm import complete, litellm_module
    from org.bus import Bus

    lt = litellm_module()

    root = Path(__file__).resolve().parents[2]
    model, msgs = (
        "anthropic/claude-sonnet-4-5",
        [{"role": "user", "content": "Say something about the task."}],
    )
    with tempfile.TemporaryDirectory() as d:
        url = f"sqlite:///{d}/org.db"
        job_token = _job_token(url, root)
        local, (local_url,) = _serve(_LOCAL)
        try:
            for path, client in (
                ("forward", "org"),
                ("forward", "litellm"),
                ("paced", "org"),
                ("litellm", "org"),
            ):
                gw, (gw_url, token) = _serve(
                    _GATEWAY, url, str(root), local_url, path, job_token, _PACED if path == "paced" else ""
                )
                try:
                    if client == "org":
                        direct = partial(
                            complete, model, msgs, called=f"openai/{model}", api_base=local_url, api_key="x"
                        )
                        via = partial(
                            complete, model, msgs, called=f"openai/{model}", api_base=gw_url, api_key=token
                        )
                    else:
                        direct = partial(
                            lt.completion,
                            f"openai/{model}",
                            msgs,
                            api_base=local_url,
                            api_key="x",
                            max_retries=0,
                        )
                        via = partial(
                            lt.completion,
                            f"openai/{model}",
                            msgs,
                            api_base=gw_url,
                            api_key=token,
                            max_retries=0,
                        )
                    for fn in (
                        direct,
                        via,
                        direct,
                        via,
                    ):  # warm up: imports, connections, the first ledger write
                        out = fn()
                        assert getattr(out, "ok", True) and (client == "org" or out.choices), out
                    plain, gated, added = paired(direct, via, n)
                finally:
                    _stop(gw)
                rows = Bus.open(url, root=root).spend("actor")[0]["calls"]
                label = f"gateway {path}, {client} client"
                print(
                    f"gateway per call ({path:7s}, {client:7s} client): direct {plain:6.2f} ms  through the "
                    f"gateway {gated:6.2f} ms  ratio {ratio(label, gated / plain):4.2f}x  added "
                    f"{gated - plain:5.2f} ms (paired {ratio(label + ' added ms (paired)', added):5.2f} ms)  "
                    f"(ledger rows so far: {rows})"
                )
        finally:
            _stop(local)


def per_job(n: int) -> None:
    """A built-in agent's per-job cost of the gateway (ADR 0170): the grant for its job token and the ledger
    flush before its budget check, against one model call through the gateway; the gateway in its own process
    (the supervisor's in a run)."""
    from org.agents.llm import complete
    from org.gateway.service import URL_ENV, model_access

    root = Path(__file__).resolve().parents[2]
    model, msgs = "anthropic/claude-sonnet-4-5", [{"role": "user", "content": "Say something."}]
    serve = (
        "import sys; from pathlib import Path; from org.config.loader import load_org; "
        "from org.gateway.service import RunGateway; "
        "g = RunGateway(load_org(Path(sys.argv[2])), sys.argv[1], env={'ORG_MODELS': 'local'}).start(); "
        "print(g.url, flush=True); sys.stdin.read(); g.stop()"
    )
    with tempfile.TemporaryDirectory() as d:
        url = f"sqlite:///{d}/org.db"
        job_token = _job_token(url, root)
        gw, (gw_url,) = _serve(serve, url, str(root))
        try:
            env = {URL_ENV: gw_url}
            access = model_access(job_token, env=env)
            call = partial(
                complete, model, msgs, called=f"openai/{model}", api_base=gw_url, api_key=access.token
            )
            for _ in range(3):
                assert call().ok and model_access(job_token, env=env).token
            grant_ms, call_ms = paired_ms(lambda: model_access(job_token, env=env), call, n)
            flush_ms, _ = paired_ms(access.flush, lambda: None, n)
        finally:
            _stop(gw)
    print(
        f"per job: grant {grant_ms:6.2f} ms + ledger flush {flush_ms:6.2f} ms, one model call through the "
        f"gateway {call_ms:6.2f} ms: ratio {ratio('per job (grant+flush) / call', (grant_ms + flush_ms) / call_ms):4.2f}"
    )


def bus_socket(n: int) -> None:
    from org.bus import Bus
    from org.identity.bootstrap import first_use_tokens
    from org.identity.guard import Guard
    from org.runtime.busclient import BusClient

    root = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory() as d:
        url = f"sqlite:///{d}/org.db"
        with Bus.open(url, root=root) as bus:
            first_use_tokens(bus)
            g = Guard(bus, token_files=False)
            alice = g.tokens.issue("alice", by="bench")["token"]
            agent = g.tokens.issue("build-claude", by="bench")["token"]
            for i in range(2 * n + 24):
                g.add_task(alice, f"bench {i}", "change", by="alice")
        sock = Path(d) / "bus.sock"
        serve = (  # the server in a process of its own, as in a run (the supervisor's), not a thread of ours
            "import sys, time; from pathlib import Path; from org.identity.busd import BusServer; "
            "BusServer(sys.argv[1], root=Path(sys.argv[2]), path=Path(sys.argv[3])).start(); "
            "print('ready', flush=True); sys.stdin.read()"
        )
        server = subprocess.Popen(
            [sys.executable, "-c", serve, url, str(root), str(sock)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        with Guard.open(url, root=root) as door:
            client = BusClient(sock)

            def cycle(via) -> None:
                c, jt = via.claim(agent, "builder", "build-claude")
                via.submit(jt, c.job, "pass", note="bench")

            cycle(door)
            cycle(client)
            # in blocks: two SQLite connections taking turns call by call each find their page cache stale
            direct, socketed = paired_ms(lambda: cycle(door), lambda: cycle(client), n, block=10)
            client.close()
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=30)
    print(
        f"claim + submit: in-process door {direct:6.2f} ms  through the bus socket {socketed:6.2f} ms  "
        f"ratio {ratio('claim+submit socket', socketed / direct):4.2f}x  added {socketed - direct:5.2f} ms"
    )


def kill_switch(n: int) -> None:
    """An agent calling the gateway in a loop; its lane paused on the bus from another connection. Counted: calls
    that began after the pause's commit and still went through (goal: none), and the time from the commit to
    the first refusal, in calls (at most the call in flight plus the refused one: under 2)."""
    import threading

    from org.agents.llm import complete
    from org.bus import Bus

    root = Path(__file__).resolve().parents[2]
    model, msgs = "anthropic/claude-sonnet-4-5", [{"role": "user", "content": "Say something."}]
    lags, calls, leaked = [], [], 0
    with tempfile.TemporaryDirectory() as d:
        url = f"sqlite:///{d}/org.db"
        job_token = _job_token(url, root)
        local, (local_url,) = _serve(_LOCAL)
        gw, (gw_url, token) = _serve(_GATEWAY, url, str(root), local_url, "forward", job_token, "")
        try:
            for _ in range(max(3, n // 10)):
                made: list[tuple[float, float, bool]] = []  # (began, ended, went through)
                stop = threading.Event()
                going = threading.Event()

                def agent(stop=stop, made=made, going=going) -> None:
                    while not stop.is_set():
                        t0 = time.perf_counter()
                        r = complete(model, msgs, called=f"openai/{model}", api_base=gw_url, api_key=token)
                        made.append((t0, time.perf_counter(), r.ok))
                        going.set()
                        if not r.ok:
                            return

                t = threading.Thread(target=agent)
                t.start()
                going.wait(60)  # it has made a call: the pause lands while it works
                with Bus.open(url, root=root) as bus:
                    bus.pause("lane", "builder", by="alice", note="stop")
                    paused = time.perf_counter()
                    t.join(timeout=60)
                    stop.set()
                    bus.resume("lane", "builder", by="alice")
                calls += [end - began for began, end, ok in made if ok]
                leaked += sum(1 for began, _end, ok in made if ok and began > paused)
                refused = [end for _began, end, ok in made if not ok]
                if refused:
                    lags.append(refused[0] - paused)
        finally:
            _stop(gw)
            _stop(local)
    lag, call = statistics.median(lags) * 1000, statistics.median(calls) * 1000
    print(
        f"kill switch: {leaked} call(s) begun after the pause went through (of {len(lags)} pauses); refused "
        f"{lag:6.2f} ms after it, one model call {call:6.2f} ms: {ratio('kill switch lag in calls', lag / call):4.2f} calls"
    )


def room_objects(n: int) -> None:
    from org.runtime import Isolation, job_sandbox, probe

    if not probe()[0]:
        print("room objects: skipped (no sandbox)")
        return
    from org.config.repos import Repo
    from org.workspaces.git import git
    from org.workspaces.repo import Repository

    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "src"
        src.mkdir()
        for i in range(300):  # a small project: 300 files in 30 folders, 20 commits
            f = src / f"pkg{i % 30}" / f"m{i}.py"
            f.parent.mkdir(exist_ok=True)
            f.write_text(f"X = {i}\n" * 40)
        env = ["-c", "user.name=b", "-c", "user.email=b@b", "-c", "init.defaultBranch=main"]
        subprocess.run(["git", *env, "init", "-q"], cwd=src, check=True)
        for c in range(20):
            (src / "pkg0" / "m0.py").write_text(f"X = {c}\n")
            subprocess.run(["git", *env, "add", "-A"], cwd=src, check=True)
            subprocess.run(["git", *env, "commit", "-qm", f"c{c}"], cwd=src, check=True)
        repo = Repository(Path(d) / "org", "app", Repo(path=str(src), target="main"))
        repo.create("T-1")
        ws = repo.path_of("T-1")
        old = job_sandbox(ws, isolation=Isolation("bwrap"), read_only=[repo.mirror / "objects"], python=False)
        new_reads = repo.room_objects("T-1")
        new = job_sandbox(ws, isolation=Isolation("bwrap"), read_only=new_reads, python=False)
        status = ["git", "status", "--porcelain"]

        def after() -> None:
            reads = repo.room_objects("T-1")
            job_sandbox(ws, isolation=Isolation("bwrap"), read_only=reads, python=False).run(status)

        # the room as before reads the mirror through the workspace's old alternates
        def before() -> None:
            (ws / ".git" / "objects" / "info" / "alternates").write_text(f"{repo.mirror / 'objects'}\n")
            old.run(status)
            (ws / ".git" / "objects" / "info" / "alternates").write_text(f"{new_reads[0]}\n")

        b, a = paired_ms(before, after, max(4, n // 2))
        print(
            f"CLI room + git status, per job  mirror {b:7.2f} ms  own store {a:7.2f} ms  "
            f"ratio {ratio('room objects per job', a / b):5.2f}x  added {a - b:6.2f} ms"
        )
        new.close()
        old.close()
        k = [1]

        def make_new() -> None:
            k[0] += 1
            repo.create(f"T-{k[0]}")

        def make_old() -> None:
            k[0] += 1
            t = f"T-{k[0]}"
            with repo.lock():
                base = repo.sync()
                repo.g("update-ref", f"refs/heads/org/{t}", base, "0" * 40)
                repo.g("update-ref", f"refs/org/base/{t}", base)
                git(
                    [
                        "clone",
                        "-q",
                        "--shared",
                        "--no-tags",
                        "--branch",
                        f"org/{t}",
                        "--",
                        str(repo.mirror),
                        str(repo.path_of(t)),
                    ]
                )

        b, a = paired_ms(make_old, make_new, max(4, n // 4))
        print(
            f"workspace made, per task        mirror {b:7.2f} ms  own store {a:7.2f} ms  "
            f"ratio {ratio('room objects per task', a / b):5.2f}x  added {a - b:6.2f} ms"
        )


def main() -> int:
    import os

    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (the added ms grow with it; the ratios less)"
    )
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=40)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--only", action="append", help="run only these parts (by function name)")
    a = p.parse_args()
    parts = [sandbox, gateway, per_job, bus_socket, kill_switch, room_objects]
    for run in range(1, a.runs + 1):
        print(f"-- run {run} of {a.runs}")
        for part in parts:
            if not a.only or part.__name__ in a.only:
                part(a.n)
    print(f"-- ratios over {a.runs} run(s): median [min .. max]")
    for label, vals in RATIOS.items():
        print(f"{label:32s} {statistics.median(vals):6.2f} [{min(vals):6.2f} .. {max(vals):6.2f}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
