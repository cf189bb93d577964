"""`runtime:` on a lane member: validated by `org validate` (FILE:LINE, exit 2); a CLI member's CLI reported at
`org validate` (a warning at the member's line), `org doctor` (--json) and at `org run`'s start (refused)."""

from __future__ import annotations

import json

import pytest

from tests.agents.clis.conftest import DATA, install_fake
from tests.config.config_tools import edit, line_of, validate_in_process
from tests.helpers import org_in_process, starter_org

B = "lanes/builder.yaml"
GPT = "  - {id: build-gpt, model: openai/gpt-5}"


@pytest.fixture
def org(tmp_path):
    return starter_org(tmp_path / "org")


@pytest.mark.parametrize(
    "member,path,contains",
    [
        ("{id: build-gpt, model: openai/gpt-5, runtime: vim}", "members.1.runtime", "claude"),
        ("{id: build-gpt, model: openai/gpt-5, runtime: command}", "members.1", "needs 'command"),
        (
            "{id: build-gpt, model: openai/gpt-5, runtime: aider, command: {run: x, done: y}}",
            "members.1",
            "only for runtime: command",
        ),
        (
            '{id: build-gpt, model: openai/gpt-5, runtime: command, command: {run: "x --key {api_key}", done: OK}}',
            "members.1.command.run",
            "not a field of a command template",
        ),
        (
            '{id: build-gpt, model: openai/gpt-5, runtime: command, command: {run: "x \'unclosed", done: OK}}',
            "members.1.command.run",
            "cannot be split",
        ),
        (
            '{id: build-gpt, model: openai/gpt-5, runtime: command, command: {run: "x", done: ""}}',
            "members.1.command.done",
            "at least 1",
        ),
        (
            '{id: build-gpt, model: openai/gpt-5, runtime: command, command: {run: "x", done: OK, shell: true}}',
            "members.1.command.shell",
            "unknown field",
        ),
    ],
)
def test_a_bad_runtime_is_reported_at_its_line_and_exits_2(org, member, path, contains):
    edit(org, B, GPT, f"  - {member}  # MARK")
    v = validate_in_process(org)
    assert v.rc == 2 and v.out == ""
    v.find(B, line_of(org, B, "# MARK"), path, contains)


def test_a_human_member_has_no_runtime(org):
    rel = "lanes/approver.yaml"
    text = (org / rel).read_text()
    first = next(ln for ln in text.splitlines() if ln.strip().startswith("- {id:"))
    edit(org, rel, first, first.replace("}", ", runtime: claude}") + "  # MARK")
    v = validate_in_process(org)
    assert v.rc == 2
    v.find(rel, line_of(org, rel, "# MARK"), None, "no agent runtime")


def test_a_good_runtime_validates_and_a_missing_cli_is_a_warning_at_the_members_line(
    org, monkeypatch, tmp_path
):
    edit(org, B, GPT, "  - {id: build-gpt, model: openai/gpt-5, runtime: aider}  # MARK")
    monkeypatch.setenv("ORG_CLI_PATH", str(tmp_path / "nowhere"))
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    v = org_in_process("--root", str(org), "validate")
    assert v.returncode == 0, v.stderr
    line = line_of(org, B, "# MARK")
    assert f"warning: {B}:{line}: build-gpt (runtime: aider): 'aider' is not installed" in v.stderr, v.stderr
    r = org_in_process("--root", str(org), "--json", "validate")
    doc = json.loads(r.stdout)
    (row,) = doc["runtimes"]
    assert row["actor"] == "build-gpt" and row["presence"]["installed"] is False and row["problem"]


def test_an_installed_cli_of_an_unknown_version_is_a_warning_and_doctor_lists_where(
    org, monkeypatch, tmp_path
):
    edit(org, B, GPT, "  - {id: build-gpt, model: openai/gpt-5, runtime: aider}  # MARK")
    src = tmp_path / "t.jsonl"
    src.write_text('{"version": "aider 0.99.0"}\n')
    exe = install_fake(tmp_path / "cli", "aider", src)
    monkeypatch.setenv("ORG_CLI_PATH", str(exe.parent))
    v = org_in_process("--root", str(org), "validate")
    assert (
        v.returncode == 0
        and "0.99.0" in v.stderr
        and "not a version the aider adapter was tested with" in v.stderr
    )
    r = org_in_process("--root", str(org), "--json", "doctor")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    aider = next(c for c in doc["clis"] if c["runtime"] == "aider")
    assert aider["path"] == str(exe) and aider["version"] == "0.99.0" and aider["known_version"] is False
    assert aider["protocol"] is None and "diff guard" in aider["controls"]
    claude = next(c for c in doc["clis"] if c["runtime"] == "claude")
    assert claude["protocol"] and "decide()" in claude["controls"]
    assert [m["actor"] for m in doc["members"]] == ["build-gpt"]


def test_org_run_refuses_to_start_when_a_served_members_cli_is_missing(org, monkeypatch, tmp_path):
    edit(org, B, GPT, "  - {id: build-gpt, model: openai/gpt-5, runtime: codex}  # MARK")
    monkeypatch.setenv("ORG_CLI_PATH", str(tmp_path / "nowhere"))
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    r = org_in_process("--root", str(org), "run", "--lane", "builder")
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "build-gpt (runtime: codex)" in r.stderr and "not installed" in r.stderr
    assert f"{B}:{line_of(org, B, '# MARK')}" in r.stderr


def test_the_fake_clis_say_the_versions_their_adapters_were_tested_with():
    """Each transcript's --version is a version its adapter names (the fakes replay those versions' formats)."""
    from org.agents.clis.adapters import ADAPTERS

    for runtime, folder in {
        "claude": "claude",
        "codex": "codex",
        "opencode": "opencode",
        "aider": "aider",
    }.items():
        head = json.loads((DATA / folder / "edit.jsonl").read_text().splitlines()[0])
        assert any(v in head["version"] for v in ADAPTERS[runtime].tested), runtime
