"""The supervisor (org.agents.host) passes Ctrl-C on to the agent host even when the kernel hands the signal to
one of its other threads (the gateway's, the bus socket's): Python runs a signal's handler in the main thread only,
at its next turn, and a main thread blocked in waitpid() for the host never gets one (CI saw `org run --watch`
keep running 30 s after Ctrl-C, the supervisor in waitpid, the host never told)."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import REPO

_SCENE = r"""
import os, signal, subprocess, sys, threading, time
from org.agents.host import _wait_forwarding

child = subprocess.Popen(
    [sys.executable, "-c",
     "import signal, sys, time\n"
     "signal.signal(signal.SIGINT, lambda *a: sys.exit(7))\n"
     "print('ready', flush=True)\n"
     "time.sleep(60)\n"],
    stdout=subprocess.PIPE, text=True,
)
assert child.stdout.readline().strip() == "ready"

def forward(signum, frame):
    child.send_signal(signum)

signal.signal(signal.SIGINT, forward)
other = threading.Thread(target=time.sleep, args=(60,), daemon=True)
other.start()  # takes signals: the main thread (and threads it starts from now on) block SIGINT
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
code = _wait_forwarding(child, forward)
child.stdout.close()
print("host exited", code, flush=True)
"""


def test_ctrl_c_another_thread_takes_is_passed_on_to_the_host():
    try:
        r = subprocess.run(
            [sys.executable, "-c", _SCENE], cwd=str(REPO), capture_output=True, text=True, timeout=30
        )
    except subprocess.TimeoutExpired:
        raise AssertionError("the supervisor never passed Ctrl-C on: still waiting for the host") from None
    assert r.returncode == 0, r.stderr[-2000:]
    assert "host exited 7" in r.stdout, (r.stdout, r.stderr[-2000:])
