"""Dates as precise as the source, no more.

A partial date is stored as two fields: ``<name>`` (a DateField holding the first day of the period) and
``<name>_precision`` (day, month or year). "In January 2021" is ``2021-01-01`` with month precision; "signed in
1992" is ``1992-01-01`` with year precision. A date the sources do not give is NULL with an empty precision.
"""

import calendar
import datetime
import re
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Cast, ExtractDay, ExtractMonth, ExtractYear
from django.db.models.lookups import Exact

from .constraints import FieldCheckConstraint


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


def precision_field(date_field: str, *, required: bool = False) -> models.CharField:
    """The companion ``<name>_precision`` field of a partial date."""
    return models.CharField(
        max_length=5,
        choices=DatePrecision.choices,
        blank=not required,
        help_text=f"How precise {date_field} is: day, month or year"
        + ("." if required else "; empty when the date is unknown."),
    )


@dataclass(frozen=True)
class PartialDate:
    """A date known to a day, a month or a year, with its period bounds and a human display form."""

    start: datetime.date
    precision: str

    @property
    def end(self) -> datetime.date:
        """The last day of the period the date stands for."""
        if self.precision == DatePrecision.YEAR:
            return datetime.date(self.start.year, 12, 31)
        if self.precision == DatePrecision.MONTH:
            last = calendar.monthrange(self.start.year, self.start.month)[1]
            return datetime.date(self.start.year, self.start.month, last)
        return self.start

    def display(self) -> str:
        if self.precision == DatePrecision.YEAR:
            return f"{self.start.year}"
        if self.precision == DatePrecision.MONTH:
            return self.start.strftime("%B %Y")
        return f"{self.start.day} {self.start.strftime('%B %Y')}"

    def __str__(self) -> str:
        return self.display()

    @classmethod
    def of(cls, instance, field: str) -> "PartialDate | None":
        value = getattr(instance, field)
        if value is None:
            return None
        return cls(value, getattr(instance, f"{field}_precision"))


def _part(extract, field: str):
    """``extract`` of a date field, with the value typed as a date.

    ``full_clean()`` checks constraints by substituting the instance's values; PostgreSQL cannot type a bare NULL
    inside EXTRACT, so without the cast every empty date would make the check fail with a database error.
    """
    return extract(Cast(field, models.DateField()))


def partial_date_constraints(model: str, field: str, *, required: bool = False) -> list[FieldCheckConstraint]:
    """Database constraints that keep a partial date consistent with its precision.

    ``model`` prefixes the constraint names, which must be unique across the database.
    """
    precision = f"{field}_precision"
    consistent = models.Q(**{f"{field}__isnull": False}) & models.Q(**{f"{precision}__in": DatePrecision.values})
    if not required:
        consistent |= models.Q(**{f"{field}__isnull": True}) & models.Q(**{precision: ""})
    return [
        FieldCheckConstraint(
            field=field,
            condition=consistent,
            name=f"{model}_{field}_has_precision",
            violation_error_message=(
                f"{field} and {precision} go together: give a date with a precision of day, month or year"
                + (", or leave both empty when the date is unknown." if not required else ".")
            ),
        ),
        FieldCheckConstraint(
            field=field,
            condition=~models.Q(**{precision: DatePrecision.MONTH}) | models.Q(Exact(_part(ExtractDay, field), 1)),
            name=f"{model}_{field}_month_is_first_day",
            violation_error_message=f"A month-precision {field} must be the 1st of its month.",
        ),
        FieldCheckConstraint(
            field=field,
            condition=~models.Q(**{precision: DatePrecision.YEAR})
            | models.Q(Exact(_part(ExtractMonth, field), 1), Exact(_part(ExtractDay, field), 1)),
            name=f"{model}_{field}_year_is_first_day",
            violation_error_message=f"A year-precision {field} must be the 1st of January of its year.",
        ),
    ]


def not_before_q(earlier: str, later: str) -> models.Q:
    """True where partial date ``later`` does not fall before partial date ``earlier``, or either is unknown.

    Two partial dates are in order when the earlier one's period starts no later than the later one's period ends.
    Both are stored as period starts, so either ``earlier <= later``, or ``earlier`` starts inside the period of a
    coarser ``later`` (the same month, or the same year).
    """
    later_precision = f"{later}_precision"
    same_year = Exact(_part(ExtractYear, earlier), _part(ExtractYear, later))
    same_month = Exact(_part(ExtractMonth, earlier), _part(ExtractMonth, later))
    return (
        models.Q(**{f"{earlier}__isnull": True})
        | models.Q(**{f"{later}__isnull": True})
        | models.Q(**{f"{earlier}__lte": models.F(later)})
        | (models.Q(**{later_precision: DatePrecision.YEAR}) & models.Q(same_year))
        | (models.Q(**{later_precision: DatePrecision.MONTH}) & models.Q(same_year) & models.Q(same_month))
    )


def period_start(day: datetime.date, precision: str) -> datetime.date:
    """The first day of the period of the given precision that contains ``day``."""
    if precision == DatePrecision.YEAR:
        return datetime.date(day.year, 1, 1)
    if precision == DatePrecision.MONTH:
        return day.replace(day=1)
    return day


def ends_on_or_after_q(field: str, day: datetime.date, *, strictly: bool = False) -> models.Q:
    """True where partial date ``field``'s period ends on or after ``day`` (after it, with ``strictly``).

    The stored value is the period start, so the condition is, per precision, a plain range on the date column
    (index-friendly): a day-precision date is compared with ``day`` itself, a month-precision date with the first
    of ``day``'s month, a year-precision date with 1 January of ``day``'s year. ``strictly`` only changes the
    day-precision comparison: a coarser period that contains ``day`` also extends past it unless ``day`` is its
    last day, and we keep it because the sources cannot rule it out. Unknown dates never match.

    The leading ``>= 1 January`` follows from each precision's condition; it changes no answer and gives the
    database one range to seek: without it SQLite walked every earlier date of the list-order index for a page
    (19 ms of a date-range page at 100k events).
    """
    day_lookup = "gt" if strictly else "gte"
    return models.Q(**{f"{field}__gte": period_start(day, "year")}) & (
        models.Q(**{f"{field}_precision": DatePrecision.DAY, f"{field}__{day_lookup}": day})
        | models.Q(**{f"{field}_precision": DatePrecision.MONTH, f"{field}__gte": period_start(day, "month")})
        | models.Q(**{f"{field}_precision": DatePrecision.YEAR, f"{field}__gte": period_start(day, "year")})
    )


def starts_on_or_before_q(field: str, day: datetime.date) -> models.Q:
    """True where partial date ``field``'s period starts on or before ``day``; unknown dates never match."""
    return models.Q(**{f"{field}__lte": day})


def overlaps_range_q(field: str, after: datetime.date | None = None, before: datetime.date | None = None) -> models.Q:
    """True where partial date ``field``'s period overlaps the inclusive range [after, before]; either bound open.

    "January 2021" overlaps ``after=2021-01-15``; "2020" overlaps ``before=2020-06-30``.
    """
    condition = models.Q()
    if after is not None:
        condition &= ends_on_or_after_q(field, after)
    if before is not None:
        condition &= starts_on_or_before_q(field, before)
    return condition


def period_contains_q(start: str, end: str, day: datetime.date) -> models.Q:
    """True where ``day`` may fall in the period from partial date ``start`` up to (not including) ``end``.

    An unknown bound is open: a record the documents show as running is not dropped only because a date is
    missing. A coarse bound counts when its period could contain ``day`` (joined "in 1992" matches any day of 1992).
    """
    return (models.Q(**{f"{start}__isnull": True}) | starts_on_or_before_q(start, day)) & (
        models.Q(**{f"{end}__isnull": True}) | ends_on_or_after_q(end, day, strictly=True)
    )


_YEAR = re.compile(r"(\d{4})")
_YEAR_MONTH = re.compile(r"(\d{4})[-/.](\d{1,2})")
_MONTH_YEAR = re.compile(r"(\d{1,2})[-/.](\d{4})")
_MONTH_NAMES = {
    name.lower(): number
    for number in range(1, 13)
    for name in (calendar.month_name[number], calendar.month_abbr[number])
}


def date_entry_problem(typed: str) -> str:
    """What to tell a curator whose ``typed`` date was not understood: a year or a month alone is a partial date's
    first day with a coarser precision ("2020" is 2020-01-01, precision Year), which a date box cannot guess."""
    text = " ".join(str(typed).split())
    if _YEAR.fullmatch(text):
        return f"“{text}” is a year: enter {text}-01-01 (1 January) and choose the precision Year."
    year, month = _year_and_month(text)
    if year and month:
        return (
            f"“{text}” is a month: enter {year}-{month:02d}-01 (1 {calendar.month_name[month]}) and choose the "
            "precision Month."
        )
    return (
        "Enter the date as YYYY-MM-DD (2020-11-22); for a month or a year, its first day (2020-11-01, 2020-01-01) "
        "with the precision Month or Year."
    )


def _year_and_month(text: str) -> tuple[int | None, int | None]:
    """The year and month of "2020-03", "03/2020" or "March 2020", or (None, None)."""
    if match := _YEAR_MONTH.fullmatch(text):
        year, month = int(match[1]), int(match[2])
    elif match := _MONTH_YEAR.fullmatch(text):
        year, month = int(match[2]), int(match[1])
    elif len(words := text.replace(",", " ").split()) == 2 and _YEAR.fullmatch(words[1]):
        year, month = int(words[1]), _MONTH_NAMES.get(words[0].lower().rstrip("."), 0)
    else:
        return None, None
    return (year, month) if 1 <= month <= 12 else (None, None)


class PartialDateFormField(forms.DateField):
    """The date box of a partial date on a form: an entry it cannot read is answered with how to enter it
    (``date_entry_problem``), not "Enter a valid date."."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError:
            raise ValidationError(date_entry_problem(value), code="invalid") from None


def is_partial_date(field) -> bool:
    """Whether a model field is the date of a partial date (its model has the companion ``<name>_precision``)."""
    if not isinstance(field, models.DateField) or field.model is None:
        return False
    return any(other.name == f"{field.name}_precision" for other in field.model._meta.fields)
