"""`org tui` on the command line: who may sit at the keyboard, and no Textual for other commands."""

from __future__ import annotations

import json
import shlex
import sqlite3
import subprocess
import sys

import pytest

from tests.helpers import REPO, org_in_process, run_org


def test_an_agent_may_not_sit_at_the_keyboard(org_copy):
    r = run_org("tui", "--as", "build-claude", root=org_copy)
    assert r.returncode == 4, r.stderr
    assert "agent" in r.stderr and "Traceback" not in r.stderr


def test_unknown_human_and_bad_poll_are_clear_errors(org_copy):
    r = run_org("tui", "--as", "nobody", root=org_copy)
    assert r.returncode == 3 and "alice" in r.stderr
    r = run_org("tui", "--poll", "0", root=org_copy)
    assert r.returncode == 2 and "--poll" in r.stderr


def test_json_says_it_is_interactive(org_copy):
    r = run_org("tui", "--as", "bob", "--json", root=org_copy)
    assert r.returncode == 2
    doc = json.loads(r.stdout)
    assert doc["principal"] == "bob" and "interactive" in doc["message"]


def test_other_commands_do_not_import_textual():
    code = (
        "import sys; sys.argv = ['org', '--help']; from org.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('textual' in sys.modules)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(REPO))
    assert r.stdout.strip().splitlines()[-1] == "False", r.stdout + r.stderr


@pytest.mark.slow
def test_every_command_the_tui_suggests_works_as_shown(org_copy):
    """The empty screens' advice, run line by line in a fresh org (as alice, the org's first human, whom
    `org tui` with no --as and no token sits as): each one exits 0."""
    from org.tui.screens.base import empty_help, suggested_commands

    cmds = suggested_commands("alice")
    text = empty_help("why", "alice")
    assert len(cmds) >= 3
    for argv, _what in cmds:
        assert argv[0] == "org"
        assert shlex.join(argv) in text  # what the screen shows is what runs here
        r = run_org(*argv[1:], root=org_copy, timeout=300)
        assert r.returncode == 0, f"{shlex.join(argv)} exited {r.returncode}: {r.stderr[-2000:]}"
        assert "Traceback" not in r.stderr


@pytest.mark.parametrize("content", ["damaged", "foreign"])
def test_a_bad_database_says_what_is_wrong_and_what_to_do(org_copy, content):
    """A damaged .org/org.db, or a SQLite file org did not create: `org tui` and the other bus commands exit 2
    with the path and the way out (move it aside, or --db), never 'internal error' or 'authentication failed'."""
    db = org_copy / ".org" / "org.db"
    db.parent.mkdir()
    if content == "damaged":
        db.write_bytes(bytes(range(256)) * 20)
    else:
        with sqlite3.connect(db) as c:
            c.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)")
    before = db.read_bytes()
    for args in (["tui"], ["inbox", "--as", "alice"], ["task", "list", "--as", "alice"]):
        # `org tui` in a real process (a regression would start the app, not hang the test's process)
        r = (run_org if args == ["tui"] else org_in_process)(*args, root=org_copy)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert str(db) in r.stderr and "--db" in r.stderr and "move" in r.stderr.lower(), r.stderr
        assert (
            "Traceback" not in r.stderr
            and "internal error" not in r.stderr
            and "authentication" not in r.stderr
        )
    assert db.read_bytes() == before


@pytest.mark.slow
def test_a_token_without_as_sits_its_holder_at_the_keyboard(org_copy):
    """ORG_TOKEN set to bob's token and no --as: the TUI acts as bob (not the org's first human, alice);
    an agent's token is refused with exit 4 and says why."""
    from tests.helpers import read_token

    assert (
        run_org("task", "list", "--as", "alice", root=org_copy).returncode == 0
    )  # the bus and humans' tokens
    bob = read_token(org_copy, "bob")
    assert bob
    r = run_org("tui", "--json", root=org_copy, env={"ORG_TOKEN": bob})
    assert r.returncode == 2, r.stderr  # authenticated, then: interactive, no JSON
    assert json.loads(r.stdout)["principal"] == "bob"
    r = run_org("tui", "--json", "--token", bob, root=org_copy)
    assert json.loads(r.stdout)["principal"] == "bob"
    r = run_org("tui", "--as", "alice", "--json", root=org_copy, env={"ORG_TOKEN": bob})
    assert r.returncode == 4 and "Traceback" not in r.stderr  # bob's token does not speak for alice

    issued = run_org("token", "issue", "--for", "build-claude", "--as", "alice", "--json", root=org_copy)
    agent = json.loads(issued.stdout)["token"]
    r = run_org("tui", root=org_copy, env={"ORG_TOKEN": agent})
    assert r.returncode == 4, r.stderr
    assert "build-claude is an agent" in r.stderr and "human" in r.stderr and "Traceback" not in r.stderr
