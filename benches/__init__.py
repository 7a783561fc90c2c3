"""Benchmarks of memanto-client against hand-written HTTP clients; run ``python -m benches``."""
