"""Tests of org.tui."""
