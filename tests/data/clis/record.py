"""Re-record the vendor transcripts the fake CLIs replay (tests/data/clis/<cli>/recorded.jsonl) from the real CLIs.

    npm install --prefix ~/.cache/org-clis @anthropic-ai/claude-code @openai/codex opencode-ai
    .ci/dev python tests/data/clis/record.py [--prefix ~/.cache/org-clis] [claude codex opencode]

Each CLI runs once, offline, with exactly its adapter's argv() and env() (org/agents/clis/<cli>.py), in a tiny git
repository, its model calls through a real org model gateway on loopback (a starter org's builder job token's
grant) backed by the deterministic local model: the variables it gets are those org.runtime.relay gives a CLI in
its room (base URLs and the job's gateway token as its key), with a private HOME. The adapter's session drives it
(its opening, its protocol replies; a permission request is allowed, since the recording is of the vendor's
format, not of org's policy). Every line in both directions is kept in order: what the CLI printed on stdout
becomes {"out": "<the line, byte for byte>"}, on stderr {"err": ...}, each line org wrote {"read": true, "sent": "<the line>"} (the
fake CLI reads a line there; the transcript tests check the adapter writes exactly "sent"), its exit
{"exit": N}. The first line names the CLI's version, the command that recorded it and the argv it ran.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

HERE = Path(__file__).resolve().parent
PROMPT = "Create a file named hello.txt containing the single line: hello. Then stop."
CLIS = ("claude", "codex", "opencode")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def tiny_repo(at: Path) -> Path:
    at.mkdir(parents=True)
    _git(at, "init", "-q", "-b", "main")
    _git(at, "config", "user.email", "rec@example.invalid")
    _git(at, "config", "user.name", "recorder")
    (at / "README.md").write_text("# tiny\n")
    _git(at, "add", "README.md")
    _git(at, "commit", "-q", "-m", "init")
    return at


# --scripted: instead of the local model (which calls org's own tool names, so no CLI asks a permission), a
# loopback chat-completions model that calls the CLI's own file-writing tool once, then says it is done: the
# recording then holds the CLI's real permission request and org's answer.
WRITE_TOOLS = {  # tool name the CLI offers -> its arguments (the workspace path filled in)
    "Write": lambda ws: {"file_path": f"{ws}/hello.txt", "content": "hello\n"},
    "write": lambda ws: {"filePath": f"{ws}/hello.txt", "content": "hello\n"},
    "apply_patch": lambda ws: {"input": "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\n"},
    "shell": lambda ws: {"command": ["bash", "-lc", "echo hello > hello.txt"], "workdir": str(ws)},
    "exec_command": lambda ws: {"cmd": "echo hello > hello.txt", "workdir": str(ws)},
}
SCRIPT = {"workspace": "/tmp", "seen": []}


@contextlib.contextmanager
def scripted_model():
    """A loopback OpenAI chat-completions server: a tool call to the first known writing tool, then text."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class H(BaseHTTPRequestHandler):
        def log_message(self, *a):  # quiet
            pass

        def _send(self, doc: dict) -> None:
            data = json.dumps(doc).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self._send({"object": "list", "data": [{"id": "scripted", "object": "model"}]})

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
            names = [
                (t.get("function") or {}).get("name") for t in body.get("tools") or [] if isinstance(t, dict)
            ]
            SCRIPT["seen"].append(names)
            msgs = body.get("messages") or []
            tool = next((n for n in WRITE_TOOLS if n in names), None)
            done = any(m.get("role") == "tool" for m in msgs if isinstance(m, dict))
            msg: dict = {"role": "assistant", "content": "Done: hello.txt written."}
            finish = "stop"
            if tool and not done:
                args = WRITE_TOOLS[tool](SCRIPT["workspace"])
                msg = {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_rec_1",
                            "type": "function",
                            "function": {"name": tool, "arguments": json.dumps(args)},
                        }
                    ],
                }
                finish = "tool_calls"
            self._send(
                {
                    "id": "chatcmpl-rec",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body.get("model", "scripted"),
                    "choices": [{"index": 0, "message": msg, "finish_reason": finish}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
                }
            )

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}/v1"
    finally:
        srv.shutdown()
        srv.server_close()


@contextlib.contextmanager
def gateway(tmp: Path, scripted: bool = False):
    """(gateway URL, a gateway token, the model it grants, the Gateway): a starter org, a builder job, the local
    model."""
    from org.agents.localmodel import LocalModelServer
    from org.bus import Bus
    from org.config.loader import load_org
    from org.gateway.server import Gateway
    from org.identity.bootstrap import first_use_tokens
    from org.identity.guard import Guard
    from tests.helpers import starter_org

    root = starter_org(tmp / "org")
    url = f"sqlite:///{root / '.org' / 'org.db'}"
    with Bus.open(url, root=root) as bus:
        task = bus.add_task("Record a transcript", workflow="change", by="alice")["task"]
        first_use_tokens(bus)
    with Bus.open(url, root=root) as bus:
        door = Guard(bus, token_files=False)
        actor = "build-gpt"
        ptok = door.tokens.issue(actor, by="recorder")["token"]
        while True:
            c, job_token = door.claim(ptok, "builder", actor, lease_seconds=3600)
            if c.task == task:
                break
    cfg = load_org(root)
    with contextlib.ExitStack() as stack:
        local_url = (
            stack.enter_context(scripted_model()) if scripted else stack.enter_context(LocalModelServer()).url
        )
        gw = Gateway(
            cfg,
            lambda: Guard(Bus.open(url, root=root, config=cfg), token_files=False, owns_bus=True),
            local_url=local_url,
            env={"ORG_MODELS": "local"},
        )
        gw.serve(http=True)
        try:
            yield gw.url, gw.grant(job_token, workflow="change"), cfg.actors[actor].model, gw
        finally:
            gw.stop()


def record(
    name: str, exe: str, gw_url: str, token: str, model: str, tmp: Path, wall_s: float, max_lines: int
) -> list[dict]:
    from org.agents.clis.adapter import Ask, Launch, Reply
    from org.agents.clis.adapters import ADAPTERS

    adapter = ADAPTERS[name](None)
    work = tiny_repo(tmp / f"{name}-repo")
    home = tmp / f"{name}-home"
    home.mkdir()
    launch = Launch(workspace=work, prompt=PROMPT, model=model)
    SCRIPT["workspace"] = str(work)
    argv = adapter.argv(exe, launch)
    base = gw_url.rstrip("/").removesuffix("/v1")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        **adapter.env(launch),
        "OPENAI_BASE_URL": base + "/v1",
        "OPENAI_API_BASE": base + "/v1",
        "ANTHROPIC_BASE_URL": base,
        "OPENAI_API_KEY": token,
        "ANTHROPIC_API_KEY": token,
    }
    session = adapter.session(launch)
    steps: list[dict] = []
    lock = threading.Lock()
    lines: queue.Queue = queue.Queue()
    proc = subprocess.Popen(
        argv, cwd=work, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdin and proc.stdout and proc.stderr

    def pump(stream, key: str) -> None:
        for raw in iter(stream.readline, b""):
            text = raw.decode("utf-8", "replace").rstrip("\n")
            with lock:
                steps.append({key: text})
            if key == "out":
                lines.put(text)
        if key == "out":
            lines.put(None)

    def write(data: bytes | None) -> None:
        if not data:
            return
        with lock:
            for part in data.decode().splitlines(keepends=True):
                step = {"read": True} if part.endswith("\n") else {"read_until_eof": True}
                steps.append({**step, "sent": part})
        with contextlib.suppress(OSError):
            proc.stdin.write(data)
            proc.stdin.flush()

    threads = [
        threading.Thread(target=pump, args=(s, k), daemon=True)
        for s, k in ((proc.stdout, "out"), (proc.stderr, "err"))
    ]
    for t in threads:
        t.start()
    write(session.opening())
    if not session.keep_stdin():
        proc.stdin.close()
    end = time.monotonic() + wall_s
    timed_out = False
    seen = 0
    while True:
        try:
            line = lines.get(timeout=max(0.1, end - time.monotonic()))
        except queue.Empty:
            timed_out = True
            break
        if line is None:
            break
        seen += 1
        if seen > max_lines:  # a CLI looping on the local model's answers: enough of its format is kept
            timed_out = True
            break
        for item in session.feed(line):
            if isinstance(item, Reply):
                write(item.data)
            elif isinstance(item, Ask):
                write(session.answer(item, True, "allowed by the recorder"))
        if session.done and not proc.stdin.closed:
            with contextlib.suppress(OSError):
                proc.stdin.close()
    if timed_out:
        with lock:
            kept = list(steps)  # what it printed up to here; nothing after the recorder stopped it
        proc.kill()
    code = proc.wait()
    for t in threads:
        t.join(timeout=10)
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        with contextlib.suppress(OSError):
            stream.close()
    if timed_out:
        steps = kept
    else:
        steps.append({"exit": code})
    return [{"argv": argv, "env": sorted(env), "exit": code, "timed_out": timed_out}, *steps]


def version(exe: str) -> str:
    r = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=120)
    return (r.stdout or r.stderr).strip()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("clis", nargs="*", metavar="CLI", help="of " + ", ".join(CLIS) + " (default: all)")
    p.add_argument("--prefix", default=str(Path.home() / ".cache" / "org-clis"))
    p.add_argument("--wall", type=float, default=300.0, help="seconds one CLI may run")
    p.add_argument("--max-lines", type=int, default=60, help="stdout lines kept before the CLI is stopped")
    p.add_argument(
        "--scripted",
        action="store_true",
        help="a scripted model that calls the CLI's writing tool (records its permission exchange) -> <cli>/permission.jsonl",
    )
    p.add_argument("--out", default=str(HERE), help="where <cli>/recorded.jsonl is written")
    a = p.parse_args(argv)
    bad = [c for c in a.clis if c not in CLIS]
    if bad:
        p.error(f"unknown CLI {', '.join(bad)} (known: {', '.join(CLIS)})")
    a.clis = a.clis or list(CLIS)
    bindir = Path(a.prefix) / "node_modules" / ".bin"
    with (
        tempfile.TemporaryDirectory(prefix="org-rec-") as d,
        gateway(Path(d), a.scripted) as (url, token, model, _gw),
    ):
        for name in a.clis:
            exe = shutil.which(name, path=str(bindir)) or shutil.which(name)
            if exe is None:
                print(f"{name}: not installed (looked in {bindir} and PATH)", file=sys.stderr)
                continue
            ver = version(exe)
            t0 = time.monotonic()
            meta, *steps = record(name, exe, url, token, model, Path(d), a.wall, a.max_lines)
            shown = [x.replace(token, "$OPENAI_API_KEY").replace(url, "$GATEWAY") for x in meta["argv"]]
            head = {
                "version": ver,
                "recorded": {
                    "by": "tests/data/clis/record.py " + " ".join(sys.argv[1:] or CLIS),
                    "cli": os.path.realpath(exe).replace(str(Path.home()), "~"),
                    "argv": shown,
                    "env": meta["env"],
                    "prompt": PROMPT,
                    "model": model
                    + (
                        " (record.py's scripted model: one call of the CLI's writing tool, through org's gateway)"
                        if a.scripted
                        else " (org's deterministic local model through org's gateway)"
                    ),
                    "exit": meta["exit"],
                    "stopped_by_recorder": meta["timed_out"],
                    "seconds": round(time.monotonic() - t0, 1),
                },
            }
            text = "\n".join(json.dumps(s) for s in (head, *steps)) + "\n"
            text = text.replace(token, "orgg_RECORDED").replace(url, "http://127.0.0.1:PORT")
            text = text.replace(d, "/tmp/org-rec")
            out = Path(a.out) / name / ("permission.jsonl" if a.scripted else "recorded.jsonl")
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text)
            print(f"{name} {ver}: exit {meta['exit']}, {len(steps)} steps -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
