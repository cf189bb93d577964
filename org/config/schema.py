"""JSON Schemas of the org's YAML files, generated from the pydantic models, for editors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from org.config.models import CredentialsFile, Lane, RiskFile, RulesFile, Workflow
from org.config.repos import ReposFile

__all__ = ["SCHEMAS", "schemas", "editor_settings", "workflow_files"]

# file name -> (model, which YAML files it describes, title)
SCHEMAS: dict[str, tuple[type[BaseModel], str, str]] = {
    "lane.schema.json": (Lane, "lanes/*.yaml", "An org lane: who may do what"),
    "workflow.schema.json": (
        Workflow,
        "gates/change.yaml, gates/code.yaml, gates/ops.yaml (any file with 'workflow:')",
        "An org workflow: its gates",
    ),
    "rules.schema.json": (RulesFile, "gates/rules.yaml", "The org's attributes, RED and consequential rules"),
    "risk.schema.json": (RiskFile, "gates/risk.yaml", "The org's risk tiers and classification"),
    "credentials.schema.json": (CredentialsFile, "gates/credentials.yaml", "The org's credentials, by name"),
    "repos.schema.json": (ReposFile, "gates/repos.yaml", "The repositories org's tasks work in"),
}
_GLOBS = {
    "lane.schema.json": ["lanes/*.yaml", "lanes/*.yml"],
    "workflow.schema.json": ["gates/change.yaml", "gates/code.yaml", "gates/ops.yaml"],
    "rules.schema.json": ["gates/rules.yaml"],
    "risk.schema.json": ["gates/risk.yaml"],
    "credentials.schema.json": ["gates/credentials.yaml"],
    "repos.schema.json": ["gates/repos.yaml"],
}


def schemas() -> dict[str, dict[str, Any]]:
    """{file name: JSON Schema (draft 2020-12)}; unknown fields are rejected, as by `org validate`."""
    out: dict[str, dict[str, Any]] = {}
    for name, (model, files, title) in SCHEMAS.items():
        s = model.model_json_schema(by_alias=True)
        out[name] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://org.invalid/schemas/{name}",
            **s,
            "title": title,
            "description": f"{title}. Describes {files}. `org validate` checks more than a schema can "
            "(references across files, no bypass, quorums); run it too.",
        }
    return out


def workflow_files(root: Path | None) -> list[str]:
    """The org's workflow files (gates/*.yaml with a top-level `workflow:` key), relative to the root."""
    if root is None or not (root / "gates").is_dir():
        return []
    top = re.compile(r"^workflow\s*:", re.M)
    return sorted(
        f"gates/{p.name}"
        for p in (root / "gates").iterdir()
        if p.suffix in (".yaml", ".yml") and p.is_file() and top.search(p.read_text(errors="replace"))
    )


def editor_settings(folder: str, root: Path | None = None) -> dict[str, Any]:
    """The `yaml.schemas` setting of the YAML language server (VS Code and others) for `folder`: every workflow
    file of the org at `root` maps to the workflow schema (the shipped names when there is no org)."""
    globs = dict(_GLOBS)
    found = workflow_files(root)
    if found:
        globs["workflow.schema.json"] = found
    return {"yaml.schemas": {f"{folder.rstrip('/')}/{name}": g for name, g in globs.items()}}
