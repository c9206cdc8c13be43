"""Where the dataset's latest release lives in the repository: ``fixtures/``, written by ``manage.py release``."""

from pathlib import Path

from django.conf import settings


def default_fixtures_dir() -> Path:
    """The repository's copy of the latest release (a Frictionless Data Package; see ``apps.releases.package``)."""
    return Path(settings.BASE_DIR) / "fixtures"
