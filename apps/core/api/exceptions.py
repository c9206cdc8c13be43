"""One error shape for every error the API answers, so a client handles errors in one place."""

from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, serializers
from rest_framework.views import exception_handler as drf_exception_handler


class ParameterErrorSerializer(serializers.Serializer):
    """What is wrong with one query or path parameter, and what it accepts."""

    parameter = serializers.CharField(help_text="The query or path parameter at fault, e.g. 'date_after'.")
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


def error_body(status_code: int, code: str, detail: str, errors: list[dict] | None = None) -> dict:
    return {"status": status_code, "code": code, "detail": detail, "errors": errors or []}


def _parameter_errors(detail) -> list[dict]:
    """Flatten DRF's ``{parameter: [message, ...]}`` into one entry per message."""
    if not isinstance(detail, dict):
        return [
            {"parameter": "", "message": str(message), "code": getattr(message, "code", None) or "invalid"}
            for message in (detail if isinstance(detail, list) else [detail])
        ]
    return [
        {"parameter": parameter, "message": str(message), "code": getattr(message, "code", None) or "invalid"}
        for parameter, messages in detail.items()
        for message in (messages if isinstance(messages, list) else [messages])
    ]


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
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _parameter_errors(exc.detail)
        names = list(dict.fromkeys(error["parameter"] for error in errors if error["parameter"]))
        detail = f"Invalid query parameter{'s' if len(names) > 1 else ''}: {', '.join(names)}." if names else ""
        response.data = error_body(response.status_code, "invalid", detail or "Invalid request.", errors)
    else:
        code = exc.default_code if isinstance(exc, exceptions.APIException) else "error"
        errors = getattr(exc, "parameter_errors", None)
        response.data = error_body(response.status_code, code, str(getattr(exc, "detail", exc)), errors)
    return response


def not_found_view(request, exception=None):
    """Django's 404 for a URL no route matches, in the API's error shape under /api/ (used as ``handler404``)."""
    if not request.path.startswith("/api/"):
        return defaults.page_not_found(request, exception)
    detail = f"No endpoint at {request.path}; the API root /api/ lists them."
    return JsonResponse(error_body(404, "not_found", detail), status=404)


def server_error_view(request):
    """Django's 500, in the API's error shape under /api/ (``handler500``); details go to the log, not the client."""
    if not request.path.startswith("/api/"):
        return defaults.server_error(request)
    return JsonResponse(
        error_body(500, "server_error", "The server failed to answer; the error is logged."), status=500
    )
