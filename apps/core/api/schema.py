"""OpenAPI generation: summaries and descriptions derived once from the models and viewsets, errors documented.

Every operation gets a summary ("List events"), a description (the viewset's docstring, prefixed by what the
operation does), its 400 and 404 bodies in the shared error shape, and, on lists, the ``format=csv`` alternative.
"""

import re
from urllib.parse import urlsplit

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import mixins
from rest_framework.permissions import SAFE_METHODS

from .exceptions import ErrorSerializer
from .serializers import help_text

CSV_MEDIA_TYPE = "text/csv"
WRITE_ACTIONS = {"create", "update", "partial_update", "destroy"}
CONDITIONAL_ACTIONS = {"update", "partial_update", "destroy"}
SUMMARIES = {"create": "Create", "update": "Replace", "partial_update": "Change part of", "destroy": "Delete"}
DESCRIPTIONS = {
    "create": "Creates {a} from the request body (related records by key; citations as a list). Needs the "
    "curators' permission to add {plural}.",
    "update": "Replaces {a}: every field not marked optional must be given; a list given (citations, participants, "
    "depositaries) replaces the old one as a whole. Needs `If-Match` with the ETag of a GET of this record.",
    "partial_update": "Changes the fields given and leaves the others; a list given (citations, participants, "
    "depositaries) replaces the old one as a whole. Needs `If-Match` with the ETag of a GET of this record.",
    "destroy": "Deletes {a}. A record other records depend on is not deleted: the 409 names them. Needs `If-Match` "
    "with the ETag of a GET of this record.",
}
ERRORS = {
    400: "The request is malformed: a query parameter, or a field of the body (named in `errors`).",
    401: "No valid credentials: send `Authorization: Token <key>` (or a session cookie with a CSRF token).",
    403: "The user may not do this (writes need the curators' model permission; a session needs its CSRF token).",
    409: "The write conflicts with the data: the record has dependents (named in `errors`), or a key is taken.",
    412: "The record changed since the ETag in `If-Match` was read: GET it again, then retry.",
    413: "The request body is larger than the limit.",
    415: "The request body is not JSON (`Content-Type: application/json`).",
    428: "`If-Match` is missing: send the ETag of a GET of this record.",
    429: "Too many requests: wait the seconds given in `Retry-After`.",
}


def article(noun: str) -> str:
    """The indefinite article for a noun ("an event", "a state"): by its first letter, which fits this API's names."""
    return "an" if noun[:1].lower() in "aeiou" else "a"


class AutoSchema(SpectacularAutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        # Anonymous reads: an empty requirement list says "no authentication" explicitly, where spectacular's
        # [{}] ("authentication optional") makes client generators demand a token-carrying client.
        if operation is not None and self.method in SAFE_METHODS:
            operation["security"] = []
        return operation

    def get_auth(self):
        # Reads are anonymous (no requirement at all); writes need a token or a session, never nothing.
        if self.method in SAFE_METHODS:
            return []
        return [requirement for requirement in super().get_auth() if requirement]

    def _model_names(self) -> tuple[str, str] | None:
        queryset = getattr(self.view, "queryset", None)
        if queryset is None:
            return None
        meta = queryset.model._meta
        return str(meta.verbose_name), str(meta.verbose_name_plural)

    def _action(self) -> str | None:
        return getattr(self.view, "action", None)

    def _is_csv_export(self) -> bool:
        """A list at its CSV path (``/api/events.csv``): CSV is its only representation."""
        return self._action() == "list" and [renderer.format for renderer in self.view.get_renderers()] == ["csv"]

    def _offers_csv(self) -> bool:
        """A list that also answers ``format=csv`` (every dataset list; not, e.g., the releases)."""
        return self._action() == "list" and "csv" in [renderer.format for renderer in self.view.get_renderers()]

    def get_operation_id(self):
        if self._is_csv_export():
            return f"{self._resource()}_list_csv"
        return super().get_operation_id()

    def get_tags(self):
        return [self._resource()] if self._is_csv_export() else super().get_tags()

    def _resource(self) -> str:
        return self.path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".csv").replace("-", "_")

    def get_summary(self):
        names = self._model_names()
        if names and self._is_csv_export():
            return f"List {names[1]} as CSV"
        if names and self._action() == "list":
            return f"List {names[1]}"
        if names and self._action() == "retrieve":
            return f"Get one {names[0]}"
        if names and self._action() in SUMMARIES:
            return (
                f"{SUMMARIES[self._action()]} {'one' if self._action() != 'create' else article(names[0])} {names[0]}"
            )
        description = super().get_description()
        return description.strip().splitlines()[0].rstrip(".") if description else None

    def get_description(self):
        doc = super().get_description()
        names = self._model_names()
        if names and self._is_csv_export():
            return (
                f"Lists {names[1]} as one flat CSV file (`text/csv`, UTF-8 with a byte-order mark) of every matching "
                f"row, with the filters of the JSON list; `page` or `page_size` ask for one page. The same as the "
                f"JSON list with `format=csv`, at a path of its own so that generated clients read it as text.\n\n"
                f"{doc}"
            )
        if names and self._offers_csv():
            return (
                f"Lists {names[1]}, narrowed by the filters below (all combined with AND), one page at a time; "
                f"add `format=csv` for a CSV file of every matching row. Unknown or malformed parameters are "
                f"answered with 400, naming the parameter.\n\n{doc}"
            )
        if names and self._action() == "list":
            return f"Lists {names[1]}, one page at a time. Unknown parameters are answered with 400.\n\n{doc}"
        if names and self._action() == "retrieve":
            lookup = self.view.lookup_field
            return (
                f"One {names[0]}, looked up by its {lookup}, with its `ETag` and `Last-Modified`; a GET naming the "
                f"current ETag in `If-None-Match` is answered 304 with no body.\n\n{doc}"
            )
        if names and self._action() in DESCRIPTIONS:
            a = f"{article(names[0])} {names[0]}"
            return DESCRIPTIONS[self._action()].format(a=a, plural=names[1]) + f"\n\n{doc}"
        return doc

    def _resolve_path_parameters(self, variables):
        # The key's help_text is the parameter's description, where clients and docs look for it.
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if not parameter.get("description") and "description" in parameter["schema"]:
                parameter["description"] = parameter["schema"].pop("description")
            elif not parameter.get("description") and parameter["name"] == getattr(self.view, "lookup_field", None):
                parameter["description"] = str(help_text(self.view.queryset.model, parameter["name"]))
        return parameters

    def map_renderers(self, attribute):
        # CSV is documented separately, on list operations only, as text rather than the JSON schema.
        return [item for item in super().map_renderers(attribute) if item not in (CSV_MEDIA_TYPE, "csv")]

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self._action() in CONDITIONAL_ACTIONS:
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    required=True,
                    description="The record's ETag from a GET; the write is refused (412) if it changed since.",
                    pattern=r"^\S(.*\S)?$",
                )
            )
        if self._offers_csv() and not self._is_csv_export():
            parameters.append(
                OpenApiParameter(
                    "format",
                    OpenApiTypes.STR,
                    enum=["json", "csv"],
                    description="Response format: JSON (default) or a flat CSV file of every matching row "
                    "(paginated only when `page` or `page_size` is given).",
                )
            )
        return parameters

    def get_response_serializers(self):
        main = super().get_response_serializers()
        if isinstance(main, dict):
            return main
        action = self._action()
        if action in WRITE_ACTIONS:
            # A write answers with the record as a GET shows it, not with the request's shape.
            main = self.view.serializer_class
        if self._is_csv_export():
            responses = {(200, CSV_MEDIA_TYPE): OpenApiResponse(OpenApiTypes.STR, description="The CSV file.")}
        elif action == "destroy":
            responses = {204: OpenApiResponse(description="Deleted.")}
        elif action == "create":
            responses = {(201, "application/json"): main}
        else:
            responses = {(200, "application/json"): main}
        if self._offers_csv() and not self._is_csv_export():
            responses[(200, CSV_MEDIA_TYPE)] = OpenApiResponse(
                OpenApiTypes.STR, description="With `format=csv`: every matching row as CSV."
            )
        if action == "retrieve":
            responses[304] = OpenApiResponse(description="Not modified: the ETag in `If-None-Match` is current.")
        # Errors are JSON on every path, the CSV ones included.
        responses[(400, "application/json")] = OpenApiResponse(
            ErrorSerializer, description="A query parameter is unknown, repeated or malformed; see `errors`."
        )
        responses[(404, "application/json")] = OpenApiResponse(
            ErrorSerializer, description=self._not_found_description()
        )
        codes = [429]
        if action in WRITE_ACTIONS:
            codes = [401, 403, 409, 413, 415, 429] if action != "destroy" else [401, 403, 409, 429]
        if action in CONDITIONAL_ACTIONS:
            codes += [412, 428]
        if action == "create":
            del responses[(404, "application/json")]
        for code in sorted(codes):
            responses[(code, "application/json")] = OpenApiResponse(ErrorSerializer, description=ERRORS[code])
        return responses

    def _not_found_description(self) -> str:
        if self._action() == "list":
            return "The page is past the last one."
        if self._action() is None and isinstance(self.view, mixins.ListModelMixin):  # e.g. a treaty's timeline
            return "No record has this key, or the page is past the last one."
        return "No record has this key."


def document_empty_filters(result, generator, request, public):
    """An empty query parameter is the parameter left out, on every endpoint (``apps.core.api.filters``'s rule, in
    docs/api.md): ``?treaty=`` filters nothing, ``?page_size=`` is the default size."""
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method != "get":
                continue
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    parameter["allowEmptyValue"] = True
    return result


def add_write_links(result, generator, request, public):
    """OpenAPI links from a created or fetched record to its detail, update and delete operations.

    They tell clients (and Schemathesis's stateful phase) that the key comes from the response body and the
    ``If-Match`` value from its ``ETag`` header.
    """
    paths = result.get("paths", {})
    for path, operations in paths.items():
        create = operations.get("post")
        if not create or "{" in path:
            continue
        resource = create["operationId"].removesuffix("_create")
        detail = next((p for p in paths if p.startswith(path + "{") and p.count("/") == path.count("/") + 1), None)
        if detail is None:
            continue
        key = detail[len(path) + 1 : -2]
        keyed = {key: f"$response.body#/{key}"}
        conditional = {**keyed, "header.If-Match": "$response.header.ETag"}
        links = {
            "Retrieve": {"operationId": f"{resource}_retrieve", "parameters": keyed},
            "Update": {"operationId": f"{resource}_partial_update", "parameters": conditional},
            "Delete": {"operationId": f"{resource}_destroy", "parameters": conditional},
        }
        create["responses"]["201"]["links"] = links
        for method in ("get", "patch", "put"):
            operation = paths[detail].get(method)
            if operation:
                operation["responses"]["200"]["links"] = {
                    name: link for name, link in links.items() if name != "Retrieve"
                }
    return result


# The server the schema describes when it is generated without a request (manage.py spectacular): the README's
# development server. A served schema names the server that serves it.
DEVELOPMENT_SERVER = "http://127.0.0.1:8000"


def server_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/") if request is not None else DEVELOPMENT_SERVER


def add_servers_and_page_examples(result, generator, request, public):
    """A ``servers`` entry, and the pagination envelope's examples as this API's own URLs.

    DRF's envelope documents ``next`` with ``http://api.example.org/accounts/?page=4``; each paginated component gets
    the URLs of the first list that returns it instead (``.../api/events/?page=4``), with the example's query.
    """
    base = server_url(request)
    servers = [{"url": base, "description": "This server" if request is not None else "Development"}]
    # After "info", where readers of the document look for it.
    result = {
        **{key: value for key, value in result.items() if key in {"openapi", "info"}},
        "servers": servers,
        **result,
    }
    components = result.get("components", {}).get("schemas", {})
    done = set()
    for path, operations in result.get("paths", {}).items():
        content = operations.get("get", {}).get("responses", {}).get("200", {}).get("content", {})
        reference = content.get("application/json", {}).get("schema", {}).get("$ref", "")
        name = reference.rsplit("/", 1)[-1]
        if not name.startswith("Paginated") or name in done or name not in components:
            continue
        done.add(name)
        component = components[name]
        url = base + re.sub(r"\{[^}]+\}", "open-skies", path)
        for link in ("next", "previous"):
            # The pagination's own example query (DRF's page=4 and page=2, or a timeline's cursor).
            example = component["properties"][link]
            example["example"] = f"{url}?{urlsplit(example['example']).query}"
    return result
