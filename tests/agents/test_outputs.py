"""Structured outputs and prompts: parsing, precise problems, ADR citations, no secrets in prompts."""

from __future__ import annotations

import json

import pytest

from org.agents.outputs import BuilderOutput, MalformedOutput, ReviewVerdict, SecurityVerdict, parse_output
from org.agents.prompts import Redactor, WorkItem, build_messages, repair_messages, role_of

VERDICT = {
    "verdict": "changes",
    "revision": "r1",
    "summary": "s",
    "findings": [{"severity": "high", "text": "off by one", "file": "a.py"}],
    "adrs_cited": [4],
}


def test_parses_plain_fenced_and_embedded_json():
    for text in (
        json.dumps(VERDICT),
        f"```json\n{json.dumps(VERDICT)}\n```",
        f"Here you go:\n{json.dumps(VERDICT)}\nBye",
    ):
        v = parse_output(ReviewVerdict, text, revision="r1")
        assert v.verdict == "changes" and v.findings[0].severity == "high"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty"),
        ("looks good to me", "not JSON"),
        ("[1, 2]", "JSON object"),
        (json.dumps({**VERDICT, "verdict": "lgtm"}), "verdict"),
        (json.dumps({**VERDICT, "extra": 1}), "extra"),
        (json.dumps({**VERDICT, "revision": "r0"}), "reviewed 'r1'"),
        (json.dumps({**VERDICT, "findings": []}), "needs at least one finding"),
        (json.dumps({**VERDICT, "findings": [{"severity": "urgent", "text": "x"}]}), "findings.0.severity"),
    ],
)
def test_malformed_says_what_to_fix(text, needle):
    with pytest.raises(MalformedOutput) as ei:
        parse_output(ReviewVerdict, text, revision="r1")
    assert needle in str(ei.value)


def test_security_actions_name_credentials_never_secrets():
    v = parse_output(
        SecurityVerdict,
        json.dumps(
            {
                **VERDICT,
                "actions": [
                    {
                        "action": "credential.use",
                        "attributes": {"credential": "jira", "service": "github"},
                        "why": "scope",
                    }
                ],
            }
        ),
    )
    assert v.actions[0].attributes == {"credential": "jira", "service": "github"}
    with pytest.raises(MalformedOutput):
        parse_output(BuilderOutput, json.dumps({"summary": "s", "diff": "d", "files": []}))


def _item(**kw) -> WorkItem:
    base = dict(
        job="j",
        task="T-1",
        title="Rotate the deploy key",
        workflow="ops",
        gate="review",
        gate_kind="review",
        gate_description="Security review",
        lane="security",
        tier="high",
        attributes={"credential": "deploy-key", "environment": "production"},
        revision="r1",
        work="plan text",
        adr_ids=[6, 7],
        adr_text="- ADR-0006 A credential serves only its own service\n"
        "- ADR-0007 Host config only through the pipeline",
    )
    base.update(kw)
    return WorkItem(**base)


def test_prompt_carries_lane_boundaries_adrs_schema_and_task(cfg):
    lane = cfg.lanes["security"]
    role = role_of(lane, "review")
    assert role == "security"
    sys_msg, user = build_messages("sec-gemini", lane, role, _item())
    s = sys_msg["content"]
    assert lane.purpose in s and "secret.rotate" in s and "code.write" in s
    assert "ADR-0006" in s and "ADR-0007" in s and "adrs_cited" in s
    assert "one JSON object of type SecurityVerdict" in s and '"title":"SecurityVerdict"' in s
    u = user["content"]
    assert "Task T-1: Rotate the deploy key" in u and "Revision under review: r1" in u and "BEGIN WORK" in u


def test_roles_come_from_config(cfg):
    assert role_of(cfg.lanes["builder"], "work") == "builder"
    assert role_of(cfg.lanes["operator"], "work") == "operator"
    assert role_of(cfg.lanes["reviewer"], "review") == "reviewer"
    assert role_of(cfg.lanes["security"], "review") == "security"


def test_secrets_never_reach_a_prompt(cfg, monkeypatch):
    canary = "canary-Zq8s1-SECRET-value"
    monkeypatch.setenv("ORG_SECRET_GITHUB", canary)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-canary-0123456789abcdef")
    redact = Redactor.for_org(cfg)
    item = _item(
        title=f"Why does {canary} fail?",
        work=f"token={canary}\nkey=sk-canary-0123456789abcdef",
        findings=[{"severity": "high", "text": f"leaks {canary}"}],
    )
    msgs = build_messages("sec-gemini", cfg.lanes["security"], "security", item, redact)
    msgs = repair_messages(msgs, f"my reply quoting {canary}", [f"bad {canary}"], "security", redact)
    blob = json.dumps(msgs)
    assert canary not in blob and "sk-canary-0123456789abcdef" not in blob
    assert "[redacted]" in blob
