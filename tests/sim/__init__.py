"""Tests of org.sim."""
