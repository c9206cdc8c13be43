"""Check constraints whose validation errors are reported on the field they concern."""

from django.core.exceptions import ValidationError
from django.db import models


class FieldCheckConstraint(models.CheckConstraint):
    """A CheckConstraint that, in ``full_clean()``, reports its message on ``field`` rather than on the whole form.

    The database enforces it like any check constraint; ``field`` only routes the message to where the curator is
    looking. ``field`` must appear in the condition, so the check is skipped when a form leaves that field out.
    """

    def __init__(self, *, field: str, **kwargs):
        self.field = field
        super().__init__(**kwargs)

    def validate(self, *args, **kwargs):
        try:
            super().validate(*args, **kwargs)
        except ValidationError as error:
            raise ValidationError({self.field: error.error_list}) from None

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        kwargs["field"] = self.field
        return path, args, kwargs

    def __eq__(self, other):
        return super().__eq__(other) and getattr(other, "field", None) == self.field

    __hash__ = models.CheckConstraint.__hash__
