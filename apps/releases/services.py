"""The dataset's lifecycle: the database is the working copy; releases are numbered snapshots of it.

- ``release_create`` takes one consistent snapshot of the working copy and stores it as an immutable release, with
  the changes since the release before it.
- ``dataset_load`` fills an empty database from a package (the repository's ``fixtures/`` is the latest release),
  or moves an unchanged working copy to a newer release. It never undoes a curator's change unless asked to by name
  (``replace=True``): then it says what it replaces, and every replaced version stays in the records' history, from
  which it can be reverted.
"""

import datetime
import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.db import connection, transaction
from django.db.models import PROTECT, Max
from django.utils import timezone

from apps.changes.models import Change
from apps.core.caching import bump_data_version
from apps.core.registry import dataset_models
from apps.sources.models import Source
from apps.sources.services import ImportReport, documents_import

from . import package as packages
from .compare import RecordChange, differences
from .models import SEMVER_MESSAGE, DatasetLoad, LoadMode, Release, ReleaseFile, version_key

REPLACE_OPTION = "--replace-curated-data"


class ReleaseError(ValueError):
    """A release that cannot be written (a version taken with other content, or not above the latest)."""


def change_cursor() -> int:
    return Change.objects.aggregate(last=Max("id"))["last"] or 0


def latest_release() -> Release | None:
    return Release.objects.order_by("-id").first()


def baseline_cursor() -> int:
    """The changes feed's entry the working copy was last known to equal a release at (its release or its load)."""
    release = latest_release()
    load = DatasetLoad.objects.order_by("-id").first()
    return max(release.change_cursor if release else 0, load.change_cursor if load else 0)


def records_changed_since(cursor: int) -> int:
    """How many records the changes feed lists as created, updated or deleted after ``cursor``."""
    return Change.objects.filter(id__gt=cursor).values("resource", "key").distinct().count()


def stored_package(release: Release) -> packages.Package:
    files = {f.name: bytes(f.content) for f in ReleaseFile.objects.filter(release=release)}
    return packages.Package(descriptor=json.loads(files[packages.DESCRIPTOR]), files=files)


def package_rows(package: packages.Package) -> dict[str, list[dict]]:
    return {resource.name: package.json_rows(resource.name) for resource in packages.resources()}


def metadata(version: str, created: datetime.datetime, previous: Release | None) -> dict:
    """The descriptor's own properties (everything but its resources)."""
    described = {
        "name": settings.DATASET_NAME,
        "title": settings.DATASET_TITLE,
        "version": version,
        "created": packages.json_value(created),
        "description": settings.DATASET_DESCRIPTION,
        "licenses": [settings.DATASET_LICENSE],
        "contributors": [{"title": name, "role": "author"} for name in settings.DATASET_AUTHORS],
        "keywords": ["arms control", "treaties", "Open Skies Treaty", "international relations"],
    }
    if settings.PUBLIC_URL:
        described["homepage"] = settings.PUBLIC_URL
    if previous is not None:
        described["previous_version"] = previous.version
    return described


@transaction.atomic
def _store(package: packages.Package, *, cursor: int, previous: Release | None, loaded: bool) -> Release:
    archive = package.zip()
    rows = package_rows(package)
    release = Release.objects.create(
        version=package.version,
        created_at=datetime.datetime.fromisoformat(package.descriptor["created"].replace("Z", "+00:00")),
        previous_version=previous.version if previous else "",
        change_cursor=cursor,
        loaded_at=timezone.now() if loaded else None,
        counts={name: len(rows[name]) for name in sorted(rows)},
        archive=archive,
        archive_sha256=hashlib.sha256(archive).hexdigest(),
    )
    media = {".csv": "text/csv", ".json": "application/json"}
    ReleaseFile.objects.bulk_create(
        ReleaseFile(
            release=release,
            name=name,
            content=data,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            media_type=media[name[name.rindex(".") :]],
        )
        for name, data in sorted(package.files.items())
    )
    # Releases are not dataset records; the API root and the front page name the latest one.
    transaction.on_commit(bump_data_version)
    return release


@dataclass
class ReleaseResult:
    release: Release
    package: packages.Package
    created: bool
    changes: list[dict] = field(default_factory=list)


@contextmanager
def _snapshot_transaction():
    """A transaction whose reads all see one moment: the snapshot and the feed's position agree (SQLite's writer
    transactions see one state by themselves)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def release_create(*, version: str) -> ReleaseResult:
    """Store the working copy as release ``version``; an existing equal release is returned as it is."""
    try:
        version_key(version)
    except ValueError:
        raise ReleaseError(f"'{version}' is not a semantic version. {SEMVER_MESSAGE}") from None
    with _snapshot_transaction():
        cursor = change_cursor()
        rows = packages.Snapshot.of_database().rows
        existing = Release.objects.filter(version=version).first()
        if existing is not None:
            stored = stored_package(existing)
            same = {name for name in stored.data_files() if not name.startswith(f"{packages.CHANGES}.")}
            fresh = packages.build(packages.Snapshot(rows), [], {"name": "", "version": version})
            differing = sorted(name for name in same if stored.files[name] != fresh.files.get(name))
            if differing:
                raise ReleaseError(
                    f"Release {version} already exists with other content ({', '.join(differing)} differ); a release "
                    "never changes: publish the working copy as a new version."
                )
            return ReleaseResult(existing, stored, created=False)
        previous = latest_release()
        if previous is not None and version_key(version) <= version_key(previous.version):
            raise ReleaseError(f"Versions only increase: the latest release is {previous.version}; give a higher one.")
        old_rows = package_rows(stored_package(previous)) if previous else None
        span = (previous.change_cursor, cursor) if previous else None
        changes = [change.as_row() for change in differences(old_rows, rows, span)]
        created = timezone.now()
        package = packages.build(packages.Snapshot(rows), changes, metadata(version, created, previous))
        release = _store(package, cursor=cursor, previous=previous, loaded=False)
    return ReleaseResult(release, package, created=True, changes=changes)


# --- Loading --------------------------------------------------------------------------------------------------------


def _python_records(resource: packages.Resource, rows: list[dict]) -> list[dict]:
    """Package rows as Django's "python" serialization reads them (natural keys as lists)."""
    label = resource.model._meta.label_lower
    columns = {column.name: column for column in resource.columns}
    records = []
    for row in rows:
        unknown = sorted(set(row) - set(columns))
        if unknown:
            raise packages.PackageError(
                f"{resource.name} has column(s) {', '.join(unknown)} that {resource.model._meta.label} lacks."
            )
        fields = {}
        for name, value in row.items():
            column = columns[name]
            if column.field.many_to_many:
                value = [[key] for key in value]
            elif column.field.is_relation and value is not None:
                value = [value]
            fields[name] = value
        records.append({"model": label, "fields": fields})
    return records


def write_rows(package_rows_by_name: dict[str, list[dict]], reason: str) -> list[RecordChange]:
    """Make the working copy hold exactly the given rows: write the rows that differ, delete the records that are
    not in them. Raw saves, as loaddata's: the history of loads (apps.curation.history) records each version."""
    current = packages.Snapshot.of_database().rows
    plan = differences(current, package_rows_by_name)
    to_write, to_delete = [], []
    for resource in packages.resources():
        wanted = {tuple(row[k] for k in resource.primary_key): row for row in package_rows_by_name[resource.name]}
        have = {tuple(row[k] for k in resource.primary_key): row for row in current[resource.name]}
        for key, row in wanted.items():
            if key not in have or _without_times(have[key]) != _without_times(resource.defaults() | row):
                to_write.append((resource, row))
        to_delete += [(resource, key) for key in have if key not in wanted]
    deferred_deletes = []
    for resource, key in reversed(to_delete):
        # Records first removed from under unique keys the package's records take; a record the package's records
        # still point at (PROTECT) goes once they point elsewhere.
        obj = resource.model._default_manager.filter(pk=_pk(resource, key)).first()
        if obj is None:
            continue
        if _referenced(obj):
            deferred_deletes.append(obj)
            continue
        obj._change_reason = reason
        obj.delete()
    deferred_fields = []
    for resource, row in to_write:
        for deserialized in serializers.deserialize(
            "python", _python_records(resource, [row]), handle_forward_references=True
        ):
            deserialized.object._change_reason = reason
            existing = deserialized.object.pk is not None
            names = [c.name for c in resource.columns if c.name in row and not c.field.many_to_many]
            deserialized.save(
                update_fields=[resource.model._meta.get_field(n).attname for n in names] if existing else None
            )
            if deserialized.deferred_fields:
                deferred_fields.append(deserialized)
    for deserialized in deferred_fields:
        deserialized.save_deferred_fields()
    for obj in deferred_deletes:
        obj._change_reason = reason
        obj.delete()
    return plan


def _without_times(row: dict) -> dict:
    return {name: value for name, value in row.items() if name not in ("created_at", "updated_at")}


def _pk(resource: packages.Resource, key: tuple):
    lookups = resource.model._default_manager.key_fields
    obj = resource.model._default_manager.filter(**dict(zip(lookups, key, strict=True))).values_list("pk", flat=True)
    return obj.first()


def _referenced(obj) -> bool:
    """Whether another record points at ``obj`` through a protecting foreign key."""
    for relation in obj._meta.related_objects:
        if (
            relation.on_delete is PROTECT
            and relation.related_model._default_manager.filter(**{relation.field.name: obj}).exists()
        ):
            return True
    return False


def dataset_is_empty() -> bool:
    return not any(model._default_manager.exists() for model in dataset_models())


class DocumentsRefused(ValueError):
    """Documents a load needed could not be imported; the load is rolled back (``report`` says why)."""

    def __init__(self, report: ImportReport):
        self.report = report
        super().__init__(f"{len(report.errors)} document(s) refused")


@dataclass
class LoadResult:
    """What ``dataset_load`` did, in one line; the records it created, replaced or deleted; the documents import."""

    message: str
    wrote: bool = False
    changes: list[RecordChange] = field(default_factory=list)
    documents: ImportReport | None = None
    mode: str = ""
    new_release: bool = True


def dataset_load(*, package: packages.Package, replace: bool = False, documents: Path | None = None) -> LoadResult:
    """Load ``package`` into the working copy as far as it undoes no curator's change (see the module docstring).

    With ``documents`` (a directory), the sources' texts are imported from it: all of them after a load that wrote
    records, in its transaction (a refused document rolls it back: ``DocumentsRefused``); otherwise only the texts of
    sources that have none, as a convenience that changes no record.
    """
    version = package.version
    try:
        version_key(version)
    except ValueError:
        raise packages.PackageError(f"The package's version '{version}' is not a semantic version.") from None
    rows = package_rows(package)
    with transaction.atomic():
        result = _decide_and_write(package, rows, replace)
        if documents is not None:
            if result.wrote:
                result.documents = documents_import(directory=documents)
                if result.documents.errors:
                    raise DocumentsRefused(result.documents)
            else:
                result.documents = documents_import(directory=documents, sources=Source.objects.filter(has_text=False))
        if result.wrote:
            _record_load(package, result)
    return result


def _decide_and_write(package: packages.Package, rows: dict, replace: bool) -> LoadResult:
    version = package.version
    latest = latest_release()
    if latest is None:
        if dataset_is_empty():
            write_rows(rows, f"Loaded from dataset {version}")
            return _wrote(LoadMode.LOADED, f"loaded dataset {version}", rows, [])
        plan = differences(packages.Snapshot.of_database().rows, rows)
        if not plan:
            return _wrote(LoadMode.LOADED, f"dataset {version} found in the database, recorded as loaded", rows, [])
        if replace:
            write_rows(rows, f"Curated changes replaced by dataset {version} ({REPLACE_OPTION})")
            return _wrote(LoadMode.REPLACED, f"dataset {version} loaded over earlier changes", rows, plan)
        return LoadResult(
            f"the database holds a dataset that differs from {version} in {_records(len(plan))} (changes made "
            f"before releases were recorded); nothing reloaded. Publish them with `manage.py release`, or "
            f"{REPLACE_OPTION} replaces them with {version}",
            changes=plan,
        )
    newer, older = (
        version_key(version) > version_key(latest.version),
        version_key(version) < version_key(latest.version),
    )
    changed = records_changed_since(baseline_cursor())
    since = f"{_records(changed)} changed since"
    if older:
        return LoadResult(f"the database holds dataset {latest.version}, newer than {version}; nothing reloaded")
    if newer and (not changed or replace):
        plan = write_rows(rows, f"Dataset {latest.version} replaced by {version}")
        mode = LoadMode.REPLACED if changed else LoadMode.UPGRADED
        return _wrote(mode, f"dataset {latest.version} -> {version}", rows, plan)
    if newer:
        return LoadResult(
            f"dataset {version} is newer than the loaded {latest.version}, but {since}; nothing reloaded. "
            f"{REPLACE_OPTION} replaces them with {version} (listing each; the history keeps every replaced "
            "version), or publish them first with `manage.py release`"
        )
    if stored_package(latest).data_files() != package.data_files():
        return LoadResult(
            f"dataset {version} is already loaded, but the package read differs from the release {version} "
            "recorded here: a changed dataset needs a new version; nothing reloaded"
        )
    if replace and changed:
        plan = write_rows(rows, f"Curated changes replaced by dataset {version} ({REPLACE_OPTION})")
        return _wrote(LoadMode.REPLACED, f"dataset {version} restored", rows, plan, new_release=False)
    return LoadResult(f"dataset {version} already loaded; {since}; nothing reloaded")


def _records(count: int) -> str:
    return f"{count} record{'s' if count != 1 else ''}"


def _wrote(mode: str, what: str, rows: dict, plan: list[RecordChange], new_release: bool = True) -> LoadResult:
    total = sum(len(table) for table in rows.values())
    done = f"{_records(len(plan))} changed" if plan else f"{total} rows"
    return LoadResult(f"{what}: {done}", wrote=True, changes=plan, mode=mode, new_release=new_release)


def _record_load(package: packages.Package, result: LoadResult) -> None:
    """Store the loaded release (unless it is already the latest) and the load, at the feed's position after it."""
    cursor = change_cursor()
    if result.new_release:
        release = _store(package, cursor=cursor, previous=latest_release(), loaded=True)
    else:
        release = latest_release()
    DatasetLoad.objects.create(
        release=release, mode=result.mode, change_cursor=cursor, replaced=[c.as_row() for c in result.changes]
    )
