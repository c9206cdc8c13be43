"""Django's CommonMiddleware, except that a write under /api/ missing its trailing slash is not redirected, and an
address under /api/ that no route matches is the API's JSON 404 in development too.

A redirect cannot carry a request body: many clients follow a 301 to a ``POST /api/events`` with a ``GET`` of the
list, and report a 200 for a write that never happened. Such a write is a 404 naming the address with the slash
(``apps.core.api.exceptions.not_found_view``); reads are still redirected.

With ``DEBUG`` on (the README's own server), Django answers an unmatched address with its HTML debug page instead of
``handler404``; a client generated from the schema cannot parse it.
"""

from django.middleware.common import CommonMiddleware

from .exceptions import not_found_view

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class APICommonMiddleware(CommonMiddleware):
    def should_redirect_with_slash(self, request) -> bool:
        if request.path_info.startswith("/api/") and request.method not in SAFE_METHODS:
            return False
        return super().should_redirect_with_slash(request)

    def process_response(self, request, response):
        response = super().process_response(request, response)
        # Every 404 the API's views give is JSON; an HTML one under /api/ is Django's debug page for no route.
        if (
            response.status_code == 404
            and request.path_info.startswith("/api/")
            and response.get("Content-Type", "").startswith("text/html")
        ):
            return not_found_view(request)
        return response
