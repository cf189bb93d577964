"""Every kind of bad config is reported by the real `org validate` as FILE:LINE: path: message, exit 2.

Each case breaks a copy of the default org on purpose; the expected line is computed from the
edited file (the line holding a marker), so the assertion is exact without hard-coding numbers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.config.config_tools import edit, line_of, validate, validate_in_process
from tests.helpers import starter_org

B, R, S, A = "lanes/builder.yaml", "lanes/reviewer.yaml", "lanes/security.yaml", "lanes/approver.yaml"
CH, OPS, RULES, RISK = "gates/change.yaml", "gates/ops.yaml", "gates/rules.yaml", "gates/risk.yaml"


CASES: dict = {}


def case(setup):
    """Register a case: `setup(org)` breaks a copy of the default org and returns `check(verdict)`."""
    CASES[setup.__name__] = setup
    return setup


def expect(org, file, marker, path, contains, nth=1):
    """The usual check: exit 2, nothing on stdout, and this problem at the line holding `marker`."""

    def check(v):
        assert v.rc == 2, v.err
        assert v.out == ""
        v.find(file, line_of(org, file, marker, nth), path, contains)

    return check


# The cases also run as real `python -m org validate` processes, whose exit code, stdout and stderr
# must equal the in-process run's: reading YAML, a missing folder, a proof, many problems, success.
REAL_PROCESS = (
    "tab_indentation",
    "not_utf8",
    "missing_gates_folder",
    "invalid_yaml",
    "bypass_is_reported_with_the_path",
    "validate_reports_every_problem_at_once",
    "unknown_family_with_override_is_fine",
)


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory):
    """Break one copy of the default org per case, then run `org validate` on each through the CLI's
    entry in this interpreter (a fresh interpreter per case costs ~0.5 s of imports and proves no more:
    the REAL_PROCESS cases check the two agree), and the REAL_PROCESS ones in real processes too."""
    prepared = {}
    for name, setup in CASES.items():
        org = tmp_path_factory.mktemp(name)
        starter_org(org)  # the org `org init` makes (issue 20: fixtures never copy the project's own adrs/)
        prepared[name] = (org, setup(org))
    with ThreadPoolExecutor(max_workers=4) as pool:
        real = dict(
            zip(REAL_PROCESS, pool.map(validate, [prepared[n][0] for n in REAL_PROCESS]), strict=True)
        )
    return {
        name: (check, validate_in_process(org), real.get(name)) for name, (org, check) in prepared.items()
    }


@case
def tab_indentation(org):
    edit(org, B, "  - code.write\n", "\t- code.write  # TAB\n")
    return expect(org, B, "# TAB", "", "tab used for indentation")


@case
def every_tab_line_is_reported(org):
    edit(org, B, "  - code.write\n", "\t- code.write  # TAB1\n")
    edit(org, B, "  - test.run\n", "\t- test.run  # TAB2\n")

    def check(v):
        expect(org, B, "# TAB1", "", "tab")(v)
        v.find(B, line_of(org, B, "# TAB2"), "", "tab")

    return check


@case
def duplicate_key(org):
    edit(org, B, "concurrency: 2\n", "concurrency: 2\nconcurrency: 3  # DUP\n")

    def check(v):
        expect(org, B, "# DUP", "concurrency", "duplicate key")(v)
        assert f"first defined on line {line_of(org, B, 'concurrency: 2')}" in v.err

    return check


@case
def duplicate_key_nested(org):
    edit(org, CH, "    quorum: 1\n", "    quorum: 1\n    quorum: 2  # DUP\n")
    return expect(org, CH, "# DUP", "gates.correctness.quorum", "duplicate key")


@case
def wrong_type(org):
    edit(org, CH, "    quorum: 1\n", "    quorum: two  # BAD\n")
    return expect(org, CH, "# BAD", "gates.correctness.quorum", "valid integer")


@case
def wrong_type_list_expected(org):
    edit(org, CH, "    after: [spec]\n", "    after: spec  # BAD\n")
    return expect(org, CH, "# BAD", "gates.implement.after", "valid list")


@case
def wrong_literal(org):
    edit(
        org,
        CH,
        "    kind: work\n    lane: builder\n    after: [spec]",
        "    kind: labour  # BAD\n    lane: builder\n    after: [spec]",
    )
    return expect(org, CH, "# BAD", "gates.implement.kind", "'work'")


@case
def unknown_field(org):
    edit(org, CH, "    quorum: 1\n", "    quorum: 1\n    colour: blue  # UNKNOWN\n")
    return expect(org, CH, "# UNKNOWN", "gates.correctness.colour", "unknown field")


@case
def unknown_field_in_member(org):
    edit(
        org,
        B,
        "  - {id: build-gpt, model: openai/gpt-5}",
        "  - {id: build-gpt, model: openai/gpt-5, temperature: 2}  # X",
    )
    return expect(org, B, "# X", "members.1.temperature", "unknown field")


@case
def missing_gates_folder(org):
    shutil.rmtree(org / "gates")

    def check(v):
        assert v.rc == 2
        v.find(str(org / "gates"), 0, "", "folder not found")

    return check


def test_missing_lanes_folder_with_explicit_root(org, org_cli):
    shutil.rmtree(org / "lanes")
    r = org_cli("--root", str(org), "validate")
    assert r.returncode == 2 and f"{org / 'lanes'}: folder not found" in r.stderr


@case
def missing_risk_file(org):
    (org / RISK).unlink()

    def check(v):
        assert v.rc == 2
        v.find(RISK, 0, "", "no risk model found")

    return check


def test_no_org_anywhere_is_a_usage_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "ORG_ROOT"}
    r = subprocess.run(
        [sys.executable, "-m", "org", "validate"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert r.returncode == 2 and "no org found" in r.stderr and "Traceback" not in r.stderr


@case
def empty_file(org):
    (org / "lanes" / "extra.yaml").write_text("")
    return expect(org, "lanes/extra.yaml", "", "", "file is empty")


@case
def comment_only_file(org):
    (org / "gates" / "extra.yaml").write_text("# nothing here\n\n")
    return expect(org, "gates/extra.yaml", "# nothing", "", "file is empty")


@case
def invalid_yaml(org):
    edit(org, B, "  - test.run\n", "  - test.run\n  - [unclosed  # BAD\n")

    def check(v):
        assert v.rc == 2
        (p,) = v.problems
        assert p[0] == B and "invalid YAML" in p[3]
        # reported where the [ opens, not where PyYAML noticed it was never closed
        assert p[1] == line_of(org, B, "# BAD")

    return check


@case
def unclosed_flow_mapping_at_the_end(org):
    (org / "gates" / "extra.yaml").write_text("credentials:\n  a: {service: a,  # OPEN\n\n\n")
    return expect(org, "gates/extra.yaml", "# OPEN", "", "invalid YAML")


@case
def mapping_value_where_none_is_allowed(org):
    edit(org, B, "purpose: Writes", "purpose: Writes: specs  # COLON")
    return expect(org, B, "# COLON", "", "mapping values are not allowed")


@case
def invalid_yaml_bad_indent(org):
    edit(org, B, "kind: agent\n", "kind: agent\n   purpose2: x  # BAD\n")

    def check(v):
        assert v.rc == 2 and v.problems[0][0] == B and "invalid YAML" in v.problems[0][3]
        assert v.problems[0][1] == line_of(org, B, "# BAD")

    return check


@case
def not_utf8(org):
    (org / "lanes" / "extra.yaml").write_bytes(b"lane: x\npurpose: caf\xe9\n")
    return expect(org, "lanes/extra.yaml", "purpose", "", "not valid UTF-8")


@case
def control_character(org):
    (org / "lanes" / "extra.yaml").write_text("lane: x\nkind: agent\npurpose: bell\x07 here\n")
    return expect(org, "lanes/extra.yaml", "purpose", "", "invalid YAML")


@case
def several_documents(org):
    (org / "lanes" / "extra.yaml").write_text("lane: x\n---\nlane: y  # SECOND\n")
    return expect(org, "lanes/extra.yaml", "lane: y", "", "one YAML document per file")


@case
def top_level_not_a_mapping(org):
    (org / "gates" / "extra.yaml").write_text("- just\n- a list\n")
    return expect(org, "gates/extra.yaml", "- just", "", "expected a mapping")


@case
def unrecognised_gates_file(org):
    (org / "gates" / "extra.yaml").write_text("colour: blue\n")
    return expect(org, "gates/extra.yaml", "colour", "", "unrecognised file")


@case
def merge_keys_rejected(org):
    (org / "gates" / "extra.yaml").write_text(
        "credentials:\n  a: &x {service: a, env: A}\n  b:\n    <<: *x  # MERGE\n"
    )
    return expect(org, "gates/extra.yaml", "# MERGE", "credentials.b", "merge keys")


@case
def unknown_lane_reference(org):
    edit(
        org,
        CH,
        "    lane: reviewer\n    after: [implement]\n    quorum: 1",
        "    lane: reviewers  # TYPO\n    after: [implement]\n    quorum: 1",
    )
    return expect(org, CH, "# TYPO", "gates.correctness.lane", "unknown lane 'reviewers'")


@case
def unknown_gate_reference(org):
    edit(
        org,
        CH,
        "    after: [correctness, security]\n",
        "    after:\n      - correctness\n      - securty  # TYPO\n",
    )
    return expect(org, CH, "# TYPO", "gates.design.after.1", "unknown gate 'securty'")


@case
def unknown_tier_reference(org):
    edit(
        org,
        CH,
        "    tiers: [medium, high]\n    description: Write down",
        "    tiers: [medium, hihg]  # TYPO\n    description: Write down",
    )
    return expect(org, CH, "# TYPO", "gates.spec.tiers.1", "unknown tier 'hihg'")


@case
def unknown_tier_in_classify(org):
    edit(
        org,
        RISK,
        "      tier: high\n      title: Anything that touches production",
        "      tier: urgent  # TYPO\n      title: Anything that touches production",
    )
    return expect(org, RISK, "# TYPO", "risk.classify.2.tier", "unknown tier 'urgent'")


@case
def unknown_default_tier(org):
    edit(org, RISK, "  default: medium\n", "  default: normal  # TYPO\n")
    return expect(org, RISK, "# TYPO", "risk.default", "unknown tier 'normal'")


@case
def on_fail_to_a_review_gate(org):
    edit(
        org,
        CH,
        "    tiers: [high]\n    description: Does it fit",
        "    on_fail: correctness  # BAD\n    tiers: [high]\n    description: Does it fit",
    )

    def check(v):
        assert v.rc == 2
        # the design gate already has an on_fail: the duplicate key is reported at its exact line
        v.find(CH, line_of(org, CH, "# BAD"), "gates.design.on_fail", "duplicate key")

    return check


@case
def on_fail_must_be_a_work_gate(org):
    edit(
        org,
        CH,
        "    on_fail: implement\n    tiers: [high]",
        "    on_fail: correctness  # BAD\n    tiers: [high]",
    )
    return expect(org, CH, "# BAD", "gates.design.on_fail", "rework goes to a work gate")


@case
def condition_value_not_declared(org):
    edit(
        org,
        RULES,
        "    when: {attr: environment, eq: production}\n",
        "    when: {attr: environment, eq: prod}  # BAD\n",
    )
    return expect(org, RULES, "# BAD", "consequential.2.when.eq", "'prod' is not a value of 'environment'")


@case
def condition_without_test(org):
    edit(org, RULES, "    when: {attr: via, ne: pipeline}\n", "    when: {attr: via}  # BAD\n")
    return expect(org, RULES, "# BAD", "red.1.when", "exactly one test")


@case
def condition_with_two_tests(org):
    edit(
        org,
        RULES,
        "    when: {attr: via, ne: pipeline}\n",
        "    when: {attr: via, ne: pipeline, eq: manual}  # BAD\n",
    )
    return expect(org, RULES, "# BAD", "red.1.when", "exactly one test")


@case
def condition_unknown_operator(org):
    edit(
        org,
        RULES,
        "    when: {attr: via, ne: pipeline}\n",
        "    when: {attr: via, matches: 'pipe.*'}  # BAD\n",
    )
    return expect(org, RULES, "# BAD", "red.1.when.matches", "unknown field")


@case
def condition_python_expression_is_not_a_condition(org):
    edit(org, RULES, "    when: {attr: via, ne: pipeline}\n", "    when: \"via != 'pipeline'\"  # BAD\n")
    return expect(org, RULES, "# BAD", "red.1.when", "")


@case
def condition_unknown_attribute(org):
    edit(
        org,
        RULES,
        "        - {attr: credential, exists: true}\n        - {attr: credential_service, ne_attr: service}",
        "        - {attr: credential, exists: true}\n        - {attr: credential_service, ne_attr: servce}  # TYPO",
    )
    return expect(org, RULES, "# TYPO", "red.0.when.all.1.ne_attr", "unknown attribute 'servce'")


@case
def condition_bool_compared_with_string(org):
    edit(
        org,
        RULES,
        "    when: {attr: irreversible, eq: true}\n",
        "    when: {attr: irreversible, eq: 'yes'}  # BAD\n",
    )
    return expect(org, RULES, "# BAD", "consequential.0.when.eq", "is a bool")


@case
def exemption_key_in_lane(org):
    edit(org, S, "concurrency: 2\n", "concurrency: 2\nexempt: [RED-CREDENTIAL-REUSE]  # EXEMPT\n")
    return expect(org, S, "# EXEMPT", "exempt", "org has no exemptions")


@case
def exemption_key_in_rule(org):
    edit(org, RULES, "    adr: 7\n", "    adr: 7\n    unless_lane: security  # EXEMPT\n")
    return expect(org, RULES, "# EXEMPT", "red.1.unless_lane", "org has no exemptions")


@case
def exemption_key_in_gate(org):
    edit(org, CH, "    quorum: 1\n", "    quorum: 1\n    bypass_for: [security]  # EXEMPT\n")
    return expect(org, CH, "# EXEMPT", "gates.correctness.bypass_for", "org has no exemptions")


@case
def rule_reading_actor_is_an_exemption(org):
    edit(
        org,
        RULES,
        "    when: {attr: via, ne: pipeline}\n",
        "    when:\n      all:\n        - {attr: via, ne: pipeline}\n        - {attr: actor, ne: sec-gemini}  # WHO\n",
    )
    return expect(org, RULES, "# WHO", "red.1.when.all.1.attr", "rules cannot depend on who acts")


@case
def rule_reading_lane_through_eq_attr(org):
    edit(org, RULES, "    when: {attr: via, ne: pipeline}\n", "    when: {attr: via, ne_attr: lane}  # WHO\n")
    return expect(org, RULES, "# WHO", "red.1.when.ne_attr", "rules cannot depend on who acts")


@case
def classify_reading_actor(org):
    edit(org, RISK, "      when: {attr: kind, eq: docs}\n", "      when: {attr: lane, eq: security}  # WHO\n")
    return expect(org, RISK, "# WHO", "risk.classify.0.when.attr", "rules cannot depend on who acts")


@case
def classify_reading_tier(org):
    edit(org, RISK, "      when: {attr: kind, eq: docs}\n", "      when: {attr: tier, eq: low}  # CIRCULAR\n")
    return expect(org, RISK, "# CIRCULAR", "risk.classify.0.when.attr", "cannot read 'tier'")


@case
def agent_member_without_model(org):
    edit(org, B, "  - {id: build-gpt, model: openai/gpt-5}", "  - {id: build-gpt}  # NOMODEL")
    return expect(org, B, "# NOMODEL", "members.1.model", "needs a 'model'")


@case
def agent_member_with_unknown_family(org):
    edit(
        org,
        B,
        "  - {id: build-gpt, model: openai/gpt-5}",
        "  - id: build-local\n    model: ollama/my-own-model  # FAMILY",
    )
    return expect(org, B, "# FAMILY", "members.1.model", "add 'family:")


@case
def unknown_family_with_override_is_fine(org):
    edit(
        org,
        B,
        "  - {id: build-gpt, model: openai/gpt-5}",
        "  - {id: build-local, model: ollama/my-own-model, family: meta}",
    )

    def check(v):
        assert v.rc == 0, v.err

    return check


@case
def human_member_with_model(org):
    edit(org, A, "  - {id: bob, name: Bob Example}", "  - id: bob\n    model: openai/gpt-5  # MODEL")
    return expect(org, A, "# MODEL", "members.1.model", "cannot have a 'model'")


@case
def approval_gate_held_by_agent_lane(org):
    edit(
        org,
        CH,
        "    lane: approver\n    after: [eligibility]",
        "    lane: security  # AGENT\n    after: [eligibility]",
    )
    return expect(org, CH, "# AGENT", "gates.approval.lane", "held by human lanes")


@case
def duplicate_actor(org):
    edit(
        org,
        R,
        "  - {id: rev-claude, model: anthropic/claude-haiku-4-5}",
        "  - {id: build-claude, model: anthropic/claude-haiku-4-5}  # DUP",
    )

    def check(v):
        expect(org, R, "# DUP", "members.2.id", "already a member of lane 'builder'")(v)
        assert f"lanes/builder.yaml:{line_of(org, B, 'id: build-claude')}" in v.err

    return check


@case
def duplicate_lane(org):
    shutil.copy(org / B, org / "lanes" / "builder2.yaml")
    edit(org, "lanes/builder2.yaml", "build-claude", "b2-claude")
    edit(org, "lanes/builder2.yaml", "build-gpt", "b2-gpt")
    return expect(org, "lanes/builder2.yaml", "lane: builder", "lane", "defined twice")


@case
def bad_action_pattern(org):
    edit(org, B, "  - deploy.*\n", "  - deploy.[ab]  # GLOB\n")
    return expect(org, B, "# GLOB", "may_not.3", "wildcard '*' only")


@case
def action_both_allowed_and_forbidden(org):
    edit(org, B, "  - host.config.*\n", "  - host.config.*\n  - code.write  # BOTH\n")
    return expect(org, B, "# BOTH", "may_not.5", "both allowed")


@case
def secret_in_credentials_is_refused(org):
    edit(
        org,
        "gates/credentials.yaml",
        "  jira: {service: jira, env: ORG_SECRET_JIRA,",
        "  jira: {service: jira, token: abc123, env: ORG_SECRET_JIRA,",
    )
    return expect(org, "gates/credentials.yaml", "token: abc123", "credentials.jira.token", "unknown field")


@case
def gate_named_start(org):
    edit(org, OPS, "  plan:\n", "  start:\n")

    def check(v):
        assert v.rc == 2 and any("not be 'start'" in p[3] for p in v.problems)

    return check


# ---- proofs: the loaded org is checked and each failure names gates or a path ----------------


@case
def bypass_is_reported_with_the_path(org):
    # the eligibility check only at high: low then requires no control on the path to done
    edit(
        org,
        CH,
        "    check: eligibility\n    after: [design]\n",
        "    check: eligibility\n    after: [design]\n    tiers: [high]\n",
    )

    def check(v):
        assert v.rc == 2
        bypass = [p for p in v.problems if "bypass at tier 'low'" in p[3]]
        assert bypass and bypass[0][0] == CH and bypass[0][1] == line_of(org, CH, "workflow: change")
        assert "start -> " in bypass[0][3] and "-> done" in bypass[0][3]

    return check


@case
def tier_without_required_control_kind(org):
    edit(org, OPS, "    tiers: [high]\n    adrs: [5]\n", "    tiers: [medium]\n    adrs: [5]\n")

    def check(v):
        assert v.rc == 2
        v.find(OPS, line_of(org, OPS, "workflow: ops"), "gates", "tier 'high' requires an approval gate")

    return check


@case
def cross_vendor_quorum_unsatisfiable(org):
    edit(org, CH, "    quorum: 1\n    cross_vendor: true\n", "    quorum: 3\n    cross_vendor: true\n")

    def check(v):
        assert v.rc == 2
        v.find(CH, line_of(org, CH, "  correctness:"), "gates.correctness.cross_vendor", "cannot be met")

    return check


@case
def cross_vendor_needs_distinct_families(org):
    # two reviewers, both openai: a quorum of 2 would need two families besides the author's
    edit(
        org,
        R,
        "  - {id: rev-gemini, model: gemini/gemini-2.5-pro}",
        "  - {id: rev-gpt2, model: openai/gpt-5}",
    )
    edit(org, R, "  - {id: rev-claude, model: anthropic/claude-haiku-4-5}", "")
    edit(org, CH, "    quorum: 1\n    cross_vendor: true\n", "    quorum: 2\n    cross_vendor: true\n")

    def check(v):
        assert v.rc == 2
        v.find(
            CH, line_of(org, CH, "  correctness:"), "gates.correctness.cross_vendor", "one family per review"
        )

    return check


@case
def cycle_off_the_start_path(org):
    edit(
        org,
        OPS,
        "  done:\n",
        "  orphan:\n    kind: work\n    lane: operator\n    action: ops.plan\n    after: [orphan2]\n"
        "  orphan2:\n    kind: work\n    lane: operator\n    action: ops.plan\n    after: [orphan]\n  done:\n",
    )

    def check(v):
        assert v.rc == 2
        p = v.find(OPS, line_of(org, OPS, "  orphan2:"), "gates", "cycle")
        assert "orphan -> orphan2 -> orphan" in p[3] or "orphan2 -> orphan -> orphan2" in p[3]

    return check


@case
def unreachable_gate(org):
    # a gate whose only predecessor is the terminal can never run
    edit(
        org,
        OPS,
        "  done:\n",
        "  later:\n    kind: work\n    lane: operator\n    action: ops.plan\n    after: [done]\n  done:\n",
    )

    def check(v):
        assert v.rc == 2
        v.find(OPS, line_of(org, OPS, "  later:"), "gates.later", "dead end")

    return check


@case
def dead_end_gate(org):
    edit(
        org,
        OPS,
        "  done:\n",
        "  notes:\n    kind: work\n    lane: operator\n    action: ops.plan\n    after: [plan]\n  done:\n",
    )

    def check(v):
        assert v.rc == 2
        v.find(OPS, line_of(org, OPS, "  notes:"), "gates.notes", "dead end")

    return check


@case
def unbounded_rework(org):
    edit(org, OPS, "  max_rework_rounds: 2\n", "  max_rework_rounds: 0\n")

    def check(v):
        assert v.rc == 2
        v.find(OPS, line_of(org, OPS, "limits:"), "limits.max_rework_rounds", "bound")

    return check


@case
def rework_must_go_back(org):
    edit(org, OPS, "    on_fail: plan\n", "    on_fail: execute\n")

    def check(v):
        assert v.rc == 2 and any("rework must go back" in p[3] for p in v.problems), v.err

    return check


# ---- all at once ---------------------------------------------------------------------------


@case
def validate_reports_every_problem_at_once(org):
    edit(org, B, "concurrency: 2\n", "concurrency: 0  # P1\n")
    edit(org, R, "purpose: Checks", "purpose2: Checks")  # P2: unknown field + missing purpose
    edit(
        org,
        CH,
        "    tiers: [medium, high]\n    description: Write down",
        "    tiers: [medium, hihg]  # P3\n    description: Write down",
    )
    edit(
        org,
        RULES,
        "    when: {attr: environment, eq: production}\n",
        "    when: {attr: environment, eq: prod}  # P4\n",
    )
    edit(org, OPS, "    lane: approver\n", "    lane: approvers  # P5\n")

    def check(v):
        assert v.rc == 2
        v.find(B, line_of(org, B, "# P1"), "concurrency", "greater than or equal to 1")
        v.find(R, line_of(org, R, "purpose2"), "purpose2", "unknown field")
        v.find(CH, line_of(org, CH, "# P3"), "gates.spec.tiers.1", "unknown tier")
        v.find(RULES, line_of(org, RULES, "# P4"), "consequential.2.when.eq", "not a value")
        v.find(OPS, line_of(org, OPS, "# P5"), "gates.approval.lane", "unknown lane")
        assert f"{len(v.problems)} problems" in v.err

    return check


def test_validate_json_lists_problems(org):
    edit(org, CH, "    quorum: 1\n", "    quorum: two  # BAD\n")
    v = validate(org, "--json")
    assert v.rc == 2
    doc = json.loads(v.out)
    assert doc["ok"] is False and doc["error"] == "config"
    assert {"file": CH, "line": line_of(org, CH, "# BAD"), "path": "gates.correctness.quorum"}.items() <= doc[
        "problems"
    ][0].items()


def _truncate(rel):
    def truncated(org):
        text = (org / rel).read_text()
        (org / rel).write_text(text[: len(text) // 2])

        def check(v):
            assert v.rc in (0, 2), v.err
            assert v.rc == 0 or v.problems

        return check

    truncated.__name__ = f"truncated_{rel.replace('/', '_').replace('.yaml', '')}"
    return truncated


for _rel in (B, CH, RULES, RISK, "gates/credentials.yaml"):
    case(_truncate(_rel))


# A lane's room limits (ADR 0291): a value that is negative, not a finite number, absurdly large, of the wrong
# type (YAML's true, a quoted number, a fraction of a second of CPU) or on a human lane is refused at load.
ROOM_LIMITS = {
    "negative_cpu": ("{cpu_s: -1}", "room.cpu_s", "greater than or equal to 1"),
    "zero_wall": ("{wall_s: 0}", "room.wall_s", "greater than 0"),
    "nan_wall": ("{wall_s: .nan}", "room.wall_s", "finite number"),
    "inf_wall": ("{wall_s: .inf}", "room.wall_s", "finite number"),
    "overflowing_wall": ("{wall_s: 1.0e+400}", "room.wall_s", "finite number"),
    "huge_memory": ("{memory_mb: 99999999999999}", "room.memory_mb", "less than or equal to"),
    "huge_cpu": ("{cpu_s: 100000000}", "room.cpu_s", "less than or equal to 86400"),
    "tiny_memory": ("{memory_mb: 1}", "room.memory_mb", "greater than or equal to 128"),
    "bool_cpu": ("{cpu_s: true}", "room.cpu_s", "valid integer"),
    "quoted_cpu": ("{cpu_s: '5'}", "room.cpu_s", "valid integer"),
    "fractional_cpu": ("{cpu_s: 1.5}", "room.cpu_s", "valid integer"),
    "unknown_limit": ("{wall_s: 10, processes: 3}", "room.processes", "unknown field"),
}


def _room_case(key: str, value: str, path: str, contains: str):
    def setup(org):
        edit(org, B, "concurrency: 2\n", f"concurrency: 2\nroom: {value}  # ROOM\n")
        return expect(org, B, "# ROOM", path, contains)

    setup.__name__ = f"room_limits_{key}"
    return setup


for _key, _args in ROOM_LIMITS.items():
    case(_room_case(_key, *_args))


@case
def room_limits_on_a_human_lane(org):
    edit(org, A, "kind: human\n", "kind: human\nroom: {cpu_s: 5}  # ROOM\n")
    return expect(org, A, "# ROOM", "room", "for agent lanes")


@case
def room_limits_in_range_are_fine(org):
    edit(org, B, "concurrency: 2\n", "concurrency: 2\nroom: {wall_s: 2.5, cpu_s: 1, memory_mb: 2048}\n")

    def check(v):
        assert v.rc == 0, v.err

    return check


# A spend ceiling that is no number or no sane bound (.inf, .nan, 1e300) would let a lane or a task spend
# without limit (or compare false against every spend): refused at its line, as every bad value is.
@case
def budget_usd_infinite(org):
    edit(org, B, "budget: {usd: 20}\n", "budget: {usd: .inf}  # BAD\n")
    return expect(org, B, "# BAD", "budget.usd", "finite number")


@case
def budget_usd_not_a_number(org):
    edit(org, B, "budget: {usd: 20}\n", "budget: {usd: .nan}  # BAD\n")
    return expect(org, B, "# BAD", "budget.usd", "finite number")


@case
def budget_usd_absurdly_large(org):
    edit(org, B, "budget: {usd: 20}\n", "budget: {usd: 1e300}  # BAD\n")
    return expect(org, B, "# BAD", "budget.usd", "less than or equal to")


@case
def task_budget_usd_infinite(org):
    edit(org, CH, "  budget_usd: 5\n", "  budget_usd: .inf  # BAD\n")
    return expect(org, CH, "# BAD", "limits.budget_usd", "finite number")


@case
def task_budget_usd_absurdly_large(org):
    edit(org, CH, "  budget_usd: 5\n", "  budget_usd: 1e300  # BAD\n")
    return expect(org, CH, "# BAD", "limits.budget_usd", "less than or equal to")


@pytest.mark.parametrize("name", list(CASES))
def test_config_error(verdicts, name):
    check, verdict, _ = verdicts[name]
    check(verdict)


@pytest.mark.parametrize("name", REAL_PROCESS)
def test_real_process_gives_the_same_verdict(verdicts, name):
    check, in_process, real = verdicts[name]
    check(real)
    assert (real.rc, real.out, real.err) == (in_process.rc, in_process.out, in_process.err)
