"""Rate limits counted in the shared ``throttle`` cache, with rates read when a request comes (so settings can change
them), and one rule for who the client is.

The client is the socket's address unless ``NUM_PROXIES`` says how many proxies in front append to
``X-Forwarded-For``: a header any client can write must never be the identity, or a new value per request is never
throttled. The admin's login lockout (django-axes) uses the same rule (``client_address``).
"""

from django.core.cache import caches
from rest_framework import throttling
from rest_framework.settings import api_settings

THROTTLE_CACHE_ALIAS = "throttle"


def client_address(request) -> str:
    """The client's address by the one rule of the API and the admin (``NUM_PROXIES``); a Django or DRF request."""
    return throttling.BaseThrottle().get_ident(request)


class LiveRateMixin:
    def get_rate(self):
        # DRF copies the rates when the class is defined; read them now, so tests and settings changes apply.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    @property
    def cache(self):
        # Apart from the cached pages, so anonymous traffic filling those cannot evict the counts.
        return caches[THROTTLE_CACHE_ALIAS]


class AnonThrottle(LiveRateMixin, throttling.AnonRateThrottle):
    """Anonymous clients, by address. Cached responses are served before it, at the cost of a cache read."""


class UserThrottle(LiveRateMixin, throttling.UserRateThrottle):
    """Authenticated clients (tokens and sessions), by user."""


class FailedAuthenticationThrottle(AnonThrottle):
    """Counts a failed authentication against the anonymous rate of its address (same counter as AnonThrottle).

    Used while authenticating, when ``request.user`` cannot be read yet: the key is the address alone.
    """

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
