"""Endpoints of the treaties app."""

from django.db.models import Prefetch

from apps.core.api.writes import CuratedModelViewSet
from apps.treaties.filtersets import MembershipFilterSet, StateFilterSet, TreatyFilterSet
from apps.treaties.models import Membership, MembershipCitation, State, Treaty, TreatyCitation

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
