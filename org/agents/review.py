"""A built-in reviewer (correctness or security) of a repository task, working with read-only tools AT the
revision under review (ADR 0232): it is shown the real diff and the tests gate's result, may list, read and
search the files of that commit (never a working tree, another revision, the org's folder or the author's
reasoning and transcript), and answers with a verdict whose findings are bound to paths of the diff and lines
of those files. Every tool call is decided through the bus's `act` as the gate's action and recorded in the
tool-call ledger; hard stops on turns, tokens, wall time and repeated calls; a verdict that does not parse, or
names a path the revision does not change, gets one repair prompt, and the second fails the job. The tools as
the model is shown them live in org.bus.toolspecs (ADR 0315); the loop is the builder's (org.agents.toolloop).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from org.agents.outputs import MalformedOutput, parse_output
from org.agents.toolloop import Answer, Limits, LoopResult, run_tools
from org.agents.tools import ToolResult, WorkspaceTools
from org.bus import REVIEW_SPECS
from org.errors import OrgError

__all__ = ["REVIEW_SPECS", "RevisionTools", "LIMITS", "run_review", "bind_findings", "review_job"]

TOOL_TEXT = (
    "Before you answer you may look at the repository AS IT IS AT THE REVISION under review, read-only, with "
    "tools: list_files, read_file, search, test_results. Paths are relative to the repository's root. When you "
    "have seen enough, answer with the JSON object (a reply without a tool call). Every finding names the file "
    "(a path the revision changes) and the line in that file at the revision."
)
# a reviewer's hard stops: the loop's own, fewer turns and less time; no "no progress" count (it changes
# nothing and runs no test: the same call again and again is its no-progress stop)
LIMITS = Limits(max_turns=12, max_tokens=300_000, wall_s=300.0, no_progress_turns=None)


class RevisionTools(WorkspaceTools):
    """The reviewer's tools: `read(what, arg)` is the door's revision_read for this job (list | read | search of
    the bound revision); `tests` the tests gate's result on it. Decided and recorded like the builder's."""

    names = {t["function"]["name"] for t in REVIEW_SPECS}

    def __init__(
        self,
        read: Callable[[str, str], dict],
        *,
        tests: dict | None,
        decide: Callable[[str, dict], dict] | None = None,
        record: Callable[[dict], Any] | None = None,
    ) -> None:
        self.read = read
        self.tests = tests
        self.decide = decide or (lambda _t, _a: {"outcome": "allow", "rules": []})
        self.record = record
        self.ledger: list[dict] = []
        self.budget_s: float | None = None

    def _check_args(self, tool: str, args: dict) -> None:
        from org.agents.tools import Refused

        for k, v in args.items():
            if not isinstance(v, str):
                raise Refused(f"argument '{k}' is a string")
            if len(v) > 1000:
                raise Refused(f"argument '{k}' is at most 1000 characters")

    def _door(self, what: str, arg: str) -> dict:
        from org.agents.tools import Refused

        try:
            return self.read(what, arg)
        except OrgError as exc:
            if exc.exit_code in (2, 3):  # not a path of the revision, no such file, binary, too large
                raise Refused(exc.message) from None
            raise

    def _list_files(self, a: dict) -> ToolResult:
        files = self._door("list", a.get("path") or "")["files"]
        return ToolResult("list_files", "ok", "\n".join(files) or "(no files)")

    def _read_file(self, a: dict) -> ToolResult:
        return ToolResult("read_file", "ok", self._door("read", a["path"])["text"])

    def _search(self, a: dict) -> ToolResult:
        hits = self._door("search", a["pattern"])["hits"]
        return ToolResult("search", "ok", "\n".join(hits) if hits else "no match")

    def _test_results(self, _a: dict) -> ToolResult:
        if not self.tests:
            return ToolResult("test_results", "ok", "the tests gate has no result on this revision")
        return ToolResult("test_results", "ok", json.dumps(self.tests, sort_keys=True, default=str)[:4000])


def bind_findings(output: Any, files: list[str], lines_of: Callable[[str], int | None]) -> Any:
    """The verdict, or MalformedOutput when a finding is not bound to the change: its file must be a path the
    revision changes (named whenever the verdict is not a pass), its line within that file at the revision."""
    problems = []
    changed = set(files)
    for i, f in enumerate(getattr(output, "findings", []) or []):
        if f.file is None:
            if output.verdict != "pass":
                problems.append(f"findings.{i}.file: name the file (a path this revision changes)")
            continue
        if f.file not in changed:
            problems.append(
                f"findings.{i}.file: '{f.file}' is not a path this revision changes "
                f"(it changes: {', '.join(sorted(changed)[:20]) or 'nothing'})"
            )
            continue
        n = lines_of(f.file)
        if n is None:  # deleted by the revision: no line to point at
            continue
        if f.line is None and output.verdict != "pass":
            problems.append(f"findings.{i}.line: name the line in {f.file} (1-{n})")
        elif f.line is not None and f.line > n:
            problems.append(f"findings.{i}.line: {f.file} has {n} lines at this revision, not {f.line}")
    if problems:
        raise MalformedOutput(problems)
    return output


def run_review(
    call_model: Callable[[list[dict], list[dict]], Any],
    messages: list[dict],
    tools: RevisionTools,
    parse: Callable[[str], Any],
    repair: Callable[[list[dict], str, list[str]], list[dict]],
    limits: Limits = LIMITS,
    clock: Callable[[], float] = time.monotonic,
) -> LoopResult:
    """Tool calls until a reply without one, which `parse` reads as the verdict (one repair, then fail): the
    builder's tool loop (org.agents.toolloop) with the reviewer's tools."""
    return run_tools(
        call_model, messages, tools, limits, clock, specs=REVIEW_SPECS, answer=Answer(parse, repair)
    )


def review_job(
    runner: Any, port: Any, claim: Any, actor: str, lane: Any, ep: Any, role: str, out: Any, access: Any
) -> Any:
    """The review job of a repository task, start to finish (the dispatcher's JobRunner calls it)."""
    from org.agents.agent import AgentResult, LaneAgent
    from org.agents.busport import holding_switch
    from org.agents.prompts import build_messages, output_model, repair_messages
    from org.agents.toolwork import gate_decider, local_workspaces, settle

    workspaces = local_workspaces(port)
    item = runner.item(port, claim)
    h_diff = getattr(item, "files", None) or []
    sw = holding_switch(port, actor, claim.lane, claim.task)
    if sw:
        runner._release(port, claim, out, f"paused ({sw}) before the review")
        return out
    wf = runner.cfg.workflows.get(claim.workflow)
    spec = wf.gates.get(claim.gate) if wf else None
    action = (spec.implied_action if spec is not None else None) or "review.file"  # the gate's action

    def read(what: str, arg: str) -> dict:
        return port.door.revision_read(claim.token, claim.job, what, arg, workspaces=workspaces)

    tools = RevisionTools(
        read,
        tests=item.tests or None,
        decide=gate_decider(port, claim, actor, action),
        record=lambda entry: port.door.record_tool_call(claim.token, claim.job, entry),
    )
    model = output_model(role)
    redact = runner.redact
    msgs = build_messages(actor, lane, role, item, redact)
    msgs[0] = {**msgs[0], "content": msgs[0]["content"] + "\n\n" + redact(TOOL_TEXT)}
    sizes: dict[str, int | None] = {}

    def lines_of(path: str) -> int | None:
        if path not in sizes:
            try:
                sizes[path] = len(read("read", path)["text"].splitlines())
            except OrgError:
                sizes[path] = None
        return sizes[path]

    def parse(text: str) -> Any:
        return bind_findings(parse_output(model, text, revision=claim.revision), list(h_diff), lines_of)

    def repair(m: list[dict], reply: str, problems: list[str]) -> list[dict]:
        return repair_messages(m, reply, problems, role, redact)

    agent = LaneAgent(actor, lane, ep, runner.pacer, redact)
    res = run_review(agent.call_with_tools, msgs, tools, parse, repair, LIMITS)
    if settle(
        runner, port, claim, actor, res, tools, out, access, "the review; the verdict was not submitted"
    ):
        return out
    if item.partial and res.output.verdict == "pass":
        return runner._fail(port, claim, out, f"cannot pass a change not seen whole: {item.partial}"[:300])
    return runner._submit(
        port, claim, actor, role, AgentResult(ok=True, output=res.output, calls=res.calls), out
    )
