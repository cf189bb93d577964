"""Tests of org.cli."""
