"""What the offline local model answers the coding CLIs it serves: aider's edit formats, mini-swe-agent's bash turns.

A real CLI (aider, mini-swe-agent) sends its own prompts, not org's; the local model recognises each by the
shape it asks for and answers the way a capable model would, in that shape, so the CLI itself applies a real
change to the workspace:

    aider, edit format whole   the file that needs the change is named ("please add it to the chat"), then
                               a *file listing* of the whole new file once aider has added it
    aider, edit format diff    the same, then *SEARCH/REPLACE* blocks against the file's contents in the chat
    mini-swe-agent (v2)        one `bash` tool call per turn: list the files, read the one to change, write
                               it, run the tests the prompt names, then `echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT`
    mini-swe-agent text mode   the same commands, each in one ```mswea_bash_command block

The change itself is org.agents.localwriter's (the task's title and attributes, seeded defects and all), read
from the handover lines in the CLI's prompt ("Task T-1: title", "Gate:", "Round:", "Attributes:", "Tests:").
Every answer is a function of the conversation: the same conversation always gets the same reply.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import shlex
from typing import Any

from org.agents.localwriter import Request, _change, read_request

__all__ = ["cli_reply", "SUBMIT", "text_of", "which_cli"]

SUBMIT = "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT"  # mini-swe-agent's end of the task
_TASK = re.compile(r"\bTask ([A-Za-z][\w.]*-\d+): (.+)")
_ROUND = re.compile(r"^Gate: \S+ \(round (\d+)\)", re.M)
_TESTS = re.compile(r"^(?:Tests|Test command): (.+)$", re.M)
_ADDED = "I have *added these files to the chat*"
_SUMMARIES = "Here are summaries of some files present in my git repository."


def text_of(content: Any) -> str:
    """A message's text: a string as it is, OpenAI content parts ([{"type": "text", "text": ...}]) joined (mini-swe-agent
    sends its latest message as parts), anything else empty."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(p.get("text") or "") for p in content if isinstance(p, dict) and p.get("type") == "text"
        )
    return ""


def which_cli(messages: list[dict[str, Any]], tools: Any) -> str | None:
    """'aider-diff', 'aider-whole', 'mini' or 'mini-text' for a request in that CLI's shape; None otherwise."""
    names = [((t or {}).get("function") or {}).get("name") for t in tools or [] if isinstance(t, dict)]
    system = "\n".join(text_of(m.get("content")) for m in messages if m.get("role") == "system")
    if names == ["bash"]:
        return "mini"
    if tools:
        return None
    if "*SEARCH/REPLACE block*" in system:
        return "aider-diff"
    if "*file listing*" in system:
        return "aider-whole"
    if any("```mswea_bash_command" in text_of(m.get("content")) for m in messages[:2]):
        return "mini-text"
    return None


def cli_reply(messages: list[dict[str, Any]], tools: Any, cfg: Any) -> dict | None:
    """The assistant message for a coding CLI's request (with `finish_reason` under the key 'finish'), or None
    when the request is not one of theirs (the local model's other answers apply)."""
    cli = which_cli(messages, tools)
    if cli is None:
        return None
    users = [text_of(m.get("content")) for m in messages if m.get("role") == "user"]
    asked = next((t for t in reversed(users) if _task_line(t)), "")
    r = _request(asked)
    if cli.startswith("aider"):
        return {
            "role": "assistant",
            "content": _aider(r, messages, cli == "aider-diff", cfg),
            "finish": "stop",
        }
    return _mini(r, messages, asked, cli == "mini-text", cfg)


def _task_line(text: str) -> re.Match[str] | None:
    return next((m for line in text.splitlines() if (m := _TASK.search(line))), None)


def _request(asked: str) -> Request:
    """The handover lines of the CLI's prompt read as org's own prompt would be (localwriter.read_request)."""
    lines = asked.splitlines()
    m = _task_line(asked)
    if m is not None:
        at = next(i for i, ln in enumerate(lines) if _TASK.search(ln))
        lines[at] = f"Task {m.group(1)}: {m.group(2).strip()}"
    r = read_request([{"role": "user", "content": "\n".join(lines)}])
    rework = _ROUND.search(asked)  # "Gate: implement (round 1)", as org's CLI prompt says it
    if rework and not r.round:
        r.round = int(rework.group(1))
    return r


# -- aider ---------------------------------------------------------------------------------------------------
def _aider_files(messages: list[dict[str, Any]]) -> tuple[list[str], dict[str, str]]:
    """(the repository's files from aider's repo map, {path: contents} of the files aider added to the chat)."""
    listed: list[str] = []
    in_chat: dict[str, str] = {}
    for m in messages:
        text = text_of(m.get("content"))
        if m.get("role") != "user":
            continue
        if text.startswith(_SUMMARIES):
            for line in text.splitlines()[1:]:
                if line and not line[0].isspace() and line[0] not in "│⋮" and " " not in line.rstrip(":"):
                    listed.append(line.rstrip(":"))
        elif text.startswith(_ADDED):
            in_chat = _listings(text)
    return listed, in_chat


def _listings(text: str) -> dict[str, str]:
    """{path: contents} of aider's file listings: a path alone on a line, a fence, the contents, the fence."""
    lines = text.splitlines(keepends=True)
    out: dict[str, str] = {}
    i = 0
    while i < len(lines) - 1:
        path, fence = lines[i].strip(), lines[i + 1].strip()
        if path and " " not in path and fence.startswith("```") and set(fence) == {"`"}:
            end = next((j for j in range(i + 2, len(lines)) if lines[j].strip() == fence), None)
            if end is not None:
                out[path] = "".join(lines[i + 2 : end])
                i = end + 1
                continue
        i += 1
    return out


def _aider(r: Request, messages: list[dict[str, Any]], diff: bool, cfg: Any) -> str:
    if not r.title:
        return "Which task should I work on? I see no 'Task <id>: <title>' line in the request."
    listed, in_chat = _aider_files(messages)
    path, body, summary = _change(r, cfg, sorted(set(listed) | set(in_chat)))
    new = "\n".join(body) + "\n"
    if path in listed and path not in in_chat:  # aider adds a file the reply names, and asks again
        return f"This is the file that needs to change:\n\n{path}\n\nPlease add it to the chat."
    if not diff:
        return f"{summary}\n\n{path}\n```\n{new}```\n"
    old = in_chat.get(path, "")
    blocks = "".join(
        f"{path}\n```python\n<<<<<<< SEARCH\n{a}=======\n{b}>>>>>>> REPLACE\n```\n\n"
        for a, b in _hunks(old, new)
    )
    return f"{summary}\n\n{blocks}"


def _hunks(old: str, new: str) -> list[tuple[str, str]]:
    """SEARCH/REPLACE pairs turning `old` into `new`: one per changed region with a line of context, each
    SEARCH occurring exactly once in `old`; else one block of the whole file (an empty SEARCH makes a file)."""
    if not old:
        return [("", new)]
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    pairs = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(1):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        search, replace = "".join(a[i1:i2]), "".join(b[j1:j2])
        if not search.strip() or old.count(search) != 1:
            return [(old, new)]
        pairs.append((search, replace))
    return pairs or [(old, new)]


# -- mini-swe-agent ------------------------------------------------------------------------------------------
def _observation(text: str) -> str:
    """The command output in a mini-swe-agent observation (its JSON template, or <output> tags)."""
    try:
        doc = json.loads(text)
        if isinstance(doc, dict):
            return str(doc.get("output") or doc.get("output_head") or "")
    except ValueError:
        pass
    m = re.search(r"<output>\n?(.*?)</output>", text, re.S)
    return m.group(1) if m else text


def _mini(r: Request, messages: list[dict[str, Any]], asked: str, text_mode: bool, cfg: Any) -> dict:
    turns = [i for i, m in enumerate(messages) if m.get("role") == "assistant"]
    step = len(turns)
    files: list[str] = []
    if turns:  # the first command listed the files: its observation follows the first turn
        after = next((m for m in messages[turns[0] + 1 :] if m.get("role") in ("tool", "user")), None)
        out = _observation(text_of((after or {}).get("content")))
        files = [ln.strip() for ln in out.splitlines() if ln.strip() and " " not in ln.strip()]
    plan: list[tuple[str, str]] = [("I start by listing the files of the repository.", "git ls-files")]
    if r.title:
        path, body, summary = _change(r, cfg, files)
        if path in files:
            plan.append(
                (f"{path} is the file this task is about; I read it first.", f"cat {shlex.quote(path)}")
            )
        plan.append((f"{summary} I write the new version of {path}.", _write(path, "\n".join(body) + "\n")))
        tests = _TESTS.search(asked)
        if tests:
            plan.append(("I run the repository's tests.", tests.group(1).strip()))
        plan.append(("The change is made; I submit it.", SUBMIT))
    else:
        plan.append(
            ("I see no 'Task <id>: <title>' line in the task, so there is nothing to change.", SUBMIT)
        )
    thought, command = plan[min(step, len(plan) - 1)]
    if text_mode:
        content = f"THOUGHT: {thought}\n\n```mswea_bash_command\n{command}\n```"
        return {"role": "assistant", "content": content, "finish": "stop"}
    call = {
        "id": f"call_{step}_bash",
        "type": "function",
        "function": {"name": "bash", "arguments": json.dumps({"command": command})},
    }
    return {"role": "assistant", "content": thought, "tool_calls": [call], "finish": "tool_calls"}


def _write(path: str, text: str) -> str:
    """A shell command that writes `text` to `path` (its folder made), by a here-document whose end marker the
    text does not hold."""
    mark = "ORG_EOF_" + hashlib.sha256(text.encode()).hexdigest()[:8].upper()
    folder = path.rsplit("/", 1)[0] if "/" in path else ""
    mk = f"mkdir -p {shlex.quote(folder)} && " if folder else ""
    return f"{mk}cat > {shlex.quote(path)} <<'{mark}'\n{text}{mark}"
