"""Filters of the events and statements endpoints."""

import django_filters
from django.db.models import Exists, OuterRef, Q

from apps.core.api.filters import (
    FilterSet,
    KeyFilter,
    NullsLastOrderingFilter,
    partial_date_after,
    partial_date_before,
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
    q = django_filters.CharFilter(
        method="search", label="Text search (any case) in the slug, title, description and location."
    )
    updated_after = updated_after_filter("events")
    ordering = NullsLastOrderingFilter(
        fields=["date", "updated_at", "slug"],
        label="Sort order: date, updated_at or slug, '-' first for descending; unknown dates sort last. "
        "Default: date, then slug.",
    )

    class Meta:
        model = Event
        fields = []

    def filter_state(self, queryset, name, value: State):
        # "id IN (the state's events)" rather than EXISTS per event: the database starts from the state's few
        # participations (an index-only scan) instead of testing every event in list order.
        participants = EventParticipant.objects.filter(state=value)
        if name != "state":
            participants = participants.filter(role=ParticipantRole(name))
        return queryset.filter(pk__in=participants.values("event_id"))

    def filter_source(self, queryset, name, value: Source):
        return queryset.filter(Exists(EventCitation.objects.filter(event=OuterRef("pk"), source=value)))

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(slug__icontains=value)
            | Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(location__icontains=value)
        )


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
    q = django_filters.CharFilter(
        method="search", label="Text search (any case) in the slug, text, speaker and speaker's title."
    )

    class Meta:
        model = Statement
        fields = []

    def filter_state(self, queryset, name, value: State):
        joint = Statement.joint_with.through.objects.filter(statement=OuterRef("pk"), state=value)
        mentioned = Statement.mentions.through.objects.filter(statement=OuterRef("pk"), state=value)
        return queryset.filter(Q(on_behalf_of=value) | Exists(joint) | Exists(mentioned))

    def filter_source(self, queryset, name, value: Source):
        return queryset.filter(Exists(StatementCitation.objects.filter(statement=OuterRef("pk"), source=value)))

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(slug__icontains=value)
            | Q(text__icontains=value)
            | Q(speaker__icontains=value)
            | Q(speaker_title__icontains=value)
        )
