"""Releases as the API shows them: date, counts, checksums, changes, downloads and citation links."""

import json

from django.urls import reverse
from rest_framework import serializers

from apps.releases import citation, package
from apps.releases.models import Release, ReleaseChangeAction


class ReleaseFileSerializer(serializers.Serializer):
    """One file of the release's package."""

    name = serializers.CharField(help_text="The file's name in the package, e.g. 'events.csv'.")
    url = serializers.URLField(help_text="Where to download it (served with an ETag, cached for good).")
    media_type = serializers.CharField(help_text="'text/csv' or 'application/json'.")
    bytes = serializers.IntegerField(help_text="Size in bytes.")
    sha256 = serializers.CharField(help_text="SHA-256 of the file, as datapackage.json gives it too.")


class ReleaseChangeSerializer(serializers.Serializer):
    """A record created, updated, renamed or deleted since the previous release."""

    resource = serializers.CharField(help_text="The resource, its path under /api/: events, statements, ...")
    key = serializers.CharField(help_text="The record's key in this release (a deleted record's key before).")
    old_key = serializers.CharField(allow_null=True, help_text="For a renamed record, its key before; else null.")
    action = serializers.ChoiceField(choices=ReleaseChangeAction.choices, help_text="What happened to the record.")


class ReleaseArchiveSerializer(serializers.Serializer):
    """The whole package as one zip file."""

    url = serializers.URLField(help_text="Where to download the zip.")
    bytes = serializers.IntegerField(help_text="Size in bytes.")
    sha256 = serializers.CharField(help_text="SHA-256 of the zip.")


class ReleaseCitationSerializer(serializers.Serializer):
    """How to cite the release."""

    text = serializers.CharField(help_text="A plain reference to copy into a paper.")
    csl_json = serializers.URLField(help_text="The citation as CSL-JSON (Zotero, Pandoc, citeproc).")
    bibtex = serializers.URLField(help_text="The citation as a BibTeX entry.")


class ReleaseSerializer(serializers.Serializer):
    """A numbered, immutable release of the dataset: a Frictionless Data Package with its changes and citation."""

    version = serializers.CharField(help_text="The semantic version, e.g. 1.0.0.")
    url = serializers.URLField(help_text="This release's API address.")
    created = serializers.DateTimeField(help_text="When the snapshot was taken.")
    previous_version = serializers.CharField(
        allow_null=True, help_text="The release its changes are counted from; null for the first."
    )
    counts = serializers.DictField(
        child=serializers.IntegerField(), help_text="Records per resource of the package (events, event-citations...)."
    )
    changes = ReleaseChangeSerializer(
        many=True, help_text="What changed since the previous release, record by record."
    )
    archive = ReleaseArchiveSerializer(help_text="The whole package as a zip.")
    files = ReleaseFileSerializer(many=True, help_text="Each file of the package, datapackage.json first.")
    citation = ReleaseCitationSerializer(help_text="How to cite this release.")

    def to_representation(self, release: Release) -> dict:
        request = self.context["request"]

        def link(view_name: str, **kwargs) -> str:
            return request.build_absolute_uri(reverse(view_name, kwargs={"version": release.version, **kwargs}))

        url = link("release-detail")
        files = sorted(release.files.all(), key=lambda f: (f.name != package.DESCRIPTOR, f.name))
        changes_file = next((f for f in release.changes_files), None)
        order = [resource.name for resource in package.resources()]
        return {
            "version": release.version,
            "url": url,
            "created": serializers.DateTimeField().to_representation(release.created_at),
            "previous_version": release.previous_version or None,
            "counts": {name: release.counts[name] for name in sorted(release.counts, key=_position(order))},
            "changes": json.loads(bytes(changes_file.content)) if changes_file else [],
            "archive": {
                "url": link("release-archive"),
                "bytes": release.archive_size,
                "sha256": release.archive_sha256,
            },
            "files": [
                {
                    "name": f.name,
                    "url": link(f"release-file-{f.name.rsplit('.', 1)[1]}", name=f.name.rsplit(".", 1)[0]),
                    "media_type": f.media_type,
                    "bytes": f.size,
                    "sha256": f.sha256,
                }
                for f in files
            ],
            "citation": {
                "text": citation.text(release, url),
                "csl_json": link("release-citation-csl"),
                "bibtex": link("release-citation-bibtex"),
            },
        }


def _position(order: list[str]):
    return lambda name: (order.index(name) if name in order else len(order), name)
