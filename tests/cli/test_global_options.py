"""Global options before or after any command, `--as` as the one identity flag, `org --version`, and the
default human of the reading commands (issue 20), through the console script's entry (`run_app`) in this
process; `--version` and `--root` from another folder also through a real `python -m org`."""

from __future__ import annotations

import json
from importlib.metadata import version

from tests.helpers import org_in_process, run_org


def _org(tmp_path):
    dest = tmp_path / "o"
    assert org_in_process("init", str(dest), root=tmp_path).returncode == 0
    return dest


def _leaves(cmd, path=()):
    subs = getattr(cmd, "commands", None)
    if not subs:
        yield path, cmd
        return
    for name, sub in subs.items():
        yield from _leaves(sub, (*path, name))


def test_every_command_takes_the_global_options_after_it():
    """The class, not the example: every leaf command of the real tree (as run_app builds it) takes --root,
    --db and --json, and no command hides them."""
    import typer

    from org.cli import app
    from org.cli._globals import install_globals

    tree = install_globals(typer.main.get_command(app))
    leaves = list(_leaves(tree))
    assert len(leaves) > 30
    missing = [
        (" ".join(p), o)
        for p, c in leaves
        for o in ("--root", "--db", "--json")
        if not any(o in getattr(x, "opts", []) for x in c.params)
    ]
    assert not missing, missing
    no_help = [
        (" ".join(p), x.opts)
        for p, c in leaves
        for x in c.params
        if not getattr(x, "hidden", False) and not getattr(x, "help", None)
    ]
    assert not no_help, no_help


def test_every_token_option_reads_org_token_and_never_shows_it():
    """The class, not the example: every command's --token (a principal's or a job's) defaults to $ORG_TOKEN, as
    the CLI contract says, and its help never prints the variable's value (a secret)."""
    import typer

    from org.cli import app

    tokens = [
        (" ".join(p), x)
        for p, c in _leaves(typer.main.get_command(app))
        for x in c.params
        if "--token" in getattr(x, "opts", [])
    ]
    assert len(tokens) > 10
    assert not [p for p, x in tokens if x.envvar != "ORG_TOKEN" or x.show_envvar], [
        (p, x.envvar) for p, x in tokens if x.envvar != "ORG_TOKEN" or x.show_envvar
    ]


def test_config_show_reads_the_token_from_org_token(tmp_path):
    """`org config show --task T` with $ORG_TOKEN set reads the task with that token, as `--token` would: a token
    that does not authenticate is refused alike (it was ignored, and the task read as the local human)."""
    dest = _org(tmp_path)
    r = org_in_process(
        "task", "add", "t", "-w", "change", "--set", "kind=docs", "--as", "alice", "--json", root=dest
    )
    assert r.returncode == 0, r.stderr
    key = json.loads(r.stdout)["task"]
    show = ("config", "show", "--task", key, "--as", "alice", "--json")
    assert org_in_process(*show, root=dest, env={"ORG_TOKEN": None}).returncode == 0
    typed = org_in_process(*show, "--token", "orgp_not-a-token", root=dest, env={"ORG_TOKEN": None})
    from_env = org_in_process(*show, root=dest, env={"ORG_TOKEN": "orgp_not-a-token"})
    assert typed.returncode == 4 and "authentication failed" in typed.stderr, typed.stderr
    assert (from_env.returncode, from_env.stderr) == (typed.returncode, typed.stderr)


def test_every_command_group_shares_one_set_of_settings():
    """Every group of `org` is made by one helper (org.cli._globals.sub_app): given no command it shows its
    help (or, like `org outcomes`, runs on its own), and none offers shell-completion commands."""
    import typer

    from org.cli import app

    tree = typer.main.get_command(app)
    groups = [(p, c) for p, c in _groups(tree) if p]
    assert len(groups) > 10
    assert not [" ".join(p) for p, c in groups if not (c.no_args_is_help or c.invoke_without_command)]
    assert not [" ".join(p) for p, c in _groups(tree) for x in c.params if "--install-completion" in x.opts]


def _groups(cmd, path=()):
    subs = getattr(cmd, "commands", None)
    if subs:
        yield path, cmd
        for name, sub in subs.items():
            yield from _groups(sub, (*path, name))


def test_usage_lines_name_arguments_plainly():
    for cmd in (("approve",), ("task", "show"), ("heartbeat",), ("token", "revoke")):
        r = org_in_process(*cmd, "--help")
        usage = r.stdout.splitlines()[0]
        assert r.returncode == 0 and "{" not in usage and "<str>" not in r.stdout.split("Options:")[1], (
            r.stdout
        )


def test_root_after_the_command_from_elsewhere(tmp_path):
    """The 'no org found' message says 'pass --root': it must then work where users put it."""
    dest = _org(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "ORG_ROOT"}
    r = subprocess.run(
        [sys.executable, "-m", "org", "validate", "--root", str(dest)],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=env,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "org", "validate"],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=env,
        timeout=60,
    )
    assert r.returncode == 2 and "--root" in r.stderr


def test_db_and_json_after_the_command_reach_the_command(tmp_path):
    """`--db` after the command is the database the command uses, and overrides ORG_DATABASE_URL."""
    dest = _org(tmp_path)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    r = org_in_process(
        "task",
        "add",
        "elsewhere",
        "--workflow",
        "change",
        "--as",
        "alice",
        "--db",
        other,
        "--json",
        root=dest,
        env={"ORG_DATABASE_URL": f"sqlite:///{tmp_path / 'wrong.db'}"},
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["task"] == "T-1"
    assert (tmp_path / "other.db").exists() and not (tmp_path / "wrong.db").exists()
    r = org_in_process("task", "list", "--as", "alice", "--db", other, "--json", root=dest)
    assert [t["title"] for t in json.loads(r.stdout)["tasks"]] == ["elsewhere"]


def test_as_before_or_after_the_command(tmp_path):
    dest = _org(tmp_path)
    r = org_in_process("--as", "alice", "task", "add", "before", "--workflow", "change", "--json", root=dest)
    assert r.returncode == 0, r.stderr
    shown = org_in_process("--as", "alice", "task", "show", "T-1", "--json", root=dest)
    assert shown.returncode == 0 and "acting as" not in shown.stderr
    assert any(e.get("actor") == "alice" for e in json.loads(shown.stdout)["timeline"])
    # two different actors at once is a usage error, never a silent pick
    r = org_in_process("--as", "alice", "task", "list", "--as", "bob", root=dest)
    assert r.returncode == 2 and "alice" in r.stderr and "bob" in r.stderr
    # a command that acts for no one refuses --as rather than ignoring it
    r = org_in_process("--as", "alice", "validate", root=dest)
    assert r.returncode == 2 and "--as does not apply" in r.stderr
    # a command that needs an actor says so (exit 2), and takes it from before the command
    r = org_in_process("approve", "T-1", root=dest)
    assert r.returncode == 2 and "--as" in r.stderr
    r = org_in_process("--as", "alice", "approve", "T-1", root=dest)
    assert r.returncode == 3, r.stderr  # now a real answer: nothing pending on T-1


def test_version():
    r = run_org("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"org {version('org')}"


def test_token_commands_name_the_actor_with_as_and_the_subject_with_for(tmp_path):
    dest = _org(tmp_path)
    r = org_in_process("token", "issue", "--for", "build-claude", "--as", "alice", "--json", root=dest)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["principal"] == "build-claude" and doc["token"].startswith("orgp_")
    listed = json.loads(org_in_process("token", "list", "--as", "bob", "--json", root=dest).stdout)
    claude = next(p for p in listed["principals"] if p["principal"] == "build-claude")
    assert [t["id"] for t in claude["tokens"]] == [doc["id"]]
    # an agent's token cannot issue for anyone, whatever flag names the subject
    r = org_in_process(
        "token", "issue", "--for", "alice", "--json", root=dest, env={"ORG_TOKEN": doc["token"]}
    )
    assert r.returncode == 4
    r = org_in_process("token", "revoke", doc["id"], "--as", "alice", root=dest)
    assert r.returncode == 0, r.stderr
    r = org_in_process("token", "issue", root=dest)
    assert r.returncode == 2 and "--for" in r.stderr


def test_by_is_a_deprecated_alias_where_it_meant_the_actor(tmp_path):
    dest = _org(tmp_path)
    r = org_in_process("task", "add", "old", "--workflow", "change", "--by", "alice", root=dest)
    assert r.returncode == 0 and "deprecated" in r.stderr and "--as alice" in r.stderr
    r = org_in_process(
        "task", "add", "old", "--workflow", "change", "--by", "alice", "--as", "bob", root=dest
    )
    assert r.returncode == 2
    r = org_in_process(
        "token", "issue", "--as", "build-claude", "--by", "alice", "--json", root=dest
    )  # old form
    assert r.returncode == 0 and json.loads(r.stdout)["principal"] == "build-claude"
    assert "--for build-claude --as alice" in r.stderr
    r = org_in_process("token", "list", "--by", "alice", "--json", root=dest)
    assert r.returncode == 0 and "deprecated" in r.stderr
    for cmd in (("task", "add"), ("token", "list"), ("token", "revoke"), ("token", "issue")):
        assert "--by" not in org_in_process(*cmd, "--help").stdout  # hidden: --as is the one flag shown


def test_reading_commands_act_as_the_first_human_and_say_so(tmp_path):
    """`org task list` with one human needed --as every time; now it acts as the org's first human (as the
    TUI does) and says so on stderr, so stdout stays the answer."""
    dest = _org(tmp_path)
    assert (
        org_in_process("task", "add", "x", "--workflow", "change", "--as", "bob", root=dest).returncode == 0
    )
    for cmd in (("task", "list"), ("task", "show", "T-1")):
        r = org_in_process(*cmd, "--json", root=dest)
        assert r.returncode == 0, r.stderr
        assert "acting as alice" in r.stderr
        json.loads(r.stdout)
    # a token given is its holder's, never replaced by the default human
    bad = org_in_process("task", "list", root=dest, env={"ORG_TOKEN": "orgp_0000000000000000_" + "0" * 64})
    assert bad.returncode == 4 and "acting as" not in bad.stderr
