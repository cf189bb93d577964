"""Tests of org.adrs."""
