"""Fixtures shared by every test module."""

import pytest
from django.core.cache import caches


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    """Each test starts with an empty in-process cache.

    API responses are cached until a write changes the data version; a test's writes are rolled back without a new
    version, so a cache kept across tests (or across runs, as the default directory cache is) would serve pages of
    data that no longer exists.
    """
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
    caches["default"].clear()
