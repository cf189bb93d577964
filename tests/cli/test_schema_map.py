"""`org schema` maps every workflow file of the org to the workflow schema, not only the shipped names."""

from __future__ import annotations

import json

from tests.helpers import run_org


def test_every_workflow_file_gets_the_workflow_schema(org_copy):
    (org_copy / "gates" / "release.yml").write_text(
        (org_copy / "gates" / "ops.yaml").read_text().replace("workflow: ops", "workflow: release")
    )
    (org_copy / "gates" / "notes.yaml").write_text("# not a workflow\nrisk: {}\n")
    r = run_org("schema", "--json", root=org_copy)
    assert r.returncode == 0, r.stderr
    mapping = json.loads(r.stdout)["editor_settings"]["yaml.schemas"]
    assert mapping["schemas/workflow.schema.json"] == [
        "gates/change.yaml",
        "gates/code.yaml",
        "gates/ops.yaml",
        "gates/release.yml",
    ]
    assert all("notes" not in g for globs in mapping.values() for g in globs)
