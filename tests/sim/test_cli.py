"""`org sim` through the console script's entry (run_app) in this process: list, run, --json, --compare, --chart, progress, errors."""

from __future__ import annotations

import json

from tests.helpers import org_in_process, run_org

SHORT = ["--set", "duration=1d", "--set", "warmup=0"]


def test_lists_the_shipped_scenarios():
    r = run_org("sim")
    assert r.returncode == 0, r.stderr
    assert "scaling" in r.stdout and "review-same-family" in r.stdout
    r = run_org("sim", "--list", "--json")
    names = [s["name"] for s in json.loads(r.stdout)["scenarios"]]
    assert "approval-cap" in names and "mmc" in names


def test_run_json_is_one_document_and_progress_stays_off():
    r = org_in_process("sim", "review-cross-vendor", *SHORT, "--seed", "3", "--json", "--progress")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    run = doc["run"]
    assert doc["ok"] and run["seed"] == 3 and run["tasks"]["done"] > 0
    assert {
        "throughput_per_day",
        "cycle_time_hours",
        "approval",
        "defects",
        "catches",
        "rework",
        "rate_limits",
        "cost",
        "utilisation",
        "little",
    } <= set(run)
    assert r.stderr == ""


def test_table_with_progress_on_stderr():
    r = org_in_process("sim", "mmc", "--set", "duration=60d", "--progress")
    assert r.returncode == 0, r.stderr
    for label in (
        "throughput",
        "cycle time",
        "human approvals",
        "defects",
        "rate limits",
        "utilisation",
        "Little's law",
    ):
        assert label in r.stdout
    assert "sim mmc" in r.stderr and "100%" in r.stderr


def test_compare_prints_both_and_the_deltas():
    r = org_in_process("sim", "review-cross-vendor", "--compare", "review-same-family", *SHORT)
    assert r.returncode == 0, r.stderr
    head = r.stdout.splitlines()[0]
    assert "review-cross-vendor" in head and "review-same-family" in head and "delta" in head
    assert "escaped defects /100 done" in r.stdout
    r = org_in_process("sim", "ceremony-light", "--compare", "ceremony-full", *SHORT, "--json")
    doc = json.loads(r.stdout)
    rows = {row["label"]: row for row in doc["compare"]["rows"]}
    assert rows["human jobs per done"]["b"] > rows["human jobs per done"]["a"]
    assert doc["a"]["scenario"] == "ceremony-light" and doc["b"]["scenario"] == "ceremony-full"


def test_chart_sweeps_and_draws_with_plotext():
    r = org_in_process(
        "sim",
        "scaling",
        "--chart",
        "--sweep",
        "org.lanes.builder.agents=1,4",
        "--set",
        "duration=12h",
        "--set",
        "warmup=0",
    )
    assert r.returncode == 0, r.stderr
    assert "throughput_per_day vs org.lanes.builder.agents" in r.stdout
    assert (
        "┤" in r.stdout and "└" in r.stdout and "\x1b[" not in r.stdout
    )  # a plotext frame, no colour codes in a pipe
    # without a sweep, --chart draws the run over time: throughput, cycle time, utilisation and queues
    r = org_in_process("sim", "review-cross-vendor", "--chart", *SHORT)
    assert r.returncode == 0, r.stderr
    for title in ("throughput (done per day)", "cycle time of tasks finished", "utilisation", "queue"):
        assert title in r.stdout
    assert "bottleneck:" in r.stdout


def test_chart_of_a_replicated_two_parameter_sweep_has_error_bars():
    r = org_in_process(
        "sim",
        "baseline",
        "--chart",
        "--sweep",
        "org.lanes.builder.agents=1,2",
        "--sweep",
        "workload.load=0.5,1",
        "--seeds",
        "2",
        "--set",
        "duration=1d",
        "--set",
        "warmup=0",
    )
    assert r.returncode == 0, r.stderr
    assert "95% intervals" in r.stdout and "builder=1" in r.stdout and "builder=2" in r.stdout


def test_errors_have_exit_codes_and_file_lines(tmp_path, org_copy):
    r = org_in_process("sim", "no-such-scenario")
    assert r.returncode == 3 and "no scenario 'no-such-scenario'" in r.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("workload:\n  streams:\n    - {name: a, workflow: change, per_hour: -1}\n")
    r = org_in_process("sim", str(bad), "--json")
    assert r.returncode == 2
    doc = json.loads(r.stdout)
    assert doc["error"] == "config" and doc["problems"][0]["line"] == 3
    assert doc["problems"][0]["path"] == "workload.streams.0.per_hour"
    r = org_in_process("sim", "review-cross-vendor", "--set", "pacing.mode=fast")
    assert r.returncode == 2 and "--set: pacing.mode" in r.stderr and "Traceback" not in r.stderr
    r = org_in_process("sim", "review-cross-vendor", *SHORT, "--org", str(org_copy))
    assert r.returncode == 0, r.stderr
