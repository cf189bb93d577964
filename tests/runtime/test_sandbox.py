"""The padded room, attacked from inside: a process in the sandbox tries the secrets, the database, the
network, the main clone and the other workspaces, and gets none of them; outside the sandbox the same
probe gets all of them (so the probe is real, and a sandbox that lets one through fails here)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from org.errors import UsageError
from org.runtime import Limits, Sandbox, SandboxUnavailable, probe, resolve

PROBE = (Path(__file__).parent / "room_probe.py").read_bytes()
needs_bwrap = pytest.mark.skipif(
    not probe()[0] and not os.environ.get("CI"), reason=f"no working bubblewrap here: {probe()[1]}"
)


def _git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@x",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@x",
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def scene(org_copy, tmp_path, monkeypatch, request):
    """An org with a real database, pepper, a human's token file and a real broker holding a secret; a main
    clone and two task workspaces (clones of it); a TCP listener on loopback."""
    from org.bus import Bus
    from org.identity import files
    from org.identity.brokerclient import start_broker
    from tests.helpers import write_token

    root = org_copy
    db = root / ".org" / "org.db"
    url = f"sqlite:///{db}"
    with Bus.open(url, root=root) as bus:
        bus.head()
    pepper = files.org_dir(root) / "pepper"
    files.pepper(root)
    token_file = write_token(root, "alice", "orgh_" + "a" * 40, url)
    secret, provider_key = "cnry-" + uuid.uuid4().hex, "sk-" + uuid.uuid4().hex
    monkeypatch.setenv("OPENAI_API_KEY", provider_key)  # the user's own key, in the parent's environment
    broker = start_broker(root, url, env={**os.environ, "ORG_SECRET_GITHUB": secret})
    # stopped even when the rest of the set-up fails (a live child left to the garbage collector fails whichever
    # test is running when it comes)
    request.addfinalizer(broker.stop)
    assert broker.ready() is not None

    main = tmp_path / "main"
    main.mkdir()
    _git(main, "init", "-q", "-b", "main")
    _git(main, "config", "receive.denyCurrentBranch", "ignore")
    (main / "a.txt").write_text("one\n")
    _git(main, "add", "-A")
    _git(main, "commit", "-q", "-m", "one")
    _git(main, "checkout", "-q", "-b", "evil")
    (main / "a.txt").write_text("evil\n")
    _git(main, "commit", "-qam", "evil")
    evil = _git(main, "rev-parse", "HEAD")
    _git(main, "checkout", "-q", "main")
    ws_root = tmp_path / "workspaces"
    ws, other = ws_root / "T-1", ws_root / "T-2"
    for w in (ws, other):
        _git(tmp_path, "clone", "-q", str(main), str(w))
    (ws / "b.txt").write_text("agent work\n")
    _git(ws, "add", "-A")
    _git(ws, "commit", "-qm", "agent work")
    (other / "theirs.txt").write_text("another task's work\n")

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    # connections queue on the backlog: connecting succeeds without an accept
    info = {
        "root": str(root),
        "db": str(db),
        "pepper": str(pepper),
        "token_file": str(token_file),
        "broker_pid": broker.proc.pid,
        "broker_socket": str(broker.path),
        "secret": secret,
        "provider_key": provider_key,
        "tcp_port": listener.getsockname()[1],
        "outside_file": str(tmp_path / "outside.txt"),
        "main": str(main),
        "evil_sha": evil,
        "python_file": str(Path(sys.prefix) / f"planted-{uuid.uuid4().hex}.txt"),
        "workspace": str(ws),
        "other_workspace": str(other),
        "main_head": _git(main, "rev-parse", "main"),
    }
    yield info
    Path(info["python_file"]).unlink(missing_ok=True)
    listener.close()


def _probe(sb: Sandbox, scene: dict) -> dict:
    if sb.isolated:
        scene = {**scene, "broker_socket": sb.socket("broker")}
    r = sb.run([sys.executable, "-", json.dumps(scene)], input=PROBE, timeout=60)
    assert r.returncode == 0, r.stderr.decode()
    return json.loads(r.stdout)


ATTACKS = (
    "pepper",
    "token_file",
    "db_file",
    "db_query",
    "broker_environ",
    "any_environ",
    "tcp_listener",
    "write_org_root",
    "write_outside",
    "write_python",
    "write_main_clone",
    "other_workspace",
    "other_workspace_file",
    "move_main_branch",
    "push_main_branch",
)


_TARGET = {"write_org_root": "root", "write_outside": "outside_file"}


def _pg_up() -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", 5432)) == 0


@pytest.mark.slow
def test_outside_the_sandbox_the_probe_gets_everything(scene):
    """The control: without bubblewrap (isolation: none) each attack works, so the probe attacks for real."""
    with Sandbox(
        Path(scene["workspace"]), sockets={"broker": Path(scene["broker_socket"])}, isolated=False
    ) as sb:
        got = _probe(sb, scene)
    lost = {k: got[k] for k in ATTACKS if not got[k].startswith("ok")}
    assert not lost, lost
    assert got["write_workspace"].startswith("ok") and '"ok": true' in got["broker_socket"]
    if _pg_up():
        assert got["tcp_postgres"].startswith("ok")
    # even without a sandbox the environment is scrubbed: the user's provider key does not come along
    assert got["env_secret"].startswith("refused")


@pytest.mark.slow
@needs_bwrap
def test_inside_the_sandbox_every_attack_is_refused(scene):
    with Sandbox(Path(scene["workspace"]), sockets={"broker": Path(scene["broker_socket"])}) as sb:
        got = _probe(sb, scene)
    # a write to a path under /tmp lands in the room's private /tmp (checked below to reach nothing outside)
    private = {k for k in ("write_org_root", "write_outside") if scene[_TARGET[k]].startswith("/tmp/")}
    through = {
        k: got[k]
        for k in (*ATTACKS, "tcp_postgres", "tcp_outside", "env_secret")
        if not got[k].startswith("refused") and k not in private
    }
    assert not through, through
    # the mail slot works: its own workspace is writable and the named socket answers
    assert got["write_workspace"].startswith("ok"), got["write_workspace"]
    assert '"ok": true' in got["broker_socket"] and scene["secret"] not in got["broker_socket"]
    # nothing reached the host: no planted files, the main clone's branch where it was
    assert not Path(scene["outside_file"]).exists() and not Path(scene["python_file"]).exists()
    assert (
        not (Path(scene["root"]) / "planted.txt").exists()
        and not (Path(scene["main"]) / "planted.txt").exists()
    )
    assert _git(Path(scene["main"]), "rev-parse", "main") == scene["main_head"]
    assert (Path(scene["workspace"]) / "mine.txt").read_text() == "written by the agent"


@needs_bwrap
def test_the_room_runs_as_an_unprivileged_user_with_no_capabilities_and_a_private_home(tmp_path):
    (tmp_path / "ws").mkdir()
    (tmp_path / "canary.txt").write_text("the host's /tmp")
    code = (
        "import json, os, sys; print(json.dumps({'uid': os.getuid(), "
        "'caps': sorted({l.split()[1] for l in open('/proc/self/status') if l.startswith('Cap')}), "
        "'home': os.environ['HOME'], 'home_ls': os.listdir(os.environ['HOME']), "
        "'canary': os.path.exists(sys.argv[1]), 'procs': [p for p in os.listdir('/proc') if p.isdigit()]}))"
    )
    r = Sandbox(tmp_path / "ws").run([sys.executable, "-c", code, str(tmp_path / "canary.txt")])
    assert r.ok, r.stderr.decode()
    got = json.loads(r.stdout)
    assert got["uid"] != 0 and got["caps"] == ["0000000000000000"]  # not root, no capability in any set
    assert got["home"] == "/home/agent" and got["home_ls"] == []  # an empty private HOME
    assert got["canary"] is False  # the host's /tmp is not its /tmp
    assert len(got["procs"]) <= 2, got["procs"]  # its own processes only (bwrap's init and itself)


@needs_bwrap
def test_the_wall_time_limit_kills_the_process_and_everything_it_started(tmp_path):
    marker = f"{uuid.uuid4().int % 10**6}.{uuid.uuid4().int % 10**3}"
    (tmp_path / "ws").mkdir()
    r = Sandbox(tmp_path / "ws", limits=Limits(wall_s=1)).run(
        ["sh", "-c", f"sleep {marker} & sleep {marker}"]
    )
    assert r.limit == "wall" and r.returncode != 0
    deadline = time.monotonic() + 60  # a bound against hanging, not a timing assertion
    while time.monotonic() < deadline and _running(marker):
        time.sleep(0.05)
    assert not _running(marker)


def _running(marker: str) -> bool:
    for p in Path("/proc").iterdir():
        try:
            if p.name.isdigit() and marker.encode() in (p / "cmdline").read_bytes():
                return True
        except OSError:
            continue
    return False


@pytest.mark.parametrize("isolated", [pytest.param(True, marks=needs_bwrap), False])
def test_cpu_and_memory_limits_hold(tmp_path, isolated):
    (tmp_path / "ws").mkdir()
    r = Sandbox(tmp_path / "ws", limits=Limits(cpu_s=1), isolated=isolated).run(
        [sys.executable, "-c", "while True: pass"], timeout=30
    )
    assert r.limit == "cpu", r
    r = Sandbox(tmp_path / "ws", limits=Limits(memory_mb=300), isolated=isolated).run(
        [sys.executable, "-c", "x = bytearray(600 << 20); print('allocated')"], timeout=30
    )
    assert r.returncode != 0 and b"MemoryError" in r.stderr and b"allocated" not in r.stdout


def test_process_counts_as_root_are_said_to_be_unlimited():
    notes = Limits(processes=64).notes()
    assert bool(notes) == (os.getuid() == 0)
    if notes:
        assert "root" in notes[0] and "RLIMIT_NPROC" in notes[0]


@pytest.mark.parametrize(
    "name",
    [
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "ORG_DATABASE_URL",
        "ORG_TOKEN_PEPPER",
        "AWS_SECRET_ACCESS_KEY",
        "GEMINI_API_KEY",
        "MY_SERVICE_SECRET",
        "PGPASSWORD",
        "ORG_CONFIG_HOME",
        "openai_api_key",
    ],
)
def test_no_caller_can_hand_an_agent_a_key_or_orgs_database(tmp_path, name):
    with pytest.raises(UsageError, match="never given to an agent"):
        Sandbox(tmp_path, env={name: "x"})


def test_the_environment_is_an_allowlist_and_values_stay_off_the_command_line(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-users-own")
    monkeypatch.setenv("SOME_RANDOM_VAR", "leak")
    monkeypatch.setenv("LANG", "C.UTF-8")
    sb = Sandbox(tmp_path, env={"ORG_GATEWAY_TOKEN": "orgg_job_token"})
    env = sb.environment()
    assert env["ORG_GATEWAY_TOKEN"] == "orgg_job_token" and env["LANG"] == "C.UTF-8"
    assert "OPENAI_API_KEY" not in env and "SOME_RANDOM_VAR" not in env
    assert not any("orgg_job_token" in a for a in sb.command(["true"]))


def test_bad_sandbox_requests_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="not a folder"):
        Sandbox(tmp_path / "missing")
    with pytest.raises(UsageError, match="does not exist"):
        Sandbox(tmp_path, sockets={"bus": tmp_path / "nope.sock"})
    with pytest.raises(UsageError, match="short word"):
        Sandbox(tmp_path, sockets={"../../etc": tmp_path})


def test_isolation_auto_falls_back_to_none_once_and_required_refuses(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on PATH
    heard: list[str] = []
    iso = resolve({"builder": "auto", "reviewer": "auto"}, say=heard.append)
    assert iso.mode == "none" and iso.to_json()["isolation"] == "none" and "not installed" in iso.why
    assert len(heard) == 1 and "isolation: none" in heard[0]
    with pytest.raises(SandboxUnavailable) as e:
        resolve({"builder": "auto", "security": "required"}, say=heard.append)
    assert e.value.exit_code == 2 and "security requires a sandbox" in e.value.message
    assert len(heard) == 1
    with pytest.raises(UsageError, match="use required or auto"):
        resolve({"builder": "sometimes"})


@needs_bwrap
def test_isolation_with_bubblewrap_is_the_sandbox_for_either_setting():
    assert resolve({"builder": "auto", "security": "required"}).mode == "bwrap"


def test_a_lane_says_its_isolation_and_a_wrong_value_is_a_config_error_with_its_line(org_copy):
    from org.config.loader import load_org
    from tests.helpers import run_org

    assert {lane.isolation for lane in load_org(org_copy).lanes.values()} == {"auto"}  # the default
    p = org_copy / "lanes" / "builder.yaml"
    p.write_text(p.read_text() + "isolation: sometimes\n")
    r = run_org("validate", root=org_copy)
    line = len(p.read_text().splitlines())
    assert r.returncode == 2 and f"builder.yaml:{line}: isolation" in r.stderr, r.stderr
    p.write_text(p.read_text().replace("isolation: sometimes", "isolation: required"))
    assert load_org(org_copy).lanes["builder"].isolation == "required"


@pytest.mark.slow
@needs_bwrap
def test_a_built_in_agents_job_room_refuses_every_attack(scene, tmp_path):
    """ADR 0171: the room org.agents.rooms gives a built-in agent's job (its workspace, the run's bus, gateway
    and broker sockets, the ADRs read-only), attacked from inside by the same probe: the secrets, the database,
    the network, the main clone and the other task's workspace are all out of reach; the bus socket answers."""
    from org.agents.rooms import Rooms
    from org.config.loader import load_org
    from org.identity.busd import BusServer
    from org.runtime import Isolation

    root = Path(scene["root"])
    gw = socket.socket(socket.AF_UNIX)
    gw.bind(str(tmp_path / "gateway.sock"))
    gw.listen(1)
    try:
        with BusServer(f"sqlite:///{scene['db']}", root=root, path=tmp_path / "bus.sock") as bus:
            rooms = Rooms(
                load_org(root),
                Isolation("bwrap"),
                bus.path,
                tmp_path / "gateway.sock",
                Path(scene["broker_socket"]),
            )
            with rooms.room(Path(scene["workspace"])) as sb:
                got = _probe(sb, scene)
                r = sb.run(
                    [
                        sys.executable,
                        "-c",
                        "from org.runtime.busclient import BusClient; BusClient().whoami(None)",
                    ]
                )
    finally:
        gw.close()
    private = {k for k in ("write_org_root", "write_outside") if scene[_TARGET[k]].startswith("/tmp/")}
    through = {
        k: got[k]
        for k in (*ATTACKS, "tcp_postgres", "tcp_outside", "env_secret")
        if not got[k].startswith("refused") and k not in private
    }
    assert not through, through
    assert got["write_workspace"].startswith("ok") and '"ok": true' in got["broker_socket"]
    # the writes let through above (to the room's private /tmp) reached nothing on the host
    assert not Path(scene["outside_file"]).exists() and not Path(scene["python_file"]).exists()
    assert (
        not (Path(scene["root"]) / "planted.txt").exists()
        and not (Path(scene["main"]) / "planted.txt").exists()
    )
    assert _git(Path(scene["main"]), "rev-parse", "main") == scene["main_head"]
    # the mail slot: the bus socket answers from inside (a refusal of no token is an answer, not a lost bus)
    assert r.returncode != 0 and b"org.errors.Denied: authentication failed" in r.stderr, r.stderr
