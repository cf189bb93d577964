"""`org schema` exports JSON Schemas that accept the default org and reject what `org validate` rejects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from org.config.schema import schemas
from tests.helpers import REPO, org_in_process

FILES = {
    "lane.schema.json": sorted((REPO / "lanes").glob("*.yaml")),
    "workflow.schema.json": [
        REPO / "gates" / "change.yaml",
        REPO / "gates" / "code.yaml",
        REPO / "gates" / "ops.yaml",
    ],
    "rules.schema.json": [REPO / "gates" / "rules.yaml"],
    "risk.schema.json": [REPO / "gates" / "risk.yaml"],
    "credentials.schema.json": [REPO / "gates" / "credentials.yaml"],
    "repos.schema.json": [REPO / "tests" / "data" / "repos.yaml", REPO / "gates" / "repos.yaml"],
}

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema checks the exported schemas")


def _validator(schema: dict):
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def test_cli_writes_every_schema(tmp_path):
    r = org_in_process("schema", "--out", str(tmp_path / "s"), root=REPO)
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in (tmp_path / "s").iterdir())
    assert names == sorted(FILES)
    for n in names:
        doc = json.loads((tmp_path / "s" / n).read_text())
        assert doc["$schema"].endswith("2020-12/schema") and doc["type"] == "object"
    assert "yaml.schemas" in r.stdout


def test_cli_json_is_one_document_without_writing(tmp_path):
    r = org_in_process("schema", "--json", root=tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert sorted(doc["schemas"]) == sorted(FILES) and doc["written"] == []
    assert not (tmp_path / "schemas").exists()


@pytest.mark.parametrize("name", sorted(FILES))
def test_default_org_validates_against_its_schema(name):
    v = _validator(schemas()[name])
    for path in FILES[name]:
        errors = sorted(v.iter_errors(yaml.safe_load(path.read_text())), key=str)
        assert errors == [], f"{path.name}: {errors[0].message}"


def _change() -> dict:
    return yaml.safe_load((REPO / "gates" / "change.yaml").read_text())


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["gates"]["implement"].update(colour="blue"),  # unknown field
        lambda d: d["gates"]["implement"].update(kind="labour"),  # not a gate kind
        lambda d: d["gates"]["correctness"].update(quorum=0),  # quorum >= 1
        lambda d: d["gates"]["correctness"].update(exempt=["security"]),  # exemptions do not exist
        lambda d: d.update(limits={"max_rework_rounds": -1}),
    ],
)
def test_workflow_schema_rejects_what_validate_rejects(mutate):
    doc = _change()
    mutate(doc)
    assert list(_validator(schemas()["workflow.schema.json"]).iter_errors(doc))


def test_lane_schema_rejects_bad_action_patterns_and_unknown_fields():
    v = _validator(schemas()["lane.schema.json"])
    lane = yaml.safe_load((REPO / "lanes" / "builder.yaml").read_text())
    assert not list(v.iter_errors(lane))
    assert list(v.iter_errors({**lane, "may": ["deploy.[ab]"]}))
    assert list(v.iter_errors({**lane, "override": True}))
    assert list(v.iter_errors({**lane, "kind": "robot"}))


def test_rules_schema_knows_condition_aliases():
    v = _validator(schemas()["rules.schema.json"])
    rules = {"red": [{"id": "RED-X", "title": "t", "when": {"not": {"attr": "via", "in": ["a", "b"]}}}]}
    assert not list(v.iter_errors(rules))
    assert list(v.iter_errors({"red": [{"id": "RED-X", "title": "t", "when": {"attr": "via", "like": "x"}}]}))


def test_schema_files_cover_every_config_file():
    covered = {p for paths in FILES.values() for p in paths if "tests" not in p.parts}
    assert covered == set(Path(REPO, "lanes").glob("*.yaml")) | set(Path(REPO, "gates").glob("*.yaml"))
