"""Plain test helpers: the repository root and a runner for the real `org` entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
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
