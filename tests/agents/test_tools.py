"""A built-in agent's tools and work loop: confined to the workspace, bounded, decided and recorded; the
local model answers with real tool calls over real litellm (loopback); hostile models end in a clear outcome."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from org.agents.llm import complete
from org.agents.localmodel import LocalModelConfig, LocalModelServer
from org.agents.toolloop import Limits, run_tools
from org.agents.tools import MAX_READ, TOOL_SPECS, WorkspaceTools
from tests.helpers import chat_answer
from tests.workspaces.gitrepo import make_repo

PYTEST = (
    f"PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {sys.executable} -m pytest -q -p no:cacheprovider"  # no plugins: fast
)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "ws")


def _model(url: str):
    def call(messages, specs):
        return complete(
            "openai/gpt-5",
            messages,
            api_base=url,
            api_key="sk-local-test",
            extra={"tools": specs},
            timeout_s=30,
        )

    return call


def _prompt(
    title: str = "Add retries to the webhook sender", gate: str = "implement", rnd: int = 0
) -> list[dict]:
    return [
        {
            "role": "system",
            "content": "You are build-gpt, a member of the builder lane. Work with the tools.",
        },
        {
            "role": "user",
            "content": f"Task T-1: {title}\nGate: {gate}\nRound: {rnd}\nAttributes: {json.dumps({'kind': 'code'})}\n",
        },
    ]


def test_paths_outside_the_workspace_are_refused_and_nothing_outside_changes(ws, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep\n")
    (ws / "link").symlink_to(outside)
    (ws / "linkdir").symlink_to(tmp_path)
    t = WorkspaceTools(ws, test_command=None)
    attacks = [
        ("read_file", {"path": "../outside.txt"}),
        ("read_file", {"path": str(outside)}),
        ("read_file", {"path": "link"}),
        ("write_file", {"path": "link", "content": "pwned"}),
        ("write_file", {"path": "linkdir/outside.txt", "content": "pwned"}),
        ("write_file", {"path": "linkdir/new.txt", "content": "pwned"}),
        ("write_file", {"path": "src/../../escape.txt", "content": "pwned"}),
        ("write_file", {"path": ".git/hooks/pre-commit", "content": "#!/bin/sh\n"}),
        ("edit_file", {"path": "../outside.txt", "old_text": "keep", "new_text": "x"}),
        ("list_files", {"path": ".."}),
        ("read_file", {"path": "a\0b"}),
        ("read_file", {"path": 7}),
        ("nope", {}),
        ("read_file", "README.md"),
    ]
    for tool, args in attacks:
        r = t.call(tool, args)
        assert r.result == "refused", (tool, args, r)
    assert outside.read_text() == "keep\n" and not (tmp_path / "escape.txt").exists()
    assert not (tmp_path / "new.txt").exists() and not (ws / ".git" / "hooks" / "pre-commit").exists()
    assert len(t.ledger) == len(attacks) and all(e["result"] == "refused" for e in t.ledger)
    assert all(len(e["args_sha256"]) == 16 and "pwned" not in json.dumps(e) for e in t.ledger)
    assert "link" not in t.call("list_files", {}).text.split()  # a link out of the workspace is not listed


def test_huge_binary_and_unapplicable_edits_are_clear_answers(ws):
    (ws / "big.txt").write_bytes(b"x" * (MAX_READ + 1))
    (ws / "blob.bin").write_bytes(b"\x00\x01\x02" * 10)
    t = WorkspaceTools(ws, test_command=None)
    assert t.call("read_file", {"path": "big.txt"}).result == "refused"
    assert "binary" in t.call("read_file", {"path": "blob.bin"}).text
    assert t.call("write_file", {"path": "w.txt", "content": "x" * (MAX_READ + 1)}).result == "refused"
    assert not (ws / "w.txt").exists()
    r = t.call("edit_file", {"path": "src/app.py", "old_text": "return a - b", "new_text": "x"})
    assert r.result == "failed" and "occurs 0 times" in r.text
    r = t.call("edit_file", {"path": "src/app.py", "old_text": "return a + b", "new_text": "return b + a"})
    assert r.result == "ok" and r.changed and "return b + a" in (ws / "src/app.py").read_text()
    assert "src/app.py:2:" in t.call("search", {"pattern": r"return b \+ a"}).text
    assert t.call("search", {"pattern": "("}).result == "refused"


def test_every_call_is_decided_first_and_a_denial_changes_nothing(ws):
    asked = []

    def decide(tool, args):
        asked.append(tool)
        return (
            {"outcome": "deny", "rules": ["ORG-GATE-SCOPE"], "reason": "outside the gate"}
            if tool != "read_file"
            else {"outcome": "allow", "rules": []}
        )

    t = WorkspaceTools(ws, test_command=None, decide=decide)
    r = t.call("write_file", {"path": "src/app.py", "content": "evil"})
    assert (
        r.result == "denied"
        and r.rules == ["ORG-GATE-SCOPE"]
        and "evil" not in (ws / "src/app.py").read_text()
    )
    assert t.call("read_file", {"path": "src/app.py"}).result == "ok"
    assert asked == ["write_file", "read_file"] and t.ledger[0]["decision"] == "deny"


def test_a_hanging_test_command_is_stopped(ws):
    from org.workspaces.commands import sandbox_available

    t = WorkspaceTools(ws, test_command="sleep 60", test_timeout=1)
    r = t.call("run_tests", {})
    if sandbox_available() is not None:
        assert r.result == "denied"  # no sandbox here: the command is not run at all
    else:
        assert r.result == "timeout" and t.tests["timed_out"]


def test_the_local_model_builds_with_tool_calls_and_answers_the_same_every_time(ws):
    with LocalModelServer(LocalModelConfig(seed=1, defect_rate=1.0)) as srv:
        t = WorkspaceTools(ws, test_command=PYTEST, test_timeout=120)
        res = run_tools(_model(srv.url), _prompt(), t)
        assert res.ok and res.turns == 4, res
        assert [e["tool"] for e in t.ledger] == ["list_files", "write_file", "run_tests", "submit"]
        written = ws / "src/org_service/add_retries_webhook_sender.py"
        assert written.is_file()
        text = written.read_text()
        assert "range(1, retries)" in text or "verify=False" in text  # the seeded defect is there
        again = [
            complete(
                "openai/gpt-5", _prompt(), api_base=srv.url, api_key="k", extra={"tools": TOOL_SPECS}
            ).message
            for _ in range(2)
        ]
        assert again[0] == again[1] and again[0]["tool_calls"][0]["function"]["name"] == "list_files"
        # a rework round carries no defect
        t2 = WorkspaceTools(ws, test_command=None)
        assert run_tools(_model(srv.url), _prompt(rnd=1), t2).ok
        fixed = written.read_text()
        assert "range(retries)" in fixed and "verify=False" not in fixed


def _scripted(srv: LocalModelServer, answer):
    def handle(body):
        return chat_answer(answer(body["messages"]), prompt_tokens=10, completion_tokens=5)

    srv.handle_chat = handle


def _call(name, args, i=0):
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": f"c{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
        ],
    }


def test_an_endless_tool_loop_hits_a_hard_stop(ws):
    with LocalModelServer() as srv:
        _scripted(srv, lambda m: _call("read_file", {"path": "README.md"}))
        res = run_tools(_model(srv.url), _prompt(), WorkspaceTools(ws, test_command=None))
        assert not res.ok and res.failure == "hard_stop" and "same tool call 3 times" in res.error
        n = iter(range(10_000))
        _scripted(srv, lambda m: _call("search", {"pattern": f"x{next(n)}"}))
        res = run_tools(
            _model(srv.url), _prompt(), WorkspaceTools(ws, test_command=None), Limits(no_progress_turns=5)
        )
        assert res.failure == "hard_stop" and "no progress" in res.error and res.turns == 5
        res = run_tools(
            _model(srv.url),
            _prompt(),
            WorkspaceTools(ws, test_command=None),
            Limits(max_turns=3, no_progress_turns=99),
        )
        assert res.failure == "hard_stop" and "turn limit" in res.error
        res = run_tools(
            _model(srv.url),
            _prompt(),
            WorkspaceTools(ws, test_command=None),
            Limits(max_tokens=40, no_progress_turns=99),
        )
        assert res.failure == "hard_stop" and "token limit" in res.error


def test_one_repair_then_fail_and_an_escape_attempt_is_refused(ws, tmp_path):
    with LocalModelServer() as srv:
        _scripted(srv, lambda m: {"role": "assistant", "content": "I think it is fine."})
        res = run_tools(_model(srv.url), _prompt(), WorkspaceTools(ws, test_command=None))
        assert res.failure == "malformed" and res.turns == 2
        # repaired once, then it works: not a failure
        _scripted(
            srv,
            lambda m: (
                _call("submit", {"summary": "done"})
                if any(x.get("role") == "user" and "could not be used" in str(x.get("content")) for x in m)
                else {"role": "assistant", "content": "hm"}
            ),
        )
        assert run_tools(_model(srv.url), _prompt(), WorkspaceTools(ws, test_command=None)).ok
        steps = iter(
            [
                _call("write_file", {"path": "../../escape.txt", "content": "x"}, 0),
                _call("submit", {"summary": "s"}, 1),
            ]
        )
        _scripted(srv, lambda m: next(steps))
        t = WorkspaceTools(ws, test_command=None)
        assert run_tools(_model(srv.url), _prompt(), t).ok
        assert t.ledger[0]["result"] == "refused" and not (tmp_path / "escape.txt").exists()
        assert not (ws.parent.parent / "escape.txt").exists() and os.listdir(ws.parent) == ["ws"]


# -- adversarial: the org's own folder, runaway patterns, symlink loops, a tool that raises -------------------


@pytest.fixture
def org_root():
    """An org root outside /tmp (the sandbox's private /tmp would hide a /tmp one by accident)."""
    import shutil
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="org-tools-", dir="/var/tmp")).resolve()
    (root / ".org").mkdir()
    (root / ".org" / "org.db").write_text("SECRET-DB token rows\n")
    (root / ".org" / "notify.cursor").write_text("SECRET-CURSOR\n")
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("where", ["inside", "beside", "inferred"])
def test_a_tool_test_run_cannot_read_the_org_folder(org_root, where):
    from org.workspaces.commands import sandbox_available

    if sandbox_available() is not None:
        pytest.skip("no bubblewrap here: the tests gate does not run the command at all")
    # the default workspaces live under .org/workspaces; a configured folder may lie beside .org
    ws = org_root / ("ws/app/T-1" if where == "beside" else ".org/workspaces/app/T-1")
    ws.mkdir(parents=True)
    db = org_root / ".org" / "org.db"
    cmd = f"cat {db} {org_root}/.org/notify.cursor; ls -a {org_root}/.org; echo made > made.txt; cat made.txt"
    t = WorkspaceTools(ws, test_command=cmd, org_root=None if where == "inferred" else org_root)
    r = t.call("run_tests", {})
    assert "SECRET" not in r.text and "org.db" not in r.text.splitlines(), r.text  # not read, not listed
    assert "made" in r.text and (ws / "made.txt").read_text() == "made\n"  # the workspace stays writable


def _bounded(fn, limit=120.0):
    """Run fn in a thread; a call still running after `limit` is a hang (a guard, not a timing assertion)."""
    import threading

    box: dict = {}
    th = threading.Thread(target=lambda: box.setdefault("r", fn()), daemon=True)
    th.start()
    th.join(limit)
    assert not th.is_alive(), "the tool call never returned"
    return box["r"]


def test_a_catastrophic_search_pattern_cannot_hang_the_agent_host(ws):
    t = WorkspaceTools(ws, test_command=None, search_timeout=1.0)
    assert t.call("write_file", {"path": "r.txt", "content": "a" * 40 + "!\n"}).result == "ok"
    for pattern in ("(a+)+$", "(a|aa)*b"):
        r = _bounded(lambda p=pattern: t.call("search", {"pattern": p}))
        assert r.result == "timeout" and "plain text" in r.text, r
    assert t.ledger[-1]["result"] == "timeout"
    # plain and regular searches still answer
    assert "r.txt:1" in t.call("search", {"pattern": "aaa!"}).text
    assert "r.txt:1" in t.call("search", {"pattern": r"a{3}!$"}).text
    assert t.call("search", {"pattern": "("}).result == "refused"


def test_a_symlink_loop_is_a_refusal_never_a_crash(ws):
    (ws / "ok.txt").write_text("hi there\n")
    (ws / "loop").symlink_to("loop")
    (ws / "a").symlink_to("b")
    (ws / "b").symlink_to("a")
    t = WorkspaceTools(ws, test_command=None)
    for tool, args in [
        ("read_file", {"path": "loop"}),
        ("read_file", {"path": "loop/x"}),
        ("write_file", {"path": "loop", "content": "x"}),
        ("edit_file", {"path": "a", "old_text": "x", "new_text": "y"}),
        ("list_files", {"path": "b"}),
    ]:
        r = t.call(tool, args)
        assert r.result in ("refused", "error"), (tool, r)
    listed = t.call("list_files", {})
    assert listed.result == "ok" and "ok.txt" in listed.text.split("\n")
    assert "loop" not in listed.text.split("\n")
    assert "ok.txt:1" in t.call("search", {"pattern": "hi there"}).text
    assert len(t.ledger) == 7


def test_no_exception_from_a_tool_crashes_the_loop(ws):
    def decide(_tool, _args):
        raise RuntimeError("the door broke")

    t = WorkspaceTools(ws, test_command=None, decide=decide)
    r = t.call("read_file", {"path": "src/app.py"})
    assert r.result == "error" and "RuntimeError" in r.text and t.ledger[-1]["result"] == "error"
    n = {"i": 0}

    class Res:
        ok, outcome, error, total_tokens, content = True, "ok", "", 1, None

        def __init__(self, name, args):
            self.message = {
                "role": "assistant",
                "tool_calls": [{"id": "c", "function": {"name": name, "arguments": json.dumps(args)}}],
            }

    def model(_msgs, _specs):
        n["i"] += 1
        return Res("read_file", {"path": "src/app.py"}) if n["i"] == 1 else Res("submit", {"summary": "s"})

    (ws / "loop").symlink_to("loop")
    out = run_tools(
        model, [{"role": "user", "content": "go"}], WorkspaceTools(ws, test_command=None, decide=decide)
    )
    assert not out.ok and out.failure == "hard_stop"  # every call was answered 'error'; the loop ended itself


def test_a_reviewer_of_a_truncated_diff_is_told_and_cannot_pass():
    from org.agents.jobwork import review_diff

    whole = {"patch": "diff --git a/x b/x\n+ok\n", "files": ["x"], "truncated": False}
    work, partial = review_diff(whole)
    assert work == whole["patch"] and partial == ""
    # a builder pads the change so the dangerous file falls past the cut
    cut = {"patch": "diff --git a/pad b/pad\n" + "+x\n" * 100, "files": ["pad", "evil.py"], "truncated": True}
    work, partial = review_diff(cut)
    assert partial and "evil.py" in work and "TRUNCATED" in work.upper()
    many = {"patch": "diff", "files": [f"f{i}" for i in range(1000)], "truncated": False}
    assert review_diff(many)[1]  # the file list itself is cut at 1000
    assert review_diff({"error": "gone"})[1]  # no diff at all: nothing seen, nothing passed


def test_a_test_run_leaves_no_build_output_in_the_workspace(ws):
    """Root of the unseen-content finding: a builder's run_tests wrote __pycache__/*.pyc into its workspace,
    and the workspace's changes (those too) became the revision. A test run writes no byte code there."""
    from org.workspaces.commands import sandbox_available
    from tests.workspaces.gitrepo import sh_git

    t = WorkspaceTools(ws, test_command=PYTEST, test_timeout=120)
    r = t.call("run_tests", {})
    if sandbox_available() is not None:
        pytest.skip("no sandbox here: the test command is not run at all")
    assert r.result == "ok", r.text
    assert not list(ws.rglob("__pycache__")) and not list(ws.rglob("*.pyc"))
    assert sh_git(ws, "status", "--porcelain", "--untracked-files=all") == ""


def test_a_reviewer_of_a_diff_with_unseen_content_cannot_pass():
    """Review finding: a text file made 'binary' by one NUL byte shows only as 'Binary files ... differ' (a
    shell script bash still runs), and a gitlink only as a commit id: content the reviewer never sees."""
    from org.agents.jobwork import review_diff

    binary = (
        "diff --git a/build.sh b/build.sh\nindex a504304..8a90961 100644\n"
        "Binary files a/build.sh and b/build.sh differ\n"
    )
    for patch in (
        binary,
        "diff --git a/x b/x\nGIT binary patch\nliteral 12\nabc\n",
        "diff --git a/sub b/sub\n-Subproject commit 1111111\n+Subproject commit 2222222\n",
    ):
        work, partial = review_diff({"patch": patch, "files": ["build.sh"], "truncated": False})
        assert partial and "may not pass" in work, patch
    # what the workspaces service read from git wins: a file it names as unseen is unseen
    work, partial = review_diff({"patch": "diff --git a/a b/a\n", "files": ["a"], "unseen": ["a"]})
    assert partial and "a (binary" in partial
    # a line of a text diff that merely mentions the words is no binary file
    text = "diff --git a/doc.md b/doc.md\n+Binary files a/x and b/x differ\n"
    assert review_diff({"patch": text, "files": ["doc.md"], "truncated": False})[1] == ""
