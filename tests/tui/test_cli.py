"""`org tui` on the command line: who may sit at the keyboard, and no Textual for other commands."""

from __future__ import annotations

import json
import subprocess
import sys

from helpers import REPO, run_org


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
    code = ("import sys; sys.argv = ['org', '--help']; from org.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('textual' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(REPO))
    assert r.stdout.strip().splitlines()[-1] == "False", r.stdout + r.stderr
