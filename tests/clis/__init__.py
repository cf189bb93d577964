"""Live tests of the real coding CLIs (aider, mini-swe-agent) that .ci/clis/install puts in their own venvs."""
