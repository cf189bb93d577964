"""Tests of org.config."""
