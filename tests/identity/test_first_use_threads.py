"""Two threads of one process reading as the human at the keyboard on a fresh database (the TUI's first
screen and its poll) are both answered: neither sees the database past its first use before the human's token
file is written (the timeline snapshot showed 'alice has no token file here' about half the time)."""

from __future__ import annotations

import threading

from org.bus import Bus
from org.identity.guard import Guard


def test_concurrent_first_reads_of_a_human_are_all_answered(org_copy, tmp_path):
    for i in range(6):
        url = f"sqlite:///{tmp_path / f'org{i}.db'}"
        with Bus.open(url, root=org_copy) as bus:
            bus.add_task("t", workflow="change", by="alice")
        errors: list[BaseException] = []
        start = threading.Barrier(3)

        def read(url: str = url, start: threading.Barrier = start, errors: list = errors) -> None:
            try:
                with Bus.open(url, root=org_copy) as b:
                    start.wait()
                    Guard(b).principal(None, as_="alice", command="task show")
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=read) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == [], errors
