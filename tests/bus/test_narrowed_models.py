"""A task's or repository's policy layer that narrows a lane's `models` (ADR 0120) binds at the claim: a member
whose model the task's pinned lane leaves out is not eligible for its jobs, so no built-in agent (which calls
its provider itself) and no external agent (refused at the gateway) ever works the task with another model."""

from __future__ import annotations

import pytest

from org.engine import rule_ids
from org.errors import OrgError


def test_a_member_whose_model_the_task_left_out_cannot_claim(sbus):
    t = sbus.add_task("narrow", workflow="change", by="alice", policy={"models": ["openai/gpt-5"]})["task"]
    with pytest.raises(OrgError) as info:
        sbus.claim("builder", "build-claude")
    assert info.value.to_json()["detail"]["skipped"] == {rule_ids.LANE_MODEL: 1}
    assert sbus.claim("builder", "build-gpt").task == t


def test_the_reason_names_the_model_and_what_the_lane_may_call(sbus):
    from org.engine.duties import _lane_model

    cfg = sbus.pinned_config(
        sbus.task(
            sbus.add_task("n", workflow="change", by="alice", policy={"models": ["openai/gpt-5"]})["task"]
        )["config_hash"]
    )
    el = _lane_model(cfg, cfg.actors["build-claude"])
    assert not el and el.rule == rule_ids.LANE_MODEL
    assert "anthropic/claude-sonnet-4-5" in el.reason and "openai/gpt-5" in el.reason


def test_a_task_without_a_models_layer_keeps_every_member(sbus):
    t = sbus.add_task("wide", workflow="change", by="alice")["task"]
    assert sbus.claim("builder", "build-claude").task == t
