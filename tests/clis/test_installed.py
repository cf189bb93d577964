"""A live test of a CLI that is not installed skips with the way to install it, except under CI, where .ci/run
installs the CLIs and a missing one fails the run."""

from __future__ import annotations

import pytest

from tests.clis.installed import cli_path, find, require


def test_a_missing_cli_skips_outside_ci_and_fails_in_ci(monkeypatch, tmp_path):
    monkeypatch.setenv("ORG_CLI_AIDER", str(tmp_path / "no-such-aider"))
    assert find("aider") is None
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"\.ci/clis/install aider"):
        require("aider")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="aider is not installed"):
        require("aider")


def test_a_named_executable_is_used_and_its_folder_is_the_search_path(monkeypatch, tmp_path):
    exe = tmp_path / "venv" / "bin" / "mini"
    exe.parent.mkdir(parents=True)
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    monkeypatch.setenv("ORG_CLI_MINI", str(exe))
    assert require("mini") == exe and cli_path("mini") == str(exe.parent)
    exe.chmod(0o644)  # not executable: not a CLI
    assert find("mini") is None
