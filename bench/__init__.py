"""`make bench` (bench/run.py is the runner; each figure has its module)."""
