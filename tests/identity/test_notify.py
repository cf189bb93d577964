"""The notification hook (issue 20, ADR 0126): `org notify` runs a real command and POSTs to a real loopback
webhook for every request that waits for a human, at least once, with no secret in the hook's reach, in the
output or in the bus. Attacked first: a secret in the environment, a webhook URL that is a secret, a failing
hook (nothing lost), a request decided before anyone was told (no noise), no hook at all."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from org.bus import Bus
from tests.bus.bushelpers import drive
from tests.helpers import org_in_process

HOOK = """
import json, os, sys
out, code = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0
notice = json.load(sys.stdin)
with open(out, "a") as f:
    f.write(json.dumps({"notice": notice, "env": dict(os.environ)}) + "\\n")
sys.exit(code)
"""
SECRETS = {"ORG_SECRET_GITHUB": "ghp_supersecretvalue123", "ORG_SECRET_JIRA": "jira-secret-value-456"}


@pytest.fixture
def org(org_copy, tmp_path):
    """An org with two requests waiting: a high-tier change at its approval gate and an escalation."""
    with Bus.open(root=org_copy) as bus:
        gated = bus.add_task(
            "Rotate the webhook secret", "change", by="alice", attributes={"environment": "production"}
        )["task"]
        drive(bus, gated, workers={"approver": None})
        stuck = bus.add_task("Fix login", "change", by="alice")["task"]
        c = bus.claim("builder", "build-claude")
        assert c.task == stuck
        bus.fail(c.job, c.token, reason="cannot")
    hook = tmp_path / "hook.py"
    hook.write_text(HOOK)
    return {"root": org_copy, "gated": gated, "stuck": stuck, "hook": hook, "out": tmp_path / "notices.jsonl"}


def _lines(path):
    return [json.loads(ln) for ln in path.read_text().splitlines()] if path.exists() else []


def _notify(org, *args, env=None):
    r = org_in_process(
        "notify", "--as", "alice", "--json", *args, root=org["root"], env={**SECRETS, **(env or {})}
    )
    assert "Traceback" not in r.stderr, r.stderr
    return r


def test_a_command_hook_gets_each_waiting_request_once_without_secrets(org):
    cmd = f"{sys.executable} {org['hook']} {org['out']}"
    r = _notify(org, "--command", cmd)
    assert r.returncode == 0, r.stderr
    got = _lines(org["out"])
    assert sorted((g["notice"]["task"], g["notice"]["event"]) for g in got) == sorted(
        [(org["gated"], "approval.requested"), (org["stuck"], "escalation.opened")]
    )
    gate = next(g for g in got if g["notice"]["task"] == org["gated"])
    assert gate["notice"]["kind"] == "gate" and gate["notice"]["tier"] == "high"
    assert gate["notice"]["title"] == "Rotate the webhook secret"
    assert gate["env"]["ORG_NOTICE_TASK"] == org["gated"]
    for g in got:  # nothing secret reaches the hook
        for var in (*SECRETS, "ORG_TOKEN", "ORG_DATABASE_URL"):
            assert var not in g["env"], var
        assert not any(v in json.dumps(g) for v in SECRETS.values())
    assert len(json.loads(r.stdout)["sent"]) == 2
    # delivered once: a second run has nothing new
    r = _notify(org, "--command", cmd)
    assert r.returncode == 0 and json.loads(r.stdout)["sent"] == [] and len(_lines(org["out"])) == 2


def test_a_request_decided_before_anyone_was_told_is_not_sent(org):
    with Bus.open(root=org["root"]) as bus:
        bus.approve(org["gated"], "bob", note="seen it")
    r = _notify(org, "--command", f"{sys.executable} {org['hook']} {org['out']}")
    assert r.returncode == 0, r.stderr
    assert [g["notice"]["task"] for g in _lines(org["out"])] == [org["stuck"]]


def test_a_failing_hook_loses_nothing(org):
    bad = f"{sys.executable} {org['hook']} {org['out']} 3"
    r = _notify(org, "--command", bad)
    assert r.returncode == 7 and "exited 3" in r.stderr, r.stderr
    assert len(_lines(org["out"])) == 1  # the first notice was tried, the cursor did not move
    r = _notify(org, "--command", f"{sys.executable} {org['hook']} {org['out']}")
    assert r.returncode == 0
    tasks = [g["notice"]["task"] for g in _lines(org["out"])]
    assert sorted(tasks[1:]) == sorted([org["gated"], org["stuck"]])  # delivered again: at least once


class _Hook(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True
    got: list = []
    status = 204

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).got.append((self.path, json.loads(body)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *a):
        pass


@pytest.fixture
def webhook():
    _Hook.got, _Hook.status = [], 204
    srv = HTTPServer(("127.0.0.1", 0), _Hook)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv, _Hook
    srv.shutdown()
    srv.server_close()


def test_a_webhook_gets_each_notice_and_its_url_stays_secret(org, webhook):
    srv, hook = webhook
    secret_path = "/hooks/T0KEN-s3cr3t-9f8e7d"
    url = f"http://127.0.0.1:{srv.server_port}{secret_path}"
    r = _notify(org, "--webhook-env", "CHAT_URL", env={"CHAT_URL": url})
    assert r.returncode == 0, r.stderr
    assert sorted(n["task"] for _, n in hook.got) == sorted([org["gated"], org["stuck"]])
    assert all(p == secret_path for p, _ in hook.got)
    assert "s3cr3t" not in r.stdout + r.stderr
    # the server fails: exit 7 (retry later), the message names the variable, never the URL
    with Bus.open(root=org["root"]) as bus:
        t = bus.add_task("Another", "change", by="alice", attributes={"environment": "production"})["task"]
        drive(bus, t, workers={"approver": None})
    hook.status = 500
    r = _notify(org, "--webhook-env", "CHAT_URL", env={"CHAT_URL": url})
    assert r.returncode == 7 and "$CHAT_URL" in r.stderr and "HTTP 500" in r.stderr
    assert "s3cr3t" not in r.stdout + r.stderr
    for db in (org["root"] / ".org").glob("*.db*"):
        assert b"s3cr3t" not in db.read_bytes()
    hook.status = 200
    assert _notify(org, "--webhook-env", "CHAT_URL", env={"CHAT_URL": url}).returncode == 0
    assert [n["task"] for _, n in hook.got][-1] == t


@pytest.mark.parametrize(
    "args, env, needle",
    [
        ((), {}, "give a hook"),
        (("--webhook-env", "NOPE_UNSET"), {}, "not set"),
        (("--webhook-env", "CHAT_URL"), {"CHAT_URL": "file:///etc/passwd"}, "not http"),
        (("--command", "/no/such/hook"), {}, "not found"),
    ],
)
def test_a_missing_or_bad_hook_is_a_usage_error(org, args, env, needle):
    r = _notify(org, *args, env=env)
    assert r.returncode == 2 and needle in r.stderr, r.stderr


def test_watch_tells_about_a_new_request_as_it_comes(org):
    """A real `org notify --watch` process: the waiting requests at once, then a new one when it is made."""
    env = {**os.environ, **SECRETS, "ORG_ROOT": str(org["root"])}
    cmd = f"{sys.executable} {org['hook']} {org['out']}"
    proc = subprocess.Popen(
        # a hook bound far above any start-up: on a loaded machine a 10 s hook limit made the watcher wait its 30 s
        # retry and the test ran out of time
        [
            sys.executable,
            "-m",
            "org",
            "notify",
            "--watch",
            "--as",
            "alice",
            "--command",
            cmd,
            "--timeout",
            "120",
        ],
        env=env,
        cwd=org["root"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert _until(lambda: len(_lines(org["out"])) == 2)
        with Bus.open(root=org["root"]) as bus:
            t = bus.add_task("Third", "change", by="alice", attributes={"environment": "production"})["task"]
            drive(bus, t, workers={"approver": None})
        assert _until(lambda: len(_lines(org["out"])) == 3)
        assert _lines(org["out"])[-1]["notice"]["task"] == t
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, errs = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:  # never leave the process behind for the next test to trip over
            proc.kill()
            out, errs = proc.communicate()
            raise
    assert proc.returncode == 0 and "Traceback" not in errs, errs


def _until(cond, limit: float = 90.0) -> bool:
    """Wait for a condition a real process makes true (a bound against hanging, not a timing assertion)."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.1)
    return cond()


# What a user's shell commonly holds besides org's own: provider keys, cloud and forge credentials, database
# passwords. None of it reaches a hook (the hook is the user's script, often a one-line curl to a chat room).
CLOUD_SECRETS = {  # values long and unique enough to never occur by chance in a notice or a path
    "ANTHROPIC_API_KEY": "s3cr3t-anthropic_api_key-7f1c9e",
    "OPENAI_API_KEY": "s3cr3t-openai_api_key-7f1c9e",
    "GEMINI_API_KEY": "s3cr3t-gemini_api_key-7f1c9e",
    "AWS_SECRET_ACCESS_KEY": "s3cr3t-aws_secret_access_key-7f1c9e",
    "AWS_ACCESS_KEY_ID": "s3cr3t-aws_access_key_id-7f1c9e",
    "AZURE_OPENAI_API_KEY": "s3cr3t-azure_openai_api_key-7f1c9e",
    "GOOGLE_APPLICATION_CREDENTIALS": "s3cr3t-google_application_credentials-7f1c9e",
    "GITHUB_TOKEN": "s3cr3t-github_token-7f1c9e",
    "GH_TOKEN": "s3cr3t-gh_token-7f1c9e",
    "HF_TOKEN": "s3cr3t-hf_token-7f1c9e",
    "PGPASSWORD": "s3cr3t-pgpassword-7f1c9e",
    "PGPASSFILE": "s3cr3t-pgpassfile-7f1c9e",
    "DB_PASSWORD": "s3cr3t-db_password-7f1c9e",
    "SLACK_CLIENT_SECRET": "s3cr3t-slack_client_secret-7f1c9e",
    "SSH_AUTH_SOCK": "s3cr3t-ssh_auth_sock-7f1c9e",
    "ORG_TOKEN": "s3cr3t-org_token-7f1c9e",
    "ORG_CONFIG_HOME": "s3cr3t-org_config_home-7f1c9e",
}


def test_no_provider_key_or_cloud_secret_reaches_a_hook():
    from org.agents.endpoints import PROVIDER_KEYS
    from org.identity.notify import Hooks, hook_environment
    from org.runtime.sandbox import forbidden_env

    keys = {k: "v" for names in PROVIDER_KEYS.values() for k in names}
    env = {"PATH": "/usr/bin", "HOME": "/home/u", "LANG": "C.UTF-8", "HOOKURL": "https://hooks.example/x"}
    got = hook_environment(
        None, {**env, **CLOUD_SECRETS, **keys}, Hooks(command=["true"], webhook_env="HOOKURL")
    )
    assert got == {k: v for k, v in env.items() if k != "HOOKURL"}
    # one home for "what is a secret variable": whatever the sandbox keeps from an agent, a hook never gets
    assert not [k for k in got if forbidden_env(k)]
    assert all(forbidden_env(k) for k in keys), "every provider key is a secret to the sandbox too"


# secrets no name pattern knows: a custom token, a URL with a password in it, a DSN, a personal access
# token under a service's own name, a signing key, a session cookie
CUSTOM_SECRETS = {
    "FOO_TOKEN": "s3cr3t-foo-token-5d2a",
    "DATABASE_URL": "postgresql://app:s3cr3t-db-5d2a@db.internal/app",
    "SENTRY_DSN": "https://s3cr3t-sentry-5d2a@o1.ingest.sentry.io/1",
    "JIRA_PAT": "s3cr3t-jira-pat-5d2a",
    "MYAPP_SIGNING": "s3cr3t-signing-5d2a",
    "SESSION_COOKIE": "s3cr3t-cookie-5d2a",
    "HTTPS_PROXY": "http://me:s3cr3t-proxy-5d2a@proxy.internal:3128",
}


def test_a_hook_sees_only_the_allow_list_not_what_no_pattern_names():
    """What a hook sees is an allow-list (the one home of what an outside process may see, as the sandbox's
    agents): a variable is passed because it is named, not because no secret pattern caught it."""
    from org.config.secretenv import HOOK_ENV
    from org.identity.notify import Hooks, hook_environment

    plain = {"PATH": "/usr/bin", "HOME": "/home/u", "LANG": "C.UTF-8", "TZ": "UTC", "USER": "u"}
    got = hook_environment(None, {**plain, **CUSTOM_SECRETS}, Hooks(command=["true"]))
    assert got == plain and set(got) <= set(HOOK_ENV)
    # an allowed name holding something org would not hand out is still dropped (the deny rule stands)
    assert hook_environment(None, {"HOME": "/h"}, Hooks(command=["true"])) == {"HOME": "/h"}


def test_a_real_hook_process_sees_none_of_them(org):
    # (org's own token and config home are the notifier's: the test runs it with its own)
    secrets = {k: v for k, v in CLOUD_SECRETS.items() if k not in ("ORG_TOKEN", "ORG_CONFIG_HOME")}
    secrets.update(CUSTOM_SECRETS)  # and those no pattern names
    r = _notify(org, "--command", f"{sys.executable} {org['hook']} {org['out']}", env=secrets)
    assert r.returncode == 0, r.stderr
    got = _lines(org["out"])
    assert got
    for g in got:
        assert not set(secrets) & set(g["env"]), sorted(set(secrets) & set(g["env"]))
        assert not any(v in json.dumps(g) for v in secrets.values())
