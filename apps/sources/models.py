"""Sources and citations: where every fact in the dataset comes from."""

from typing import ClassVar

from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from simple_history.models import HistoricalRecords

from apps.core.constraints import FieldCheckConstraint
from apps.core.models import NaturalKeyManager, TimeStampedModel
from apps.core.partial_dates import partial_date_constraints, precision_field

from .choices import CitationStance, SourceKind

QUOTE_MAX_LENGTH = 600
QUOTE_MISSING_MESSAGE = "A citation needs the quoted passage."

language_code_validator = RegexValidator(
    r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", "Use a BCP 47 language tag such as 'en' or 'en-GB'."
)


class Source(TimeStampedModel):
    """A document the dataset is drawn from: a news report, an official statement, a treaty text."""

    slug = models.SlugField(max_length=100, unique=True, help_text="Stable key of the source, used in URLs.")
    title = models.CharField(max_length=300, help_text="The document's headline or title, as written.")
    publisher = models.CharField(
        max_length=200, blank=True, help_text="Outlet or body that published it; empty when the document does not say."
    )
    author = models.CharField(max_length=200, blank=True, help_text="Author as credited; empty when not credited.")
    url = models.URLField(max_length=500, blank=True, help_text="Where the document was published, when known.")
    archive_url = models.URLField(max_length=500, blank=True, help_text="An archived copy of the document.")
    published_on = models.DateField(null=True, blank=True, help_text="Publication date (first day of its period).")
    published_on_precision = precision_field("published_on")
    language = models.CharField(
        max_length=35,
        validators=[language_code_validator],
        help_text="Language of the document as a BCP 47 tag, e.g. 'en'.",
    )
    kind = models.CharField(max_length=30, choices=SourceKind.choices, help_text="What kind of document this is.")
    document = models.CharField(
        max_length=200,
        blank=True,
        help_text="File name of the document in the source collection, so a curator can open it.",
    )

    objects = NaturalKeyManager("slug")
    # Who changed what and when, by every path that saves a model (admin, API, commands); see apps/curation.
    history = HistoricalRecords(app="history")

    class Meta:
        ordering = ["slug"]
        constraints = [*partial_date_constraints("source", "published_on")]

    def __str__(self) -> str:
        return self.title

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class CitationManager(models.Manager):
    """Looks a citation up by (cited record's slug, source slug, quote), its natural key."""

    def get_by_natural_key(self, cited_slug: str, source_slug: str, quote: str):
        return self.get(**{f"{self.model.cited_field}__slug": cited_slug, "source__slug": source_slug, "quote": quote})


class Citation(TimeStampedModel):
    """A passage of a source that supports (or contradicts) a record: source, short verbatim quote, locator.

    Each cited model has its own concrete subclass with a foreign key to the cited record, reached from that record
    as ``.citations``; the sources themselves are reached as ``.sources``.
    """

    # PROTECT: a source that is cited cannot vanish from under the facts it supports.
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="+", help_text="The document the passage comes from."
    )
    quote = models.TextField(
        error_messages={"blank": QUOTE_MISSING_MESSAGE},
        help_text=f"One or two sentences copied verbatim from the source (at most {QUOTE_MAX_LENGTH} characters).",
    )
    locator = models.CharField(
        max_length=50, blank=True, help_text="Where in the document the passage stands, e.g. 'para. 3'."
    )
    stance = models.CharField(
        max_length=11,
        choices=CitationStance.choices,
        default=CitationStance.SUPPORTS,
        help_text="Whether the passage supports the record or contradicts it (kept so no source is silently dropped).",
    )
    note = models.TextField(blank=True, help_text="Why this passage is cited, or how it disagrees.")

    # Name of the foreign key to the cited record, set by each concrete subclass.
    cited_field: ClassVar[str]

    objects = CitationManager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.source.slug}: {self.quote[:60]}"

    def natural_key(self) -> tuple[str, str, str]:
        return (getattr(self, self.cited_field).slug, self.source.slug, self.quote)


def citation_constraints(model: str, cited_field: str) -> list[models.BaseConstraint]:
    """Constraints every concrete citation model carries; ``model`` prefixes their names."""
    return [
        models.UniqueConstraint(
            fields=[cited_field, "source", "quote"],
            name=f"{model}_unique_quote",
            violation_error_message="This passage of this source is already cited for this record.",
        ),
        FieldCheckConstraint(
            field="quote",
            condition=~models.Q(quote=""),
            name=f"{model}_quote_not_empty",
            violation_error_message=QUOTE_MISSING_MESSAGE,
        ),
        FieldCheckConstraint(
            field="quote",
            condition=LessThanOrEqual(Length("quote"), QUOTE_MAX_LENGTH),
            name=f"{model}_quote_short",
            violation_error_message=f"Quote one or two sentences: at most {QUOTE_MAX_LENGTH} characters.",
        ),
    ]
