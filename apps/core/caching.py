"""Whole-response caching of the read API, invalidated by any write to the dataset, with conditional GETs.

Other apps poll the same few list pages all day, and the data changes only when a curator saves. So a response is
cached whole (body and headers) under a key holding the *data version*: a token in the shared cache that every write
to a dataset model replaces, through model signals. A write never has to find the pages it affects; it makes every
cached page unreachable, and they expire on their own. Every cached response carries an ETag, so a poller that sends
``If-None-Match`` gets a body-less 304.

The cache must be shared by all app processes (see ``CACHE_URL`` in the settings): a per-process cache would let one
gunicorn worker serve a page another worker's write has made stale.

Writes that bypass model signals (``QuerySet.update()``, ``bulk_create()``, raw SQL) must call
``bump_data_version()`` themselves.
"""

import hashlib
import uuid
from collections import OrderedDict

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import get_conditional_response
from django.utils.http import parse_etags

from .registry import is_dataset_model

VERSION_KEY = "treatyapi:data-version"
CACHEABLE_TYPES = ("application/json", "application/vnd.oai.openapi")
# Headers that belong to one response, not to the cached representation.
UNCACHED_HEADERS = {"set-cookie", "date", "content-length"}


def cache():
    return caches[getattr(settings, "API_CACHE_ALIAS", "default")]


def data_version() -> str:
    """The current data version; a cold or evicted cache starts a new one (which only costs misses)."""
    version = cache().get(VERSION_KEY)
    if version is None:
        version = bump_data_version()
    return version


def bump_data_version() -> str:
    version = uuid.uuid4().hex[:16]
    cache().set(VERSION_KEY, version, timeout=None)
    return version


def on_data_write(sender, **kwargs) -> None:
    """Bump the version now (so the writer's next read is fresh) and again on commit.

    The second bump closes a race: a reader between the first bump and the commit reads the old rows under the new
    version and may cache them; the bump on commit makes that entry unreachable.
    """
    # A write to any model of the dataset (apps.core.registry) changes the data version.
    if not is_dataset_model(sender):
        return
    bump_data_version()
    transaction.on_commit(bump_data_version, using=kwargs.get("using"))


def connect_signals() -> None:
    for signal in (post_save, post_delete, m2m_changed):
        signal.connect(on_data_write, dispatch_uid=f"treatyapi-cache-{signal}")


class APICacheMiddleware:
    """Serve anonymous GETs under ``API_CACHE_PREFIX`` from the cache, before sessions, auth and the view run.

    Only 200 responses of the JSON or OpenAPI types are stored; requests carrying cookies or credentials pass
    through untouched, so nothing user-specific is ever cached. Paths in ``API_CACHE_DATA_FREE_PATHS`` (the
    schema) do not depend on the data and are kept across writes.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = getattr(settings, "API_CACHE_PREFIX", "/api/")
        self.timeout = getattr(settings, "API_CACHE_TIMEOUT", 600)
        self.data_free_paths = set(getattr(settings, "API_CACHE_DATA_FREE_PATHS", ()))
        # A small in-process copy of recent entries. Safe to keep per process: a key holds the shared data version,
        # so an entry can never go stale, only unreachable. It spares reading and unpickling a large body from the
        # shared cache on every hit; the version itself is still read from the shared cache every time.
        self.recent: OrderedDict[str, tuple] = OrderedDict()
        self.recent_bytes = 0
        self.recent_limit = getattr(settings, "API_CACHE_RECENT_BYTES", 32 * 1024 * 1024)

    def __call__(self, request):
        if not self.applies_to(request):
            return self.get_response(request)
        key = self.key(request)
        entry = self.remembered(key)
        if entry is not None:
            body, headers = entry
            etag = headers["ETag"]
            if etag in parse_etags(request.headers.get("If-None-Match", "")):
                return HttpResponseNotModified(
                    headers={name: headers[name] for name in ("ETag", "Last-Modified") if name in headers}
                )
            response = HttpResponse(body, headers=headers)
            response["X-Cache"] = "hit"
            return response

        response = self.get_response(request)
        if self.storable(response):
            # A record's own ETag (set by its viewset, the one If-Match is checked against) is kept; lists get one
            # from their content.
            if not response.has_header("ETag"):
                response["ETag"] = f'"{hashlib.blake2b(response.content, digest_size=12).hexdigest()}"'
            headers = {name: value for name, value in response.items() if name.lower() not in UNCACHED_HEADERS}
            cache().set(key, (response.content, headers), self.timeout)
            self.remember(key, (response.content, headers))
            response["X-Cache"] = "miss"
            return get_conditional_response(request, etag=response["ETag"], response=response)
        return response

    def remembered(self, key: str):
        entry = self.recent.get(key)
        if entry is not None:
            self.recent.move_to_end(key)
            return entry
        entry = cache().get(key)
        if entry is not None:
            self.remember(key, entry)
        return entry

    def remember(self, key: str, entry: tuple) -> None:
        if key in self.recent:
            return
        self.recent[key] = entry
        self.recent_bytes += len(entry[0])
        while self.recent_bytes > self.recent_limit and self.recent:
            _, (body, _) = self.recent.popitem(last=False)
            self.recent_bytes -= len(body)

    def applies_to(self, request) -> bool:
        return (
            request.method == "GET"
            and request.path.startswith(self.prefix)
            and not request.COOKIES
            and "Authorization" not in request.headers
        )

    def key(self, request) -> str:
        version = "static" if request.path in self.data_free_paths else data_version()
        raw = f"{request.get_full_path()}\n{request.headers.get('Accept', '')}"
        return f"treatyapi:api:{version}:{hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()}"

    @staticmethod
    def storable(response) -> bool:
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and response.get("Content-Type", "").startswith(CACHEABLE_TYPES)
        )
