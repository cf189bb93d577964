"""Inputs that used to take the process down (issue 19, class 9): deep or huge YAML, devices and FIFOs given
as files, numbers that are not numbers. Each is exit 2 with a clear message, never a crash or a hang."""

from __future__ import annotations

import json
import os

import pytest

from tests.helpers import run_org

HANG = 60  # a hang fails the test (TimeoutExpired) instead of stalling the suite


def _clean(r):
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    assert r.returncode == 2, (r.returncode, r.stdout[-500:], r.stderr[-800:])


@pytest.mark.parametrize(
    "body",
    ids=["flow", "flow-maps", "indent", "compact"],
    argvalues=[
        "[" * 50_000 + "]" * 50_000,  # flow nesting (segfaulted the C composer)
        "a: " + "{b: " * 20_000 + "1" + "}" * 20_000,
        "".join(" " * i + "k:\n" for i in range(2_000)) + " " * 2_000 + "v\n",  # block nesting by indentation
        "x: " + "- " * 20_000 + "1\n",  # compact sequences on one line
    ],
)
def test_deep_yaml_is_refused_before_parsing(org_copy, body):
    (org_copy / "lanes" / "deep.yaml").write_text(body)
    r = run_org("validate", root=org_copy, timeout=HANG)
    _clean(r)
    assert "deep.yaml" in r.stderr and "deep" in r.stderr.lower()


def test_a_huge_yaml_file_is_refused_by_its_size(org_copy):
    with open(org_copy / "lanes" / "huge.yaml", "w") as f:
        f.write("lane: huge\n# " + "x" * 4_000_000 + "\n")
    r = run_org("validate", root=org_copy, timeout=HANG)
    _clean(r)
    assert "huge.yaml" in r.stderr and "larger than" in r.stderr


def test_a_fifo_as_a_config_file_is_refused(org_copy):
    os.mkfifo(org_copy / "lanes" / "pipe.yaml")
    r = run_org("validate", root=org_copy, timeout=HANG)
    _clean(r)
    assert "pipe.yaml" in r.stderr and "FIFO" in r.stderr


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_submit_file_and_verify_witness_read_only_regular_files(org_copy, tmp_path, special):
    path = "/dev/zero" if special == "/dev/zero" else str(tmp_path / "fifo")
    if special == "fifo":
        os.mkfifo(path)
    r = run_org(
        "submit", "1", "--verdict", "pass", "--token", "orgj_x", "--file", path, root=org_copy, timeout=HANG
    )
    _clean(r)
    assert path in r.stderr
    r = run_org("audit", "verify", "--as", "alice", "--witness", path, root=org_copy, timeout=HANG)
    _clean(r)
    assert path in r.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["claim", "--lane", "builder", "--as", "build-claude", "--wait", "nan"],
        ["claim", "--lane", "builder", "--as", "build-claude", "--wait", "inf"],
        ["claim", "--lane", "builder", "--as", "build-claude", "--wait", "-1"],
        ["claim", "--lane", "builder", "--as", "build-claude", "--lease", "nan"],
        ["claim", "--lane", "builder", "--as", "build-claude", "--lease", "1e308"],
        ["act", "deploy.production", "--task", "T-1", "--as", "alice", "--wait", "nan"],
        ["task", "list", "--limit", "-5"],
        ["task", "list", "--limit", "99999999999999999999999"],
        ["tui", "--poll", "nan"],
    ],
)
def test_numbers_are_finite_and_in_range(org_copy, args):
    r = run_org(*args, "--json", root=org_copy, timeout=HANG)
    _clean(r)
    assert json.loads(r.stdout)["error"] == "usage"


def test_a_deep_sim_set_value_is_a_usage_error(org_copy):
    r = run_org("sim", "baseline", "--set", "pacing.mode=" + "[" * 100_000, root=org_copy, timeout=HANG)
    _clean(r)
