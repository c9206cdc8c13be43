"""Settings for Treaty API: one module, everything that differs between machines comes from the environment.

Variables (all documented in the README), read from the environment, then from ``ENV_FILE`` (default ``.env`` in the
project directory, git-ignored) for any variable the environment does not set, so local settings persist across
shells (the README's first command writes ``DEBUG=1`` there):
    ENV_FILE         the file of local settings; empty to read none (the test suite reads none).
    DEBUG            "1"/"true" turns on debug mode; off unless set.
    SECRET_KEY       required unless DEBUG is on (a development key is used then).
    DATABASE_URL     default: a SQLite file inside the project; postgres://user:pass@host:port/name for PostgreSQL.
    ALLOWED_HOSTS    comma-separated host names; defaults to the loopback names when DEBUG is on.
    DB_CONN_MAX_AGE  seconds a database connection is kept open between requests (default 60).
    SEED_DOCUMENTS_DIR  where the source documents live, for quote checks (default ../shared/seeds).
    CACHE_URL        the cache shared by all app processes: redis://host:port/db (needs the redis package),
                     file:///absolute/dir, locmem:// (one process only) or dummy://; default a directory in var/.
    API_CACHE_TIMEOUT  seconds a cached API response is kept (default 600); writes invalidate it sooner.
    API_CACHE_VERSION_TTL  seconds a process reuses the data version it read (default 0.1; 0: every request).
"""

import datetime
import hashlib
import os
import tempfile
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent

# Local settings that persist across shells: without them, `manage.py createsuperuser` in a new shell failed for want
# of the DEBUG the first shell exported. The environment still wins over the file (override=False).
ENV_FILE = os.environ.get("ENV_FILE", str(BASE_DIR / ".env"))
if ENV_FILE:
    load_dotenv(ENV_FILE, override=False)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean environment variable, refusing values that are neither clearly true nor clearly false."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use one of 1, true, yes, on, 0, false, no, off.")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment, or DEBUG=1 for local development."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])

# The origin the API's links are built on (https://treaties.example.org), whatever Host a request claims. Unset, links
# use the request's own scheme and host, and cached pages are kept per host (see apps/core/api/origin.py).
PUBLIC_URL = os.environ.get("PUBLIC_URL", "").strip()
if PUBLIC_URL:
    _public = urlsplit(PUBLIC_URL)
    if _public.scheme not in {"http", "https"} or not _public.netloc or _public.path not in {"", "/"}:
        raise ImproperlyConfigured(
            f"PUBLIC_URL={PUBLIC_URL!r} is not an origin; give scheme and host only, e.g. https://treaties.example.org"
        )

INSTALLED_APPS = [
    # Before staticfiles, whose runserver it extends (a queue worker in the development server's process).
    "apps.queue",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "import_export",
    # The task queue in the database (apps/queue): Django 6's own tasks framework, or its backport before 6.
    *([] if find_spec("django.tasks") else ["django_tasks"]),
    "django_tasks_db",
    # Locks out an address after repeated failed admin logins (AXES_* below).
    "axes",
    "apps.core",
    "apps.sources",
    "apps.treaties",
    "apps.events",
    "apps.dataset",
    "apps.history",
    "apps.changes",
    "apps.releases",
    "apps.front",
    # Last, so that its post_migrate role sync runs after every other app's permissions exist.
    "apps.curation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the cache, so cached API responses get their CORS headers too.
    "corsheaders.middleware.CorsMiddleware",
    # Links on PUBLIC_URL, before the cache, which keys pages by origin only without it.
    "apps.core.api.origin.PublicOriginMiddleware",
    # Before sessions and auth: a cached API response skips them. It only serves anonymous, cookie-less GETs.
    "apps.core.caching.APICacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # CommonMiddleware, but a write under /api/ missing its trailing slash is a 404, not a redirect losing its body.
    "apps.core.api.slashes.APICommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Lets history records name the user behind any save made while serving a request (admin or API).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: answers a locked-out login attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "treatyapi.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "treatyapi.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# A database that stops answering must cost a request seconds, not a worker: connecting, a statement and a wait for
# a lock are bounded (a 503 with Retry-After, see apps/core/api/exceptions.py). 0 turns a limit off (e.g. for a long
# migration: DB_STATEMENT_TIMEOUT=0 python manage.py migrate).
DB_CONNECT_TIMEOUT = int(os.environ.get("DB_CONNECT_TIMEOUT", "3"))
DB_STATEMENT_TIMEOUT = float(os.environ.get("DB_STATEMENT_TIMEOUT", "5"))
DB_LOCK_TIMEOUT = float(os.environ.get("DB_LOCK_TIMEOUT", "3"))
# After PostgreSQL failed to answer, a process does not ask it again for this long (apps/core/db/postgresql); 0: off.
DB_RETRY_AFTER = float(os.environ.get("DB_RETRY_AFTER", "1"))
# PostgreSQL's parallel workers per query (max_parallel_workers_per_gather). 0: the web server's workers already use
# every core, and starting two parallel workers took 20 of the 35 ms of a state's page of events at 100,000 events.
DB_PARALLEL_WORKERS = int(os.environ.get("DB_PARALLEL_WORKERS", "0"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The server enforces statement_timeout and lock_timeout; a server that is stalled (paused, or a network path
    # that swallows packets) enforces nothing, so the backend also bounds each wait for an answer on the client side.
    DATABASES["default"]["ENGINE"] = "apps.core.db.postgresql"
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "connect_timeout": DB_CONNECT_TIMEOUT,
            "options": f"-c statement_timeout={int(DB_STATEMENT_TIMEOUT * 1000)} "
            f"-c lock_timeout={int(DB_LOCK_TIMEOUT * 1000)} -c max_parallel_workers_per_gather={DB_PARALLEL_WORKERS}",
        }
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while a curator writes; IMMEDIATE avoids "database is locked" on upgrade to write.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            # How long a writer waits for another's lock before "database is locked" (answered 503).
            "timeout": DB_LOCK_TIMEOUT,
        }
    )
    # Tests use a file too: an in-memory database shared between threads locks whole tables instead of waiting, so
    # the concurrent-writer tests would see errors production never gives.
    # One file per checkout, so test runs in different checkouts never share it.
    _test_db = f"treatyapi-test-{hashlib.blake2b(str(BASE_DIR).encode(), digest_size=6).hexdigest()}.sqlite3"
    DATABASES["default"].setdefault("TEST", {}).setdefault("NAME", str(Path(tempfile.gettempdir()) / _test_db))


def caches_from_url(url: str) -> dict:
    """The CACHES aliases, all derived from the one CACHE_URL that every process serving the API shares.

    Two aliases, so that what anonymous traffic fills can never push out what must stay: ``default`` holds cached
    API pages (evictable, and bounded), ``throttle`` the rate-limit counters. (The data version that pages are kept
    under is in the database: apps/core/data_version.py.)
    """
    scheme, _, rest = url.partition("://")
    if scheme in {"redis", "rediss"}:
        # Tolerant of an unreachable Redis (a miss, not a 500), with short socket timeouts so a stalled Redis
        # costs milliseconds, not a worker.
        redis = {
            "BACKEND": "apps.core.cache_backends.TolerantRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        return {alias: {**redis, "KEY_PREFIX": alias} for alias in ("default", "throttle")}
    if scheme == "file":
        file = {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache"}
        return {
            "default": {**file, "LOCATION": f"{rest}/pages", "OPTIONS": {"MAX_ENTRIES": 10_000}},
            # One counter per client address that made an uncached request in the last minute.
            "throttle": {**file, "LOCATION": f"{rest}/throttle", "OPTIONS": {"MAX_ENTRIES": 50_000}},
        }
    if scheme == "locmem":
        name = rest or "treatyapi"
        locmem = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
        return {alias: {**locmem, "LOCATION": f"{name}-{alias}"} for alias in ("default", "throttle")}
    if scheme == "dummy":
        dummy = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
        return {alias: dummy for alias in ("default", "throttle")}
    raise ImproperlyConfigured(f"CACHE_URL={url!r}: use redis://, file:///dir, locmem:// or dummy://.")


# A directory cache is shared by the gunicorn workers of one machine with no extra service; several machines need
# CACHE_URL=redis://...
CACHES = caches_from_url(os.environ.get("CACHE_URL", f"file://{BASE_DIR / 'var' / 'cache'}"))
API_CACHE_PREFIX = "/api/"
API_CACHE_TIMEOUT = int(os.environ.get("API_CACHE_TIMEOUT", "600"))
# Seconds a process reuses the data version it read (apps/core/data_version.py): the bound on a stale read after a
# write acknowledged by another process; 0 reads it on every request.
API_CACHE_VERSION_TTL = float(os.environ.get("API_CACHE_VERSION_TTL", "0.1"))
# Responses that depend on the code only, kept across data writes.
API_CACHE_DATA_FREE_PATHS = ["/api/schema/"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes first: it refuses a login from a locked-out address before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Failed admin logins: after AXES_FAILURE_LIMIT for one account from one address (the API's rule for who the client
# is, NUM_PROXIES included), that account is refused from that address for AXES_COOLOFF_MINUTES. Attempts are kept in
# the database, which every process shares and nothing evicts. Counted per account *and* address: a successful login
# resets only its own account's count at its address. Counted per address alone, one good login to any account reset
# it, and 8 wrong passwords for admin then a login to another account, repeated, never locked anything out.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "apps.core.api.throttling.client_address"
AXES_RESET_ON_SUCCESS = True
# No banner on every process start; failures and lockouts are still logged (with the address only).
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Where the source documents are, so the dataset validator can find every cited quote in its document.
SEED_DOCUMENTS_DIR = Path(os.environ.get("SEED_DOCUMENTS_DIR", BASE_DIR.parent / "shared" / "seeds"))

# What every release's package and citation say of the dataset (the same on every machine, so not from the
# environment). The licence covers the curated records; the short quotes in citations remain their authors' words.
DATASET_NAME = "treaty-api"
DATASET_TITLE = "Treaty API: arms-control treaty facts, each cited to its source"
DATASET_DESCRIPTION = (
    "A curated dataset of arms-control treaties (the Open Skies Treaty first): treaties, states, memberships, "
    "events and statements, each cited to the passage of the source document it comes from."
)
DATASET_AUTHORS = ["Treaty API curators"]
DATASET_LICENSE = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0 International",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}

# --- Production hardening (python manage.py check --deploy is clean with DEBUG off; see the README) ---------------
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto; HTTPS-only cookies and redirects unless DEBUG.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# --- Limits ------------------------------------------------------------------------------------------------------
# A record with its citations is a few kilobytes; a larger body is a mistake or an attack (413).
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", str(64 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
# Longest value of one query parameter (a search, a key); longer is a 400.
API_MAX_PARAMETER_LENGTH = 200
# Largest source document file (upload, import_documents, load_dataset), in bytes; a larger one is refused before it
# is read whole. The seed documents are 4-11 KB; a treaty's full text with its annexes a few hundred.
DOCUMENT_MAX_BYTES = int(os.environ.get("DOCUMENT_MAX_BYTES", str(2 * 1024 * 1024)))

# --- CORS: any origin may read anonymously; nothing cross-origin may write or send credentials --------------------
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_HEADERS = ["accept", "if-none-match", "if-modified-since"]
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Retry-After", "Location"]
# History (django-simple-history): reading a record's history needs the view permission of its historical model,
# reverting needs the change permission; the curators and reviewers groups (apps/curation/roles.py) grant them.
SIMPLE_HISTORY_ENFORCE_HISTORY_MODEL_PERMISSIONS = True

# CSV import/export in the admin (django-import-export): importing writes records, so it needs the add permission;
# exporting only reads, so the view permission is enough.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# CSV imports in the admin are checked (a preview, as a dry run) and then written at 65-72 rows a second on SQLite
# (`python -m bench.imports`), about 20 on a busy 2-core machine, so only small files are handled within a request,
# under gunicorn's 30 s:
# an uploaded file of more rows than CURATION_IMPORT_PREVIEW_ROWS is checked in the background, and a confirmed file
# of more than CURATION_IMPORT_INLINE_ROWS is imported in the background, each with a status page. Both go
# CURATION_IMPORT_BATCH_ROWS rows at a time, one transaction each; on SQLite a batch holds the database's one write
# lock, so 50 rows (0.7-2.5 s) stay under the DB_LOCK_TIMEOUT (3 s) other writers wait for it.
CURATION_IMPORT_PREVIEW_ROWS = int(os.environ.get("CURATION_IMPORT_PREVIEW_ROWS", "400"))
CURATION_IMPORT_INLINE_ROWS = int(os.environ.get("CURATION_IMPORT_INLINE_ROWS", "200"))
CURATION_IMPORT_BATCH_ROWS = 50

# Background work (apps/queue): a queue in the database, run by `manage.py db_worker` processes (by a thread of
# `runserver` in development). A worker renews its heartbeat every TASKS_HEARTBEAT_SECONDS; a task whose worker has
# not been seen for TASKS_LEASE_SECONDS is queued again, up to TASKS_MAX_ATTEMPTS runs, then marked failed. The lease
# bounds how long a status page can show a killed worker's task as running. On SQLite it must also outlast one batch:
# a batch holds the database's only write lock, which every worker's heartbeat waits for (a running check or import
# renews its own between batches). A 50-row batch takes 0.7-2.5 s on an idle 2-core machine, 8.6 s on average while
# two test suites shared it (bench.imports), and over 10 s at a load average of 18; PostgreSQL's row locks never
# make a heartbeat wait for a batch.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
TASKS_HEARTBEAT_SECONDS = 1
_SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
TASKS_LEASE_SECONDS = int(os.environ.get("TASKS_LEASE_SECONDS", "30" if _SQLITE else "10"))
TASKS_MAX_ATTEMPTS = 3

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "apps.core.api.schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["apps.core.api.filters.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.pagination.PageNumberPagination",
    # The browsable API (an HTML form per endpoint) is for development only.
    "DEFAULT_RENDERER_CLASSES": [
        "apps.core.api.renderers.JSONRenderer",
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
        "apps.core.api.renderers.CSVRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["apps.core.api.parsers.StrictJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "apps.core.api.negotiation.ContentNegotiation",
    "EXCEPTION_HANDLER": "apps.core.api.exceptions.exception_handler",
    # Reads are anonymous. Writes need the model's add/change/delete permission (the curators group): scripts send
    # "Authorization: Token <key>", the browser its session cookie and CSRF token.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's, with failures counted toward the anonymous rate of the address.
        "apps.core.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.core.api.permissions.ModelPermissionsOrAnonReadOnly"],
    # Counted in the shared cache's "throttle" alias (CACHE_URL), so the limits hold across processes and machines.
    "DEFAULT_THROTTLE_CLASSES": ["apps.core.api.throttling.AnonThrottle", "apps.core.api.throttling.UserThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("THROTTLE_ANON", "300/min"),
        "user": os.environ.get("THROTTLE_USER", "1200/min"),
    },
    # 0 unless proxies are declared: the socket's address is the client's, and X-Forwarded-For (which any client can
    # write) is ignored. DRF's own default (None) would trust that header's first address.
    "NUM_PROXIES": int(os.environ.get("NUM_PROXIES", "0")),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Treaty API",
    "DESCRIPTION": (
        "A curated, source-cited dataset about arms-control treaties. Every record carries the source passages it "
        "rests on (`citations`). Read access is anonymous: no authentication, no key.\n\n"
        "Dates are as precise as their sources: each partial date gives the period's first and last day, its "
        "precision (day, month or year) and a display form. Range filters (`date_after`, `date_before`) are "
        "inclusive and match a partial date whose period overlaps the range.\n\n"
        "Every error has the same body (`Error`): an unknown, repeated or malformed query parameter is a 400 naming "
        "the parameter and what it accepts; an unknown key is a 404.\n\n"
        "Curators' scripts write with a token (`Authorization: Token <key>`) and the model permission of the "
        'curators group. Request bodies are JSON objects naming related records by key (`"treaty": '
        '"open-skies"`, `"state": "RUS"`). Detail responses carry `ETag` and `Last-Modified`; `PUT`, '
        "`PATCH` and `DELETE` need the ETag in `If-Match` (428 without it, 412 if the record changed since)."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Requests and responses differ (a request names related records by key, a response embeds them in brief).
    "COMPONENT_SPLIT_REQUEST": True,
    # An optional choice ("" for an unknown date's precision) stays its enum, not a separate BlankEnum component.
    "ENUM_ADD_EXPLICIT_BLANK_NULL_CHOICE": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.api.schema.add_write_links",
        "apps.core.api.schema.document_empty_filters",
        "apps.core.api.schema.add_servers_and_page_examples",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No call to the online validator (validator.swagger.io) and no web fonts: the docs work offline.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {"fontFamily": "system-ui, sans-serif", "headings": {"fontFamily": "system-ui, sans-serif"}}
        }
    },
    # Enum components named after the choices they come from, so generated clients keep stable type names.
    "ENUM_NAME_OVERRIDES": {
        "ChangeAction": "apps.changes.models.ChangeAction",
        "ReleaseChangeAction": "apps.releases.models.ReleaseChangeAction",
        "DatePrecision": "apps.core.partial_dates.DatePrecision",
        "SourceKind": "apps.sources.choices.SourceKind",
        "CitationStance": "apps.sources.choices.CitationStance",
        "StateKind": "apps.treaties.choices.StateKind",
        "TreatyKind": "apps.treaties.choices.TreatyKind",
        "TreatyDomain": "apps.treaties.choices.TreatyDomain",
        "TreatyStatus": "apps.treaties.choices.TreatyStatus",
        "MembershipRole": "apps.treaties.choices.MembershipRole",
        "MembershipStatus": "apps.treaties.choices.MembershipStatus",
        "EventType": "apps.events.choices.EventType",
        "ParticipantRole": "apps.events.choices.ParticipantRole",
        "StatementKind": "apps.events.choices.StatementKind",
        "StatementStance": "apps.events.choices.StatementStance",
        "TimelineEntryKind": "apps.events.api.serializers.TimelineEntryKind",
    },
}
