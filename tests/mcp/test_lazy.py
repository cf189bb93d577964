"""The MCP SDK loads only in `org mcp serve`: the CLI (with the mcp command registered) and the toolsets start
without it (the import-linter contract `mcp-sdk` holds the code to this; here, the running process)."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
from org.cli import app
import org.cli.mcp_cmds, org.mcp.tools, org.runtime.busclient
loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('mcp', 'mcp_types', 'uvicorn', 'starlette'))
print(loaded)
sys.exit(1 if loaded else 0)
"""


def test_the_cli_starts_without_the_sdk():
    r = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
