"""Benchmark settings: the product's settings, plus the baseline views' URLconf. Never used in production."""

import os

from treatyapi.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# The load generator and the probes talk to 127.0.0.1 only.
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
# Access and request logging would measure the terminal, not the app.
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"handlers": [], "level": "WARNING"}}

# BENCH_CACHE=off swaps the cache for a dummy, to measure the uncached path of views that use Django's cache.
if os.environ.get("BENCH_CACHE", "on") == "off":
    CACHES = caches_from_url("dummy://")  # noqa: F405
    # The data version (in the database) does not change between requests: the in-process copy of recent pages
    # would answer them.
    API_CACHE_RECENT_BYTES = 0
