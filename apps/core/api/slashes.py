"""Django's CommonMiddleware, except that a write under /api/ missing its trailing slash is not redirected.

A redirect cannot carry a request body: many clients follow a 301 to a ``POST /api/events`` with a ``GET`` of the
list, and report a 200 for a write that never happened. Such a write is a 404 naming the address with the slash
(``apps.core.api.exceptions.not_found_view``); reads are still redirected.
"""

from django.middleware.common import CommonMiddleware

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class APICommonMiddleware(CommonMiddleware):
    def should_redirect_with_slash(self, request) -> bool:
        if request.path_info.startswith("/api/") and request.method not in SAFE_METHODS:
            return False
        return super().should_redirect_with_slash(request)
