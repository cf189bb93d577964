"""Coding CLIs as lane members: one adapter per CLI (org.agents.clis.adapters), one event model, one driver.

    runtime: claude | codex | aider | opencode | mini-swe-agent | command      (a member's YAML, org.config)

    adapter_for(member)            -> Adapter       how to start that CLI and read what it says
    find_cli(adapter)              -> Presence      installed where, which version, known to the adapter?
    drive(adapter, launch, ...)    -> Session run   the CLI in the sandbox, its output as org's events,
                                                    its permission requests answered by a `permit` callback
    cli_job(runner, port, claim, ...)               one bus job worked by a CLI member (org.agents.jobwork)

See ADR 0235 for the design: the sandbox, the gateway and the diff guard are the controls; permission
protocols are answered by decide(); usage is the gateway's ledger, never the CLI's report.
"""

from __future__ import annotations

__all__: list[str] = []
