"""The tools a built-in agent works with inside its task's workspace: list, read and search files, write or
edit a file, run the repository's test command, and submit. Every call is confined to the workspace (no
absolute path, no `..` or symlink out of it, nothing under .git), bounded (files read or written, output
kept, the test command's wall time), decided first (`decide(tool, args)`: the caller records it through
decide() as the gate's action) and recorded in the tool-call ledger: tool, arguments digest, result class,
latency, decision. A refused or failing call is an answer to the model, never an exception: whatever a tool
raises (a symlink loop, a broken door) is a recorded 'error'. No call runs unbounded: the test command runs
in the tests gate's sandbox with the org's own folder hidden (org_hidden) within its timeout, and a search
pattern with regular-expression syntax runs in a child process that is killed after SEARCH_TIMEOUT (a
pattern like (a+)+$ would otherwise hold the agent host forever); both are cut to the loop's wall time left. The tools as the model is shown them (and the ledger's tool names)
live in org.bus.toolspecs (ADR 0315).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from org.bus import TOOL_NAMES, TOOL_SPECS
from org.errors import OrgError

__all__ = ["TOOL_SPECS", "TOOLS", "ToolResult", "WorkspaceTools", "MAX_READ", "MAX_WRITE"]

MAX_READ = 256 * 1024  # bytes of one file the model may read
MAX_WRITE = 256 * 1024  # bytes of one file the model may write
MAX_LIST = 2000  # paths listed
MAX_HITS = 200  # search hits
MAX_OUTPUT = 8000  # characters of the test command's output handed back
MAX_DIRS = 20_000  # folders walked by one list or search
MAX_SEARCHED = 16 * 1024 * 1024  # bytes of text one search looks through
SEARCH_TIMEOUT = 10.0  # seconds a regular-expression search may take (in a child process)
_REGEX_SYNTAX = set(".^$*+?{}[]\\|()")
# the child that runs a model-given regular expression: killed when it takes too long
_SEARCH_CHILD = (
    "import json,re,sys\n"
    "d=json.load(sys.stdin)\n"
    "rx=re.compile(d['p'])\n"
    "hits=[]\n"
    "for i,text in enumerate(d['f']):\n"
    "    for n,line in enumerate(text.splitlines(),1):\n"
    "        if rx.search(line[:2000]):\n"
    "            hits.append([i,n])\n"
    "            if len(hits)>=d['m']:\n"
    "                break\n"
    "    if len(hits)>=d['m']:\n"
    "        break\n"
    "json.dump(hits,sys.stdout)\n"
)


TOOLS = {t["function"]["name"] for t in TOOL_SPECS}
WRITES = {"write_file", "edit_file"}


@dataclass
class ToolResult:
    tool: str
    result: str  # ok | denied | refused | error | failed | timeout
    text: str  # what the model is told
    digest: str = ""  # sha256 of the arguments (never the arguments themselves in the ledger)
    latency_ms: float = 0.0
    decision: str = ""  # allow | deny | needs_approval | "" (not decided: refused before)
    rules: list[str] = field(default_factory=list)
    changed: bool = False  # a write that changed a file

    def ledger(self) -> dict:
        return {  # a call naming no tool org offers is in the ledger as "unknown", never the model's text
            "tool": self.tool if self.tool in TOOL_NAMES else "unknown",
            "args_sha256": self.digest,
            "result": self.result,
            "latency_ms": round(self.latency_ms, 1),
            "decision": self.decision,
            "rules": self.rules,
        }


class Refused(Exception):
    """A tool call the workspace's rails refuse (outside it, too large, binary, ...)."""


class WorkspaceTools:
    """The tools over one workspace folder. `decide(tool, args)` -> {"outcome", "rules", "reason"}."""

    def __init__(
        self,
        root: Path | str,
        *,
        test_command: str | None,
        test_timeout: float = 120.0,
        decide: Callable[[str, dict], dict] | None = None,
        org_root: Path | str | None = None,
        sandbox: str = "required",
        search_timeout: float = SEARCH_TIMEOUT,
        record: Callable[[dict], Any] | None = None,
    ) -> None:
        self.root = Path(root).resolve()
        self.test_command = test_command
        self.test_timeout = test_timeout
        if org_root is None:  # a workspace under an org's .org/workspaces: that org, even when not told
            org_root = next((p.parent for p in self.root.parents if p.name == ".org"), None)
        self.org_root = Path(org_root).resolve() if org_root is not None else None
        self.sandbox = sandbox  # the repository's setting (gates/repos.yaml), as the tests gate reads it
        self.search_timeout = search_timeout
        self.budget_s: float | None = None  # the wall time the loop has left (set by it before each call)
        self.decide = decide or (lambda _t, _a: {"outcome": "allow", "rules": []})
        self.ledger: list[dict] = []
        # each ledger entry also goes to the bus as it is made (a `tool.called` event on the job's timeline)
        self.record = record
        self.tests: dict | None = None  # the last test run (ok, exit code, summary)

    # -- one call ------------------------------------------------------------------------------------
    def call(self, tool: str, args: Any) -> ToolResult:
        t0 = time.perf_counter()
        digest = hashlib.sha256(json.dumps([tool, args], sort_keys=True, default=str).encode()).hexdigest()[
            :16
        ]
        try:
            res = self._call(tool, args)
        except Exception as exc:
            res = ToolResult(tool, "error", f"{tool} failed: {type(exc).__name__}: {str(exc)[:300]}")
        res.digest, res.latency_ms = digest, (time.perf_counter() - t0) * 1000
        entry = res.ledger()
        self.ledger.append(entry)
        if self.record is not None:
            try:  # a ledger the bus refuses (a lease lost meanwhile) never ends the call
                self.record(entry)
            except Exception:
                entry["recorded"] = False
        return res

    names: set[str] = TOOLS  # the tools this set offers (a reviewer's is read-only: org.agents.review)

    def _call(self, tool: str, args: Any) -> ToolResult:
        if tool not in self.names:
            return ToolResult(tool, "refused", f"no tool '{tool}' (tools: {', '.join(sorted(self.names))})")
        if not isinstance(args, dict):
            return ToolResult(tool, "refused", "the arguments are a JSON object")
        try:
            self._check_args(tool, args)
        except Refused as exc:
            return ToolResult(tool, "refused", str(exc))
        d = self.decide(tool, args)
        outcome, rules = str(d.get("outcome", "deny")), list(d.get("rules") or [])
        if outcome != "allow":
            why = d.get("reason") or outcome
            return ToolResult(tool, "denied", f"denied: {why}", decision=outcome, rules=rules)
        try:
            res = getattr(self, f"_{tool}")(args)
        except Refused as exc:
            res = ToolResult(tool, "refused", str(exc))
        except OSError as exc:
            res = ToolResult(tool, "error", f"{tool} failed: {exc.strerror or exc}")
        except OrgError as exc:  # the test command's sandbox is missing, a git failure: said, not raised
            res = ToolResult(tool, "denied" if exc.exit_code == 4 else "error", f"{tool}: {exc.message}")
        res.decision, res.rules = outcome, rules
        return res

    def _check_args(self, tool: str, args: dict) -> None:
        for k, v in args.items():
            if not isinstance(v, str):
                raise Refused(f"argument '{k}' is a string")
        if "path" in args and (tool != "list_files" or args["path"]):
            self.path(args["path"], write=tool in WRITES)
        if tool == "write_file" and len(args.get("content", "").encode()) > MAX_WRITE:
            raise Refused(f"a file written at once is at most {MAX_WRITE} bytes")
        if tool == "edit_file" and len(args.get("new_text", "").encode()) > MAX_WRITE:
            raise Refused(f"new_text is at most {MAX_WRITE} bytes")

    # -- the rails -----------------------------------------------------------------------------------
    def path(self, rel: str, *, write: bool = False) -> Path:
        """The file `rel` names inside the workspace, or Refused."""
        if not rel or "\0" in rel or len(rel) > 1000:
            raise Refused("a path is a non-empty relative path inside the workspace")
        p = Path(rel)
        if p.is_absolute():
            raise Refused(f"'{rel}' is outside the workspace (paths are relative to it)")
        try:
            full = (self.root / p).resolve()
        except (OSError, RuntimeError):  # a symlink loop (RuntimeError before Python 3.13)
            raise Refused(f"'{rel}' is a symlink loop or cannot be resolved") from None
        if not full.is_relative_to(self.root):
            raise Refused(f"'{rel}' is outside the workspace")
        inside = full.relative_to(self.root).parts
        if ".git" in inside or (write and not inside):
            raise Refused(f"'{rel}' is not a file of the work (git's own files are org's)")
        return full

    # -- the tools -----------------------------------------------------------------------------------
    def _bound(self, seconds: float) -> float:
        return max(1.0, min(seconds, self.budget_s)) if self.budget_s is not None else seconds

    def _files(self, under: Path) -> list[str]:
        out: list[str] = []
        walked = 0
        for dirpath, dirs, names in os.walk(under):
            walked += 1
            if walked > MAX_DIRS:
                return out
            dirs[:] = sorted(d for d in dirs if d != ".git")
            for n in sorted(names):
                f = Path(dirpath) / n
                try:
                    if f.is_symlink() and not f.resolve().is_relative_to(self.root):
                        continue
                except (OSError, RuntimeError):  # a symlink loop: not a file of the work
                    continue
                out.append(str(f.relative_to(self.root)))
                if len(out) >= MAX_LIST:
                    return out
        return out

    def _list_files(self, a: dict) -> ToolResult:
        under = self.path(a["path"]) if a.get("path") else self.root
        files = self._files(under)
        more = " (list cut at {MAX_LIST})" if len(files) >= MAX_LIST else ""
        return ToolResult("list_files", "ok", "\n".join(files) + more)

    def _read(self, f: Path) -> str:
        if not f.is_file():
            raise Refused(f"no file '{f.relative_to(self.root)}'")
        size = f.stat().st_size
        if size > MAX_READ:
            raise Refused(f"'{f.relative_to(self.root)}' is {size} bytes; files over {MAX_READ} are not read")
        data = f.read_bytes()
        if b"\0" in data[:8192]:
            raise Refused(f"'{f.relative_to(self.root)}' is a binary file; only text files are read")
        return data.decode("utf-8", errors="replace")

    def _read_file(self, a: dict) -> ToolResult:
        return ToolResult("read_file", "ok", self._read(self.path(a["path"])))

    def _search(self, a: dict) -> ToolResult:
        pattern = a["pattern"][:500]
        if not pattern:
            raise Refused("the pattern is empty")
        regex = bool(_REGEX_SYNTAX & set(pattern))
        if regex:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise Refused(f"not a regular expression: {exc}") from None
        rels: list[str] = []
        texts: list[str] = []
        size = 0
        for rel in self._files(self.root):
            try:
                text = self._read(self.root / rel)
            except (Refused, OSError):
                continue
            size += len(text)
            if size > MAX_SEARCHED:
                break
            rels.append(rel)
            texts.append(text)
        if regex:
            found = self._regex_hits(pattern, texts)
            if isinstance(found, ToolResult):
                return found
        else:  # plain text: no pattern engine at all
            found = []
            for i, text in enumerate(texts):
                found += [[i, n] for n, line in enumerate(text.splitlines(), 1) if pattern in line[:2000]]
                if len(found) >= MAX_HITS:
                    break
        hits = []
        for i, n in found[:MAX_HITS]:
            line = texts[i].splitlines()[n - 1]
            hits.append(f"{rels[i]}:{n}: {line.strip()[:200]}")
        more = f"\n(cut at {MAX_HITS})" if len(found) >= MAX_HITS else ""
        return ToolResult("search", "ok", ("\n".join(hits) + more) if hits else "no match")

    def _regex_hits(self, pattern: str, texts: list[str]) -> list[list[int]] | ToolResult:
        """[[file index, line]] of the lines matching `pattern`, found by a child process killed after
        SEARCH_TIMEOUT (or the loop's wall time left): a runaway pattern ends the call, never the host."""
        limit = self._bound(self.search_timeout)
        data = json.dumps({"p": pattern, "f": texts, "m": MAX_HITS})
        try:
            proc = subprocess.run(
                [sys.executable, "-I", "-S", "-c", _SEARCH_CHILD],
                input=data.encode(),
                capture_output=True,
                timeout=limit,
                env={"PYTHONIOENCODING": "utf-8"},
            )
        except subprocess.TimeoutExpired:
            return ToolResult(
                "search",
                "timeout",
                f"the search did not finish in {limit:.0f} s and was stopped: the pattern backtracks too "
                "much (nested repetition like (a+)+); search for plain text or a simpler pattern",
            )
        if proc.returncode != 0:
            raise Refused(f"the search failed: {proc.stderr.decode(errors='replace').strip()[-300:]}")
        return [[int(i), int(n)] for i, n in json.loads(proc.stdout or b"[]")]

    def _write_file(self, a: dict) -> ToolResult:
        f = self.path(a["path"], write=True)
        if f.exists() and not f.is_file():
            raise Refused(f"'{a['path']}' is not a file")
        before = f.read_bytes() if f.is_file() else None
        f.parent.mkdir(parents=True, exist_ok=True)
        if not f.parent.resolve().is_relative_to(self.root):  # made through a link after the check
            raise Refused(f"'{a['path']}' is outside the workspace")
        data = a["content"].encode()
        f.write_bytes(data)
        return ToolResult(
            "write_file", "ok", f"wrote {a['path']} ({len(data)} bytes)", changed=before != data
        )

    def _edit_file(self, a: dict) -> ToolResult:
        f = self.path(a["path"], write=True)
        text = self._read(f)
        old = a["old_text"]
        n = text.count(old) if old else 0
        if n != 1:
            return ToolResult(
                "edit_file",
                "failed",
                f"the edit does not apply: old_text occurs {n} times in {a['path']} (it must occur exactly once)",
            )
        new = text.replace(old, a["new_text"], 1)
        if len(new.encode()) > MAX_WRITE:
            raise Refused(f"the edited file would be over {MAX_WRITE} bytes")
        f.write_text(new)
        return ToolResult("edit_file", "ok", f"edited {a['path']}", changed=new != text)

    def _run_tests(self, _a: dict) -> ToolResult:
        if not self.test_command:
            return ToolResult(
                "run_tests", "failed", "this repository names no test command (gates/repos.yaml)"
            )
        from org.workspaces.commands import org_hidden, run_command

        r = run_command(
            self.test_command,
            self.root,
            self._bound(self.test_timeout),
            hide=org_hidden(self.org_root) if self.org_root is not None else (),
            sandbox=self.sandbox,
            what="the test command (run_tests)",
        )
        summary = r.summary()
        self.tests = {"ok": r.ok, "summary": summary, "exit_code": r.exit_code, "timed_out": r.timed_out}
        out = r.tail[-MAX_OUTPUT:]
        if r.timed_out:
            return ToolResult("run_tests", "timeout", f"the tests did not finish: {summary}\n{out}")
        return ToolResult("run_tests", "ok" if r.ok else "failed", f"{summary}\n{out}")

    def _submit(self, a: dict) -> ToolResult:
        return ToolResult("submit", "ok", a.get("summary", "")[:2000])
