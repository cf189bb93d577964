"""Tests of org.engine."""
