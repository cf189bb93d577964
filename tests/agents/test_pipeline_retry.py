"""org run's pipeline step (tests gates, merges) that raised is tried again before the run may end idle: a
transient failure (a git lock held a moment, a slow sandbox start on a loaded machine) must not end `org run`
with a merge left undone while nothing else is claimable. One that keeps failing still lets the run end."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import org.agents.runner as runner_mod
from org.agents.runner import Dispatcher, RunOptions


class _Port:
    def run_call(self, op, *a, **k):
        return []

    def close(self):
        pass


def _dispatcher(pipeline, monkeypatch) -> Dispatcher:
    monkeypatch.setattr(runner_mod, "PIPELINE_RETRY_S", 0.2)
    notes: list[str] = []
    runner = SimpleNamespace(
        pacer=SimpleNamespace(stop=threading.Event(), stats=SimpleNamespace(to_json=lambda: {})),
        note=lambda kind, text: notes.append(text),
        endpoints={},
    )
    cfg = SimpleNamespace(lanes={})  # no agent lane: only the pipeline has work
    d = Dispatcher(cfg, _Port, runner, RunOptions(pipeline=True), pipeline=pipeline)
    d.notes = notes  # type: ignore[attr-defined]
    return d


def test_a_pipeline_step_that_raised_once_is_tried_again_before_the_run_ends(monkeypatch):
    calls: list[str] = []

    def pipeline():
        calls.append("x")
        if len(calls) == 1:
            raise RuntimeError("index.lock exists")  # a moment's trouble
        if len(calls) == 2:
            return [{"task": "T-3", "kind": "merge", "ok": True}]  # the merge, done on the retry
        return []

    d = _dispatcher(pipeline, monkeypatch)
    report = d.run()
    assert len(calls) >= 2, "the run ended idle with the pipeline's work left after one failure"
    assert report.stopped_by == "idle"
    assert any("index.lock" in n for n in d.notes)  # the trouble was said


def test_a_pipeline_that_keeps_failing_does_not_hold_the_run_forever(monkeypatch):
    calls: list[str] = []

    def pipeline():
        calls.append("x")
        raise RuntimeError("bubblewrap is missing")

    d = _dispatcher(pipeline, monkeypatch)
    report = d.run()
    assert report.stopped_by == "idle" and len(calls) >= 2  # tried again, then the run ended
    assert sum("bubblewrap is missing" in n for n in d.notes) == 1  # said once, not per attempt


def test_trouble_that_comes_back_after_a_success_is_said_again(monkeypatch):
    calls: list[str] = []

    def pipeline():
        calls.append("x")
        if len(calls) in (1, 3):
            raise RuntimeError("index.lock exists")
        return [{"task": "T-3", "ok": True}] if len(calls) == 2 else []

    d = _dispatcher(pipeline, monkeypatch)
    d.run()
    assert len(calls) >= 4 and sum("index.lock" in n for n in d.notes) == 2
