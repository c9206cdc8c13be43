"""Treaties, states, and the period in which a state takes part in a treaty."""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords

from apps.core.constraints import FieldCheckConstraint
from apps.core.models import NaturalKeyManager, TimeStampedModel, validate_aliases
from apps.core.partial_dates import (
    DatePrecision,
    PartialDate,
    ends_on_or_after_q,
    not_before_q,
    partial_date_constraints,
    precision_field,
)
from apps.sources.citations import CitedRecord
from apps.sources.models import Citation, Source, citation_constraints

from .choices import MembershipRole, MembershipStatus, StateKind, TreatyDomain, TreatyKind, TreatyStatus

STATE_CODE_PATTERN = r"^[A-Z]{3}$"
STATE_CODE_MESSAGE = "A state code is three upper-case letters (ISO 3166 alpha-3), e.g. RUS."


class State(TimeStampedModel):
    """A state, current or former, keyed by its ISO 3166-1 alpha-3 code (ISO 3166-3 for former states: SUN)."""

    code = models.CharField(
        max_length=3,
        unique=True,
        validators=[RegexValidator(STATE_CODE_PATTERN, STATE_CODE_MESSAGE)],
        help_text="ISO 3166-1 alpha-3 code (ISO 3166-3 for a former state), e.g. USA, RUS, SUN.",
    )
    name = models.CharField(max_length=200, unique=True, help_text="Common English short name, e.g. 'Russia'.")
    aliases = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_aliases],
        help_text="Other names as the sources write them, e.g. ['U.S.', 'United States'].",
    )
    kind = models.CharField(
        max_length=20, choices=StateKind.choices, default=StateKind.STATE, help_text="A state, or a former state."
    )
    # PROTECT: removing the predecessor would silently cut the line of succession.
    successor_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="successors",
        help_text="The state this one continues (Russia continues the Soviet Union).",
    )

    objects = NaturalKeyManager("code")
    history = HistoricalRecords(app="history")

    class Meta:
        ordering = ["code"]
        constraints = [
            FieldCheckConstraint(
                field="code",
                condition=models.Q(code__regex=STATE_CODE_PATTERN),
                name="state_code_is_alpha3",
                violation_error_message=STATE_CODE_MESSAGE,
            ),
            FieldCheckConstraint(
                field="successor_of",
                condition=~models.Q(successor_of=models.F("id")),
                name="state_not_own_successor",
                violation_error_message="A state cannot be its own predecessor.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class Treaty(CitedRecord, TimeStampedModel):
    """A treaty or political agreement. Its key dates (signed, in force, ended) come from its events."""

    slug = models.SlugField(max_length=100, unique=True, help_text="Stable key of the treaty, e.g. 'open-skies'.")
    name = models.CharField(max_length=300, unique=True, help_text="Full English name, e.g. 'Treaty on Open Skies'.")
    short_name = models.CharField(max_length=100, blank=True, help_text="Usual short name, e.g. 'Open Skies Treaty'.")
    aliases = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_aliases],
        help_text="Other names as the sources write them, e.g. ['Open Sky Treaty'].",
    )
    kind = models.CharField(max_length=30, choices=TreatyKind.choices, help_text="Bilateral, multilateral, political.")
    domain = models.CharField(max_length=30, choices=TreatyDomain.choices, help_text="The field the treaty governs.")
    status = models.CharField(
        max_length=20,
        choices=TreatyStatus.choices,
        default=TreatyStatus.UNKNOWN,
        help_text="Status as of the latest source in the dataset; the note says which.",
    )
    depositaries = models.ManyToManyField(
        State, blank=True, related_name="depositary_of", help_text="States the treaty names as depositaries."
    )
    summary = models.TextField(blank=True, help_text="What the treaty does, in the curator's words.")
    sources = models.ManyToManyField(
        Source, through="TreatyCitation", related_name="treaties", help_text="Sources that describe the treaty."
    )

    objects = NaturalKeyManager("slug")
    # The depositaries are part of what a curator edits on the treaty, so their changes are recorded with it.
    history = HistoricalRecords(app="history", m2m_fields=[depositaries])

    class Meta:
        ordering = ["slug"]
        verbose_name_plural = "treaties"

    def __str__(self) -> str:
        return self.short_name or self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class TreatyCitation(Citation):
    """A source passage supporting a fact about a treaty (its names, kind, status)."""

    # CASCADE: a citation has no meaning without the record it supports.
    treaty = models.ForeignKey(Treaty, on_delete=models.CASCADE, related_name="citations")

    cited_field = "treaty"
    history = HistoricalRecords(app="history")

    class Meta:
        ordering = ["treaty", "source", "id"]
        constraints = citation_constraints("treatycitation", "treaty")


class Membership(CitedRecord, TimeStampedModel):
    """The period in which a state takes part in a treaty, consistent with the state's events for that treaty.

    "Who was party on D" is the query ``joined_on <= D < left_on``, an unknown date leaving that side open.
    """

    slug = models.SlugField(max_length=150, unique=True, help_text="Stable key, e.g. 'open-skies-usa'.")
    # PROTECT: a treaty or state with memberships is part of the record; delete the memberships first, on purpose.
    treaty = models.ForeignKey(Treaty, on_delete=models.PROTECT, related_name="memberships", help_text="The treaty.")
    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="memberships", help_text="The state.")
    role = models.CharField(
        max_length=20,
        choices=MembershipRole.choices,
        default=MembershipRole.PARTY,
        help_text="Party (bound by the treaty) or signatory only.",
    )
    status = models.CharField(
        max_length=20,
        choices=MembershipStatus.choices,
        default=MembershipStatus.ACTIVE,
        help_text="Active, withdrawing (notice given), withdrawn, or ended with the treaty.",
    )
    joined_on = models.DateField(
        null=True, blank=True, help_text="When the state became a party or signatory; empty if the sources don't say."
    )
    joined_on_precision = precision_field("joined_on")
    withdrawal_notified_on = models.DateField(
        null=True, blank=True, help_text="When the state gave formal notice of withdrawal."
    )
    withdrawal_notified_on_precision = precision_field("withdrawal_notified_on")
    left_on = models.DateField(
        null=True, blank=True, help_text="When the participation ended (withdrawal effective, or the treaty ended)."
    )
    left_on_precision = precision_field("left_on")
    sources = models.ManyToManyField(
        Source, through="MembershipCitation", related_name="memberships", help_text="Sources for this membership."
    )

    objects = NaturalKeyManager("slug")
    history = HistoricalRecords(app="history")

    class Meta:
        ordering = ["treaty", "state"]
        indexes = [
            models.Index(fields=["state", "treaty"], name="membership_state_treaty"),
            models.Index(fields=["treaty", "joined_on", "left_on"], name="membership_treaty_period"),
        ]
        constraints = [
            *partial_date_constraints("membership", "joined_on"),
            *partial_date_constraints("membership", "withdrawal_notified_on"),
            *partial_date_constraints("membership", "left_on"),
            FieldCheckConstraint(
                field="withdrawal_notified_on",
                condition=not_before_q("joined_on", "withdrawal_notified_on"),
                name="membership_notice_not_before_joining",
                violation_error_message="Withdrawal cannot be notified before the state joined.",
            ),
            FieldCheckConstraint(
                field="left_on",
                condition=not_before_q("joined_on", "left_on"),
                name="membership_left_not_before_joining",
                violation_error_message="A state cannot leave a treaty before it joined.",
            ),
            FieldCheckConstraint(
                field="left_on",
                condition=not_before_q("withdrawal_notified_on", "left_on"),
                name="membership_withdrawal_not_effective_before_notice",
                violation_error_message="A withdrawal cannot take effect before it was notified.",
            ),
            FieldCheckConstraint(
                field="status",
                condition=models.Q(left_on__isnull=True)
                | models.Q(status__in=[MembershipStatus.WITHDRAWN, MembershipStatus.ENDED]),
                name="membership_left_means_withdrawn_or_ended",
                violation_error_message="A membership with an end date has status 'withdrawn' or 'ended'.",
            ),
            FieldCheckConstraint(
                field="status",
                condition=models.Q(withdrawal_notified_on__isnull=True)
                | models.Q(status__in=[MembershipStatus.WITHDRAWING, MembershipStatus.WITHDRAWN]),
                name="membership_notice_means_withdrawing_or_withdrawn",
                violation_error_message="A membership with a withdrawal notice is 'withdrawing' or 'withdrawn'.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.state.code} in {self.treaty}"

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def clean(self) -> None:
        """A state's membership periods in one treaty do not overlap."""
        super().clean()
        if self.treaty_id is None or self.state_id is None:
            return
        others = Membership.objects.filter(treaty_id=self.treaty_id, state_id=self.state_id).exclude(pk=self.pk)
        for other in others:
            if self.overlaps(other):
                raise ValidationError(
                    {
                        "state": f"{self.state.code} already has a membership in {self.treaty} ({other.slug}) "
                        "whose period overlaps this one; edit that membership or give both periods dates."
                    }
                )

    def overlaps(self, other: "Membership") -> bool:
        """Whether two membership periods may overlap; an unknown bound is open-ended."""
        return not (_ends_before(self, other) or _ends_before(other, self))


# --- A membership as it stood on a day ------------------------------------------------------------------------
# The time-dependent fields of a membership are its status and the two dates that change it: the withdrawal notice
# and the end. As of a day D, a dated change counts once the sources place it on or before D: a day on or before D, a
# month or year that ended before D (a notice "in February 2019" counts from 1 March, as the ``as_of`` filter keeps a
# membership that ended "in February 2019" on every day of February). A change dated later
# (or possibly later) is not yet known on D: its date is hidden and the status is the one before it. A change the
# sources do not date (a "withdrawn" membership with no dates) cannot be placed, so the stored status is kept.
# The ``as_of`` filter keeps only memberships that may be running on D, so an end that counts never reaches a list.


def _counts_on(date: PartialDate | None, day: datetime.date) -> bool:
    if date is None:
        return False
    return date.start <= day if date.precision == DatePrecision.DAY else date.end < day


def membership_as_of(
    status: str, notified: PartialDate | None, left: PartialDate | None, day: datetime.date
) -> tuple[str, PartialDate | None, PartialDate | None]:
    """(status, withdrawal notice, end) of a membership as they stood on ``day`` (the rule above)."""
    if _counts_on(left, day):
        return status, notified, left
    if _counts_on(notified, day):
        return MembershipStatus.WITHDRAWING, notified, None
    if notified is not None or left is not None:
        return MembershipStatus.ACTIVE, None, None
    return status, None, None


def status_as_of_q(status: str, day: datetime.date) -> models.Q:
    """The memberships whose status on ``day`` (``membership_as_of``) is ``status``, among those the ``as_of``
    filter keeps (whose end does not count on ``day``): the same rule, as a query."""
    notified = models.Q(withdrawal_notified_on__isnull=False) & ~ends_on_or_after_q(
        "withdrawal_notified_on", day, strictly=True
    )
    dated = models.Q(withdrawal_notified_on__isnull=False) | models.Q(left_on__isnull=False)
    if status == MembershipStatus.WITHDRAWING:
        return notified | (~dated & models.Q(status=status))
    if status == MembershipStatus.ACTIVE:
        return (dated & ~notified) | (~dated & models.Q(status=status))
    return ~dated & models.Q(status=status)


def _ends_before(first: Membership, second: Membership) -> bool:
    left = PartialDate.of(first, "left_on")
    joined = PartialDate.of(second, "joined_on")
    return left is not None and joined is not None and left.end <= joined.start


class MembershipCitation(Citation):
    """A source passage supporting a membership or one of its dates."""

    # CASCADE: a citation has no meaning without the record it supports.
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="citations")

    cited_field = "membership"
    history = HistoricalRecords(app="history")

    class Meta:
        ordering = ["membership", "source", "id"]
        constraints = citation_constraints("membershipcitation", "membership")
