"""Releases: numbered, immutable snapshots of the dataset, kept in the database with their files."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

# Semantic Versioning 2.0.0 without build metadata (a '+' has no place in a URL path segment people copy).
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?$"
)
SEMVER_MESSAGE = "Give a semantic version such as 1.0.0 or 1.1.0-rc.1 (MAJOR.MINOR.PATCH, an optional -pre-release)."


def version_key(version: str) -> tuple:
    """A sort key giving Semantic Versioning's precedence: 1.0.0-rc.1 < 1.0.0 < 1.0.1 < 1.1.0."""
    match = SEMVER.match(version)
    if match is None:
        raise ValueError(f"'{version}' is not a semantic version. {SEMVER_MESSAGE}")
    major, minor, patch, pre = match.groups()
    if pre is None:
        return (int(major), int(minor), int(patch), 1, ())
    parts = tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in pre.split("."))
    return (int(major), int(minor), int(patch), 0, parts)


class ReleaseChangeAction(models.TextChoices):
    """What happened to a record between two releases."""

    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    RENAMED = "renamed", "Renamed"
    DELETED = "deleted", "Deleted"


class Release(models.Model):
    """A numbered snapshot of the dataset, as a Frictionless Data Package (its files are ``ReleaseFile`` rows).

    Immutable: written once, by ``manage.py release`` from the working copy or by ``load_dataset`` from a package,
    and never changed. Versions only increase, so the newest release is the one with the largest id.
    """

    version = models.CharField(
        max_length=50,
        unique=True,
        validators=[RegexValidator(SEMVER, SEMVER_MESSAGE)],
        help_text="The semantic version, e.g. 1.0.0.",
    )
    created_at = models.DateTimeField(help_text="When the snapshot was taken (the package's `created`).")
    previous_version = models.CharField(
        max_length=50, blank=True, help_text="The release before this one, which its changes are counted from."
    )
    change_cursor = models.BigIntegerField(
        help_text="The last entry of the changes feed the snapshot holds: changes after it are not in this release."
    )
    loaded_at = models.DateTimeField(
        null=True, blank=True, help_text="When this database loaded the release from a package; empty if made here."
    )
    counts = models.JSONField(help_text="Records per resource.")
    archive = models.BinaryField(help_text="The whole package as a zip.")
    archive_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the zip.")

    class Meta:
        ordering = ["-id"]
        get_latest_by = "id"

    def __str__(self) -> str:
        return self.version

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(f"Release {self.version} is immutable: publish a new version instead.")
        super().save(*args, **kwargs)


class ReleaseFile(models.Model):
    """One file of a release's package, byte for byte as published."""

    # CASCADE: a file is part of its release (and releases are never deleted by the application).
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=100, help_text="The file's path in the package, e.g. 'events.csv'.")
    content = models.BinaryField(help_text="The file's bytes.")
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the bytes.")
    size = models.PositiveIntegerField(help_text="Size in bytes.")
    media_type = models.CharField(max_length=50, help_text="The file's media type, e.g. 'text/csv'.")

    class Meta:
        ordering = ["release", "name"]
        constraints = [models.UniqueConstraint(fields=["release", "name"], name="releasefile_unique_name")]

    def __str__(self) -> str:
        return f"{self.release.version}/{self.name}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(f"The files of release {self.release.version} are immutable.")
        super().save(*args, **kwargs)


class LoadMode(models.TextChoices):
    LOADED = "loaded", "loaded into an empty database"
    UPGRADED = "upgraded", "a newer release loaded over an unchanged one"
    REPLACED = "replaced", "curated changes replaced by the release (--replace-curated-data)"


class DatasetLoad(models.Model):
    """A time ``load_dataset`` wrote a release into the working copy, and what it replaced.

    The records it replaced keep their replaced versions in their history (and the changes feed lists the load's
    changes); this row says which records those were, in one place.
    """

    # PROTECT: releases are never deleted; a load without its release would not say what was loaded.
    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="loads")
    at = models.DateTimeField(auto_now_add=True, help_text="When the load was committed.")
    mode = models.CharField(max_length=10, choices=LoadMode.choices)
    change_cursor = models.BigIntegerField(help_text="The changes feed's last entry once the load was written.")
    replaced = models.JSONField(
        default=list, blank=True, help_text="The records the load created, replaced or deleted, as change rows."
    )

    class Meta:
        ordering = ["-id"]
        get_latest_by = "id"

    def __str__(self) -> str:
        return f"{self.release.version} {self.mode} at {self.at:%Y-%m-%d %H:%M}"
