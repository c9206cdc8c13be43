"""``manage.py release VERSION``: publish the working copy as a numbered, immutable release."""

import re
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.releases.package import repository_release_dir
from apps.releases.services import ReleaseError, release_create


class Command(BaseCommand):
    """Take one consistent snapshot of the dataset and store it as release VERSION, a Frictionless Data Package.

    The package (a CSV and a JSON file per resource, the changes since the previous release, ``datapackage.json``
    with table schemas, checksums, licence and contributors) is kept in the database, served at
    ``/api/releases/VERSION/``, and written to ``--output`` (default: the repository's ``fixtures/``, which always
    holds the latest release, so that ``git diff`` between two releases shows what changed record by record; then
    CITATION.cff gets the release's version and date too).

    A release never changes: the same version with the same data writes its stored files again; with other data it
    is refused. Versions only increase.
    """

    help = "Publish the dataset as release VERSION (a semantic version) and write its package to fixtures/."

    def add_arguments(self, parser):
        parser.add_argument("version", help="The release's semantic version, e.g. 1.1.0.")
        parser.add_argument(
            "--output",
            type=Path,
            default=None,
            help="Directory to write the package to (default: the project's fixtures/, the latest release).",
        )

    def handle(self, *args, version: str, output: Path | None, **options):
        try:
            result = release_create(version=version)
        except ReleaseError as error:
            raise CommandError(str(error)) from None
        directory = output or repository_release_dir()
        result.package.write(directory)
        release = result.release
        if output is None:
            cite_in_repository(release)
        if not result.created:
            self.stdout.write(f"release {version} already exists with this data; wrote its files to {directory}")
            return
        counts = ", ".join(f"{count} {name}" for name, count in release.counts.items())
        changes = len(result.changes)
        self.stdout.write(f"release {version}: {counts}")
        self.stdout.write(
            f"{changes} record{'s' if changes != 1 else ''} changed since "
            f"{release.previous_version or 'nothing (the first release)'}; package written to {directory}"
        )


def cite_in_repository(release) -> None:
    """Give the repository's CITATION.cff the version and date of the release fixtures/ now holds."""
    path = Path(settings.BASE_DIR) / "CITATION.cff"
    if not path.is_file():
        return
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^version: .*$", f"version: {release.version}", text)
    text = re.sub(r"(?m)^date-released: .*$", f'date-released: "{release.created_at.date().isoformat()}"', text)
    path.write_text(text, encoding="utf-8")
