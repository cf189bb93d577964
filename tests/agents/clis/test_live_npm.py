"""A live, offline run of the real opencode (npm `opencode-ai`) with its adapter's argv()/env(), its model calls
through a real org gateway backed by the deterministic local model (tests/data/clis/record.py's machinery). The
local model answers with org's own tool names, which opencode refuses, so no file changes: what is checked is
the real CLI's format against the adapter, and that its calls were counted at the gateway. Skips, saying how to
install it, when opencode is not installed (`npm install --prefix ~/.cache/org-clis opencode-ai`, or
ORG_CLIS_PREFIX naming another prefix): CI does not install npm CLIs."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

from org.agents.clis.adapter import Ask, Launch, Reply
from org.agents.clis.adapters import ADAPTERS
from org.agents.clis.events import Event
from tests.agents.clis.conftest import DATA

PREFIX = Path(os.environ.get("ORG_CLIS_PREFIX") or Path.home() / ".cache" / "org-clis")


def _recorder():
    spec = importlib.util.spec_from_file_location("org_clis_record", DATA / "record.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_real_opencode_through_the_gateway(tmp_path):
    exe = shutil.which("opencode", path=str(PREFIX / "node_modules" / ".bin"))
    if exe is None:
        pytest.skip(f"opencode is not installed: npm install --prefix {PREFIX} opencode-ai")
    rec = _recorder()
    with rec.gateway(tmp_path) as (url, token, model, gw):
        meta, *steps = rec.record("opencode", exe, url, token, model, tmp_path, 240.0, 12)
        assert gw.flush()
        calls = gw.counts["calls"]
    assert calls >= 1, "opencode's model calls go through the gateway and are counted there"
    assert steps[0] == {"read_until_eof": True, "sent": rec.PROMPT}
    session = ADAPTERS["opencode"]().session(Launch(tmp_path / "opencode-repo", rec.PROMPT, model))
    events: list[Event] = []
    for s in steps:
        if "out" in s:
            for item in session.feed(s["out"]):
                assert not isinstance(item, (Ask, Reply)), "opencode run has no protocol to answer"
                events.append(item)
    kinds = [e.kind for e in events]
    assert kinds[0] == "started" and "usage" in kinds, (kinds, steps[:6])
    assert token not in " ".join(meta["argv"])
