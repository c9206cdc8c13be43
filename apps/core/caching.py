"""Whole-response caching of the read API, invalidated by any write to the dataset, with conditional GETs.

Other apps poll the same few list pages all day, and the data changes only when a curator saves. So a response is
cached whole (body and headers) under a key holding the *data version* (``apps.core.data_version``): a token in the
database that every write to a dataset model replaces in its own transaction, through model signals. A write never
has to find the pages it affects; it makes every cached page unreachable, and they expire on their own. Every cached
response carries an ETag, so a poller that sends ``If-None-Match`` gets a body-less 304.

A process reads the version from the database at most every ``API_CACHE_VERSION_TTL`` seconds (one indexed
single-row query), so no page older than a write is served, from any server, once that long has passed since the
write was acknowledged, whatever the shared cache did meanwhile (lost the write's news, restarted from an older
snapshot, was cut off from the writer). The cache holds pages only, never the truth.

While the database does not answer, no write can be acknowledged, and cached pages keep flowing: a process serves
the pages of the last version it read, marked ``X-Cache: stale``. Such a page misses only writes acknowledged after
that process's last read of the version, before the outage; anything not cached is the database's 503.

The cache must be shared by all app processes (see ``CACHE_URL`` in the settings): a per-process cache would let one
gunicorn worker serve a page another worker's write has made stale.

Writes that bypass model signals (``QuerySet.update()``, ``bulk_create()``, raw SQL) must call
``bump_data_version()`` in their transaction.

What a client can change about the stored entry is bounded, so that one anonymous client can neither change what
another is served nor fill the cache with variants of one page:

- links come from ``PUBLIC_URL`` when it is set; otherwise the scheme and host (validated against
  ``ALLOWED_HOSTS``, the port included as the client sent it) are part of the key, so a forged ``Host`` only ever
  reaches the forger's own entries;
- ``Accept`` enters the key as the media type the view's own content negotiation picks (a handful of values), and
  a media type with parameters (``application/json; indent=9``) is answered but not stored;
- a query string is stored only when the endpoint checked every parameter of it (unknown ones are 400s; every
  endpoint under /api/ checks them, ``apps.core.api.filters.check_parameters``).

Pages live in the ``default`` cache (evictable), the throttle's counters in ``throttle``: anonymous traffic filling
the first cannot erase the others.
"""

import hashlib
import threading
from collections import OrderedDict
from functools import lru_cache

from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, QueryDict
from django.urls import Resolver404, resolve
from django.utils.cache import get_conditional_response
from django.utils.http import parse_etags
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.settings import api_settings

from .data_version import Recent, bump_data_version, recent_data_version
from .registry import is_dataset_model

CACHEABLE_TYPES = ("application/json", "application/vnd.oai.openapi")
# Headers that belong to one response, not to the cached representation.
UNCACHED_HEADERS = {"set-cookie", "date", "content-length"}
# Set on the request by the parameter check of an endpoint that accepted every query parameter it was given.
QUERY_CHECKED = "api_query_checked"


def cache():
    """Where API pages are kept: evictable, and filled by anonymous traffic."""
    return caches[getattr(settings, "API_CACHE_ALIAS", "default")]


def on_data_write(sender, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    """A write to any model of the dataset (apps.core.registry) changes the data version, in its transaction.

    A reader between the write and its commit reads the old version and may cache the old rows under it, or the new
    rows if the commit comes first: either way the commit makes that entry unreachable.
    """
    if is_dataset_model(sender):
        bump_data_version(using)


def connect_signals() -> None:
    for signal in (post_save, post_delete, m2m_changed):
        signal.connect(on_data_write, dispatch_uid=f"treatyapi-cache-{signal}")


def negotiated_media_type(request) -> str | None:
    """The media type the view under this path will answer ``request`` with, found by its own negotiation.

    '' for a view that does not negotiate (a plain Django view); None when nothing should be stored: no view, a
    406 or 400 from the negotiation, or a media type with parameters (they change the body, e.g. ``indent``).
    Both steps are remembered (resolving a path costs more than serving a cached page).
    """
    view = _view_of(request.path_info, getattr(request, "urlconf", None) or settings.ROOT_URLCONF)
    if view is None:
        return None
    if not view:
        return ""
    view_class, renderer_classes, format_suffix = view
    return _negotiate(
        view_class,
        renderer_classes,
        format_suffix,
        request.headers.get("Accept", ""),
        request.GET.get(api_settings.URL_FORMAT_OVERRIDE),
    )


@lru_cache(maxsize=4096)
def _view_of(path: str, urlconf: str):
    """(view class, renderer classes, format suffix) of a DRF view; () for another view; None for no view."""
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return None
    view_class = getattr(match.func, "cls", None)  # set by DRF's as_view()
    if view_class is None:
        return ()
    initkwargs = getattr(match.func, "initkwargs", {})
    renderer_classes = tuple(initkwargs.get("renderer_classes", view_class.renderer_classes))
    return view_class, renderer_classes, match.kwargs.get("format")


@lru_cache(maxsize=1024)
def _negotiate(view_class, renderer_classes, format_suffix, accept: str, format_param) -> str | None:
    # A request holding only what negotiation reads: the Accept header and ?format=.
    http_request = HttpRequest()
    if accept:
        http_request.META["HTTP_ACCEPT"] = accept
    if format_param is not None:
        http_request.GET = QueryDict(mutable=True)
        http_request.GET[api_settings.URL_FORMAT_OVERRIDE] = format_param
    request = Request(http_request)
    try:
        renderer, media_type = view_class.content_negotiation_class().select_renderer(
            request, [renderer() for renderer in renderer_classes], format_suffix
        )
    except APIException:
        return None
    if any(param.split("=")[0].strip() != "q" for param in media_type.split(";")[1:]):
        return None
    return renderer.media_type


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
        # A small in-process copy of recent entries. Safe to keep per process: a key holds the data version, so an
        # entry can never go stale, only unreachable. It spares reading and unpickling a large body from the shared
        # cache on every hit; the version itself is still read from the database every time. Measured
        # (issue 14, wrk on a cached 55 kB page beside the static ceiling, same run, file cache): about 0.7 of the
        # ceiling with it, 0.5 without, so it stays.
        self.recent: OrderedDict[str, tuple] = OrderedDict()
        self.recent_bytes = 0
        self.recent_lock = threading.Lock()
        self.recent_limit = getattr(settings, "API_CACHE_RECENT_BYTES", 32 * 1024 * 1024)

    def __call__(self, request):
        if not self.applies_to(request):
            return self.get_response(request)
        key, database_error = self.key(request)
        if key is None:
            return self.get_response(request)
        entry = self.remembered(key)
        if entry is not None:
            body, headers = entry
            etag = headers["ETag"]
            if etag in parse_etags(request.headers.get("If-None-Match", "")):
                return HttpResponseNotModified(
                    headers={name: headers[name] for name in ("ETag", "Last-Modified") if name in headers}
                )
            response = HttpResponse(body, headers=headers)
            response["X-Cache"] = "stale" if database_error else "hit"
            return response
        if database_error:
            # The view would wait for the database again, only to answer the same 503.
            raise database_error

        response = self.get_response(request)
        if self.storable(response) and (not request.GET or getattr(request, QUERY_CHECKED, False)):
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
        with self.recent_lock:
            entry = self.recent.get(key)
            if entry is not None:
                self.recent.move_to_end(key)
                return entry
        entry = cache().get(key)
        if entry is not None:
            self.remember(key, entry)
        return entry

    def remember(self, key: str, entry: tuple) -> None:
        # Threads of a gthread worker share the middleware: another thread may evict the key between two steps.
        with self.recent_lock:
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

    def key(self, request) -> tuple[str | None, DatabaseError | None]:
        """The entry's key (None when this request's answer is not to be stored or served from the cache), and the
        database's error if it could not give the data version (the key is then under the last version read)."""
        media_type = negotiated_media_type(request)
        if media_type is None:
            return None, None
        # Without PUBLIC_URL, links are built from the request's scheme and host: each has its own entries.
        origin = "" if settings.PUBLIC_URL else f"{request.scheme}://{request.get_host()}"
        version, error = "static", None
        if request.path not in self.data_free_paths:
            try:
                version = recent_data_version()
            except (OperationalError, InterfaceError) as unanswered:
                version, error = Recent.last[0], unanswered
                if version is None:
                    raise
        raw = f"{origin}\n{request.get_full_path()}\n{media_type}"
        return f"treatyapi:api:{version}:{hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()}", error

    @staticmethod
    def storable(response) -> bool:
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and response.get("Content-Type", "").startswith(CACHEABLE_TYPES)
        )
