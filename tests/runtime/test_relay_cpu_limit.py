"""The relay says a CLI's SIGKILL is the room's CPU limit (exit 128 + SIGXCPU) only when the CLI's own CPU time
reached it (RLIMIT_CPU binds each process on its own): a review found any SIGKILL said so once the CPU time of
the processes the CLI reaped reached the limit. Real processes under a real RLIMIT_CPU."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # each burns 1-2 s of CPU

BURN = "import time\nt = time.process_time()\nwhile time.process_time() - t < {s}:\n    pass\n"
# the CLI's child uses 1.5 s of CPU (under its own limit: the signal comes at 1 s, it ignores SIGXCPU) and
# ends; the CLI reaps it, then is SIGKILLed for another reason (here by itself)
REAPED_THEN_KILLED = (
    "import os, signal, subprocess, sys\n"
    "subprocess.run([sys.executable, '-c', 'import signal\\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\\n'"
    " + {burn!r}])\n"
    "os.kill(os.getpid(), signal.SIGKILL)\n"
)
SPINS = "import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\n" + BURN.format(s=60)


def _relay(code: str, tmp_path) -> int:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (1, 3))

    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "org.runtime.relay",
            "--socket",
            str(tmp_path / "gw.sock"),
            "--",
            sys.executable,
            "-c",
            code,
        ],
        preexec_fn=limit,
        capture_output=True,
        timeout=120,
    )
    return p.returncode


def test_a_cli_killed_for_another_reason_after_its_children_used_the_limits_cpu_is_not_said_at_the_limit(
    tmp_path,
):
    got = _relay(REAPED_THEN_KILLED.format(burn=BURN.format(s=1.5)), tmp_path)
    assert got == 128 + signal.SIGKILL, got


def test_a_cli_that_ignores_sigxcpu_and_spins_is_said_at_the_cpu_limit(tmp_path):
    got = _relay(SPINS, tmp_path)
    assert got == 128 + signal.SIGXCPU, got
