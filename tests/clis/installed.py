"""Where the real coding CLIs are (.ci/clis/install), and what a live test does when one is missing: skip with
the reason outside CI, fail in CI (CI=true), where .ci/run installs them.

    ORG_CLI_AIDER / ORG_CLI_MINI   an executable to use instead (e.g. a pipx install)
    ORG_CLIS_DIR                   where .ci/clis/install put them (default ~/.cache/org/clis): <dir>/<name>/bin/
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

__all__ = ["CLIS", "find", "require", "cli_path"]

# name: (override variable, executable, the version .ci/clis/<name>.lock pins)
CLIS = {"aider": ("ORG_CLI_AIDER", "aider", "0.86.2"), "mini": ("ORG_CLI_MINI", "mini", "2.4.6")}


def _dir() -> Path:
    return Path(os.environ.get("ORG_CLIS_DIR") or Path.home() / ".cache" / "org" / "clis")


def find(name: str) -> Path | None:
    """The CLI's executable, or None when it is not installed."""
    var, exe, _ = CLIS[name]
    given = os.environ.get(var)
    path = Path(given) if given else _dir() / name / "bin" / exe
    return path if path.is_file() and os.access(path, os.X_OK) else None


def require(name: str) -> Path:
    """The CLI's executable; skips the test (fails it under CI) when it is not installed."""
    path = find(name)
    if path is None:
        var = CLIS[name][0]
        why = f"{name} is not installed: run .ci/clis/install {name} (or set {var} to its executable)"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    return path


def cli_path(*names: str) -> str:
    """An ORG_CLI_PATH (folders, like PATH) under which org finds these CLIs: each one's bin folder."""
    return os.pathsep.join(str(require(n).parent) for n in names)
