"""Shared fixtures; plain helpers live in tests/helpers.py (tests are packages: `from tests.helpers import ...`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import REPO, run_org, starter_org


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark `postgres` every test that needs a PostgreSQL server (it asks for a PostgreSQL fixture or is the
    "postgresql" case of a parametrization), so `-m postgres` / `-m "not postgres"` select them; runs before
    pytest applies `-m`."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if _PG_FIXTURES & set(getattr(item, "fixturenames", ())) or "postgresql" in params.values():
            item.add_marker(pytest.mark.postgres)


_PG_FIXTURES = {"pg_url", "pg_bus"}


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def cfg():
    from org.config.loader import load_org

    return load_org(REPO)


@pytest.fixture
def org_copy(tmp_path: Path) -> Path:
    """A writable org in a temporary folder, made as `org init` makes one: the starter org's lanes/, gates/ and
    its seven ADRs (package data, org/defaults/), never the project's own adrs/ about org's internals (issue 20:
    test fixtures come from the starter org or from tests/data)."""
    return starter_org(tmp_path)


@pytest.fixture
def leased(org_copy, tmp_path):
    """A task filed on a fresh SQLite bus over a copy of the starter org, its build job claimed by build-gpt:
    (bus, task, claim)."""
    from org.bus import Bus
    from org.config.loader import load_org

    bus = Bus.open(f"sqlite:///{tmp_path / 'bus.db'}", root=org_copy, config=load_org(org_copy))
    t = bus.add_task("Add a greeting", "change", by="alice", attributes={"kind": "code"})["task"]
    c = bus.claim("builder", "build-gpt")
    yield bus, t, c
    bus.close()


@pytest.fixture
def org_cli():
    return run_org


@pytest.fixture(autouse=True)
def _own_config_home(tmp_path_factory, monkeypatch):
    """Every test gets its own ORG_CONFIG_HOME (peppers, humans' token files), inherited by `org` subprocesses,
    so no test touches ~/.config/org and no token leaks from one test into another."""
    monkeypatch.setenv("ORG_CONFIG_HOME", str(tmp_path_factory.mktemp("config-home")))
    monkeypatch.delenv("ORG_TOKEN", raising=False)


@pytest.fixture(autouse=True)
def _no_child_left_running(monkeypatch):
    """A test ends every child process it started and closes its pipes. A child left running, or a pipe left
    open, reaches the garbage collector at an unforeseeable moment, which then fails whichever test is running
    (a fresh-clone CI run blamed a merge test's set-up). So a test that leaves one fails itself, naming the
    command, and what it left is ended here. A child told to end is given a grace to do so (not a timing
    assertion: only one never ended fails)."""
    import subprocess
    import threading

    started: list[subprocess.Popen] = []  # held until the test's end: none reaches the collector before
    init = subprocess.Popen.__init__
    earlier = set(threading.enumerate()) - {threading.current_thread()}  # (threads, not their reusable ids)
    origin: dict[int, str] = {}  # a child started by a thread an earlier test left running: said so

    def tracked(self, *args, **kwargs):
        init(self, *args, **kwargs)
        started.append(self)
        if threading.current_thread() in earlier:
            origin[id(self)] = (
                f" (started by thread {threading.current_thread().name!r}, left by an earlier test)"
            )

    monkeypatch.setattr(subprocess.Popen, "__init__", tracked)
    yield
    monkeypatch.setattr(subprocess.Popen, "__init__", init)
    left = []
    for p in started:
        try:
            p.wait(timeout=_CHILD_GRACE_S)
        except subprocess.TimeoutExpired:
            left.append(f"running: {p.args!r:.200}{origin.get(id(p), '')}")
            p.kill()
            p.wait()
        pipes = [f for f in (p.stdin, p.stdout, p.stderr) if f is not None and not f.closed]
        if pipes:
            left.append(f"{len(pipes)} pipe(s) open: {p.args!r:.200}{origin.get(id(p), '')}")
        for f in pipes:
            f.close()
    assert not left, f"the test left child processes to the garbage collector: {left}"


_CHILD_GRACE_S = 30.0  # how long a child the test told to end may take to (a loaded machine is slow)
