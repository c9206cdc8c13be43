"""Settings for Treaty API: one module, everything that differs between machines comes from the environment.

Variables (all documented in the README):
    DEBUG            "1"/"true" turns on debug mode; off unless set.
    SECRET_KEY       required unless DEBUG is on (a development key is used then).
    DATABASE_URL     default: a SQLite file inside the project; postgres://user:pass@host:port/name for PostgreSQL.
    ALLOWED_HOSTS    comma-separated host names; defaults to the loopback names when DEBUG is on.
    DB_CONN_MAX_AGE  seconds a database connection is kept open between requests (default 60).
    SEED_DOCUMENTS_DIR  where the source documents live, for quote checks (default ../shared/seeds).
    CACHE_URL        the cache shared by all app processes: redis://host:port/db (needs the redis package),
                     file:///absolute/dir, locmem:// (one process only) or dummy://; default a directory in var/.
    API_CACHE_TIMEOUT  seconds a cached API response is kept (default 600); writes invalidate it sooner.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

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

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "import_export",
    "apps.core",
    "apps.sources",
    "apps.treaties",
    "apps.events",
    "apps.dataset",
    "apps.history",
    # Last, so that its post_migrate role sync runs after every other app's permissions exist.
    "apps.curation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions and auth: a cached API response skips them. It only serves anonymous, cookie-less GETs.
    "apps.core.caching.APICacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Lets history records name the user behind any save made while serving a request (admin or API).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
ASGI_APPLICATION = "treatyapi.asgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while a curator writes; IMMEDIATE avoids "database is locked" on upgrade to write.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
        }
    )


def cache_from_url(url: str) -> dict:
    """A CACHES entry from CACHE_URL; the cache must be shared by every process that serves the API."""
    scheme, _, rest = url.partition("://")
    if scheme in {"redis", "rediss"}:
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if scheme == "file":
        return {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": rest,
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": rest or "treatyapi"}
    if scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    raise ImproperlyConfigured(f"CACHE_URL={url!r}: use redis://, file:///dir, locmem:// or dummy://.")


# A directory cache is shared by the gunicorn workers of one machine with no extra service; several machines need
# CACHE_URL=redis://...
CACHES = {"default": cache_from_url(os.environ.get("CACHE_URL", f"file://{BASE_DIR / 'var' / 'cache'}"))}
API_CACHE_PREFIX = "/api/"
API_CACHE_TIMEOUT = int(os.environ.get("API_CACHE_TIMEOUT", "600"))
# Responses that depend on the code only, kept across data writes.
API_CACHE_DATA_FREE_PATHS = ["/api/schema/"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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

# History (django-simple-history): reading a record's history needs the view permission of its historical model,
# reverting needs the change permission; the curators and reviewers groups (apps/curation/roles.py) grant them.
SIMPLE_HISTORY_ENFORCE_HISTORY_MODEL_PERMISSIONS = True

# CSV import/export in the admin (django-import-export): importing writes records, so it needs the add permission;
# exporting only reads, so the view permission is enough.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "apps.core.api.schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["apps.core.api.filters.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.pagination.PageNumberPagination",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
        "apps.core.api.renderers.CSVRenderer",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "apps.core.api.negotiation.ContentNegotiation",
    "EXCEPTION_HANDLER": "apps.core.api.exceptions.exception_handler",
    # The API is read-only and open: no authentication, so the schema documents anonymous access. The issue that
    # adds authenticated writes adds its authentication classes here.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
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
        "the parameter and what it accepts; an unknown key is a 404."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
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
