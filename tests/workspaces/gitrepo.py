"""Real git repositories for the workspace tests (helpers, not fixtures)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ENV_ID = {
    "GIT_AUTHOR_NAME": "dev",
    "GIT_AUTHOR_EMAIL": "dev@example.invalid",
    "GIT_COMMITTER_NAME": "dev",
    "GIT_COMMITTER_EMAIL": "dev@example.invalid",
}


def sh_git(cwd: Path, *args: str, check: bool = True) -> str:
    import os

    env = {**os.environ, **ENV_ID, "GIT_CONFIG_NOSYSTEM": "1"}
    p = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgSign=false", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
    )
    if check and p.returncode != 0:
        raise AssertionError(f"git {args}: {p.stderr}")
    return p.stdout.strip()


def make_repo(path: Path, files: dict[str, str] | None = None, *, bare_remote: Path | None = None) -> Path:
    """A repository on branch main with `files` committed (default: a small project with tests)."""
    path.mkdir(parents=True, exist_ok=True)
    sh_git(path, "init", "-q")
    files = files or {
        "README.md": "hello\n",
        "src/app.py": "def add(a, b):\n    return a + b\n",
        "tests/test_app.py": "from src.app import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
        ".github/workflows/ci.yml": "on: push\n",
        "src/auth/login.py": "OK = True\n",
    }
    for rel, text in files.items():
        f = path / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)
    sh_git(path, "add", "-A")
    sh_git(path, "commit", "-q", "-m", "initial")
    return path


def commit_file(repo: Path, rel: str, text: str, msg: str = "change") -> str:
    f = repo / rel
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(text)
    sh_git(repo, "add", "-A")
    sh_git(repo, "commit", "-q", "-m", msg)
    return sh_git(repo, "rev-parse", "HEAD")


# The repository's own tests run with the project's Python; without its plugins (textual-snapshot, hypothesis,
# xdist, asyncio, ...) pytest starts in ~0.3 s of CPU instead of ~2 s, and the workspace tests run it often.
REPOS_YAML = """\
repos:
  app:
    path: {path}
    target: main
    test: {{run: "PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {python} -m pytest -q -p no:cacheprovider", timeout: 120}}
    merge: merge
    protected: [".github/**", "**/auth/**"]
    golden: ["tests/**"]
    max_diff: {{files: 20, lines: 400}}
    risk:
      - {{paths: ["infra/**"], tier: high}}
"""
