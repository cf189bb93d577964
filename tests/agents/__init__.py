"""Tests of org.agents."""
