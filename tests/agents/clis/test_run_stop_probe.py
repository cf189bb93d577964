"""test_run_stop stops `org run` in the state it names: a hung CLI and its child both ignoring SIGTERM. Its first
criterion (>= 2 processes whose command line held the CLI's path or '10**6') held as soon as bubblewrap and the
relay started (their command lines hold the CLI's path), before the CLI, let alone its child, ran: under load
the signal could be sent before that state existed, and the test still passed. Here, when its criterion first
holds, the CLI and its child are running and both ignore SIGTERM (a review finding)."""

from __future__ import annotations

import os
import signal
import uuid

import pytest

from tests.agents.clis import test_run_stop as rs
from tests.agents.clis.test_jobs import add_task

pytestmark = pytest.mark.slow


def _ignores_sigterm(pid: int) -> bool:
    """Whether process `pid` ignores SIGTERM (the SigIgn mask in its /proc status)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("SigIgn:"):
                    return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    except OSError:
        pass
    return False


def test_when_the_run_stop_tests_working_first_holds_the_cli_and_its_child_are_running(
    cli_org, ws_org, tmp_path
):
    from org.runtime import probe

    if not probe()[0]:
        pytest.skip("bubblewrap does not start here")
    cfg, url, env, bus = cli_org("command", "command/edit.jsonl")
    exe = tmp_path / "cli" / "bin" / "mycli"
    mark = uuid.uuid4().hex
    rs.hang_cli(exe, mark)
    t = add_task(bus)
    e = {**os.environ, **env, "ORG_ROOT": str(ws_org), "ORG_DATABASE_URL": url}
    criterion = rs.cli_working(ws_org, mark)
    first: list[list[tuple[str, bool]]] = []

    def working(
        tree: dict,
    ) -> bool:  # the test's own criterion, the processes recorded the first time it holds
        held = criterion(tree)
        if held and not first:
            first.append([(c, _ignores_sigterm(pid)) for pid, (_p, _s, c) in rs._proc_table().items()])
        return held

    rs._run_and_stop(
        ws_org, e, ["--lane", "builder"], working, signal.SIGTERM, bus, t, rs.CLI_STOPPED, [mark, str(exe)]
    )
    kinds: dict[str, bool] = {}
    for c, ignores in first[0]:
        if mark in c:
            kinds["child"] = ignores
        elif str(exe) in c and "bwrap" not in c and "org.runtime.relay" not in c:
            kinds["cli"] = ignores
    assert kinds == {"child": True, "cli": True}, first[0]
