"""The local model answering coding CLIs in their own shapes: aider's file listings and SEARCH/REPLACE blocks,
mini-swe-agent's bash turns. The conversations are built the way each CLI builds them (aider 0.86.2's repo map
and file-in-chat messages, mini-swe-agent 2.4.6's bash tool and observation template); what the model answers
is applied here as the CLI applies it (a SEARCH/REPLACE applier, real bash), and must turn the demo
repository's sender into the backoff version, the same way every time."""

from __future__ import annotations

import json
import subprocess

import pytest

from org.agents.demorepo import SAMPLE_FILES
from org.agents.localcli import SUBMIT, cli_reply, which_cli
from org.agents.localmodel import LocalModelConfig

TASK = 'Task T-1: Add retry with backoff to the webhook sender\nGate: implement\nRound: 0\nAttributes: {"kind": "code"}'
SENDER = "webhooks/sender.py"
DIFF_SYSTEM = "Act as an expert software developer.\n# *SEARCH/REPLACE block* Rules:\n"
WHOLE_SYSTEM = "Act as an expert software developer.\nYou MUST use this *file listing* format:\n"
CFG = LocalModelConfig(defect_rate=0.0)


def _repo_map() -> str:
    lines = ["Here are summaries of some files present in my git repository.", "Do not propose changes.", ""]
    for path in sorted(SAMPLE_FILES):
        lines += [f"{path}:" if path.endswith(".py") else path, "⋮", "│def something(x):", ""]
    return "\n".join(lines)


def _aider(system: str, *, added: dict[str, str] | None = None, request: str = TASK) -> list[dict]:
    msgs = [
        {"role": "system", "content": system},
        {"role": "user", "content": "Change the greeting to be more casual"},  # aider's own example turn
        {"role": "assistant", "content": "show_greeting.py\n```\nprint('hey')\n```\n"},
        {"role": "user", "content": _repo_map()},
        {"role": "assistant", "content": "Ok, I won't try and edit those files without asking first."},
    ]
    if added is not None:
        listing = "".join(f"{p}\n```\n{t}```\n\n" for p, t in added.items())
        msgs += [
            {
                "role": "user",
                "content": "I have *added these files to the chat* so you can go ahead and edit them.\n\n"
                "*Trust this message as the true contents of these files!*\n\n" + listing,
            },
            {"role": "assistant", "content": "Ok, any changes I propose will be to those files."},
        ]
    msgs.append({"role": "user", "content": request + "\n\n# *SEARCH/REPLACE block* Rules: (reminder)"})
    return msgs


def _apply_blocks(text: str, files: dict[str, str]) -> dict[str, str]:
    """aider's editblock semantics, as far as these tests need them: each SEARCH must occur, first match replaced;
    an empty SEARCH makes (or appends to) the file."""
    out = dict(files)
    parts = text.split("<<<<<<< SEARCH\n")
    for before, part in zip(parts, parts[1:], strict=False):
        path = before.rstrip().splitlines()[-2].strip()  # the path line, then the fence line
        search, rest = part.split("=======\n", 1)
        replace = rest.split(">>>>>>> REPLACE", 1)[0]
        old = out.get(path, "")
        assert search in old, f"SEARCH does not match {path}: {search!r}"
        out[path] = old.replace(search, replace, 1) if search else old + replace
    return out


def _backoff_ok(text: str) -> None:
    assert "time.sleep(delay * 2 ** attempt)" in text and "for attempt in range(retries):" in text
    compile(text, SENDER, "exec")


def test_it_tells_each_cli_by_the_shape_it_asks_for_and_leaves_other_requests_alone():
    assert which_cli(_aider(DIFF_SYSTEM), None) == "aider-diff"
    assert which_cli(_aider(WHOLE_SYSTEM), None) == "aider-whole"
    bash = [{"type": "function", "function": {"name": "bash", "parameters": {}}}]
    assert which_cli([{"role": "user", "content": TASK}], bash) == "mini"
    text = [
        {"role": "system", "content": "x"},
        {"role": "user", "content": "reply in ```mswea_bash_command\nls\n```"},
    ]
    assert which_cli(text, None) == "mini-text"
    # org's own prompts (tools of its own, JSON outputs) and a CLI that also offers other tools are not theirs
    org_tools = [{"type": "function", "function": {"name": n}} for n in ("bash", "write_file")]
    assert which_cli([{"role": "user", "content": TASK}], org_tools) is None
    assert (
        cli_reply([{"role": "user", "content": "one JSON object of type BuilderOutput"}], None, CFG) is None
    )


@pytest.mark.parametrize("system", [DIFF_SYSTEM, WHOLE_SYSTEM])
def test_aider_first_asks_for_the_file_then_edits_it_in_its_format(system):
    first = cli_reply(_aider(system), None, CFG)
    assert first is not None and first["finish"] == "stop"
    # aider adds a file whose path stands alone as a word in the reply; no edit comes before that
    assert (
        SENDER in first["content"].split()
        and "<<<<<<<" not in first["content"]
        and "```" not in first["content"]
    )
    second = cli_reply(_aider(system, added={SENDER: SAMPLE_FILES[SENDER]}), None, CFG)
    assert second is not None
    if system is DIFF_SYSTEM:
        files = _apply_blocks(second["content"], {SENDER: SAMPLE_FILES[SENDER]})
        assert set(files) == {SENDER}
        new = files[SENDER]
        assert second["content"].count("<<<<<<< SEARCH") >= 1
    else:
        body = second["content"].split(f"{SENDER}\n```\n", 1)[1]
        new = body.rsplit("```", 1)[0]
    _backoff_ok(new)
    assert new != SAMPLE_FILES[SENDER]


def test_the_same_conversation_gets_the_same_answer():
    for msgs in (_aider(DIFF_SYSTEM, added={SENDER: SAMPLE_FILES[SENDER]}), _aider(WHOLE_SYSTEM)):
        assert cli_reply(msgs, None, CFG) == cli_reply(json.loads(json.dumps(msgs)), None, CFG)


def test_search_blocks_never_match_twice_so_a_repeated_region_is_replaced_whole():
    # the region the change touches occurs twice: a short SEARCH would edit the first copy (aider replaces the
    # first match only), so the model falls back to the whole file
    doubled = SAMPLE_FILES[SENDER] + "\n\n# copy\n" + SAMPLE_FILES[SENDER].split("import time\n", 1)[1]
    reply = cli_reply(_aider(DIFF_SYSTEM, added={SENDER: doubled}), None, CFG)
    assert reply is not None
    for block in reply["content"].split("<<<<<<< SEARCH\n")[1:]:
        search = block.split("=======\n", 1)[0]
        assert doubled.count(search) == 1
    _backoff_ok(_apply_blocks(reply["content"], {SENDER: doubled})[SENDER])


def test_a_file_holding_fences_is_read_whole_from_aiders_listing():
    # aider fences a file holding ``` with a longer fence; the contents end at the matching fence only
    from org.agents.localcli import _listings

    tricky = SAMPLE_FILES[SENDER] + '\nDOC = """\n```\nnot the end\n```\n"""\n'
    added = f"I have *added these files to the chat* so you can go ahead.\n\n{SENDER}\n````\n{tricky}````\n\nb.py\n```\nx = 1\n```\n"
    assert _listings(added) == {SENDER: tricky, "b.py": "x = 1\n"}
    msgs = _aider(DIFF_SYSTEM)
    msgs.insert(-1, {"role": "user", "content": added})
    reply = cli_reply(msgs, None, CFG)
    assert reply is not None and "Please add it" not in reply["content"]
    _backoff_ok(_apply_blocks(reply["content"], {SENDER: tricky})[SENDER])


def test_a_request_without_a_task_line_changes_nothing():
    for system in (DIFF_SYSTEM, WHOLE_SYSTEM):
        reply = cli_reply(_aider(system, request="please refactor everything"), None, CFG)
        assert reply is not None and "<<<<<<<" not in reply["content"] and "```" not in reply["content"]
    bash = [{"type": "function", "function": {"name": "bash"}}]
    reply = cli_reply(
        [{"role": "system", "content": "x"}, {"role": "user", "content": "do things"}], bash, CFG
    )
    assert reply is not None
    assert json.loads(reply["tool_calls"][0]["function"]["arguments"])["command"] == "git ls-files"
    msgs = [{"role": "system", "content": "x"}, {"role": "user", "content": "do things"}, reply]
    msgs.append(
        {"role": "tool", "tool_call_id": "c", "content": json.dumps({"returncode": 0, "output": "a.py\n"})}
    )
    last = cli_reply(msgs, bash, CFG)
    assert (
        last is not None and json.loads(last["tool_calls"][0]["function"]["arguments"])["command"] == SUBMIT
    )


def _mini_run(tmp_path, text_mode: bool, tests: bool = True) -> tuple[list[str], dict[str, str]]:
    """Drive the model as mini-swe-agent does: one command per turn, run by bash in a real folder, its output
    handed back in mini's observation shape, until the submit command."""
    for path, text in SAMPLE_FILES.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "demo"],
        cwd=tmp_path,
        check=True,
    )
    task = TASK + ("\nTests: python3 -m unittest discover -s tests -t ." if tests else "")
    user = f"Please solve this issue: {task}\n\n"
    user += "Reply with one ```mswea_bash_command block." if text_mode else "Use the bash tool."
    msgs: list[dict] = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": user},
    ]
    bash = None if text_mode else [{"type": "function", "function": {"name": "bash"}}]
    commands = []
    for _ in range(10):
        # mini-swe-agent sends its latest message as content parts (the earlier ones as strings)
        sent = [*msgs[:-1], {**msgs[-1], "content": [{"type": "text", "text": msgs[-1]["content"]}]}]
        reply = cli_reply(sent, bash, CFG)
        assert reply is not None
        reply.pop("finish")
        if text_mode:
            blocks = reply["content"].split("```mswea_bash_command\n")
            assert len(blocks) == 2  # exactly one action per turn
            command = blocks[1].rsplit("\n```", 1)[0]
        else:
            assert len(reply["tool_calls"]) == 1
            command = json.loads(reply["tool_calls"][0]["function"]["arguments"])["command"]
        commands.append(command)
        msgs.append(reply)
        if command == SUBMIT:
            break
        done = subprocess.run(
            ["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        out = {"returncode": done.returncode, "output": done.stdout + done.stderr}
        if text_mode:
            msgs.append(
                {
                    "role": "user",
                    "content": f"<returncode>{done.returncode}</returncode>\n<output>\n{out['output']}</output>",
                }
            )
        else:
            msgs.append(
                {"role": "tool", "tool_call_id": reply["tool_calls"][0]["id"], "content": json.dumps(out)}
            )
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=tmp_path, capture_output=True, text=True
    ).stdout
    assert status.splitlines() == [f" M {SENDER}"], status  # the change, and nothing else
    return commands, {p: (tmp_path / p).read_text() for p in SAMPLE_FILES}


@pytest.mark.parametrize("text_mode", [False, True])
def test_mini_lists_reads_writes_tests_and_submits_and_the_change_is_real(tmp_path, text_mode):
    commands, files = _mini_run(tmp_path, text_mode)
    assert commands[0] == "git ls-files" and commands[1] == f"cat {SENDER}" and commands[-1] == SUBMIT
    assert commands[3].startswith("python3 -m unittest") and len(commands) == 5
    _backoff_ok(files[SENDER])
    assert {p for p in SAMPLE_FILES if files[p] != SAMPLE_FILES[p]} == {SENDER}
    done = subprocess.run(
        ["python3", "-m", "unittest", "discover", "-s", "tests", "-t", "."], cwd=tmp_path, capture_output=True
    )
    assert done.returncode == 0, done.stderr


def test_mini_without_a_test_command_skips_the_test_turn(tmp_path):
    commands, files = _mini_run(tmp_path, False, tests=False)
    assert len(commands) == 4 and commands[-1] == SUBMIT
    _backoff_ok(files[SENDER])


def test_the_written_file_survives_a_here_document_marker_inside_it(tmp_path):
    from org.agents.localcli import _write

    text = "line\nORG_EOF_ABCDEF12\nEOF\n'quoted' $HOME `x`\n"
    subprocess.run(["bash", "-c", _write("deep/er/f.txt", text)], cwd=tmp_path, check=True)
    assert (tmp_path / "deep/er/f.txt").read_text() == text


def test_a_rework_round_in_the_gate_line_gets_the_clean_change():
    # a seeded defect on the first attempt only: the round is read from "Gate: implement (round N)" too
    cfg = LocalModelConfig(defects={"code": ["logic"]})
    first = TASK.replace("Gate: implement\nRound: 0", "Gate: implement (round 0)")
    again = TASK.replace("Gate: implement\nRound: 0", "Gate: implement (round 1)")
    bad = cli_reply(_aider(WHOLE_SYSTEM, added={SENDER: SAMPLE_FILES[SENDER]}, request=first), None, cfg)
    good = cli_reply(_aider(WHOLE_SYSTEM, added={SENDER: SAMPLE_FILES[SENDER]}, request=again), None, cfg)
    assert bad is not None and good is not None
    assert "range(1, retries)" in bad["content"] and "range(1, retries)" not in good["content"]
