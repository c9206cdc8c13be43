"""OpenAPI generation: summaries and descriptions derived once from the models and viewsets, errors documented.

Every operation gets a summary ("List events"), a description (the viewset's docstring, prefixed by what the
operation does), its 400 and 404 bodies in the shared error shape, and, on lists, the ``format=csv`` alternative.
"""

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

    def get_summary(self):
        names = self._model_names()
        if names and self._action() == "list":
            return f"List {names[1]}"
        if names and self._action() == "retrieve":
            return f"Get one {names[0]}"
        if names and self._action() in SUMMARIES:
            return f"{SUMMARIES[self._action()]} {'one ' if self._action() != 'create' else 'a '}{names[0]}"
        description = super().get_description()
        return description.strip().splitlines()[0].rstrip(".") if description else None

    def get_description(self):
        doc = super().get_description()
        names = self._model_names()
        if names and self._action() == "list":
            return (
                f"Lists {names[1]}, narrowed by the filters below (all combined with AND), one page at a time; "
                f"add `format=csv` for a CSV file of every matching row. Unknown or malformed parameters are "
                f"answered with 400, naming the parameter.\n\n{doc}"
            )
        if names and self._action() == "retrieve":
            lookup = self.view.lookup_field
            return (
                f"One {names[0]}, looked up by its {lookup}, with its `ETag` and `Last-Modified`; a GET naming the "
                f"current ETag in `If-None-Match` is answered 304 with no body.\n\n{doc}"
            )
        if names and self._action() in DESCRIPTIONS:
            return DESCRIPTIONS[self._action()].format(a=f"a {names[0]}", plural=names[1]) + f"\n\n{doc}"
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
        if self._action() == "list":
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
        if action == "destroy":
            responses = {204: OpenApiResponse(description="Deleted.")}
        elif action == "create":
            responses = {(201, "application/json"): main}
        else:
            responses = {(200, "application/json"): main}
        if action == "list":
            responses[(200, CSV_MEDIA_TYPE)] = OpenApiResponse(OpenApiTypes.STR)
        if action == "retrieve":
            responses[304] = OpenApiResponse(description="Not modified: the ETag in `If-None-Match` is current.")
        responses[400] = OpenApiResponse(
            ErrorSerializer, description="A query parameter is unknown, repeated or malformed; see `errors`."
        )
        responses[404] = OpenApiResponse(ErrorSerializer, description=self._not_found_description())
        codes = [429]
        if action in WRITE_ACTIONS:
            codes = [401, 403, 409, 413, 415, 429] if action != "destroy" else [401, 403, 409, 429]
        if action in CONDITIONAL_ACTIONS:
            codes += [412, 428]
        if action == "create":
            del responses[404]
        for code in sorted(codes):
            responses[code] = OpenApiResponse(ErrorSerializer, description=ERRORS[code])
        return responses

    def _not_found_description(self) -> str:
        if self._action() == "list":
            return "The page is past the last one."
        if self._action() is None and isinstance(self.view, mixins.ListModelMixin):  # e.g. a treaty's timeline
            return "No record has this key, or the page is past the last one."
        return "No record has this key."


def document_empty_filters(result, generator, request, public):
    """An empty filter value (``?treaty=``) means "no filter" and an empty ``format`` the default (docs/api.md)."""
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method != "get":
                continue
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and parameter["name"] not in {"page", "page_size"}:
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
