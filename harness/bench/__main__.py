"""`python -m harness.bench`: the benchmark (see harness/bench/main.py)."""

from harness.bench.main import main

main()
