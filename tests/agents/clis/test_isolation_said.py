"""Running a CLI member's jobs without a sandbox is said once per run (review finding 7), as the built-in host
says it at a run's start: never silent, never once per job."""

from __future__ import annotations

from types import SimpleNamespace


def test_running_without_a_sandbox_is_said_once_per_run(monkeypatch):
    import org.runtime.isolation as iso
    from org.agents.clis.job import _isolation

    monkeypatch.setattr(iso, "probe", lambda: (False, "bubblewrap is not installed"))
    heard: list[tuple[str, str]] = []
    runner = SimpleNamespace(note=lambda kind, text: heard.append((kind, text)))
    lane = SimpleNamespace(lane="builder", isolation="auto")
    for _ in range(3):
        assert _isolation(lane, runner).isolated is False
    assert len(heard) == 1 and heard[0][0] == "isolation" and "without a sandbox" in heard[0][1]
    other = SimpleNamespace(note=lambda kind, text: heard.append((kind, text)))  # another run: said again
    _isolation(lane, other)
    assert len(heard) == 2
