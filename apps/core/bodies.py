"""Request bodies sent without a length (``Transfer-Encoding: chunked``): read them whole, or refuse them.

Django sizes a request body by ``CONTENT_LENGTH`` alone, so a chunked body (no Content-Length) reads as empty: a
chunked ``PATCH`` answered 200 having saved nothing, and a chunked ``POST`` said every field was missing. gunicorn
de-chunks the body and marks the stream as ending where the body ends (``wsgi.input_terminated``, as mod_wsgi does),
so under ``/api/`` this WSGI middleware reads such a body, at most ``API_MAX_BODY_BYTES`` of it (413 above), and
hands Django the bytes with their length. A server that does not mark the stream leaves no safe way to find the end:
then, and on every other path (browsers never chunk a form), the request is a 411 and nothing runs.
"""

import io
import json

from django.conf import settings

API_PREFIX = "/api/"


class ChunkedBodyMiddleware:
    """WSGI middleware giving Django a length for a chunked request body, or answering 411/413 itself."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        encoding = environ.get("HTTP_TRANSFER_ENCODING", "").strip().lower()
        if not encoding:
            return self.application(environ, start_response)
        api = environ.get("PATH_INFO", "").startswith(API_PREFIX)
        if not (api and encoding == "chunked" and environ.get("wsgi.input_terminated")):
            return _refuse(
                start_response,
                api,
                411,
                "length_required",
                "Send the request body with a Content-Length header; this server cannot read it "
                f"with Transfer-Encoding: {encoding}.",
            )
        limit = settings.API_MAX_BODY_BYTES
        body = environ["wsgi.input"].read(limit + 1)
        if len(body) > limit:
            return _refuse(
                start_response, api, 413, "too_large", f"The request body is over the limit of {limit} bytes."
            )
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        del environ["HTTP_TRANSFER_ENCODING"]
        return self.application(environ, start_response)


def _refuse(start_response, api: bool, status: int, code: str, detail: str):
    reason = {411: "Length Required", 413: "Content Too Large"}[status]
    if api:
        # Imported here: the API's modules import DRF, whose settings import them back while Django sets up.
        from apps.core.api.exceptions import error_body

        body, content_type = json.dumps(error_body(status, code, detail)).encode(), "application/json"
    else:
        body, content_type = f"{detail}\n".encode(), "text/plain; charset=utf-8"
    # The unread rest of the body cannot be told from a next request on this connection: close it.
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body))), ("Connection", "close")]
    start_response(f"{status} {reason}", headers)
    return [body]
