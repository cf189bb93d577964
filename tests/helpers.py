"""Plain test helpers: the repository root and a runner for the real `org` entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# With --import-mode=importlib test modules are named tests.<area>.test_x; processes started by
# multiprocessing (forkserver, spawn) must be able to import them to run functions defined there.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def run_org(*args: str, root: Path | None = None, env: dict | None = None, input: str | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real `org` entry point in a subprocess."""
    e = {**os.environ, **(env or {})}
    if root is not None:
        e["ORG_ROOT"] = str(root)
    return subprocess.run([sys.executable, "-m", "org", *args], capture_output=True, text=True, env=e,
                          input=input, timeout=timeout, cwd=str(root or REPO))
