"""`org run` on the local model never imports litellm (issue 20: its overhead beyond the work under 2 s; the import
is seconds of CPU per process on a loaded machine, and every call there is OpenAI's wire at a loopback base URL).

A call on OpenAI's wire at an explicit base URL goes on a plain pooled HTTP client (the gateway's own forward), and a
price comes from litellm's cost map read as data; both are differential-checked against litellm itself here, and the
whole run is checked with a poisoned `litellm` that records every import and refuses it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from org.agents import llm
from tests.helpers import REPO, run_org, starter_org

MSG = [{"role": "user", "content": "Write the spec for: add a retry to the webhook sender."}]


def _members() -> set[str]:
    from org.config.loader import load_org

    return {
        a.model
        for root in (REPO, REPO / "org" / "defaults")
        for a in load_org(root).actors.values()
        if a.model
    }


def _litellm_price(model: str, p: int, c: int) -> float | None:
    lt = llm.litellm_module()
    try:
        info = lt.get_model_info(model)
        if info.get("input_cost_per_token") is None or info.get("output_cost_per_token") is None:
            return None
        a, b = lt.cost_per_token(model=model, prompt_tokens=p, completion_tokens=c)
    except Exception:
        return None
    return float(a) + float(b)


def _chat_models(every: int = 1) -> list[str]:
    """The orgs' members, and every `every`-th chat model of the cost map as PROVIDER/model and bare."""
    out = set(_members())
    keys = sorted(
        k
        for k, e in llm._cost_map().items()
        if isinstance(e, dict) and e.get("mode") == "chat" and e.get("litellm_provider") in llm._MAP_PROVIDERS
    )
    for key in keys[::every]:
        provider = llm._cost_map()[key]["litellm_provider"]
        out |= {key, key if key.startswith(provider + "/") else f"{provider}/{key}"}
    return sorted(out)


def _check_prices(models: list[str]) -> int:
    """Where the map answers without litellm, the answer is litellm's to the last digit, below and across a tier."""
    answered, wrong = 0, []
    for model in models:
        for p, c in ((1234, 567), (0, 0), (250_000, 1000), (300_000, 10)):
            mine = llm._map_price(model, p, c)
            if mine is None:
                continue  # not decidable from the map alone: price() asks litellm
            answered += 1
            theirs = _litellm_price(model, p, c)
            if theirs is None or mine != pytest.approx(theirs, rel=1e-12, abs=1e-15):
                wrong.append((model, p, c, mine, theirs))
    assert not wrong, wrong[:20]
    return answered


def test_a_price_read_from_the_cost_map_is_litellms():
    """The orgs' members (never needing litellm to be priced) and a tenth of the map's chat models."""
    for model in _members():
        assert llm._map_price(model, 1234, 567) is not None, model
    assert _check_prices(_chat_models(every=10)) > 50


@pytest.mark.slow
def test_a_price_read_from_the_cost_map_is_litellms_for_every_chat_model():
    assert _check_prices(_chat_models()) > 500


def test_unknown_or_odd_names_are_never_guessed():
    for model in ("nosuchvendor/gpt-5", "anthropic/gpt-5", "gpt-5/extra", "", "/", "sample_spec"):
        assert llm._map_price(model, 10, 10) is None, model


def test_a_registered_price_counts_without_litellm():
    model = "hosted_vllm/acme-coder-test-7b"
    try:
        llm.register_prices({model: {"input_cost_per_token": 2e-7, "output_cost_per_token": 6e-7}})
        assert llm._map_price(model, 1000, 100) == pytest.approx(2e-4 + 6e-5)
        assert llm.price(model, 1000, 100) == pytest.approx(2e-4 + 6e-5)
        assert _litellm_price(model, 1000, 100) == pytest.approx(
            2e-4 + 6e-5
        )  # and litellm agrees once loaded
    finally:
        llm._REGISTERED.pop(model, None)


def _through_litellm(monkeypatch, model, **kw):
    """llm.complete as it calls a model not on OpenAI's wire: through litellm's client."""
    with monkeypatch.context() as m:
        m.setattr(llm, "direct_wire", lambda called, api_base: False)
        return llm.complete(model, MSG, **kw)


def test_the_direct_path_answers_as_litellm_does(local_server, monkeypatch):
    """The same call on the plain client and through litellm: same content, usage, cost, finish and message."""
    kw = {"called": "openai/anthropic/claude-sonnet-4-5", "api_base": local_server.url, "api_key": "x"}
    fast = llm.complete("anthropic/claude-sonnet-4-5", MSG, **kw)
    slow = _through_litellm(monkeypatch, "anthropic/claude-sonnet-4-5", **kw)
    assert fast.ok and slow.ok
    for f in (
        "content",
        "prompt_tokens",
        "completion_tokens",
        "cost_usd",
        "finish_reason",
        "message",
        "status",
    ):
        assert getattr(fast, f) == getattr(slow, f), f
    assert fast.cost_usd and fast.served_by == slow.served_by and fast.provider == slow.provider


def test_the_direct_path_classifies_trouble_as_litellm_does(local_server, monkeypatch):
    """Quota exhausted (with its reset), a server that says it is down and one that is not there: the same
    outcome, status and wait either way."""
    local_server.config.quota_requests = 0
    local_server.config.quota_reset_s = 7200
    kw = {"called": "openai/gpt-5", "api_base": local_server.url, "api_key": "x"}
    fast = llm.complete("openai/gpt-5", MSG, **kw)
    slow = _through_litellm(monkeypatch, "openai/gpt-5", **kw)
    assert (fast.outcome, fast.status, fast.retry_after_s) == (slow.outcome, slow.status, slow.retry_after_s)
    assert fast.outcome == "quota_exhausted"
    local_server.config.down = True
    fast = llm.complete("openai/gpt-5", MSG, **kw)
    slow = _through_litellm(monkeypatch, "openai/gpt-5", **kw)
    assert (fast.outcome, fast.status) == (slow.outcome, slow.status) == ("unavailable", 503)
    import socket

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        kw["api_base"] = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    fast = llm.complete("openai/gpt-5", MSG, timeout_s=5, **kw)
    slow = _through_litellm(monkeypatch, "openai/gpt-5", timeout_s=5, **kw)
    assert fast.outcome == slow.outcome == "unavailable"


def test_org_run_on_the_local_model_imports_no_litellm(tmp_path):
    """The whole run (supervisor, broker, gateway, agent host) with a `litellm` that records its import and
    refuses it: the work is done and priced, and nothing tried to import it."""
    real = Path(llm._cost_map_path() or "")
    assert real.is_file()
    poison = tmp_path / "poison" / "litellm"
    poison.mkdir(parents=True)
    (poison / real.name).symlink_to(real)  # its data is fine to read; its code is not to be imported
    marks = tmp_path / "imports.txt"
    (poison / "__init__.py").write_text(
        "import os, sys\n"
        "with open(os.environ['ORG_TEST_LITELLM_MARKS'], 'a') as f:\n"
        "    f.write(' '.join(sys.argv) + '\\n')\n"
        "raise ImportError('litellm is poisoned in this test')\n"
    )
    root = starter_org(tmp_path / "org")
    assert (
        run_org(
            "task",
            "add",
            "Add retry to the webhook sender",
            "--workflow",
            "change",
            "--as",
            "alice",
            root=root,
        ).returncode
        == 0
    )
    env = {
        "PYTHONPATH": os.pathsep.join([str(poison.parent), str(REPO)]),
        "ORG_TEST_LITELLM_MARKS": str(marks),
        "ORG_MODELS": "local",
    }
    r = run_org("run", "--json", root=root, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout)
    assert out["tasks_done"] == 1 and out["jobs"] >= 4 and out["cost_usd"] > 0, out
    assert not marks.exists(), marks.read_text()


def test_the_poison_is_real(tmp_path):
    """The check above can fail: with the poison on the path, a call through litellm is recorded and refused."""
    poison = tmp_path / "litellm"
    poison.mkdir()
    marks = tmp_path / "imports.txt"
    (poison / "__init__.py").write_text(
        "import os\nopen(os.environ['ORG_TEST_LITELLM_MARKS'], 'a').write('x')\nraise ImportError('poisoned')\n"
    )
    code = "from org.agents import llm; print(llm.provider_of('gpt-5'))"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)]),
        "ORG_TEST_LITELLM_MARKS": str(marks),
    }
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode != 0 and marks.read_text() == "x"
