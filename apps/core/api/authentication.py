"""Token authentication whose failures are throttled like anonymous requests.

DRF authenticates before it throttles, so a request with an invalid token is refused (401) before any throttle
counts it: a client could try tokens without limit. Here each failure counts toward its address's anonymous rate,
and past that rate the answer is 429 with Retry-After instead of 401.
"""

from rest_framework import authentication, exceptions

from apps.core.api.throttling import FailedAuthenticationThrottle


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``; a wrong key counts toward the anonymous rate of the client's address."""

    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            throttle = FailedAuthenticationThrottle()
            if not throttle.allow_request(request, None):
                raise exceptions.Throttled(throttle.wait()) from None
            raise
