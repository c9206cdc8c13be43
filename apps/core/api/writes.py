"""Curated writes: a viewset that reads anonymously and writes through the models' rules, conditionally.

Reads use the viewset's ``serializer_class``; creates and updates use its ``write_serializer_class``, whose
``validate()`` runs the model's ``full_clean()`` and whose ``save()`` goes through ``apps.core.services``. Responses to
writes are the read representation of the saved record, with its new ``ETag``.
"""

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import ErrorDetail
from rest_framework.response import Response
from rest_framework.validators import UniqueValidator

from apps.core.partial_dates import date_entry_problem, is_partial_date
from apps.core.services import record_save

from .conditional import check_if_match, not_modified, require_if_match, validator_headers
from .parsers import StrictJSONParser
from .rows import RowListMixin

SLUG_PATTERN = "[-a-zA-Z0-9_]+"


class PartialDateInputField(serializers.DateField):
    """A partial date's ``YYYY-MM-DD``: "2020" is answered with how to write a year (the admin form's words)."""

    def to_internal_value(self, value):
        try:
            return super().to_internal_value(value)
        except serializers.ValidationError:
            raise serializers.ValidationError(date_entry_problem(value), code="invalid") from None


class RecordWriteSerializer(serializers.ModelSerializer):
    """A record's writable fields, checked by the model's own ``full_clean()``, saved by ``record_save``.

    ``Meta.links`` names many-to-many fields and ``Meta.children`` reverse relations replaced as a whole (given as
    lists); both are optional in a request, and left as they are when omitted.
    """

    def get_fields(self):
        # Uniqueness is the model's rule, checked by full_clean() with the model's message: drop DRF's copies.
        fields = super().get_fields()
        for field in fields.values():
            field.validators = [v for v in field.validators if not isinstance(v, UniqueValidator)]
        return fields

    def get_validators(self):
        return []

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        return (PartialDateInputField if is_partial_date(model_field) else field_class), kwargs

    def to_internal_value(self, data):
        check_input(self, data)
        return super().to_internal_value(data)

    def validate(self, attrs):
        model = self.Meta.model
        related = {*getattr(self.Meta, "links", ()), *getattr(self.Meta, "children", ())}
        record = copy.copy(self.instance) if self.instance is not None else model()
        for name, value in attrs.items():
            if name not in related:
                setattr(record, name, value)
        try:
            record.full_clean(exclude=list(related))
        except DjangoValidationError as error:
            raise serializers.ValidationError(self._by_field_name(error.message_dict)) from None
        return attrs

    def _by_field_name(self, errors: dict) -> dict:
        """Model field names to the names clients send (``url`` of a source is ``web_url``)."""
        names = {field.source: name for name, field in self.fields.items()}
        return {
            ("non_field_errors" if key == "__all__" else names.get(key, key)): value for key, value in errors.items()
        }

    def create(self, validated_data):
        return self._save(self.Meta.model(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)

    def _save(self, record, data):
        links = {name: data.pop(name) for name in getattr(self.Meta, "links", ()) if name in data}
        children = {name: data.pop(name) for name in getattr(self.Meta, "children", ()) if name in data}
        return record_save(record=record, fields=data, links=links, children=children)


def check_input(serializer: serializers.Serializer, data, *, require_all: bool = False) -> None:
    """Refuse what DRF would quietly coerce: unknown fields (a typo must not be dropped, like a query parameter), a
    number where text is expected, ``"true"`` for a boolean, ``""`` for a related record's key."""
    if not isinstance(data, dict):
        return
    fields = {name: field for name, field in serializer.fields.items() if not field.read_only}
    errors = {}
    for name, value in data.items():
        field = fields.get(name)
        if field is None:
            errors[name] = [ErrorDetail(f"Unknown field '{name}'; this accepts: {', '.join(fields)}.", "unknown")]
        elif value is None:
            continue
        elif isinstance(field, serializers.BooleanField) and not isinstance(value, bool):
            errors[name] = [ErrorDetail("Give true or false.", "invalid_type")]
        elif isinstance(field, serializers.CharField | serializers.ChoiceField) and not isinstance(value, str):
            errors[name] = [ErrorDetail("Give a string.", "invalid_type")]
        elif isinstance(field, serializers.RelatedField) and value == "":
            errors[name] = [ErrorDetail("Give a key, or null to leave it empty.", "blank")]
        elif isinstance(field, serializers.ManyRelatedField | serializers.ListField | serializers.ListSerializer) and (
            not isinstance(value, list)
        ):
            errors[name] = [ErrorDetail("Give a list.", "not_a_list")]
        elif (
            isinstance(field, serializers.ListField)
            and isinstance(field.child, serializers.CharField)
            and any(not isinstance(item, str) for item in value)
        ):
            errors[name] = [ErrorDetail("Give a list of strings.", "invalid_type")]
    if require_all:
        # An item of a list replaced as a whole is complete even in a PATCH (DRF would skip its required fields).
        for name, field in fields.items():
            if field.required and name not in data:
                errors[name] = [ErrorDetail("This field is required.", "required")]
    if errors:
        raise serializers.ValidationError(errors)


class StrictSerializer(serializers.Serializer):
    """An item of a list replaced as a whole (a citation, a participant): complete, with no unknown fields."""

    def to_internal_value(self, data):
        check_input(self, data, require_all=True)
        return super().to_internal_value(data)


class KeyRelatedField(serializers.SlugRelatedField):
    """A related record given by its natural key (``"open-skies"``, ``"RUS"``); an unknown key names the endpoint."""

    def __init__(self, slug_field: str, endpoint: str, normalise=None, **kwargs):
        self.normalise = normalise
        super().__init__(slug_field=slug_field, **kwargs)
        self.endpoint = endpoint

    def to_internal_value(self, data):
        if isinstance(data, str) and self.normalise:
            data = self.normalise(data.strip())
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            return self.get_queryset().get(**{self.slug_field: data})
        except self.get_queryset().model.DoesNotExist:
            name = self.get_queryset().model._meta.verbose_name
            raise serializers.ValidationError(
                f"No {name} has the {self.slug_field} '{data}'; see /api/{self.endpoint}/.", code="does_not_exist"
            ) from None


class CuratedModelViewSet(RowListMixin, viewsets.ModelViewSet):
    """Anonymous reads; creates, conditional updates and deletes for users with the model's permissions.

    Lists and details are built from rows by the plan of ``serializer_class`` (``apps.core.api.rows``); the
    responses to writes are the serializer's own output, which the plan reproduces byte for byte.

    Detail responses carry ``ETag`` and ``Last-Modified``; a GET naming the current ETag in ``If-None-Match`` is a
    304. ``PUT``, ``PATCH`` and ``DELETE`` need ``If-Match`` (428 without it, 412 when the record changed since),
    checked with the record locked inside the write's transaction, so of two writers holding the same ETag one wins
    and the other gets a 412.
    """

    write_serializer_class: type[serializers.Serializer]
    # Query parameters an action reads itself, beyond ``format`` (set per action: ``@action(query_parameters=...)``);
    # any other is refused by the filter backend when the action looks its record up.
    query_parameters: tuple[str, ...] = ()
    parser_classes = [StrictJSONParser]
    lookup_value_regex = SLUG_PATTERN

    def initial(self, request, *args, **kwargs):
        # A method this endpoint does not serve is a 405 for everyone, before credentials or permissions are
        # considered (otherwise a staff-only action answers TRACE with 401, as if signing in would help).
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            self.http_method_not_allowed(request)
        super().initial(request, *args, **kwargs)

    def get_serializer_class(self):
        if self.action in {"create", "update", "partial_update"}:
            return self.write_serializer_class
        return self.serializer_class

    def retrieve(self, request, *args, **kwargs):
        record = self.get_object()
        headers = validator_headers(record)
        if not_modified(request, record):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        return Response(self.representation(record), headers=headers)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            record = serializer.save()
        return self._record_response(record, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.get("partial", False)
        # In this order: If-Match missing (428), a body that could never be accepted (400), then, under the lock, a
        # stale If-Match (412) and the model's rules against the current data.
        require_if_match(request)
        self.get_serializer(self.get_object(), data=request.data, partial=partial).is_valid(raise_exception=True)
        with transaction.atomic():
            record = self._locked_object()
            serializer = self.get_serializer(record, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            record = serializer.save()
        return self._record_response(record, status.HTTP_200_OK)

    def destroy(self, request, *args, **kwargs):
        require_if_match(request)
        with transaction.atomic():
            record = self._locked_object()
            record.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _locked_object(self):
        """The record, locked until the transaction ends (PostgreSQL row lock; SQLite's IMMEDIATE transactions
        already serialise writers), after checking the request's If-Match against it."""
        self.queryset = type(self).queryset.select_for_update(of=("self",))
        record = self.get_object()
        check_if_match(self.request, record)
        return record

    def _record_response(self, record, status_code: int) -> Response:
        fresh = type(self).queryset.get(pk=record.pk)
        data = self.serializer_class(fresh, context=self.get_serializer_context()).data
        headers = validator_headers(fresh)
        if status_code == status.HTTP_201_CREATED:
            headers["Location"] = str(data["url"])  # a plain str: DRF gives a Hyperlink, which wsgiref refuses
        return Response(data, status=status_code, headers=headers)
