"""Built-in reviewers with read-only tools AT the revision (ADR 0232), on a real repository task through the
dispatcher, the loopback model and the real door: they read the real diff and the files of the revision under
review, never a working tree, another revision, anything outside the repository or the author's account; their
findings are bound to paths the revision changes (one repair, then the job fails); every tool call is decided
and in the tool-call ledger on the chain."""

from __future__ import annotations

import json
import re

import pytest

from tests.agents.test_toolwork import _events, _run, repo_env  # noqa: F401
from tests.helpers import chat_answer

TITLE = "Add retries to the webhook sender"


def _recording(server):
    seen: list[dict] = []
    real = server.handle_chat

    def handle(body):
        seen.append(body)
        return real(body)

    server.handle_chat = handle
    return seen, real


def _is_review(body) -> bool:
    system = " ".join(
        str(m.get("content") or "") for m in body.get("messages", []) if m.get("role") == "system"
    )
    return "of type ReviewVerdict" in system or "of type SecurityVerdict" in system


@pytest.mark.slow
def test_reviewers_read_the_revision_with_tools_and_never_the_authors_account(repo_env, local_server):  # noqa: F811
    cfg, url, env, bus = repo_env
    local_server.config.defect_rate = 1.0
    seen, _real = _recording(local_server)
    t = bus.add_task(TITLE, "change", by="alice", attributes={"kind": "code"}, repo="app")["task"]
    _run(cfg, url, env, lanes=("builder", "reviewer", "security"))
    reviews = _events(bus, t, "review.filed")
    assert reviews and any(e["data"]["verdict"] == "changes" for e in reviews)
    diff_files = {"src/org_service/add_retries_webhook_sender.py"}
    for e in reviews:
        for f in e["data"].get("findings") or []:
            assert f["file"] in diff_files and isinstance(f["line"], int) and f["line"] >= 1
    # the reviewers looked at the revision with their tools, each call decided and on the chain
    calls = [e for e in _events(bus, t, "tool.called") if e["lane"] in ("reviewer", "security")]
    assert calls and all(c["data"]["tool"] == "read_file" and c["data"]["result"] == "ok" for c in calls)
    assert all(c["data"]["decision"] == "allow" for c in calls)
    # what the reviewers' model was sent: the diff and the files, never the builder's note or transcript
    work = _events(bus, t, "work.submitted")
    notes = [str(w["data"].get("note") or "") for w in work]
    review_text = json.dumps([b for b in seen if _is_review(b)])
    assert any(_is_review(b) for b in seen)
    for n in notes:
        summary = n.split(" [tests:")[0]
        assert len(summary) > 20 and summary not in review_text
    assert "tool calls:" not in review_text and "write_file" not in review_text
    assert "def send_with_retry" in review_text  # the file read at the revision reached the reviewer


HOSTILE = [
    ("read_file", {"path": "../../../../../../etc/passwd"}),
    ("read_file", {"path": "/etc/passwd"}),
    ("read_file", {"path": "HEAD~1:src/app.py"}),  # a path at another revision
    ("read_file", {"path": "0000000000000000000000000000000000000000:src/app.py"}),
    ("list_files", {"path": ".."}),
    ("read_file", {"path": ".git/config"}),
    ("read_file", {"path": "../../../.org/org.db"}),  # the bus, where the builder's account is
    ("search", {"pattern": "tool calls:"}),  # the builder's transcript is no file of the revision
    ("read_file", {"path": "src/org_service/add_retries_webhook_sender.py/../../../../etc/passwd"}),
]


@pytest.mark.slow
def test_a_hostile_reviewer_reads_nothing_outside_the_revision_and_cannot_bind_elsewhere(
    repo_env,  # noqa: F811
    local_server,
):
    cfg, url, env, bus = repo_env
    seen, real = _recording(local_server)
    sent_back: list[str] = []

    def handle(body):
        if not _is_review(body):
            return real(body)
        msgs = body["messages"]
        sent_back.extend(str(m.get("content") or "") for m in msgs if m.get("role") == "tool")
        step = sum(1 for m in msgs if m.get("role") == "assistant" and m.get("tool_calls"))
        if step < len(HOSTILE):
            name, args = HOSTILE[step]
            call = {
                "id": f"h{step}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            }
            return chat_answer({"role": "assistant", "content": None, "tool_calls": [call]})
        user = next(str(m["content"]) for m in msgs if m.get("role") == "user")
        rev = re.search(r"Revision under review: (\S+)", user).group(1)
        verdict = {
            "verdict": "changes",
            "revision": rev,
            "summary": "a problem elsewhere",
            "findings": [{"severity": "high", "text": "this file is wrong", "file": "src/app.py", "line": 1}],
        }
        return chat_answer({"role": "assistant", "content": json.dumps(verdict)})

    local_server.handle_chat = handle
    t = bus.add_task(TITLE, "change", by="alice", attributes={"kind": "code"}, repo="app")["task"]
    _run(cfg, url, env, lanes=("builder", "reviewer"))
    calls = [e for e in _events(bus, t, "tool.called") if e["lane"] == "reviewer"]
    assert len(calls) >= len(HOSTILE)
    reads = [c["data"] for c in calls if c["data"]["tool"] != "search"]
    assert len(reads) >= len(HOSTILE) - 1 and all(d["result"] == "refused" for d in reads), reads
    assert [c["data"]["result"] for c in calls if c["data"]["tool"] == "search"] == [
        "ok"
    ]  # and found nothing
    told = "\n".join(sent_back)
    assert "root:" not in told and "[core]" not in told and "SQLite format" not in told
    assert "tool calls:" not in told and "no match" in told
    # a finding on a path the revision does not change is no finding: repaired once, then the job fails
    view = bus.task(t)
    dead = [j for j in view["jobs"] if j["lane"] == "reviewer" and j["status"] == "dead"]
    assert dead and "not a path this revision changes" in (dead[0]["reason"] or ""), view["jobs"]
    assert not [
        e for e in _events(bus, t, "review.filed") if e["actor"] in ("rev-gpt", "rev-gemini", "rev-claude")
    ]
    assert view["status"] == "escalated"


@pytest.mark.parametrize(
    "finding, problem",
    [
        ({"file": "src/other.py", "line": 1}, "not a path this revision changes"),
        ({"file": None, "line": None}, "name the file"),
        ({"file": "src/a.py", "line": None}, "name the line"),
        ({"file": "src/a.py", "line": 99}, "has 3 lines"),
    ],
)
def test_a_finding_not_bound_to_the_change_is_malformed(finding, problem):
    from org.agents.outputs import MalformedOutput, ReviewVerdict
    from org.agents.review import bind_findings

    v = ReviewVerdict(
        verdict="changes",
        revision="abc",
        summary="s",
        findings=[{"severity": "high", "text": "t", **finding}],
    )
    with pytest.raises(MalformedOutput, match=problem):
        bind_findings(v, ["src/a.py", "src/gone.py"], lambda p: 3 if p == "src/a.py" else None)
    ok = ReviewVerdict(
        verdict="changes",
        revision="abc",
        summary="s",
        findings=[
            {"severity": "high", "text": "t", "file": "src/a.py", "line": 3},
            {"severity": "low", "text": "t", "file": "src/gone.py"},  # deleted by the revision: no line
        ],
    )
    assert bind_findings(ok, ["src/a.py", "src/gone.py"], lambda p: 3 if p == "src/a.py" else None) is ok


class _Reply:
    def __init__(self, message=None, ok=True, outcome="ok"):
        self.ok, self.outcome, self.error = ok, outcome, "" if ok else outcome
        self.message, self.content, self.total_tokens = message, str((message or {}).get("content") or ""), 10


def _loop(replies, read=None):
    """run_review over scripted replies (one per turn; the last repeats) with a reader of one file."""
    from org.agents.outputs import ReviewVerdict, parse_output
    from org.agents.review import RevisionTools, run_review

    files = {"src/a.py": "x = 1\n"}

    def default_read(what, arg):
        if what == "read":
            return {"text": files[arg]}
        return {"files": list(files)} if what == "list" else {"hits": []}

    tools = RevisionTools(read or default_read, tests=None)
    it = iter(replies)
    last = {}

    def call(_m, _t):
        last["r"] = next(it, last.get("r"))
        return last["r"]

    res = run_review(
        call,
        [{"role": "user", "content": "review"}],
        tools,
        lambda text: parse_output(ReviewVerdict, text, revision="abc"),
        lambda m, reply, problems: [*m, {"role": "user", "content": "Your reply could not be used"}],
    )
    return res, tools


def _call(i, name, args):
    fn = {"name": name, "arguments": json.dumps(args)}
    return _Reply(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": f"c{i}", "type": "function", "function": fn}],
        }
    )


def test_an_endless_reviewer_stops_at_its_turn_limit():
    res, tools = _loop([_call(i, "search", {"pattern": f"p{i}"}) for i in range(100)])
    assert not res.ok and res.failure == "hard_stop" and "turn limit" in res.error
    assert len(tools.ledger) == res.turns == 12


def test_the_same_reviewer_call_again_and_again_is_no_progress():
    res, _tools = _loop([_call(0, "read_file", {"path": "src/a.py"})])
    assert not res.ok and res.failure == "hard_stop" and "same tool call 3 times" in res.error


def test_a_malformed_verdict_is_repaired_once_then_fails():
    good = {"verdict": "pass", "revision": "abc", "summary": "fine"}
    res, _t = _loop(
        [
            _Reply({"role": "assistant", "content": "looks good"}),
            _Reply({"role": "assistant", "content": json.dumps(good)}),
        ]
    )
    assert res.ok and res.repaired and res.output.verdict == "pass"
    res, _t = _loop([_Reply({"role": "assistant", "content": "looks good"})])
    assert not res.ok and res.failure == "malformed" and "twice" in res.error


def test_provider_trouble_is_an_outcome_not_an_exception():
    res, _t = _loop([_Reply(None, ok=False, outcome="rate_limited")])
    assert not res.ok and res.failure == "rate_limited"


def test_a_reader_that_fails_is_an_answer_to_the_model():
    from org.errors import NotFound

    def broken(what, arg):
        raise NotFound("no file 'x' in revision abc")

    res, tools = _loop(
        [
            _call(0, "read_file", {"path": "x"}),
            _Reply(
                {
                    "role": "assistant",
                    "content": json.dumps({"verdict": "pass", "revision": "abc", "summary": "ok"}),
                }
            ),
        ],
        read=broken,
    )
    assert res.ok and [e["result"] for e in tools.ledger] == ["refused"]


def test_an_unreadable_reviewer_call_is_refused_as_an_unknown_tool_not_a_repair():
    """The reviewer drives the builder's loop (org.agents.toolloop) with an answer: a tool call it cannot read
    is said to the model as an unknown tool (recorded as one), and does not spend the verdict's one repair."""
    bad = _Reply(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c0", "type": "function", "function": {"name": "read_file", "arguments": "{"}}
            ],
        }
    )
    good = {"verdict": "pass", "revision": "abc", "summary": "fine"}
    res, tools = _loop(
        [
            bad,
            _Reply({"role": "assistant", "content": "looks good"}),
            _Reply({"role": "assistant", "content": json.dumps(good)}),
        ]
    )
    assert res.ok and res.repaired and res.output.verdict == "pass"
    assert [(e["tool"], e["result"]) for e in tools.ledger] == [("unknown", "refused")]


def test_a_reviewer_is_held_to_its_own_limits_not_the_builders_no_progress_count():
    """Reading a different file each turn changes nothing and runs no test: the builder's loop would stop it as
    no progress after 8 turns; the reviewer's limits stop it at its turn limit (12), said as without a verdict."""
    res, tools = _loop([_call(i, "list_files", {"path": f"d{i}"}) for i in range(100)])
    assert res.failure == "hard_stop" and res.error == "turn limit: 12 model turns without a verdict"
    assert len(tools.ledger) == 12
