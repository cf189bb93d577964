"""provider_of answers "PROVIDER/model" strings without importing litellm (start-up of `org run`, issue 20); each
prefix it answers that way must be exactly what litellm itself says (a differential check, not a copy)."""

from __future__ import annotations

import pytest

from org.agents import llm

MODELS = ["claude-sonnet-4-5", "gpt-5", "gemini-2.5-pro", "some-unknown-model-7b", "org/with/slashes"]


@pytest.mark.parametrize("prefix", sorted(llm.LITERAL_PROVIDERS))
def test_each_literal_prefix_is_what_litellm_says(prefix):
    lt = llm.litellm_module()
    for name in MODELS:
        model = f"{prefix}/{name}"
        llm._PROVIDERS.clear()
        assert llm.provider_of(model) == prefix
        assert lt.get_llm_provider(model)[1] == prefix, model


def test_a_bare_or_unknown_prefix_still_asks_litellm():
    llm._PROVIDERS.clear()
    assert llm.provider_of("gpt-5") == "openai"
    with pytest.raises(ValueError):
        llm.provider_of("nosuchvendor-model-xyz")


def test_the_run_supervisor_places_the_starter_orgs_members_without_litellm(tmp_path):
    """In a fresh process, deciding whether the local model is needed imports no litellm."""
    import subprocess
    import sys

    code = (
        "import sys; from org.config.loader import load_org; from org.agents.endpoints import needs_local;"
        "from pathlib import Path; import org; cfg = load_org(Path(org.__file__).parent / 'defaults');"
        "needs_local(cfg, {'ORG_MODELS': 'auto'}); print('litellm' in sys.modules)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"
