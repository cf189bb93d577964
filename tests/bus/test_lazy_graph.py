"""Start-up (issue 23 item 6): the bus, the engine's fold and flow, and the identity layer import no
networkx, git, litellm, textual or OpenTelemetry when imported; networkx comes in only where a graph is
built or searched (proving a config, planning a workflow)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("networkx", "git", "litellm", "textual", "opentelemetry")


def test_importing_the_bus_and_the_engine_pulls_in_no_heavy_library():
    code = (
        "import sys\n"
        "import org.bus, org.bus.api, org.bus.context, org.bus.driver, org.engine.flow, org.engine.memo\n"
        "import org.engine.proofs, org.engine.graph, org.engine.binding, org.identity.guard, org.cli\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "[]", r.stdout


def test_the_graph_is_still_built_and_searched_where_it_is_needed(cfg):
    """The lazy import is not a missing one: planning and proving still work (and load networkx)."""
    code = (
        "import sys\n"
        "from org.config.loader import load_org\n"
        "from org.engine.proofs import prove\n"
        "from org.engine.graph import plan_for\n"
        f"cfg = load_org({str(cfg.root)!r})\n"
        "assert prove(cfg) == []\n"
        "print(plan_for(cfg.workflows['change'], cfg.risk.default).order[:1], 'networkx' in sys.modules)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().endswith("True"), r.stdout
