"""One error shape for every error the API answers, so a client handles errors in one place."""

import logging
import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, InterfaceError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views import defaults
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import JSONRenderer

from apps.core.access import DOCUMENT_TEXT, may_read_documents

logger = logging.getLogger(__name__)


class ParameterErrorSerializer(serializers.Serializer):
    """What is wrong with one query or path parameter, and what it accepts."""

    parameter = serializers.CharField(
        help_text="The query parameter, header or request-body field at fault, e.g. 'date_after', 'If-Match', "
        "'citations[0].quote'; empty when the error concerns the whole request."
    )
    message = serializers.CharField(help_text="What is wrong, and what the parameter accepts.")
    code = serializers.CharField(help_text="Machine-readable reason: 'invalid', 'invalid_choice', 'unknown', ...")


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    status = serializers.IntegerField(help_text="The HTTP status code, repeated for convenience.")
    code = serializers.CharField(help_text="Machine-readable kind of error: 'invalid', 'not_found', ...")
    detail = serializers.CharField(help_text="A human-readable summary of the error.")
    errors = ParameterErrorSerializer(
        many=True, help_text="One entry per parameter at fault; empty when no single parameter is to blame."
    )


class ParameterNotFound(exceptions.NotFound):
    """A 404 caused by one parameter's value (a key that matches nothing, a page past the last)."""

    def __init__(self, parameter: str, message: str, detail: str | None = None):
        super().__init__(detail or message)
        self.parameter_errors = [{"parameter": parameter, "message": message, "code": "not_found"}]


class Conflict(exceptions.APIException):
    """409: the write would break the dataset's integrity (a record others depend on, a key already taken)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the data."
    default_code = "conflict"

    def __init__(self, detail=None, errors: list[dict] | None = None):
        super().__init__(detail)
        self.parameter_errors = errors or []


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record changed since you read it; GET it again and retry with its new ETag in If-Match."
    default_code = "precondition_failed"
    parameter_errors = [
        {"parameter": "If-Match", "message": "Does not match the record's current ETag.", "code": "mismatch"}
    ]


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = "Send the record's ETag (from a GET) in If-Match, so a change made since is not overwritten."
    default_code = "precondition_required"
    parameter_errors = [{"parameter": "If-Match", "message": "This header is required.", "code": "required"}]


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class DatabaseUnavailable(exceptions.APIException):
    """503: the database is locked by another writer past the wait (SQLite) or unreachable; nothing was written."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is busy or unavailable; nothing was changed. Retry in a moment."
    default_code = "unavailable"
    # DRF sends it as Retry-After (seconds).
    wait = 1


def error_body(status_code: int, code: str, detail: str, errors: list[dict] | None = None) -> dict:
    return {"status": status_code, "code": code, "detail": detail, "errors": errors or []}


def _parameter_errors(detail, prefix: str = "") -> list[dict]:
    """Flatten DRF's ``{parameter: [message, ...]}`` (nested for lists of objects) into one entry per message.

    A nested error is named by its path: ``citations[1].quote``. DRF's ``non_field_errors`` concern no one field.
    """
    if isinstance(detail, dict):
        errors = []
        for name, messages in detail.items():
            if isinstance(name, int):  # DRF keys a list's errors by index
                path = f"{prefix}[{name}]"
            else:
                name = "" if name == "non_field_errors" else str(name)
                path = f"{prefix}.{name}" if prefix and name else prefix or name
            errors += _parameter_errors(messages, path)
        return errors
    if isinstance(detail, list):
        if any(isinstance(item, dict | list) for item in detail):
            errors = []
            for index, item in enumerate(detail):
                errors += _parameter_errors(item, f"{prefix}[{index}]") if item else []
            return errors
        return [_entry(prefix, message) for message in detail]
    return [_entry(prefix, detail)]


def _entry(parameter: str, message) -> dict:
    return {"parameter": parameter, "message": str(message), "code": getattr(message, "code", None) or "invalid"}


def _dependents(error: ProtectedError | RestrictedError) -> list[dict]:
    """One entry per kind of record that still refers to the one being deleted, naming up to ten of them."""
    by_model: dict = {}
    for record in error.protected_objects if isinstance(error, ProtectedError) else error.restricted_objects:
        by_model.setdefault(type(record)._meta, []).append(record)
    entries = []
    for meta, records in by_model.items():
        keys = [str(getattr(record, "natural_key", lambda r=record: (str(r),))()[0]) for record in records]
        shown = ", ".join(keys[:10]) + (f" and {len(keys) - 10} more" if len(keys) > 10 else "")
        name = meta.verbose_name if len(keys) == 1 else meta.verbose_name_plural
        entries.append(
            {
                "parameter": str(meta.verbose_name_plural),
                "message": f"{len(keys)} {name} refer to it: {shown}.",
                "code": "protected",
            }
        )
    return entries


def _translate(exc, request=None):
    """Django and database errors a write can raise, as the API's exceptions (never a 500)."""
    if isinstance(exc, RequestDataTooBig):
        # Django's check of the declared length, before our parser reads a byte; it would be an HTML 400.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return RequestTooLarge(f"The request body is over the limit of {limit} bytes.")
    if isinstance(exc, DjangoValidationError):
        if not may_read_documents(getattr(request, "user", None)):
            exc = without_document_text(exc)
        return exceptions.ValidationError(serializers.as_serializer_error(exc))
    if isinstance(exc, ProtectedError | RestrictedError):
        return Conflict(
            "Other records depend on this one; change or delete them first (see errors).", _dependents(exc)
        )
    if isinstance(exc, IntegrityError):
        return Conflict("The write conflicts with another record (a key already taken, or a reference gone).")
    if isinstance(exc, DataError):
        return exceptions.ValidationError({"": ["A value is not accepted by the database (too long or malformed)."]})
    if isinstance(exc, OperationalError):
        # Not the client's fault and not a bug to hide: log it whole, answer what a client can act on.
        logger.warning("Database unavailable, answered 503: %s", exc, exc_info=exc)
        return DatabaseUnavailable()
    return exc


def without_document_text(error: DjangoValidationError) -> DjangoValidationError:
    """``error`` with every passage of a source document it quotes left out (``apps.core.access``)."""

    def withheld(leaf: DjangoValidationError) -> DjangoValidationError:
        if not (leaf.params and DOCUMENT_TEXT in leaf.params):
            return leaf
        return DjangoValidationError(leaf.message, leaf.code, {**leaf.params, DOCUMENT_TEXT: ""})

    if hasattr(error, "error_dict"):
        return DjangoValidationError(
            {field: [withheld(leaf) for leaf in leaves] for field, leaves in error.error_dict.items()}
        )
    return DjangoValidationError([withheld(leaf) for leaf in error.error_list])


def _lookup_not_found(context) -> exceptions.NotFound:
    """Name the key that matched nothing ("No event with slug 'x'.") rather than Django's generic message."""
    view = context.get("view")
    lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", None)
    kwargs = getattr(view, "kwargs", None) or {}
    queryset = getattr(view, "queryset", None)
    if not (lookup and lookup in kwargs and queryset is not None):
        return exceptions.NotFound()
    name, value = queryset.model._meta.verbose_name, kwargs[lookup]
    return ParameterNotFound(lookup, f"No {name} has the {lookup} '{value}'.", f"No {name} with {lookup} '{value}'.")


def exception_handler(exc, context):
    """DRF's handler, with every body rewritten into the shape of ``ErrorSerializer``."""
    if isinstance(exc, Http404):
        exc = _lookup_not_found(context)
    exc = _translate(exc, context.get("request"))
    # Imported here: rest_framework.views loads the parser classes (apps.core.api.parsers), which import this module.
    from rest_framework.views import exception_handler

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _parameter_errors(exc.detail)
        names = list(dict.fromkeys(error["parameter"] for error in errors if error["parameter"]))
        request = context.get("request")
        query = getattr(request, "query_params", {})
        what = "query parameter" if names and all(name in query for name in names) else "field"
        detail = f"Invalid {what}{'s' if len(names) > 1 else ''}: {', '.join(names)}." if names else ""
        response.data = error_body(response.status_code, "invalid", detail or "Invalid request.", errors)
    else:
        code = exc.default_code if isinstance(exc, exceptions.APIException) else "error"
        errors = getattr(exc, "parameter_errors", None)
        response.data = error_body(response.status_code, code, str(getattr(exc, "detail", exc)), errors)
    request = context.get("request")
    if request is not None:
        # Errors are JSON whatever the endpoint renders: the schema's first renderer is YAML, the docs' HTML.
        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
    return response


def not_found_view(request, exception=None):
    """Django's 404 for a URL no route matches, in the API's error shape under /api/ (used as ``handler404``)."""
    if not request.path.startswith("/api/"):
        return defaults.page_not_found(request, exception)
    detail = f"No endpoint at {request.path}; the API root /api/ lists them."
    if not request.path.endswith("/") and _resolves(f"{request.path_info}/"):
        detail = f"No endpoint at {request.path}; the address ends with a slash: {request.path}/ (not redirected)."
    return JsonResponse(error_body(404, "not_found", detail), status=404)


def bad_request_view(request, exception=None):
    """Django's 400 (a disallowed Host, a malformed request Django refuses before any view) in the API's error shape
    under /api/ (``handler400``)."""
    if not request.path.startswith("/api/"):
        return defaults.bad_request(request, exception)
    return JsonResponse(error_body(400, "bad_request", "The request is malformed or not allowed here."), status=400)


def permission_denied_view(request, exception=None):
    """Django's 403 in the API's error shape under /api/ (``handler403``)."""
    if not request.path.startswith("/api/"):
        return defaults.permission_denied(request, exception)
    return JsonResponse(error_body(403, "permission_denied", "You may not do this."), status=403)


def _resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def server_error_view(request):
    """Django's 500, in the API's error shape under /api/ (``handler500``); details go to the log, not the client.

    A database that cannot be reached (raised anywhere: a middleware loading the session, an admin view) is not a
    bug but an outage: a 503 with ``Retry-After``, JSON under /api/ and a plain page elsewhere (the admin).
    """
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        unavailable = DatabaseUnavailable()
        headers = {"Retry-After": str(unavailable.wait)}
        if request.path.startswith("/api/"):
            body = error_body(503, unavailable.default_code, str(unavailable.detail))
            return JsonResponse(body, status=503, headers=headers)
        text = "The database is unavailable for a moment; nothing was changed. Retry shortly.\n"
        return HttpResponse(text, status=503, content_type="text/plain; charset=utf-8", headers=headers)
    if not request.path.startswith("/api/"):
        return defaults.server_error(request)
    return JsonResponse(
        error_body(500, "server_error", "The server failed to answer; the error is logged."), status=500
    )
