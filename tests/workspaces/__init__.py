"""Tests of org.workspaces: real git repositories, workspaces, the diff guard, the pipeline."""
