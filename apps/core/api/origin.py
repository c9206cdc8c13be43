"""Links in API responses are built on a trusted origin: ``PUBLIC_URL`` when it is set.

DRF builds every absolute link (``url``, ``next``, ``previous``) from the request's scheme and ``Host`` header, which
the client chooses (Django checks the host name against ``ALLOWED_HOSTS`` but not the port). With ``PUBLIC_URL``
set, links come from it whatever the request says; without it the cache keys each page by scheme and host (see
``apps.core.caching``), so a forged host only reaches the forger's own responses.
"""

from django.conf import settings


class PublicOriginMiddleware:
    """Builds absolute URLs of every request on ``PUBLIC_URL`` (scheme and host, no path), when it is set."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.origin = settings.PUBLIC_URL.rstrip("/")

    def __call__(self, request):
        if self.origin:
            # HttpRequest.build_absolute_uri() (used by DRF's reverse and pagination) joins paths onto this cached
            # value; setting it changes links and nothing else (host validation, HTTPS detection, CSRF are intact).
            request._current_scheme_host = self.origin
        return self.get_response(request)
