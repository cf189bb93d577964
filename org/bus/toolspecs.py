"""The tools org's built-in agents offer, as the model is shown them: the builder's in its task's workspace
(org.agents.tools) and the reviewer's at the revision under review (org.agents.review). The one home of their
names: the tool-call ledger (org.bus.toolcalls) takes these and "unknown" as the only tool names of an entry,
so a tool added here is recorded, and one named nowhere here cannot be. Plain data importing nothing of org: the agents
read it through org.bus without loading the database."""

from __future__ import annotations

from typing import Any

__all__ = ["TOOL_SPECS", "REVIEW_SPECS", "TOOL_NAMES", "tool_spec", "STRING"]


def tool_spec(name: str, description: str, props: dict[str, Any], required: list[str]) -> dict:
    """One tool as a model API takes it (a function with a JSON-schema object of arguments)."""
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": props, "required": required},
        },
    }


STRING = {"type": "string"}
TOOL_SPECS = [
    tool_spec(
        "list_files", "List the files of the workspace (optionally under a folder).", {"path": STRING}, []
    ),
    tool_spec("read_file", "Read a text file of the workspace.", {"path": STRING}, ["path"]),
    tool_spec(
        "search",
        "Search the workspace's text files for a text, or a regular expression (bounded in time).",
        {"pattern": STRING},
        ["pattern"],
    ),
    tool_spec(
        "write_file",
        "Write a whole text file (made if missing).",
        {"path": STRING, "content": STRING},
        ["path", "content"],
    ),
    tool_spec(
        "edit_file",
        "Replace one exact occurrence of old_text with new_text in a file.",
        {"path": STRING, "old_text": STRING, "new_text": STRING},
        ["path", "old_text", "new_text"],
    ),
    tool_spec("run_tests", "Run the repository's test command in the workspace.", {}, []),
    tool_spec(
        "submit", "Deliver the work: your changes become the revision.", {"summary": STRING}, ["summary"]
    ),
]
# a reviewer's tools are read-only and see the revision under review (ADR 0232)
REVIEW_SPECS = [
    tool_spec(
        "list_files",
        "List the files of the revision under review (optionally under a folder).",
        {"path": STRING},
        [],
    ),
    tool_spec(
        "read_file", "Read a text file as it is in the revision under review.", {"path": STRING}, ["path"]
    ),
    tool_spec(
        "search",
        "Search the revision's text files for a text or an extended regular expression.",
        {"pattern": STRING},
        ["pattern"],
    ),
    tool_spec(
        "test_results", "The result of the repository's tests on the revision (org's tests gate).", {}, []
    ),
]
# every tool org's agents offer, and "unknown" for a call naming none of them: a ledger entry's tool is a name
# from here, never the caller's text
TOOL_NAMES = frozenset(t["function"]["name"] for t in [*TOOL_SPECS, *REVIEW_SPECS]) | {"unknown"}
