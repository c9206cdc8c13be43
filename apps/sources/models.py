"""Sources and citations: where every fact in the dataset comes from."""

from typing import ClassVar

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from simple_history.models import HistoricalRecords

from apps.core.constraints import FieldCheckConstraint
from apps.core.models import NaturalKeyManager, TimeStampedModel
from apps.core.partial_dates import partial_date_constraints, precision_field
from apps.core.search import SearchIndex

from . import documents
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
        help_text="File name of the document in the source collection, so a curator can open it: a plain name such "
        "as 'report.txt', no directories.",
    )
    # Others' writing: kept in the database for locating quotes, never in fixtures, exports, history or the public
    # API (serialize=False keeps it out of fixtures; excluded_fields out of history).
    # Database defaults (here and on the new citation columns): rows inserted in bulk without them stay valid.
    text = models.TextField(
        blank=True,
        default="",
        db_default="",
        serialize=False,
        help_text="The document's text (line endings normalised to \\n); empty until the document is imported.",
    )
    text_sha256 = models.CharField(
        max_length=64,
        blank=True,
        default="",
        db_default="",
        validators=[RegexValidator(r"^[0-9a-f]{64}$", "A SHA-256 is 64 lowercase hexadecimal digits.")],
        help_text="SHA-256 of the document's UTF-8 text (line endings as \\n): only that text can be loaded.",
    )
    # Whether text is loaded, as a column, so API lists built from rows can say whether a citation is verified
    # without reading the text. Kept by save() and services.source_text_set(); not in fixtures, like the text.
    has_text = models.BooleanField(
        default=False,
        db_default=False,
        editable=False,
        serialize=False,
        help_text="Whether the document's text is loaded, so that its citations are verified against it.",
    )

    objects = NaturalKeyManager("slug")
    # Who changed what and when, by every path that saves a model (admin, API, commands); see apps/curation.
    history = HistoricalRecords(app="history", excluded_fields=["text", "has_text"])
    # What q searches, A weighing most (apps.core.search); not the document's text, which is others' writing.
    search_index = SearchIndex(title="A", author="B", publisher="C", slug="D", document="D")

    class Meta:
        ordering = ["slug"]
        constraints = [
            *partial_date_constraints("source", "published_on"),
            # A name with a separator or a dot name would let the next import read a file outside the documents
            # directory and serve it at /text/; documents.document_path() refuses such names again when opening.
            FieldCheckConstraint(
                field="document",
                condition=~models.Q(document__contains="/")
                & ~models.Q(document__contains="\\")
                & ~models.Q(document__in=[".", ".."]),
                name="source_document_is_a_file_name",
                violation_error_message=documents.DOCUMENT_NAME_RULE,
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def save(self, *args, **kwargs):
        self.has_text = bool(self.text)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if self.text and self.text_sha256 and documents.sha256(self.text) != self.text_sha256:
            raise ValidationError(
                {
                    "text": f"This is not the document the dataset cites: its SHA-256 is {documents.sha256(self.text)}"
                    f", the dataset's is {self.text_sha256}. Load the document named '{self.document}' unchanged."
                },
                code="hash_mismatch",
            )


class CitationManager(models.Manager):
    """Looks a citation up by (cited record's slug, source slug, quote), its natural key."""

    @property
    def key_fields(self) -> tuple[str, str, str]:
        """The natural key's lookups, as ``NaturalKeyManager.key_fields`` gives them (the data package's key)."""
        return (f"{self.model.cited_field}__slug", "source__slug", "quote")

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
    # The W3C Web Annotation selectors: quote is TextQuoteSelector.exact; start/end the TextPositionSelector.
    prefix = models.CharField(
        max_length=documents.CONTEXT_MAX * 2,
        blank=True,
        default="",
        db_default="",
        help_text="Text just before the quote in the document (W3C TextQuoteSelector prefix): as much as makes the "
        "quote unique, usually none. Computed on save when the document's text is loaded.",
    )
    suffix = models.CharField(
        max_length=documents.CONTEXT_MAX * 2,
        blank=True,
        default="",
        db_default="",
        help_text="Text just after the quote in the document (W3C TextQuoteSelector suffix); see prefix.",
    )
    start = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Offset of the quote's first character in the document's text (W3C TextPositionSelector start, "
        "in Unicode code points); computed on save when the text is loaded.",
    )
    end = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Offset just past the quote's last character (W3C TextPositionSelector end, exclusive).",
    )
    # Name of the foreign key to the cited record, set by each concrete subclass.
    cited_field: ClassVar[str]

    objects = CitationManager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.source.slug}: {self.quote[:60]}"

    def natural_key(self) -> tuple[str, str, str]:
        return (getattr(self, self.cited_field).slug, self.source.slug, self.quote)

    @property
    def is_verified(self) -> bool:
        """Whether the quote was placed in its source's loaded text (a source without text leaves it unverified)."""
        return self.start is not None and self.source.has_text

    def clean(self) -> None:
        super().clean()
        if self.source_id is None or not self.quote or len(self.quote) > QUOTE_MAX_LENGTH:
            return  # the field checks report these
        self.locate_in(self.source)

    def locate_in(self, source: Source) -> None:
        """Fill the selectors and locator from ``source``'s text, or mark the citation unverified when it has none.

        A stored start/end that still frames the quote says which occurrence is meant; one that does not (the quote
        was edited, the text replaced) is recomputed. A prefix or suffix given must agree with the text.
        """
        text = source.text
        if not text:
            return
        start = self.start
        if start is not None and (self.end is None or text[start : self.end] != self.quote):
            start = None
        try:
            match = documents.locate(text, self.quote, self.prefix, self.suffix, start=start)
        except documents.QuoteAmbiguous as error:
            raise ValidationError(
                {
                    "quote": f"This passage occurs {error.count} times in '{source}' ({source.slug}): give a prefix "
                    "or suffix (the words just before or after it) to say which one is meant, or quote more of it."
                },
                code="quote_ambiguous",
            ) from None
        except documents.QuoteNotFound as error:
            if error.nearest == self.quote:
                field = "prefix" if self.prefix else "suffix"
                message = (
                    f"The quote occurs in '{source}' ({source.slug}), but not with this {field}: give the text "
                    f"exactly as it stands next to the quote, or leave prefix and suffix empty."
                )
                raise ValidationError({field: message}, code="selector_mismatch") from None
            hint = f' Did you mean: "{error.nearest}"?' if error.nearest else ""
            raise ValidationError(
                {
                    "quote": f"Not found in '{source}' ({source.slug}).{hint} Copy the passage exactly as the "
                    "document writes it (curly quotes, dashes and spacing included)."
                },
                code="quote_not_found",
            ) from None
        self.start, self.end, self.prefix, self.suffix = match.start, match.end, match.prefix, match.suffix
        self.locator = documents.locator_for(text, match.start)


def citation_models() -> list[type[Citation]]:
    """Every concrete citation model (one per cited model), found in the app registry rather than listed by hand."""
    return [model for model in apps.get_models() if issubclass(model, Citation)]


class ParagraphDecisionManager(models.Manager):
    """Looks a decision up by (source slug, paragraph), its natural key."""

    key_fields = ("source__slug", "paragraph")

    def get_by_natural_key(self, source_slug: str, paragraph: int):
        return self.get(source__slug=source_slug, paragraph=paragraph)


class ParagraphDecision(TimeStampedModel):
    """A paragraph of a source deliberately left uncited, and why (a photo caption, a repeated sentence).

    With these, a source's coverage reaches 100% when every paragraph is either cited or decided.
    """

    # CASCADE: a decision about a document's paragraph means nothing without the document.
    source = models.ForeignKey(
        Source, on_delete=models.CASCADE, related_name="paragraph_decisions", help_text="The document."
    )
    paragraph = models.PositiveIntegerField(help_text="The paragraph's number: the Nth non-empty line ('para. N').")
    reason = models.TextField(help_text="Why the paragraph is left uncited, e.g. 'photo caption'.")

    objects = ParagraphDecisionManager()
    history = HistoricalRecords(app="history")

    class Meta:
        ordering = ["source", "paragraph"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "paragraph"],
                name="paragraphdecision_unique",
                violation_error_message="This paragraph of this source is already decided.",
            ),
            FieldCheckConstraint(
                field="paragraph",
                condition=models.Q(paragraph__gte=1),
                name="paragraphdecision_paragraph_positive",
                violation_error_message="Paragraphs are numbered from 1.",
            ),
            FieldCheckConstraint(
                field="reason",
                condition=~models.Q(reason=""),
                name="paragraphdecision_reason_not_empty",
                violation_error_message="Say why this paragraph is left uncited.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source.slug}: para. {self.paragraph}"

    def natural_key(self) -> tuple[str, int]:
        return (self.source.slug, self.paragraph)

    natural_key.dependencies = ["sources.source"]

    def clean(self) -> None:
        super().clean()
        if self.source_id is None or not self.paragraph:
            return
        count = len(documents.paragraph_spans(self.source.text)) if self.source.text else None
        if count is not None and self.paragraph > count:
            raise ValidationError(
                {"paragraph": f"'{self.source}' has {count} paragraphs; give a number from 1 to {count}."},
                code="paragraph_out_of_range",
            )


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
        FieldCheckConstraint(
            field="start",
            condition=models.Q(start__isnull=True, end__isnull=True)
            | models.Q(start__isnull=False, end__isnull=False, start__lte=models.F("end")),
            name=f"{model}_position_in_order",
            violation_error_message="Give start and end together, start not after end.",
        ),
    ]
