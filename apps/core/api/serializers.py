"""Serializer building blocks shared by every app."""

import datetime
import re
from functools import lru_cache
from urllib.parse import quote

from django.urls import NoReverseMatch, get_script_prefix, reverse
from rest_framework import serializers
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param

from apps.core.partial_dates import DatePrecision, PartialDate


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


# Keys that fit the project's URL patterns (slugs; three-letter codes) and appear nowhere else in a path.
PLACEHOLDERS = ("__key__", "QQQ", "qqq", "0")
# What django.urls.reverse() leaves unquoted in a path (RFC 3986 sub-delimiters and /~:@).
URL_SAFE = "!$&'()*+,;=/~:@"
SLUG_SAFE = re.compile(r"[-\w]+", re.ASCII)


@lru_cache(maxsize=256)
def _path_template(view_name: str, kwarg: str, script_prefix: str) -> tuple[str, str]:
    """The path of ``view_name`` split around its key; placeholders are tried until one fits the URL pattern."""
    for placeholder in PLACEHOLDERS:
        try:
            path = reverse(view_name, kwargs={kwarg: placeholder})
        except NoReverseMatch:
            continue
        if path.count(placeholder) == 1:
            before, _, after = path.partition(placeholder)
            return before, after
    raise NoReverseMatch(f"No placeholder fits the URL pattern of {view_name!r}.")


def record_url(request, view_name: str, kwarg: str, value) -> str | None:
    """The absolute API URL of the record whose key (URL keyword ``kwarg``) is ``value``; None without a key."""
    if value in (None, ""):
        return None
    # Scheme, host and script prefix are the same for every link of a response: found once per request.
    base = getattr(request, "_link_base", None)
    if base is None:
        base = request._link_base = (request.build_absolute_uri("/")[:-1], get_script_prefix())
    before, after = _path_template(view_name, kwarg, base[1])
    value = str(value)
    if not SLUG_SAFE.fullmatch(value):
        value = quote(value, safe=URL_SAFE)
    return f"{base[0]}{before}{value}{after}"


class LinkMixin:
    """Builds a record's API URL from a per-view template instead of resolving the URLconf for every record.

    A page of a hundred events holds some five hundred links; ``reverse()`` and ``build_absolute_uri()`` per link
    were a quarter of the response time. The output is the URL DRF builds (without ``?format=``, see
    WithoutFormatMixin); a format suffix in the path (``.json``) takes DRF's own path.
    """

    def get_url(self, obj, view_name, request, format):
        if format or request is None:
            return super().get_url(obj, view_name, request, format)
        return record_url(request, view_name, self.lookup_url_kwarg, getattr(obj, self.lookup_field))


class WithoutFormatMixin:
    """A link to a record's resource itself: DRF would carry the request's ``?format=csv`` into every link."""

    def get_url(self, obj, view_name, request, format):
        url = super().get_url(obj, view_name, request, format)
        return url and remove_query_param(url, api_settings.URL_FORMAT_OVERRIDE)


class KeyLinkField(LinkMixin, WithoutFormatMixin, serializers.HyperlinkedRelatedField):
    """The API URL of a related record, looked up by its natural key."""

    def __init__(self, view_name: str, lookup_field: str, **kwargs):
        super().__init__(view_name=view_name, lookup_field=lookup_field, read_only=True, **kwargs)


class SelfLinkField(LinkMixin, WithoutFormatMixin, serializers.HyperlinkedIdentityField):
    """The record's own API URL, looked up by its natural key."""

    def __init__(self, view_name: str, lookup_field: str, **kwargs):
        kwargs.setdefault("help_text", "This record's URL in the API.")
        super().__init__(view_name=view_name, lookup_field=lookup_field, **kwargs)


_MISSING = object()


class FastRepresentationMixin:
    """``to_representation`` without DRF's per-field generality where a field reads one plain attribute.

    DRF resolves every field through ``get_attribute`` (dotted sources, callables, dict lookups, error handling);
    on a page of a hundred events with their participants and citations that is some four thousand calls. Fields whose
    source is one attribute holding a value are read with ``getattr``; every other case, and every conversion, is
    still the field's own code, so the output is DRF's.
    """

    def to_representation(self, instance):
        plan = self.__dict__.get("_fast_plan")
        if plan is None:
            plan = self._fast_plan = [
                (field.field_name, field.source_attrs[0] if len(field.source_attrs) == 1 else None, field)
                for field in self._readable_fields
            ]
        ret = {}
        for name, attribute, field in plan:
            value = _MISSING if attribute is None else getattr(instance, attribute, _MISSING)
            if value is _MISSING or callable(value):
                value = field.get_attribute(instance)
            if value is None:
                ret[name] = None
            elif isinstance(value, PKOnlyObject):
                ret[name] = None if value.pk is None else field.to_representation(value)
            else:
                ret[name] = field.to_representation(value)
        return ret
