"""Benchmarks. Each module is runnable (`python -m bench.<module>`); figures go to bench/README.md.

Speed and memory are reported as ratios against a reference engine measured in the same run,
never as timed assertions in tests.
"""
