"""The code is lint clean (ruff), as part of the test command."""

import shutil
import subprocess

from tests.helpers import REPO


def test_ruff_clean():
    ruff = shutil.which("ruff") or str(REPO / ".venv" / "bin" / "ruff")
    r = subprocess.run([ruff, "check", "org", "tests"], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff_format_clean():
    """The tree is formatted by `ruff format` (run `.ci/dev ruff format .` before committing)."""
    ruff = shutil.which("ruff") or str(REPO / ".venv" / "bin" / "ruff")
    r = subprocess.run([ruff, "format", "--check", "."], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
