"""The README's commands exist: the quick start has exactly two commands, and every `org ...`
command the README shows is a real command of the CLI (checked with --help, no side effects, through the
console script's own entry in this interpreter: a subprocess per command cost ~7 s of the README's command)."""

from __future__ import annotations

import re

from tests.helpers import REPO, org_in_process


def _blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, re.S)


def test_quick_start_has_the_two_commands():
    text = (REPO / "README.md").read_text()
    start = re.search(r"^## Quick start$", text, re.M)
    assert start, "README needs a 'Quick start' section"
    block = _blocks(text[start.end() :])[0]
    cmds = [ln.split("#")[0].strip() for ln in block.splitlines() if ln.split("#")[0].strip()]
    assert cmds == [".ci/dev org demo", ".ci/dev pytest -q"]
    assert (REPO / ".ci" / "dev").stat().st_mode & 0o111, ".ci/dev must be executable"


def test_every_org_command_in_the_readme_exists():
    text = (REPO / "README.md").read_text()
    commands: set[tuple[str, ...]] = set()
    for block in _blocks(text):
        for line in block.splitlines():
            line = line.split("  #")[0]
            for m in re.finditer(
                r"(?:\.ci/dev |^)org ((?:[a-z][a-z-]*[a-z])(?: (?:new|accept|supersede|list|show|search|check|add|verify|issue|revoke|use))?)",
                line,
            ):
                commands.add(tuple(m.group(1).split()))
    assert ("demo",) in commands and ("validate",) in commands
    missing = []
    for cmd in sorted(commands):
        r = org_in_process(*cmd, "--help")
        if r.returncode != 0 or f"Usage: org {' '.join(cmd)}" not in " ".join(r.stdout.split()):
            missing.append(f"org {' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()[:200]}")
    assert not missing, "\n".join(missing)
