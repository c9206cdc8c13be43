"""Validators of a record's representation: its ETag and Last-Modified, from its ``updated_at``.

One definition serves every path: a detail GET (cached or not), the 304 answer to ``If-None-Match``, and the
``If-Match`` check of a write. Every write path saves the record itself (``apps.core.services.record_save``; the admin
saves the record it shows), so ``updated_at`` moves whenever the record or one of its rows changes.
"""

import hashlib

from django.utils.http import http_date, parse_etags

from .exceptions import PreconditionFailed, PreconditionRequired


def etag_of(record) -> str:
    """A strong ETag: a digest of the record's model, primary key and last modification time (microseconds)."""
    meta = record._meta
    raw = f"{meta.label_lower}:{record.pk}:{record.updated_at.isoformat()}"
    return f'"{hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()}"'


def last_modified_of(record) -> str:
    return http_date(record.updated_at.timestamp())


def validator_headers(record) -> dict[str, str]:
    return {"ETag": etag_of(record), "Last-Modified": last_modified_of(record)}


def not_modified(request, record) -> bool:
    """Whether a GET's ``If-None-Match`` names the record's current ETag (weak comparison, as RFC 9110 asks)."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    tags = {tag.removeprefix("W/") for tag in parse_etags(header)}
    return "*" in tags or etag_of(record) in tags


def require_if_match(request) -> str:
    """The request's If-Match; a write without one is refused (428) before anything else is looked at."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise PreconditionRequired()
    return header


def check_if_match(request, record) -> None:
    """A write must name the version it was based on: 428 without ``If-Match``, 412 when the record changed since.

    Call it with the record locked (``select_for_update()`` in the write's transaction), so no other writer can
    change the record between this check and the save. ``*`` matches any current version (RFC 9110).
    """
    tags = parse_etags(require_if_match(request))
    if "*" not in tags and etag_of(record) not in tags:
        raise PreconditionFailed()
