"""The demo's sample repository: a small Python webhook service with a real test suite (stdlib unittest, so it
runs wherever org does), made afresh by `org demo` where the starter org's gates/repos.yaml names it.

    webhooks/sender.py      send_with_retry: retries transient failures (a fixed delay today)
    tests/test_sender.py    the repository's own tests: attempts, the last error raised, no retry of others
    docs/runbook.md         what an operator does with a stuck delivery
    deploy/production.env   the release running in production (a deploy is a reviewed change to it)
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

__all__ = ["DEMO_REPO", "SAMPLE_FILES", "make_sample_repo", "reset_sample_repo"]

DEMO_REPO = "service"  # its name in the starter org's gates/repos.yaml

SAMPLE_FILES: dict[str, str] = {
    "README.md": (
        "# webhook service\n\nDelivers webhooks to subscribers and retries transient failures.\n\n"
        "    python3 -m unittest discover -s tests -t .    # the tests org's tests gate runs\n"
    ),
    ".gitignore": "__pycache__/\n*.pyc\n.venv/\n",
    "webhooks/__init__.py": '"""Webhook delivery."""\n',
    "webhooks/sender.py": '''"""Webhook delivery: send a payload to a subscriber, retrying transient failures."""

import time


class TransientError(Exception):
    """A failure worth retrying (timeouts, 502/503/504)."""


def send_with_retry(send, payload, retries=3, delay=0.5):
    """Send the payload, retrying transient failures after a fixed delay."""
    for attempt in range(retries):
        try:
            return send(payload)
        except TransientError:
            if attempt == retries - 1:
                raise
            time.sleep(delay)
''',
    "tests/__init__.py": "",
    "tests/test_sender.py": '''import unittest

from webhooks.sender import TransientError, send_with_retry


class Endpoint:
    """A subscriber's endpoint that fails transiently `failures` times, then answers 200."""

    def __init__(self, failures):
        self.failures = failures
        self.calls = []

    def __call__(self, payload, **options):
        self.calls.append((payload, options))
        if len(self.calls) <= self.failures:
            raise TransientError("503")
        return 200


class SendWithRetry(unittest.TestCase):
    def test_a_healthy_endpoint_is_called_once(self):
        endpoint = Endpoint(0)
        self.assertEqual(send_with_retry(endpoint, {"id": 1}, delay=0), 200)
        self.assertEqual(len(endpoint.calls), 1)

    def test_transient_failures_are_retried_up_to_the_configured_attempts(self):
        endpoint = Endpoint(2)
        self.assertEqual(send_with_retry(endpoint, {"id": 2}, retries=3, delay=0), 200)
        self.assertEqual(len(endpoint.calls), 3)

    def test_the_last_transient_error_is_raised(self):
        endpoint = Endpoint(5)
        with self.assertRaises(TransientError):
            send_with_retry(endpoint, {"id": 3}, retries=3, delay=0)
        self.assertEqual(len(endpoint.calls), 3)

    def test_other_errors_are_not_retried(self):
        def broken(payload, **options):
            raise ValueError("bad payload")

        with self.assertRaises(ValueError):
            send_with_retry(broken, {"id": 4}, delay=0)


if __name__ == "__main__":
    unittest.main()
''',
    "docs/runbook.md": (
        "# Runbook\n\n## A stuck delivery\n\n1. Find the delivery in the log by its id.\n"
        "2. Check the subscriber's endpoint answers.\n3. Replay it once the endpoint is healthy.\n"
    ),
    "deploy/production.env": (
        "# The release running in production; org's pipeline merges changes to it after a human approves.\n"
        "RELEASE=2.4.0\n"
    ),
}


def make_sample_repo(path: Path) -> Path:
    """A git repository at `path` on branch main holding SAMPLE_FILES in one commit; the pipeline may move its
    checked-out main (receive.denyCurrentBranch updateInstead), so `git log` there shows the merges."""
    from org.workspaces.git import git

    path.mkdir(parents=True, exist_ok=True)
    for rel, text in SAMPLE_FILES.items():
        f = path / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)
    who = {
        "GIT_AUTHOR_NAME": "org demo",
        "GIT_AUTHOR_EMAIL": "demo@org.invalid",
        "GIT_COMMITTER_NAME": "org demo",
        "GIT_COMMITTER_EMAIL": "demo@org.invalid",
    }
    git(["init", "-q", "-b", "main"], cwd=path)
    git(["config", "receive.denyCurrentBranch", "updateInstead"], cwd=path)
    git(["add", "-A"], cwd=path)
    git(
        ["commit", "-q", "--no-verify", "-m", "webhook service: send_with_retry with its tests"],
        cwd=path,
        env=who,
    )
    return path


def reset_sample_repo(cfg: Any) -> Path | None:
    """Make the sample repository afresh where the org's gates/repos.yaml names it (a local path under the
    org's .org folder), with org's mirror of it removed; the earlier database's workspaces are moved aside (the
    demo's tasks start at T-1 again, and a workspace is named by its task). None when the org names no such
    repository (a user's own org: the demo then runs without one)."""
    import shutil as _sh
    from datetime import datetime

    spec = cfg.repos.get(DEMO_REPO)
    if spec is None or spec.path is None:
        return None
    if _sh.which("git") is None:
        from org.errors import UsageError

        raise UsageError(
            "org demo works on a real git repository, and git is not installed here: install it "
            "(apt-get install git, dnf install git, brew install git, or https://git-scm.com) and run it again"
        )
    root = Path(cfg.root).resolve()
    where = (root / spec.path).resolve()
    if not where.is_relative_to(root / ".org"):
        return None  # never remove a repository the org did not make for the demo
    for old in (where, root / ".org" / "repos" / f"{DEMO_REPO}.git"):
        if old.exists():
            shutil.rmtree(old)
    spaces = (root / cfg.workspaces_dir).resolve()
    if spaces.is_dir() and any(spaces.iterdir()):
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        spaces.rename(spaces.with_name(f"{spaces.name}-before-demo-{stamp}"))
    return make_sample_repo(where)
