"""Benchmarks of org (scripts run by hand; not collected as tests)."""
