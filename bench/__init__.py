"""Benchmarks, each run as a script (`python bench/NAME.py`); results in bench/RESULTS.md."""
