"""Helpers for tests and benchmarks that run real services (a private Mosquitto)."""
