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

import pytest
from conftest import edit, line_of, validate

B, R, S, A = "lanes/builder.yaml", "lanes/reviewer.yaml", "lanes/security.yaml", "lanes/approver.yaml"
CH, OPS, RULES, RISK = "gates/change.yaml", "gates/ops.yaml", "gates/rules.yaml", "gates/risk.yaml"


def _one(org, file, marker, path, contains, nth=1):
    v = validate(org)
    assert v.rc == 2, v.err
    assert v.out == ""
    v.find(file, line_of(org, file, marker, nth), path, contains)
    return v


def test_tab_indentation(org):
    edit(org, B, "  - code.write\n", "\t- code.write  # TAB\n")
    _one(org, B, "# TAB", "", "tab used for indentation")


def test_every_tab_line_is_reported(org):
    edit(org, B, "  - code.write\n", "\t- code.write  # TAB1\n")
    edit(org, B, "  - test.run\n", "\t- test.run  # TAB2\n")
    v = _one(org, B, "# TAB1", "", "tab")
    v.find(B, line_of(org, B, "# TAB2"), "", "tab")


def test_duplicate_key(org):
    edit(org, B, "concurrency: 2\n", "concurrency: 2\nconcurrency: 3  # DUP\n")
    v = _one(org, B, "# DUP", "concurrency", "duplicate key")
    assert f"first defined on line {line_of(org, B, 'concurrency: 2')}" in v.err


def test_duplicate_key_nested(org):
    edit(org, CH, "    quorum: 1\n", "    quorum: 1\n    quorum: 2  # DUP\n")
    _one(org, CH, "# DUP", "gates.correctness.quorum", "duplicate key")


def test_wrong_type(org):
    edit(org, CH, "    quorum: 1\n", "    quorum: two  # BAD\n")
    _one(org, CH, "# BAD", "gates.correctness.quorum", "valid integer")


def test_wrong_type_list_expected(org):
    edit(org, CH, "    after: [spec]\n", "    after: spec  # BAD\n")
    _one(org, CH, "# BAD", "gates.implement.after", "valid list")


def test_wrong_literal(org):
    edit(org, CH, "    kind: work\n    lane: builder\n    after: [spec]", "    kind: labour  # BAD\n    lane: builder\n    after: [spec]")
    _one(org, CH, "# BAD", "gates.implement.kind", "'work'")


def test_unknown_field(org):
    edit(org, CH, "    quorum: 1\n", "    quorum: 1\n    colour: blue  # UNKNOWN\n")
    _one(org, CH, "# UNKNOWN", "gates.correctness.colour", "unknown field")


def test_unknown_field_in_member(org):
    edit(org, B, "  - {id: build-gpt, model: openai/gpt-5}", "  - {id: build-gpt, model: openai/gpt-5, temperature: 2}  # X")
    _one(org, B, "# X", "members.1.temperature", "unknown field")


def test_missing_gates_folder(org):
    shutil.rmtree(org / "gates")
    v = validate(org)
    assert v.rc == 2
    v.find(str(org / "gates"), 0, "", "folder not found")


def test_missing_lanes_folder_with_explicit_root(org, org_cli):
    shutil.rmtree(org / "lanes")
    r = org_cli("--root", str(org), "validate")
    assert r.returncode == 2 and f"{org / 'lanes'}: folder not found" in r.stderr


def test_missing_risk_file(org):
    (org / RISK).unlink()
    v = validate(org)
    assert v.rc == 2
    v.find(RISK, 0, "", "no risk model found")


def test_no_org_anywhere_is_a_usage_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "ORG_ROOT"}
    r = subprocess.run([sys.executable, "-m", "org", "validate"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert r.returncode == 2 and "no org found" in r.stderr and "Traceback" not in r.stderr


def test_empty_file(org):
    (org / "lanes" / "extra.yaml").write_text("")
    _one(org, "lanes/extra.yaml", "", "", "file is empty")


def test_comment_only_file(org):
    (org / "gates" / "extra.yaml").write_text("# nothing here\n\n")
    _one(org, "gates/extra.yaml", "# nothing", "", "file is empty")


def test_invalid_yaml(org):
    edit(org, B, "  - test.run\n", "  - test.run\n  - [unclosed  # BAD\n")
    v = validate(org)
    assert v.rc == 2
    (p,) = v.problems
    assert p[0] == B and "invalid YAML" in p[3]
    # PyYAML notices the unclosed flow sequence where the next token cannot continue it.
    assert line_of(org, B, "# BAD") <= p[1] <= line_of(org, B, "# BAD") + 2


def test_invalid_yaml_bad_indent(org):
    edit(org, B, "kind: agent\n", "kind: agent\n   purpose2: x  # BAD\n")
    v = validate(org)
    assert v.rc == 2 and v.problems[0][0] == B and "invalid YAML" in v.problems[0][3]
    assert v.problems[0][1] == line_of(org, B, "# BAD")


def test_not_utf8(org):
    (org / "lanes" / "extra.yaml").write_bytes(b"lane: x\npurpose: caf\xe9\n")
    _one(org, "lanes/extra.yaml", "purpose", "", "not valid UTF-8")


def test_control_character(org):
    (org / "lanes" / "extra.yaml").write_text("lane: x\nkind: agent\npurpose: bell\x07 here\n")
    _one(org, "lanes/extra.yaml", "purpose", "", "invalid YAML")


def test_several_documents(org):
    (org / "lanes" / "extra.yaml").write_text("lane: x\n---\nlane: y  # SECOND\n")
    _one(org, "lanes/extra.yaml", "lane: y", "", "one YAML document per file")


def test_top_level_not_a_mapping(org):
    (org / "gates" / "extra.yaml").write_text("- just\n- a list\n")
    _one(org, "gates/extra.yaml", "- just", "", "expected a mapping")


def test_unrecognised_gates_file(org):
    (org / "gates" / "extra.yaml").write_text("colour: blue\n")
    _one(org, "gates/extra.yaml", "colour", "", "unrecognised file")


def test_merge_keys_rejected(org):
    (org / "gates" / "extra.yaml").write_text("credentials:\n  a: &x {service: a, env: A}\n  b:\n    <<: *x  # MERGE\n")
    _one(org, "gates/extra.yaml", "# MERGE", "credentials.b", "merge keys")


def test_unknown_lane_reference(org):
    edit(org, CH, "    lane: reviewer\n    after: [implement]\n    quorum: 1",
         "    lane: reviewers  # TYPO\n    after: [implement]\n    quorum: 1")
    _one(org, CH, "# TYPO", "gates.correctness.lane", "unknown lane 'reviewers'")


def test_unknown_gate_reference(org):
    edit(org, CH, "    after: [correctness, security]\n", "    after:\n      - correctness\n      - securty  # TYPO\n")
    _one(org, CH, "# TYPO", "gates.design.after.1", "unknown gate 'securty'")


def test_unknown_tier_reference(org):
    edit(org, CH, "    tiers: [medium, high]\n    description: Write down", "    tiers: [medium, hihg]  # TYPO\n    description: Write down")
    _one(org, CH, "# TYPO", "gates.spec.tiers.1", "unknown tier 'hihg'")


def test_unknown_tier_in_classify(org):
    edit(org, RISK, "      tier: high\n      title: Anything that touches production",
         "      tier: urgent  # TYPO\n      title: Anything that touches production")
    _one(org, RISK, "# TYPO", "risk.classify.2.tier", "unknown tier 'urgent'")


def test_unknown_default_tier(org):
    edit(org, RISK, "  default: medium\n", "  default: normal  # TYPO\n")
    _one(org, RISK, "# TYPO", "risk.default", "unknown tier 'normal'")


def test_on_fail_to_a_review_gate(org):
    edit(org, CH, "    tiers: [high]\n    description: Does it fit", "    on_fail: correctness  # BAD\n    tiers: [high]\n    description: Does it fit", )
    v = validate(org)
    assert v.rc == 2
    # the design gate already has an on_fail: the duplicate key is reported at its exact line
    v.find(CH, line_of(org, CH, "# BAD"), "gates.design.on_fail", "duplicate key")


def test_on_fail_must_be_a_work_gate(org):
    edit(org, CH, "    on_fail: implement\n    tiers: [high]", "    on_fail: correctness  # BAD\n    tiers: [high]")
    _one(org, CH, "# BAD", "gates.design.on_fail", "rework goes to a work gate")


def test_condition_value_not_declared(org):
    edit(org, RULES, "    when: {attr: environment, eq: production}\n", "    when: {attr: environment, eq: prod}  # BAD\n")
    _one(org, RULES, "# BAD", "consequential.2.when.eq", "'prod' is not a value of 'environment'")


def test_condition_without_test(org):
    edit(org, RULES, "    when: {attr: via, ne: pipeline}\n", "    when: {attr: via}  # BAD\n")
    _one(org, RULES, "# BAD", "red.1.when", "exactly one test")


def test_condition_with_two_tests(org):
    edit(org, RULES, "    when: {attr: via, ne: pipeline}\n", "    when: {attr: via, ne: pipeline, eq: manual}  # BAD\n")
    _one(org, RULES, "# BAD", "red.1.when", "exactly one test")


def test_condition_unknown_operator(org):
    edit(org, RULES, "    when: {attr: via, ne: pipeline}\n", "    when: {attr: via, matches: 'pipe.*'}  # BAD\n")
    _one(org, RULES, "# BAD", "red.1.when.matches", "unknown field")


def test_condition_python_expression_is_not_a_condition(org):
    edit(org, RULES, "    when: {attr: via, ne: pipeline}\n", "    when: \"via != 'pipeline'\"  # BAD\n")
    _one(org, RULES, "# BAD", "red.1.when", "")


def test_condition_unknown_attribute(org):
    edit(org, RULES, "        - {attr: credential, exists: true}\n        - {attr: credential_service, ne_attr: service}",
         "        - {attr: credential, exists: true}\n        - {attr: credential_service, ne_attr: servce}  # TYPO")
    _one(org, RULES, "# TYPO", "red.0.when.all.1.ne_attr", "unknown attribute 'servce'")


def test_condition_bool_compared_with_string(org):
    edit(org, RULES, "    when: {attr: irreversible, eq: true}\n", "    when: {attr: irreversible, eq: 'yes'}  # BAD\n")
    _one(org, RULES, "# BAD", "consequential.0.when.eq", "is a bool")


def test_exemption_key_in_lane(org):
    edit(org, S, "concurrency: 2\n", "concurrency: 2\nexempt: [RED-CREDENTIAL-REUSE]  # EXEMPT\n")
    _one(org, S, "# EXEMPT", "exempt", "org has no exemptions")


def test_exemption_key_in_rule(org):
    edit(org, RULES, "    adr: 7\n", "    adr: 7\n    unless_lane: security  # EXEMPT\n")
    _one(org, RULES, "# EXEMPT", "red.1.unless_lane", "org has no exemptions")


def test_exemption_key_in_gate(org):
    edit(org, CH, "    quorum: 1\n", "    quorum: 1\n    bypass_for: [security]  # EXEMPT\n")
    _one(org, CH, "# EXEMPT", "gates.correctness.bypass_for", "org has no exemptions")


def test_rule_reading_actor_is_an_exemption(org):
    edit(org, RULES, "    when: {attr: via, ne: pipeline}\n",
         "    when:\n      all:\n        - {attr: via, ne: pipeline}\n        - {attr: actor, ne: sec-gemini}  # WHO\n")
    _one(org, RULES, "# WHO", "red.1.when.all.1.attr", "rules cannot depend on who acts")


def test_rule_reading_lane_through_eq_attr(org):
    edit(org, RULES, "    when: {attr: via, ne: pipeline}\n", "    when: {attr: via, ne_attr: lane}  # WHO\n")
    _one(org, RULES, "# WHO", "red.1.when.ne_attr", "rules cannot depend on who acts")


def test_classify_reading_actor(org):
    edit(org, RISK, "      when: {attr: kind, eq: docs}\n", "      when: {attr: lane, eq: security}  # WHO\n")
    _one(org, RISK, "# WHO", "risk.classify.0.when.attr", "rules cannot depend on who acts")


def test_classify_reading_tier(org):
    edit(org, RISK, "      when: {attr: kind, eq: docs}\n", "      when: {attr: tier, eq: low}  # CIRCULAR\n")
    _one(org, RISK, "# CIRCULAR", "risk.classify.0.when.attr", "cannot read 'tier'")


def test_agent_member_without_model(org):
    edit(org, B, "  - {id: build-gpt, model: openai/gpt-5}", "  - {id: build-gpt}  # NOMODEL")
    _one(org, B, "# NOMODEL", "members.1.model", "needs a 'model'")


def test_agent_member_with_unknown_family(org):
    edit(org, B, "  - {id: build-gpt, model: openai/gpt-5}", "  - id: build-local\n    model: ollama/my-own-model  # FAMILY")
    _one(org, B, "# FAMILY", "members.1.model", "add 'family:")


def test_unknown_family_with_override_is_fine(org):
    edit(org, B, "  - {id: build-gpt, model: openai/gpt-5}", "  - {id: build-local, model: ollama/my-own-model, family: meta}")
    v = validate(org)
    assert v.rc == 0, v.err


def test_human_member_with_model(org):
    edit(org, A, "  - {id: bob, name: Bob Example}", "  - id: bob\n    model: openai/gpt-5  # MODEL")
    _one(org, A, "# MODEL", "members.1.model", "cannot have a 'model'")


def test_approval_gate_held_by_agent_lane(org):
    edit(org, CH, "    lane: approver\n    after: [eligibility]", "    lane: security  # AGENT\n    after: [eligibility]")
    _one(org, CH, "# AGENT", "gates.approval.lane", "held by human lanes")


def test_duplicate_actor(org):
    edit(org, R, "  - {id: rev-claude, model: anthropic/claude-haiku-4-5}",
         "  - {id: build-claude, model: anthropic/claude-haiku-4-5}  # DUP")
    v = _one(org, R, "# DUP", "members.2.id", "already a member of lane 'builder'")
    assert f"lanes/builder.yaml:{line_of(org, B, 'id: build-claude')}" in v.err


def test_duplicate_lane(org):
    shutil.copy(org / B, org / "lanes" / "builder2.yaml")
    edit(org, "lanes/builder2.yaml", "build-claude", "b2-claude")
    edit(org, "lanes/builder2.yaml", "build-gpt", "b2-gpt")
    _one(org, "lanes/builder2.yaml", "lane: builder", "lane", "defined twice")


def test_bad_action_pattern(org):
    edit(org, B, "  - deploy.*\n", "  - deploy.[ab]  # GLOB\n")
    _one(org, B, "# GLOB", "may_not.3", "wildcard '*' only")


def test_action_both_allowed_and_forbidden(org):
    edit(org, B, "  - host.config.*\n", "  - host.config.*\n  - code.write  # BOTH\n")
    _one(org, B, "# BOTH", "may_not.5", "both allowed")


def test_secret_in_credentials_is_refused(org):
    edit(org, "gates/credentials.yaml", "  jira: {service: jira, env: ORG_SECRET_JIRA,",
         "  jira: {service: jira, token: abc123, env: ORG_SECRET_JIRA,")
    _one(org, "gates/credentials.yaml", "token: abc123", "credentials.jira.token", "unknown field")


def test_gate_named_start(org):
    edit(org, OPS, "  plan:\n", "  start:\n")
    v = validate(org)
    assert v.rc == 2 and any("not be 'start'" in p[3] for p in v.problems)


# ---- proofs: the loaded org is checked and each failure names gates or a path ----------------

def test_bypass_is_reported_with_the_path(org):
    # the eligibility check only at high: low then requires no control on the path to done
    edit(org, CH, "    check: eligibility\n    after: [design]\n", "    check: eligibility\n    after: [design]\n    tiers: [high]\n")
    v = validate(org)
    assert v.rc == 2
    bypass = [p for p in v.problems if "bypass at tier 'low'" in p[3]]
    assert bypass and bypass[0][0] == CH and bypass[0][1] == line_of(org, CH, "workflow: change")
    assert "start -> " in bypass[0][3] and "-> done" in bypass[0][3]


def test_tier_without_required_control_kind(org):
    edit(org, OPS, "    tiers: [high]\n    adrs: [5]\n", "    tiers: [medium]\n    adrs: [5]\n")
    v = validate(org)
    assert v.rc == 2
    v.find(OPS, line_of(org, OPS, "workflow: ops"), "gates", "tier 'high' requires an approval gate")


def test_cross_vendor_quorum_unsatisfiable(org):
    edit(org, CH, "    quorum: 1\n    cross_vendor: true\n", "    quorum: 3\n    cross_vendor: true\n")
    v = validate(org)
    assert v.rc == 2
    v.find(CH, line_of(org, CH, "  correctness:"), "gates.correctness.cross_vendor", "cannot be met")


def test_cross_vendor_needs_distinct_families(org):
    # two reviewers, both openai: a quorum of 2 would need two families besides the author's
    edit(org, R, "  - {id: rev-gemini, model: gemini/gemini-2.5-pro}", "  - {id: rev-gpt2, model: openai/gpt-5}")
    edit(org, R, "  - {id: rev-claude, model: anthropic/claude-haiku-4-5}", "")
    edit(org, CH, "    quorum: 1\n    cross_vendor: true\n", "    quorum: 2\n    cross_vendor: true\n")
    v = validate(org)
    assert v.rc == 2
    v.find(CH, line_of(org, CH, "  correctness:"), "gates.correctness.cross_vendor", "one family per review")


def test_cycle_off_the_start_path(org):
    edit(org, OPS, "  done:\n", "  orphan:\n    kind: work\n    lane: operator\n    after: [orphan2]\n"
                                "  orphan2:\n    kind: work\n    lane: operator\n    after: [orphan]\n  done:\n")
    v = validate(org)
    assert v.rc == 2
    p = v.find(OPS, line_of(org, OPS, "  orphan2:"), "gates", "cycle")
    assert "orphan -> orphan2 -> orphan" in p[3] or "orphan2 -> orphan -> orphan2" in p[3]


def test_unreachable_gate(org):
    # a gate whose only predecessor is the terminal can never run
    edit(org, OPS, "  done:\n", "  later:\n    kind: work\n    lane: operator\n    after: [done]\n  done:\n")
    v = validate(org)
    assert v.rc == 2
    v.find(OPS, line_of(org, OPS, "  later:"), "gates.later", "dead end")


def test_dead_end_gate(org):
    edit(org, OPS, "  done:\n", "  notes:\n    kind: work\n    lane: operator\n    after: [plan]\n  done:\n")
    v = validate(org)
    assert v.rc == 2
    v.find(OPS, line_of(org, OPS, "  notes:"), "gates.notes", "dead end")


def test_unbounded_rework(org):
    edit(org, OPS, "  max_rework_rounds: 2\n", "  max_rework_rounds: 0\n")
    v = validate(org)
    assert v.rc == 2
    v.find(OPS, line_of(org, OPS, "limits:"), "limits.max_rework_rounds", "bound")


def test_rework_must_go_back(org):
    edit(org, OPS, "    on_fail: plan\n", "    on_fail: execute\n")
    v = validate(org)
    assert v.rc == 2 and any("rework must go back" in p[3] for p in v.problems), v.err


# ---- all at once ---------------------------------------------------------------------------

def test_validate_reports_every_problem_at_once(org):
    edit(org, B, "concurrency: 2\n", "concurrency: 0  # P1\n")
    edit(org, R, "purpose: Checks", "purpose2: Checks")  # P2: unknown field + missing purpose
    edit(org, CH, "    tiers: [medium, high]\n    description: Write down", "    tiers: [medium, hihg]  # P3\n    description: Write down")
    edit(org, RULES, "    when: {attr: environment, eq: production}\n", "    when: {attr: environment, eq: prod}  # P4\n")
    edit(org, OPS, "    lane: approver\n", "    lane: approvers  # P5\n")
    v = validate(org)
    assert v.rc == 2
    v.find(B, line_of(org, B, "# P1"), "concurrency", "greater than or equal to 1")
    v.find(R, line_of(org, R, "purpose2"), "purpose2", "unknown field")
    v.find(CH, line_of(org, CH, "# P3"), "gates.spec.tiers.1", "unknown tier")
    v.find(RULES, line_of(org, RULES, "# P4"), "consequential.2.when.eq", "not a value")
    v.find(OPS, line_of(org, OPS, "# P5"), "gates.approval.lane", "unknown lane")
    assert f"{len(v.problems)} problems" in v.err


def test_validate_json_lists_problems(org):
    edit(org, CH, "    quorum: 1\n", "    quorum: two  # BAD\n")
    v = validate(org, "--json")
    assert v.rc == 2
    doc = json.loads(v.out)
    assert doc["ok"] is False and doc["error"] == "config"
    assert {"file": CH, "line": line_of(org, CH, "# BAD"), "path": "gates.correctness.quorum"}.items() <= \
        doc["problems"][0].items()


@pytest.mark.parametrize("rel", [B, CH, RULES, RISK, "gates/credentials.yaml"])
def test_each_default_file_deleted_or_truncated_never_tracebacks(org, rel):
    text = (org / rel).read_text()
    (org / rel).write_text(text[: len(text) // 2])
    v = validate(org)
    assert v.rc in (0, 2), v.err
    if v.rc == 2:
        assert v.problems
