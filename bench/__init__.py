"""Load benchmark for Treaty API, not part of the test run or the product: ``python bench/run.py --help``."""
