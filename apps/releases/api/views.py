"""``/api/releases/``: the dataset's numbered releases, their files (immutable, cached for good) and citations."""

import hashlib
import json

from django.db.models import Prefetch
from django.db.models.functions import Length
from django.http import HttpResponse
from django.urls import reverse
from django.utils.http import http_date, parse_etags
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.exceptions import ErrorSerializer
from apps.core.api.filters import check_parameters
from apps.core.api.views import APIRootView as CoreAPIRootView
from apps.releases import citation, package
from apps.releases.models import Release, ReleaseFile

from .serializers import ReleaseSerializer

# A release never changes, so what it serves can be kept by any cache for as long as caches keep anything.
IMMUTABLE = "public, max-age=31536000, immutable"
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No release has this version (or its file this name).")


def download_responses(media_type: str, schema) -> dict:
    return {
        (200, media_type): schema,
        304: OpenApiResponse(description="Not modified: the ETag in `If-None-Match` is current."),
        (400, "application/json"): OpenApiResponse(ErrorSerializer, description="An unknown query parameter."),
        (404, "application/json"): NOT_FOUND,
        (429, "application/json"): OpenApiResponse(ErrorSerializer, description="Too many requests."),
    }


VERSION = OpenApiParameter("version", OpenApiTypes.STR, OpenApiParameter.PATH, description="The release's version.")


def releases():
    return (
        Release.objects.defer("archive")
        .annotate(archive_size=Length("archive"))
        .prefetch_related(
            Prefetch("files", queryset=ReleaseFile.objects.defer("content")),
            Prefetch(
                "files", queryset=ReleaseFile.objects.filter(name=f"{package.CHANGES}.json"), to_attr="changes_files"
            ),
        )
        .order_by("-id")
    )


def release_or_404(version: str, *fields: str) -> Release:
    release = Release.objects.filter(version=version).only("version", *fields).first()
    if release is None:
        raise NotFound(f"No release has the version '{version}'; see /api/releases/.")
    return release


def immutable(request, data: bytes, media_type: str, filename: str | None = None) -> HttpResponse:
    """``data`` with an ETag (its SHA-256) and caching for good; a 304 when the client holds it already."""
    etag = f'"{hashlib.sha256(data).hexdigest()}"'
    headers = {"ETag": etag, "Cache-Control": IMMUTABLE}
    tags = parse_etags(request.headers.get("If-None-Match", ""))
    if etag in tags or "*" in tags:
        return HttpResponse(status=304, headers=headers)
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return HttpResponse(data, content_type=media_type, headers=headers)


class ReleaseList(generics.ListAPIView):
    """The dataset's releases, newest first: each numbered snapshot with its date, counts per resource, checksums,
    the changes since the release before it, download addresses and citation."""

    queryset = Release.objects.all()  # the model, for the schema; get_queryset() reads
    serializer_class = ReleaseSerializer
    renderer_classes = [JSONRenderer]
    permission_classes = []
    filter_backends = []
    action = "list"

    def get_queryset(self):
        check_parameters(self.request, self, None)
        return releases()


class ReleaseDetail(generics.RetrieveAPIView):
    """One release of the dataset, by its version."""

    queryset = Release.objects.all()  # the model, for the schema; get_object() reads
    serializer_class = ReleaseSerializer
    renderer_classes = [JSONRenderer]
    permission_classes = []
    filter_backends = []
    lookup_field = "version"
    action = "retrieve"

    def get_queryset(self):
        check_parameters(self.request, self, None)
        return releases()

    def get_object(self):
        release = self.get_queryset().filter(version=self.kwargs["version"]).first()
        if release is None:
            raise NotFound(f"No release has the version '{self.kwargs['version']}'; see /api/releases/.")
        return release

    def retrieve(self, request, *args, **kwargs):
        release = self.get_object()
        # A release never changes; its representation changes only with this API's code, so it is revalidated.
        tag = hashlib.blake2b(f"{release.version}:{release.archive_sha256}".encode(), digest_size=12).hexdigest()
        headers = {"ETag": f'"{tag}"', "Last-Modified": http_date(release.created_at.timestamp())}
        tags = parse_etags(request.headers.get("If-None-Match", ""))
        if headers["ETag"] in tags or "*" in tags:
            return Response(status=304, headers=headers)
        return Response(self.get_serializer(release).data, headers=headers)


class ReleaseDownload(APIView):
    """A file of a release, byte for byte as published; immutable, so served with its SHA-256 as ETag and cached for
    good."""

    permission_classes = []

    def check(self, request):
        check_parameters(request, self, None)


class ReleaseArchive(ReleaseDownload):
    @extend_schema(
        operation_id="releases_archive",
        parameters=[VERSION],
        summary="Download a release as a zip",
        description="The whole Frictionless Data Package (datapackage.json and every CSV and JSON file) as one zip "
        "file (served as bytes, `application/octet-stream`, named `treaty-api-VERSION.zip`). Its SHA-256 is the "
        "release's `archive.sha256`.",
        responses=download_responses("application/octet-stream", OpenApiTypes.BINARY),
    )
    def get(self, request, version: str):
        self.check(request)
        release = release_or_404(version, "archive")
        filename = f"treaty-api-{release.version}.zip"
        return immutable(request, bytes(release.archive), "application/octet-stream", filename)


class ReleaseFileDownload(ReleaseDownload):
    """A file of the package by its name without the extension, in the format the path's extension names."""

    suffix: str
    media_type: str

    def get(self, request, version: str, name: str):
        self.check(request)
        release_or_404(version)
        filename = f"{name}{self.suffix}"
        found = ReleaseFile.objects.filter(release__version=version, name=filename).first()
        if found is None:
            raise NotFound(f"Release {version} has no file '{filename}'; its `files` lists them.")
        return immutable(request, bytes(found.content), f"{self.media_type}; charset=utf-8")


FILE_NAME = OpenApiParameter(
    "name",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The resource, e.g. 'events' or 'event-citations' (or 'changes'; 'datapackage' for the descriptor).",
)


class ReleaseCSVFile(ReleaseFileDownload):
    suffix, media_type = ".csv", "text/csv"

    @extend_schema(
        operation_id="releases_file_csv",
        parameters=[VERSION, FILE_NAME],
        summary="Download a resource of a release as CSV",
        description="One resource of the package as its CSV file (`events.csv`), described by its Table Schema in "
        "datapackage.json. Its SHA-256 is in the release's `files`.",
        responses=download_responses("text/csv", OpenApiTypes.STR),
    )
    def get(self, request, version: str, name: str):
        return super().get(request, version, name)


class ReleaseJSONFile(ReleaseFileDownload):
    suffix, media_type = ".json", "application/json"

    @extend_schema(
        operation_id="releases_file_json",
        parameters=[VERSION, FILE_NAME],
        summary="Download a resource of a release as JSON",
        description="One resource of the package as its JSON file (`events.json`: the CSV file's rows, typed), or "
        "`datapackage.json`, the package's descriptor. Its SHA-256 is in the release's `files`.",
        responses=download_responses("application/json", OpenApiTypes.ANY),
    )
    def get(self, request, version: str, name: str):
        return super().get(request, version, name)


class ReleaseCitationCSL(ReleaseDownload):
    @extend_schema(
        operation_id="releases_citation_csl",
        parameters=[VERSION],
        summary="Cite a release (CSL-JSON)",
        description="The release as a CSL-JSON item, which Zotero, Pandoc and citeproc read.",
        responses=download_responses("application/vnd.citationstyles.csl+json", OpenApiTypes.ANY),
    )
    def get(self, request, version: str):
        self.check(request)
        release = release_or_404(version, "created_at", "archive_sha256")
        url = request.build_absolute_uri(reverse("release-detail", kwargs={"version": release.version}))
        data = json.dumps(citation.csl_json(release, url), indent=2, ensure_ascii=False).encode("utf-8")
        return immutable(request, data, "application/vnd.citationstyles.csl+json")


class ReleaseCitationBibTeX(ReleaseDownload):
    @extend_schema(
        operation_id="releases_citation_bibtex",
        parameters=[VERSION],
        summary="Cite a release (BibTeX)",
        description="The release as a BibTeX `@misc` entry.",
        responses=download_responses("text/x-bibtex", OpenApiTypes.STR),
    )
    def get(self, request, version: str):
        self.check(request)
        release = release_or_404(version, "created_at", "archive_sha256")
        url = request.build_absolute_uri(reverse("release-detail", kwargs={"version": release.version}))
        return immutable(request, citation.bibtex(release, url).encode("utf-8"), "text/x-bibtex; charset=utf-8")


class APIRootView(CoreAPIRootView):
    """Every entry point of the API: the lists, a treaty's timeline (a URL template: put a treaty's slug in it), the
    changes feed, the releases and the latest one, the schema and the docs."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        latest = Release.objects.order_by("-id").only("version").first()
        response.data["releases"] = request.build_absolute_uri(reverse("release-list"))
        # The dataset's latest numbered release, to cite or download; null before the first.
        response.data["latest_release"] = latest and {
            "version": latest.version,
            "url": request.build_absolute_uri(reverse("release-detail", kwargs={"version": latest.version})),
        }
        return response
