"""Serializer building blocks shared by every app."""

import datetime
import re
from functools import lru_cache
from urllib.parse import quote_plus

from django.urls import get_script_prefix, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param

from apps.core.partial_dates import DatePrecision, PartialDate

# Keys that need no quoting in a URL: slugs and codes, ASCII letters, digits, '-' and '_'.
SLUG_SAFE = re.compile(r"[-\w]+", re.ASCII)


class PartialDateSerializer(serializers.Serializer):
    """A date as precise as its source: the period it stands for, its precision, and a display form.

    Declared on a serializer as ``date = PartialDateSerializer("date")``: it reads ``<name>`` and
    ``<name>_precision`` from the record and is null when the date is unknown. Its description is the model
    field's help_text.
    """

    start = serializers.DateField(help_text="First day of the period (the stored value).")
    end = serializers.DateField(help_text="Last day of the period: the same day, the month's last, or 31 December.")
    precision = serializers.ChoiceField(choices=DatePrecision.choices, help_text="How precise the date is.")
    display = serializers.CharField(
        help_text="The date as a reader would write it: '3 January 2021', 'January 2021', '2021'."
    )

    def __init__(self, date_field: str, **kwargs):
        self.date_field = date_field
        super().__init__(source="*", read_only=True, allow_null=True, **kwargs)

    def bind(self, field_name, parent):
        super().bind(field_name, parent)
        if not self.help_text:
            self.help_text = parent.Meta.model._meta.get_field(self.date_field).help_text

    def to_representation(self, instance):
        # Built directly rather than through the four declared fields: identical output, a fraction of the cost
        # on a page of a hundred records (the declared fields still document the shape in the schema).
        return partial_date_representation(
            getattr(instance, self.date_field), getattr(instance, f"{self.date_field}_precision")
        )


def partial_date_representation(value: datetime.date | None, precision: str) -> dict | None:
    """A partial date as the API shows it (see PartialDateSerializer), from its two stored columns."""
    if value is None:
        return None
    return dict(_partial_date_parts(value, precision))


@lru_cache(maxsize=4096)
def _partial_date_parts(value: datetime.date, precision: str) -> tuple:
    # Records share dates (a page of a busy treaty's events, a year's memberships): each is worked out once.
    partial_date = PartialDate(value, precision)
    return (
        ("start", partial_date.start.isoformat()),
        ("end", partial_date.end.isoformat()),
        ("precision", partial_date.precision),
        ("display", partial_date.display()),
    )


def help_text(model, field: str) -> str:
    """A model field's help_text, for serializer fields the model cannot describe by itself (descriptions once)."""
    return model._meta.get_field(field).help_text


class WithoutFormatMixin:
    """A link to a record's resource itself: DRF would carry the request's ``?format=csv`` into every link."""

    def get_url(self, obj, view_name, request, format):
        url = super().get_url(obj, view_name, request, format)
        return url and remove_query_param(url, api_settings.URL_FORMAT_OVERRIDE)


class KeyLinkField(WithoutFormatMixin, serializers.HyperlinkedRelatedField):
    """The API URL of a related record, looked up by its natural key."""

    def __init__(self, view_name: str, lookup_field: str, **kwargs):
        super().__init__(view_name=view_name, lookup_field=lookup_field, read_only=True, **kwargs)


class SelfLinkField(WithoutFormatMixin, serializers.HyperlinkedIdentityField):
    """The record's own API URL, looked up by its natural key."""

    def __init__(self, view_name: str, lookup_field: str, **kwargs):
        kwargs.setdefault("help_text", "This record's URL in the API.")
        super().__init__(view_name=view_name, lookup_field=lookup_field, **kwargs)


@extend_schema_field(OpenApiTypes.URI)
class ListLinkField(serializers.Field):
    """The URL of a list narrowed to this record, e.g. a treaty's ``/api/memberships/?treaty=open-skies``: a link a
    client follows unchanged to the records that refer to this one."""

    def __init__(self, view_name: str, parameter: str, lookup_field: str, **kwargs):
        self.view_name, self.parameter = view_name, parameter
        super().__init__(source=lookup_field, read_only=True, **kwargs)

    def to_representation(self, value):
        return list_link(self.context["request"].build_absolute_uri("/")[:-1], self.view_name, self.parameter, value)


def list_link(origin: str, view_name: str, parameter: str, value) -> str:
    """The absolute URL of list ``view_name`` filtered by ``parameter=value`` (``origin`` is scheme and host)."""
    value = str(value)
    # What urlencode() would give, without its work for the slugs and codes that need no quoting.
    if not SLUG_SAFE.fullmatch(value):
        value = quote_plus(value)
    return f"{origin}{_list_path(view_name, get_script_prefix())}?{quote_plus(parameter)}={value}"


@lru_cache(maxsize=256)
def _list_path(view_name: str, script_prefix: str) -> str:
    # A list's path depends only on the URLconf and the script prefix: resolved once, not for every record shown
    # (a tenth of the CPU of a page of 100 events went to resolving the same path).
    return reverse(view_name)
