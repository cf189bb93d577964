"""Tests of org.identity."""
