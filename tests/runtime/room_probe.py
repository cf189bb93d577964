"""What a hostile agent tries from inside its room: run as `python - SCENE_JSON` with this file on stdin.

Prints one JSON object: for each attempt, "ok: <what it got>" or "refused: <the error>". The tests run it
inside the sandbox (every attack must be refused) and outside (the same attacks succeed, so the probe is
real and a sandbox that lets them through fails the tests).
"""

import glob
import json
import os
import socket
import sqlite3
import subprocess
import sys

scene = json.loads(sys.argv[1])
out = {}


def attempt(name, fn):
    try:
        out[name] = "ok: " + str(fn())[:200]
    except BaseException as exc:  # every failure is a refusal to report
        out[name] = f"refused: {type(exc).__name__}: {exc}"[:300]


def read(path):
    with open(path, "rb") as f:
        return f.read(64)


def tcp(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect((host, port))
        return "connected"
    finally:
        s.close()


def db_rows():
    con = sqlite3.connect(f"file:{scene['db']}?mode=ro", uri=True)
    try:
        return con.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    finally:
        con.close()


def environ_secret():
    hits = []
    for p in glob.glob("/proc/[0-9]*/environ"):
        try:
            with open(p, "rb") as f:
                if scene["secret"].encode() in f.read():
                    hits.append(p)
        except OSError:
            continue
    if not hits:
        raise PermissionError("the secret is in no process environment this process can read")
    return hits


def own_env_secret():
    hits = [k for k, v in os.environ.items() if scene["secret"] in v or scene["provider_key"] in v]
    if not hits:
        raise LookupError("no secret in its own environment")
    return hits


def write(path):
    with open(path, "w") as f:
        f.write("written by the agent")
    return path


def listdir(path):
    return sorted(os.listdir(path))


def git(*args):
    r = subprocess.run(["git", *args], capture_output=True, text=True, timeout=30)
    if r.returncode:
        raise OSError(r.stderr.strip() or f"git exit {r.returncode}")
    return r.stdout.strip() or "done"


def unix(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect(path)
        s.sendall(b'{"op": "ping"}\n')
        return s.recv(4096).decode()
    finally:
        s.close()


attempt("pepper", lambda: read(scene["pepper"]))
attempt("token_file", lambda: read(scene["token_file"]))
attempt("db_file", lambda: read(scene["db"]))
attempt("db_query", db_rows)
attempt("broker_environ", lambda: read(f"/proc/{scene['broker_pid']}/environ"))
attempt("any_environ", environ_secret)
attempt("env_secret", own_env_secret)
attempt("tcp_postgres", lambda: tcp("127.0.0.1", 5432))
attempt("tcp_listener", lambda: tcp("127.0.0.1", scene["tcp_port"]))
attempt("tcp_outside", lambda: tcp("10.255.255.1", 80))
attempt("write_org_root", lambda: write(os.path.join(scene["root"], "planted.txt")))
attempt("write_outside", lambda: write(scene["outside_file"]))
attempt("write_python", lambda: write(scene["python_file"]))
attempt("write_main_clone", lambda: write(os.path.join(scene["main"], "planted.txt")))
attempt("other_workspace", lambda: listdir(scene["other_workspace"]))
attempt("other_workspace_file", lambda: read(os.path.join(scene["other_workspace"], "theirs.txt")))
attempt(
    "move_main_branch", lambda: git("-C", scene["main"], "update-ref", "refs/heads/main", scene["evil_sha"])
)
attempt("push_main_branch", lambda: git("-C", scene["workspace"], "push", "--force", "origin", "HEAD:main"))
attempt("write_workspace", lambda: write(os.path.join(scene["workspace"], "mine.txt")))
attempt("broker_socket", lambda: unix(scene["broker_socket"]))
print(json.dumps(out))
