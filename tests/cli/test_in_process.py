"""The in-process runner the CLI tests use (tests.helpers.org_in_process) gives what the console script gives:
the same exit code, stdout and stderr as a real `python -m org` for successes, usage errors, refusals and
`--json` errors, so a test that moved from a subprocess to it still proves what it proved."""

from __future__ import annotations

import pytest

from tests.helpers import org_in_process, run_org

CASES = [
    ("validate",),
    ("validate", "--json"),
    ("--as", "alice", "validate"),  # usage error from the --as wrapper
    ("task", "list", "--as", "alice", "--as", "bob"),  # click's own usage error
    ("task", "list", "--json", "--as", "nobody"),  # an OrgError as one JSON document
    ("task", "show", "T-9", "--as", "alice", "--json"),  # not found
    ("approve", "T-1"),  # needs an actor
    ("token", "issue"),  # needs --for
    ("graph", "nope"),
    ("task", "show", "--help"),
    ("no-such-command",),
]


@pytest.fixture(scope="module")
def twin_orgs(tmp_path_factory):
    """Two identical fresh orgs, one for the subprocesses, one for this process (a command may write), and the
    config home (humans' token files) they share for the whole module."""
    base = tmp_path_factory.mktemp("twins")
    env = {"ORG_CONFIG_HOME": str(base / "config-home")}
    for name in ("sub", "inproc"):
        assert org_in_process("init", str(base / name), root=base, env=env).returncode == 0
    return base / "sub", base / "inproc", env


@pytest.mark.parametrize("args", CASES, ids=" ".join)
def test_same_exit_code_and_streams_as_the_console_script(twin_orgs, args):
    sub, inproc, env = twin_orgs
    real = run_org(*args, root=sub, env=env)
    mine = org_in_process(*args, root=inproc, env=env)
    norm = lambda s: s.replace(str(sub), "<root>").replace(str(inproc), "<root>")  # noqa: E731
    assert (mine.returncode, norm(mine.stdout), norm(mine.stderr)) == (
        real.returncode,
        norm(real.stdout),
        norm(real.stderr),
    )


def test_a_command_does_not_inherit_the_options_of_the_one_before(tmp_path):
    """run_app serves many commands in one process: --root, --db and --as given to one call never reach the
    next (the shared options are reset per call, as a fresh process has them)."""
    dest = tmp_path / "o"
    assert org_in_process("init", str(dest), root=tmp_path).returncode == 0
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert org_in_process("--as", "alice", "--db", other, "task", "list", root=dest).returncode == 0
    r = org_in_process("--help", root=dest)
    assert r.returncode == 0
    from org.cli._common import opts

    assert (opts().root, opts().db, opts().as_) == (None, None, None)
