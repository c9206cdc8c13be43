"""Read-only endpoints of the treaties app."""

from django.db.models import Prefetch
from rest_framework import viewsets

from apps.treaties.filtersets import MembershipFilterSet, StateFilterSet, TreatyFilterSet
from apps.treaties.models import Membership, MembershipCitation, State, Treaty, TreatyCitation

from .serializers import MembershipSerializer, StateSerializer, TreatySerializer


class TreatyViewSet(viewsets.ReadOnlyModelViewSet):
    """Treaties and political agreements, with their depositaries and the sources that describe them.

    A treaty's events and statements in date order are at `/api/treaties/{slug}/timeline/`.
    """

    queryset = Treaty.objects.prefetch_related(
        "depositaries", Prefetch("citations", TreatyCitation.objects.select_related("source"))
    )
    serializer_class = TreatySerializer
    filterset_class = TreatyFilterSet
    lookup_field = "slug"


class StateViewSet(viewsets.ReadOnlyModelViewSet):
    """States, current and former, keyed by ISO 3166 alpha-3 code; the code is accepted in any case (rus, RUS)."""

    queryset = State.objects.select_related("successor_of")
    serializer_class = StateSerializer
    filterset_class = StateFilterSet
    lookup_field = "code"
    lookup_value_regex = "[A-Za-z]{3}"

    def get_object(self):
        self.kwargs[self.lookup_field] = self.kwargs[self.lookup_field].upper()
        return super().get_object()


class MembershipViewSet(viewsets.ReadOnlyModelViewSet):
    """The periods in which states take part in treaties, each with its dates and sources."""

    # The slug breaks ties: a state can have several memberships in one treaty, and pages must not shuffle.
    queryset = (
        Membership.objects.select_related("treaty", "state")
        .prefetch_related(Prefetch("citations", MembershipCitation.objects.select_related("source")))
        .order_by("treaty__slug", "state__code", "slug")
    )
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilterSet
    lookup_field = "slug"
