"""Rate limits counted in the shared cache, with rates read when a request comes (so settings can change them)."""

from rest_framework import throttling
from rest_framework.settings import api_settings


class LiveRateMixin:
    def get_rate(self):
        # DRF copies the rates when the class is defined; read them now, so tests and settings changes apply.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonThrottle(LiveRateMixin, throttling.AnonRateThrottle):
    """Anonymous clients, by address. Cached responses are served before it, at the cost of a cache read."""


class UserThrottle(LiveRateMixin, throttling.UserRateThrottle):
    """Authenticated clients (tokens and sessions), by user."""
