"""Benchmarks, run by hand (never timed tests): see bench/RESULTS.md for the figures and targets."""
