"""WSGI entry point, used by gunicorn in production: ``gunicorn treatyapi.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "treatyapi.settings")

application = get_wsgi_application()

# After Django's setup, which the middleware's settings need: chunked request bodies are read whole, or refused.
from apps.core.bodies import ChunkedBodyMiddleware  # noqa: E402

application = ChunkedBodyMiddleware(application)
