"""OpenAPI generation: summaries and descriptions derived once from the models and viewsets, errors documented.

Every operation gets a summary ("List events"), a description (the viewset's docstring, prefixed by what the
operation does), its 400 and 404 bodies in the shared error shape, and, on lists, the ``format=csv`` alternative.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from .exceptions import ErrorSerializer
from .serializers import help_text

CSV_MEDIA_TYPE = "text/csv"


class AutoSchema(SpectacularAutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        # Anonymous reads: an empty requirement list says "no authentication" explicitly, where spectacular's
        # [{}] ("authentication optional") makes client generators demand a token-carrying client.
        if operation is not None and operation.get("security") == [{}]:
            operation["security"] = []
        return operation

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
            return f"One {names[0]}, looked up by its {lookup}.\n\n{doc}"
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
        responses = {(200, "application/json"): main}
        if self._action() == "list":
            responses[(200, CSV_MEDIA_TYPE)] = OpenApiResponse(OpenApiTypes.STR)
        responses[400] = OpenApiResponse(
            ErrorSerializer, description="A query parameter is unknown, repeated or malformed; see `errors`."
        )
        responses[404] = OpenApiResponse(
            ErrorSerializer,
            description="The page is past the last one." if self._action() == "list" else "No record has this key.",
        )
        return responses
