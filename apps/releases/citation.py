"""How to cite a release: CSL-JSON (what Zotero, Pandoc and citeproc read) and BibTeX, built from the same facts."""

from django.conf import settings

from .models import Release


def citation_key(release: Release) -> str:
    return f"{settings.DATASET_NAME.replace('-', '_')}_{release.version.replace('.', '_').replace('-', '_')}"


def csl_json(release: Release, url: str) -> list[dict]:
    """The release as a CSL-JSON item (a list of one, as CSL-JSON files hold items)."""
    created = release.created_at
    return [
        {
            "id": citation_key(release),
            "type": "dataset",
            "title": settings.DATASET_TITLE,
            "version": release.version,
            "author": [{"literal": name} for name in settings.DATASET_AUTHORS],
            "issued": {"date-parts": [[created.year, created.month, created.day]]},
            "URL": url,
            "medium": "Frictionless Data Package",
            "note": f"SHA-256 of the package (zip): {release.archive_sha256}",
        }
    ]


def _bibtex_escape(text: str) -> str:
    for char in "\\{}":
        text = text.replace(char, f"\\{char}")
    for char in "&%$#_":
        text = text.replace(char, f"\\{char}")
    return text


def bibtex(release: Release, url: str) -> str:
    """The release as a BibTeX ``@misc`` entry (BibTeX has no dataset type; biblatex reads @misc too)."""
    authors = " and ".join(f"{{{_bibtex_escape(name)}}}" for name in settings.DATASET_AUTHORS)
    created = release.created_at
    fields = [
        ("author", authors),
        ("title", f"{{{_bibtex_escape(settings.DATASET_TITLE)}}}"),
        ("year", str(created.year)),
        ("month", created.strftime("%b").lower()),
        ("version", _bibtex_escape(release.version)),
        ("howpublished", "Frictionless Data Package"),
        ("url", url),
        ("note", f"Version {_bibtex_escape(release.version)}, SHA-256 {release.archive_sha256}"),
    ]
    body = ",\n".join(
        f"  {name} = {{{value}}}" if name != "month" else f"  {name} = {value}" for name, value in fields
    )
    return f"@misc{{{citation_key(release)},\n{body}\n}}\n"


def text(release: Release, url: str) -> str:
    """A plain reference, as a reader copies it: authors (year). Title (Version x) [Data set]. URL"""
    authors = ", ".join(settings.DATASET_AUTHORS)
    title = f"{settings.DATASET_TITLE} (Version {release.version}) [Data set]"
    return f"{authors} ({release.created_at.year}). {title}. {url}"
