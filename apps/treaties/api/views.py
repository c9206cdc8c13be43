"""Endpoints of the treaties app."""

import datetime

from django import forms
from django.db.models import Prefetch

from apps.core.api.renderers import parsed
from apps.core.api.serializers import partial_date_representation
from apps.core.api.writes import CuratedModelViewSet
from apps.core.partial_dates import PartialDate
from apps.treaties.filtersets import MembershipFilterSet, StateFilterSet, TreatyFilterSet
from apps.treaties.models import Membership, MembershipCitation, State, Treaty, TreatyCitation, membership_as_of

from .serializers import (
    MembershipSerializer,
    MembershipWriteSerializer,
    StateSerializer,
    StateWriteSerializer,
    TreatySerializer,
    TreatyWriteSerializer,
)


class TreatyViewSet(CuratedModelViewSet):
    """Treaties and political agreements, with their depositaries and the sources that describe them.

    A treaty's events and statements in date order are at `/api/treaties/{slug}/timeline/`.
    """

    queryset = Treaty.objects.prefetch_related(
        "depositaries", Prefetch("citations", TreatyCitation.objects.select_related("source"))
    )
    serializer_class = TreatySerializer
    write_serializer_class = TreatyWriteSerializer
    filterset_class = TreatyFilterSet
    lookup_field = "slug"


class StateViewSet(CuratedModelViewSet):
    """States, current and former, keyed by ISO 3166 alpha-3 code; the code is accepted in any case (rus, RUS)."""

    queryset = State.objects.select_related("successor_of")
    serializer_class = StateSerializer
    write_serializer_class = StateWriteSerializer
    filterset_class = StateFilterSet
    lookup_field = "code"
    lookup_value_regex = "[A-Za-z]{3}"

    def get_object(self):
        self.kwargs[self.lookup_field] = self.kwargs[self.lookup_field].upper()
        return super().get_object()


class MembershipViewSet(CuratedModelViewSet):
    """The periods in which states take part in treaties, each with its dates and sources."""

    # The slug breaks ties: a state can have several memberships in one treaty, and pages must not shuffle.
    queryset = (
        Membership.objects.select_related("treaty", "state")
        .prefetch_related(Prefetch("citations", MembershipCitation.objects.select_related("source")))
        .order_by("treaty__slug", "state__code", "slug")
    )
    serializer_class = MembershipSerializer
    write_serializer_class = MembershipWriteSerializer
    filterset_class = MembershipFilterSet
    lookup_field = "slug"

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        raw = request.query_params.get("as_of")
        if raw and response.status_code == 200:
            # The filter has accepted the day; the list shows each membership as it stood then.
            day = forms.DateField().clean(raw)
            paginated = isinstance(response.data, dict)
            items = parsed(response.data["results"] if paginated else response.data)
            for item in items:
                describe_as_of(item, day)
            if paginated:
                response.data["results"] = items
            else:
                response.data = items
        return response


def describe_as_of(item: dict, day) -> None:
    """Set a rendered membership's time-dependent fields to what they were on ``day`` (``membership_as_of``)."""

    def partial(value):
        return None if value is None else PartialDate(datetime.date.fromisoformat(value["start"]), value["precision"])

    status, notified, left = membership_as_of(
        item["status"], partial(item["withdrawal_notified_on"]), partial(item["left_on"]), day
    )
    item["status"] = str(status)
    item["withdrawal_notified_on"] = notified and partial_date_representation(notified.start, notified.precision)
    item["left_on"] = left and partial_date_representation(left.start, left.precision)
