"""Benchmarks that print the figures the README quotes: ``python -m benchmarks.<name> --help``."""
