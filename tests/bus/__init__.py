"""Tests of org.bus."""
