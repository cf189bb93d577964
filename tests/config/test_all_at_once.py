"""`org validate` reports a YAML error and the reference errors of other files in one run, with a did-you-mean
for unknown names (issue 20)."""

from __future__ import annotations

import pytest

from tests.helpers import org_in_process


def test_yaml_error_and_reference_errors_in_one_run(org_copy):
    builder = org_copy / "lanes" / "builder.yaml"
    builder.write_text(builder.read_text() + "\tbroken: [\n")
    change = org_copy / "gates" / "change.yaml"
    change.write_text(change.read_text().replace("lane: reviewer", "lane: reveiwer", 1))
    r = org_in_process("validate", root=org_copy)
    assert r.returncode == 2
    assert "lanes/builder.yaml:" in r.stderr  # the YAML error
    assert "unknown lane 'reveiwer'; did you mean 'reviewer'?" in r.stderr  # and the reference error, at once
    assert "unknown lane 'builder'" not in r.stderr  # the broken file's own lane is not an echo of its error


@pytest.mark.parametrize(
    ("edit", "expect"),
    [
        (("gates/change.yaml", "after: [implement]", "after: [implment]"), "did you mean 'implement'?"),
        (("gates/risk.yaml", "default: medium", "default: meduim"), "did you mean 'medium'?"),
        (("lanes/reviewer.yaml", "members:", "membrs:"), "did you mean 'members'?"),
    ],
)
def test_unknown_names_get_a_suggestion(org_copy, edit, expect):
    rel, old, new = edit
    f = org_copy / rel
    text = f.read_text()
    assert old in text, (rel, old)
    f.write_text(text.replace(old, new, 1))
    r = org_in_process("validate", root=org_copy)
    assert r.returncode == 2 and expect in r.stderr, r.stderr


def test_no_suggestion_for_a_name_unlike_any():
    from org.config.suggest import did_you_mean

    assert did_you_mean("zzzz", ["builder", "reviewer"]) == ""
    assert did_you_mean("Reviewer", ["builder", "reviewer"]) == "; did you mean 'reviewer'?"
