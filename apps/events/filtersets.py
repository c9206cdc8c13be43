"""Filters of the events and statements endpoints."""

import django_filters
from django.db.models import Exists, OuterRef

from apps.core.api.filters import (
    FilterSet,
    KeyFilter,
    NullsLastOrderingFilter,
    among,
    partial_date_after,
    partial_date_before,
    search_filter,
    updated_after_filter,
)
from apps.events.choices import EventType, ParticipantRole, StatementKind, StatementStance
from apps.events.models import Event, EventCitation, EventParticipant, Statement, StatementCitation
from apps.sources.models import Source
from apps.treaties.filtersets import state_filter, treaty_filter
from apps.treaties.models import State


def source_filter(label: str) -> KeyFilter:
    return KeyFilter(
        queryset=Source.objects.all(), to_field_name="slug", endpoint="sources", label=label, method="filter_source"
    )


class EventFilterSet(FilterSet):
    treaty = treaty_filter("Only events about this treaty (slug), e.g. open-skies.")
    state = state_filter(
        "Only events in which this state (alpha-3, any case) takes part, in any role.", method="filter_state"
    )
    actor = state_filter("Only events in which this state (alpha-3, any case) is the actor.", method="filter_state")
    target = state_filter("Only events in which this state (alpha-3, any case) is the target.", method="filter_state")
    type = django_filters.MultipleChoiceFilter(
        choices=EventType.choices, label="Only events of this type; repeat the parameter for several (type=a&type=b)."
    )
    date_after = partial_date_after("date", "events")
    date_before = partial_date_before("date", "events")
    source = source_filter("Only events reported by this source (slug).")
    q = search_filter(Event, "events")
    updated_after = updated_after_filter("events")
    # After q: a given ordering replaces the search's relevance order.
    ordering = NullsLastOrderingFilter(
        fields=["date", "updated_at", "slug"],
        label="Sort order: date, updated_at or slug, '-' first for descending; unknown dates sort last. "
        "Default: date, then slug (with q: most relevant first).",
    )

    class Meta:
        model = Event
        fields = []

    def filter_state(self, queryset, name, value: State):
        # The state's participations (in the role the parameter names) from their index (state, role, event); an
        # event in which the state has two roles is listed once.
        # Its known cost: the list order lives on the events, so with another filter the count reads all of a state's
        # events (at a million events, a state in 10,228 of them: 14-24 ms on PostgreSQL; alone, the keys give it),
        # and a page either walks the order or sorts them (``among`` says how each database is given the keys). A
        # copy of the order on the participants served both in about 11 ms, but every path writing participants or an
        # event's date or slug had to keep it (it was kept by triggers, which broke the next migration on SQLite); it
        # was removed on purpose (issue 14). Cached, this page is served like any other.
        participations = EventParticipant.objects.filter(state=value)
        if name != "state":
            participations = participations.filter(role=ParticipantRole(name))
        return among(queryset, participations.values_list("event", flat=True))

    def filter_source(self, queryset, name, value: Source):
        return queryset.filter(Exists(EventCitation.objects.filter(event=OuterRef("pk"), source=value)))


class StatementFilterSet(FilterSet):
    treaty = treaty_filter("Only statements about this treaty (slug), e.g. open-skies.")
    state = state_filter(
        "Only statements made for this state (alpha-3, any case), alone or jointly, or naming it.",
        method="filter_state",
    )
    speaker = django_filters.CharFilter(
        lookup_expr="icontains", label="Only statements whose speaker contains this text (any case), e.g. 'Peskov'."
    )
    kind = django_filters.ChoiceFilter(choices=StatementKind.choices, label="Only statements of this kind.")
    stance = django_filters.ChoiceFilter(choices=StatementStance.choices, label="Only statements with this stance.")
    responds_to = KeyFilter(
        queryset=Event.objects.all(),
        to_field_name="slug",
        endpoint="events",
        label="Only statements responding to this event (slug).",
    )
    date_after = partial_date_after("date", "statements")
    date_before = partial_date_before("date", "statements")
    source = source_filter("Only statements reported by this source (slug).")
    updated_after = updated_after_filter("statements")
    q = search_filter(Statement, "statements")

    class Meta:
        model = Statement
        fields = []

    def filter_state(self, queryset, name, value: State):
        # "id IN (one union of the three ways to name a state)" rather than OR-ed conditions tested on every
        # statement: the database collects the state's few statements from three indexes, then fetches them by key.
        speaking = Statement.objects.filter(on_behalf_of=value).values("pk").order_by()
        joint = Statement.joint_with.through.objects.filter(state=value).values("statement_id").order_by()
        mentioned = Statement.mentions.through.objects.filter(state=value).values("statement_id").order_by()
        return queryset.filter(pk__in=speaking.union(joint, mentioned))

    def filter_source(self, queryset, name, value: Source):
        return queryset.filter(Exists(StatementCitation.objects.filter(statement=OuterRef("pk"), source=value)))
