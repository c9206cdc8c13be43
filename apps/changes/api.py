"""``GET /api/changes/``: the change log as a feed a mirror can replay, paged by an opaque cursor.

A page is ``WHERE id > cursor ORDER BY id LIMIT n``, a seek on the primary key: as fast at the millionth change as
at the first, and never a count. Pages before the last never change; the last one grows, so every page carries an
ETag and a poller sending ``If-None-Match`` with the last page's ETag gets a body-less 304 until something changes.
"""

import base64
import binascii
import hashlib
from urllib.parse import urlencode

from django.utils.http import parse_etags
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.exceptions import ErrorSerializer
from apps.core.api.filters import check_parameters
from apps.core.api.rows import RenderedPage, record_url

from .log import resource_named, resources
from .models import Change, ChangeAction

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
CURSOR_PREFIX = "c1:"


def encode_cursor(change_id: int) -> str:
    """An opaque cursor for "after this change" (clients store it, never parse it)."""
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{change_id}".encode()).decode().rstrip("=")


def decode_cursor(raw: str) -> int:
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        if not text.startswith(CURSOR_PREFIX) or not text[len(CURSOR_PREFIX) :].isdigit():
            raise ValueError(text)
        return int(text[len(CURSOR_PREFIX) :])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationError(
            {"after": ["Not a cursor of this feed; give the `cursor` of an entry or the `next` link of a page."]}
        ) from None


def page_size(request) -> int:
    raw = request.query_params.get("page_size")
    if raw is None or raw == "":
        return DEFAULT_PAGE_SIZE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE or raw != str(int(raw)):
        raise ValidationError(
            {"page_size": [f"'{raw}' is not accepted; give a whole number from 1 to {MAX_PAGE_SIZE}."]}
        )
    return int(raw)


class ChangeSerializer(serializers.Serializer):
    """One create, update or delete of a record of the API."""

    cursor = serializers.CharField(help_text="Resume the feed after this entry with `?after=<cursor>`.")
    resource = serializers.CharField(
        help_text="The resource the record belongs to, its path under /api/: "
        + ", ".join(sorted(resource.name for resource in resources().values()))
        + "."
    )
    key = serializers.CharField(help_text="The record's natural key (slug, or a state's code) after the change.")
    old_key = serializers.CharField(
        allow_null=True, help_text="The key before the change when the change renamed the record, else null."
    )
    action = serializers.ChoiceField(choices=ChangeAction.choices, help_text="What happened to the record.")
    at = serializers.DateTimeField(
        help_text="When the change was made. Entries are in commit order, which a long transaction can make differ "
        "slightly from the order of these times."
    )
    url = serializers.URLField(
        allow_null=True,
        help_text="The record's URL under the key of this change; null for a delete. Fetch it for the record's "
        "current state: a 404 means a later entry renames or deletes it.",
    )


class ChangePageSerializer(serializers.Serializer):
    """A page of the changes feed, oldest change first, with the link to the next page."""

    results = ChangeSerializer(many=True, help_text="Changes in commit order, oldest first.")
    next = serializers.URLField(
        help_text="The URL of the following page. On the last page it is where to poll for new changes (with the "
        "page's ETag in `If-None-Match`: 304 until there are some)."
    )
    has_more = serializers.BooleanField(help_text="Whether more changes follow now; false on the last page.")


def entry(page: RenderedPage, change: dict) -> dict:
    resource = resource_named(change["resource"])
    deleted = change["action"] == ChangeAction.DELETED
    return {
        "cursor": encode_cursor(change["id"]),
        "resource": change["resource"],
        "key": change["key"],
        "old_key": change["old_key"] or None,
        "action": change["action"],
        "at": serializers.DateTimeField().to_representation(change["at"]),
        "url": None if deleted else record_url(page, resource.view_name, resource.key_field, change["key"]),
    }


class ChangesView(APIView):
    """Every create, update and delete of every resource of the API (treaties, states, memberships, events,
    statements, sources), in commit order, for mirrors.

    Start with no `after`, follow `next` while `has_more` is true, keep the last `next`, and poll it later. Apply
    each entry in order: for a create or an update, fetch its `url` and store the record under `key` (removing
    `old_key` on a rename); for a delete, remove `key`. A change to a record's citations or participants is an
    update of the record. Commit order: every entry committed after one you have read has a larger cursor, so
    resuming never skips a change.
    """

    renderer_classes = [JSONRenderer]
    # The log is public: reads are anonymous, like the rest of the API; nobody writes it through the API.
    permission_classes = []

    @extend_schema(
        operation_id="changes_feed",
        summary="List changes",
        parameters=[
            OpenApiParameter(
                "after",
                OpenApiTypes.STR,
                description="The cursor to resume after (an entry's `cursor`, or taken from `next`); omit it to "
                "start from the first change.",
            ),
            OpenApiParameter(
                "page_size",
                OpenApiTypes.INT,
                description=f"Changes per page, from 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).",
            ),
        ],
        responses={
            200: ChangePageSerializer,
            304: OpenApiResponse(description="Not modified: the ETag in `If-None-Match` is current."),
            400: OpenApiResponse(ErrorSerializer, description="`after` or `page_size` is malformed; see `errors`."),
            429: OpenApiResponse(ErrorSerializer, description="Too many requests: wait `Retry-After` seconds."),
        },
    )
    def get(self, request):
        check_parameters(request, self, None, accepted=["after", "page_size"])
        raw_after = request.query_params.get("after") or ""
        after = decode_cursor(raw_after) if raw_after else 0
        size = page_size(request)
        rows = list(
            Change.objects.filter(id__gt=after)
            .order_by("id")
            .values("id", "resource", "key", "old_key", "action", "at")[: size + 1]
        )
        has_more = len(rows) > size
        rows = rows[:size]
        last = rows[-1]["id"] if rows else after
        # A page is fixed by where it starts, its size, its last entry and whether more follow (entries never change).
        # The last page's ETag says "nothing after `last`", so it holds for its `next` URL too, which a poller keeps:
        # polling `next` with the last page's ETag is answered 304 until something new arrives.
        origin = request.build_absolute_uri("/")
        page = f"{origin}:{after}:{size}:{last}:more" if has_more else f"{origin}:end:{size}:{last}"
        etag = f'"{hashlib.blake2b(page.encode(), digest_size=12).hexdigest()}"'
        tags = parse_etags(request.headers.get("If-None-Match", ""))
        if etag in tags or "*" in tags:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        query = {"after": encode_cursor(last)} if last else {}
        if size != DEFAULT_PAGE_SIZE:
            query["page_size"] = size
        links = RenderedPage(request)
        data = {
            "results": [entry(links, row) for row in rows],
            "next": request.build_absolute_uri(request.path + (f"?{urlencode(query)}" if query else "")),
            "has_more": has_more,
        }
        return Response(data, headers={"ETag": etag})
