"""Filters of the treaties, states and memberships endpoints."""

import django_filters
from django.db.models import Exists, OuterRef, Q

from apps.core.api.filters import FilterSet, KeyFilter, updated_after_filter
from apps.core.partial_dates import period_contains_q
from apps.treaties.choices import MembershipRole, MembershipStatus, TreatyKind, TreatyStatus
from apps.treaties.models import Membership, State, Treaty, status_as_of_q


def state_filter(label: str, **kwargs) -> KeyFilter:
    """A filter taking a state's alpha-3 code in any case (``rus`` or ``RUS``)."""
    return KeyFilter(
        queryset=State.objects.all(),
        to_field_name="code",
        endpoint="states",
        normalise=str.upper,
        label=label,
        **kwargs,
    )


def treaty_filter(label: str, **kwargs) -> KeyFilter:
    return KeyFilter(queryset=Treaty.objects.all(), to_field_name="slug", endpoint="treaties", label=label, **kwargs)


class TreatyFilterSet(FilterSet):
    state = state_filter(
        "Only treaties this state (alpha-3 code, any case, e.g. RUS) is or was a party to.", method="filter_state"
    )
    status = django_filters.ChoiceFilter(choices=TreatyStatus.choices, label="Only treaties with this status.")
    kind = django_filters.ChoiceFilter(choices=TreatyKind.choices, label="Only treaties of this kind.")
    updated_after = updated_after_filter("treaties")
    q = django_filters.CharFilter(
        method="search", label="Text search (any case) in the slug, name, short name, aliases and summary."
    )

    class Meta:
        model = Treaty
        fields = []

    def filter_state(self, queryset, name, value: State):
        parties = Membership.objects.filter(treaty=OuterRef("pk"), state=value, role=MembershipRole.PARTY)
        return queryset.filter(Exists(parties))

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(slug__icontains=value)
            | Q(name__icontains=value)
            | Q(short_name__icontains=value)
            | Q(aliases__icontains=value)
            | Q(summary__icontains=value)
        )


class StateFilterSet(FilterSet):
    treaty = treaty_filter(
        "Only states with a membership (party or signatory, past or present) in this treaty (slug).",
        method="filter_treaty",
    )
    updated_after = updated_after_filter("states")
    q = django_filters.CharFilter(method="search", label="Text search (any case) in the code, name and aliases.")

    class Meta:
        model = State
        fields = []

    def filter_treaty(self, queryset, name, value: Treaty):
        return queryset.filter(Exists(Membership.objects.filter(state=OuterRef("pk"), treaty=value)))

    def search(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value) | Q(aliases__icontains=value))


class MembershipFilterSet(FilterSet):
    treaty = treaty_filter("Only memberships in this treaty (slug), e.g. open-skies.")
    state = state_filter("Only memberships of this state (alpha-3 code, any case), e.g. RUS.")
    role = django_filters.ChoiceFilter(choices=MembershipRole.choices, label="Only memberships with this role.")
    status = django_filters.ChoiceFilter(
        choices=MembershipStatus.choices,
        method="filter_status",
        label="Only memberships with this status (with as_of, the status on that day).",
    )
    updated_after = updated_after_filter("memberships")
    as_of = django_filters.DateFilter(
        method="filter_as_of",
        label="Only memberships running on this day (YYYY-MM-DD): joined on or before it and not yet left. An "
        "unknown joining or leaving date leaves that side open, and a date known only to the month or year counts "
        "when its period could include the day. Combine with role=party for the parties on that day. The "
        "time-dependent fields then describe that day: `status` (and the `status` filter), `withdrawal_notified_on` "
        "and `left_on`. A notice or end dated after the day (or in a month or year not over by then) is null and "
        "the status is the one before it (`active`, or `withdrawing` once notice was given); a status the sources "
        "do not date is kept as it is.",
    )

    class Meta:
        model = Membership
        fields = []

    def filter_status(self, queryset, name, value):
        day = self.form.cleaned_data.get("as_of")
        return queryset.filter(status=value) if day is None else queryset.filter(status_as_of_q(value, day))

    def filter_as_of(self, queryset, name, value):
        return queryset.filter(period_contains_q("joined_on", "left_on", value))
