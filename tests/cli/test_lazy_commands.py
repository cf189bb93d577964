"""`org CMD` builds the commands of CMD's own module only (issue 23 item 6): the table naming each command's
module is complete and true, and a command line answers alike (exit code, stdout, stderr) whether the app it runs
in holds every command or only the ones `modules_for` picked, hostile command lines included."""

from __future__ import annotations

import contextlib
import io
import os

import pytest

from org.cli import _HOME, _MODULES, build, modules_for
from org.cli._common import run_app


def test_the_command_table_names_every_command_s_own_module():
    for module in _MODULES:
        made = build((module,))
        names = {c.name for c in made.registered_commands} | {g.name for g in made.registered_groups}
        assert names == {n for n, m in _HOME.items() if m == module}, module
    assert set(_HOME.values()) <= set(_MODULES)


@pytest.mark.parametrize(
    "argv, want",
    [
        (["claim", "--lane", "x"], ("bus_cmds",)),
        (["--json", "--as", "bob", "--root", "/r", "--db=sqlite:///x", "submit", "1"], ("bus_cmds",)),
        (["--root=/r", "task", "list"], ("bus_cmds",)),
        (["--as", "claim", "tui"], ("tui_cmds",)),  # `claim` is --as's value here, as click reads it
        (["--as"], _MODULES),
        ([], _MODULES),
        (["--help"], _MODULES),
        (["-h", "claim"], _MODULES),
        (["--version"], _MODULES),
        (["--bogus", "claim"], _MODULES),  # an unknown option: the full app says what is wrong with it
        (["--json=1", "claim"], _MODULES),
        (["clam"], _MODULES),  # a misspelt command: the full app's error lists every command
    ],
)
def test_modules_for_picks_one_module_only_when_sure(argv, want):
    assert modules_for(argv) == want


def _run(app, argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = run_app(app, list(argv))
    return rc, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    "argv",
    [
        ["claim"],
        ["claim", "--help"],
        ["--json", "claim", "--lane"],
        ["submit", "1", "--verdict", "pass", "--token", "stale", "--json"],
        ["task", "--help"],
        ["task", "nosuch"],
        ["--root", "/nonexistent/org", "claim", "--lane", "builder", "--as", "x"],
        ["--db", "sqlite:////nonexistent/dir/x.db", "task", "list"],
        ["--as", "a", "audit", "verify", "--as", "b"],
        ["validate", "--root", "/nonexistent/org"],
        ["clam", "--lane", "x"],
        ["--help"],
    ],
)
def test_a_command_line_answers_alike_in_the_full_app_and_in_its_own_module(argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no org here: nothing found upward
    for k in ("ORG_ROOT", "ORG_DATABASE_URL", "ORG_TOKEN"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setitem(os.environ, "ORG_CONFIG_HOME", str(tmp_path / "config"))
    full = _run(build(), argv)
    picked = _run(build(modules_for(argv)), argv)
    assert picked == full
