"""Controlled vocabularies of sources and citations: kinds of document, a citation's stance."""

from django.db import models


class SourceKind(models.TextChoices):
    NEWS_REPORT = "news_report", "News report"
    OFFICIAL_STATEMENT = "official_statement", "Official statement"
    TREATY_TEXT = "treaty_text", "Treaty text"
    REFERENCE_WORK = "reference_work", "Reference work"


class CitationStance(models.TextChoices):
    SUPPORTS = "supports", "Supports"
    CONTRADICTS = "contradicts", "Contradicts"


class DecisionKind(models.TextChoices):
    """Why a paragraph or sentence of a source has no citation."""

    NO_FACT = "no_fact", "No fact in scope"
    LEFT_UNCITED = "left_uncited", "Left uncited, for the reason given"
