"""A command run in a job's room without a namespace of its own is not run at all (review finding: in the
room itself, its init process holds the worker's pipes and the worker can be signalled: a forged outcome)."""

from __future__ import annotations

import pytest

import org.workspaces.commands as commands
from org.workspaces.commands import NoSandbox


def test_no_namespace_in_the_room_runs_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(commands, "_room_namespace", lambda: ())
    marker = tmp_path / "ran"
    with pytest.raises(NoSandbox, match="namespace"):
        commands.run_command(f"touch {marker}", tmp_path, 10, sandbox="room")
    assert not marker.exists()
