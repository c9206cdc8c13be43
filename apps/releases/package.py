"""The dataset as a Frictionless Data Package: the one writer of releases and of the repository's ``fixtures/``.

Every dataset model is one resource, derived from the model (nothing here lists fields): its columns are the model's
serialized fields and its automatic many-to-many lists, foreign keys written as the target's natural key (a slug or
a code). Each resource is written twice, as CSV (the tabular resource, with its Table Schema: types, required
fields, enums, primary and foreign keys) and as JSON (the same rows, typed), both sorted by natural key with a stable
layout, so that two releases diff record by record. The documents' texts never go in (``serialize=False``); their
SHA-256 does (``sources.text_sha256``). ``datapackage.json`` gives each file's SHA-256 and size.

A field added to a model is a new column of its resource, with no change here.
"""

import csv
import datetime
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.text import slugify

from apps.core.registry import dataset_models

from .models import ReleaseChangeAction

DESCRIPTOR = "datapackage.json"
CHANGES = "changes"
# Written last in each row, in this order: when the record was made and last changed, and the curator's note.
TRAILING = ("notes", "created_at", "updated_at")
# A fixed time for the entries of a release's zip, so that the same files always make the same archive.
ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def repository_release_dir() -> Path:
    """The repository's copy of the latest release, ``fixtures/``: what ``load_dataset`` loads by default."""
    return Path(settings.BASE_DIR) / "fixtures"


class PackageError(ValueError):
    """A package that cannot be read as this dataset (a missing or altered file, a column no model has)."""


def natural_key_fields(model: type[models.Model]) -> list[str]:
    """The names of the fields ``model.natural_key()`` returns, in its order, from the model's manager."""
    lookups = getattr(model._default_manager, "key_fields", None)
    if not lookups:
        raise TypeError(f"{model._meta.label}'s manager names no key_fields; the package needs its natural key.")
    return [lookup.split("__")[0] for lookup in lookups]


@dataclass(frozen=True)
class Column:
    """One column of a resource: the model field it comes from, and how the package writes it."""

    name: str
    field: models.Field

    @property
    def is_list(self) -> bool:
        return self.field.many_to_many or isinstance(self.field, models.JSONField)

    @property
    def key_of(self) -> str | None:
        """For a foreign key or a many-to-many list, the target's key field (``slug``, ``code``)."""
        if not self.field.is_relation:
            return None
        (key,) = natural_key_fields(self.field.related_model)
        return key


@dataclass(frozen=True)
class Resource:
    """A dataset model as a resource of the package."""

    model: type[models.Model]

    @property
    def name(self) -> str:
        """``events``, ``event-citations``: the model's plural name, as the API and the files call it."""
        return slugify(str(self.model._meta.verbose_name_plural))

    @property
    def primary_key(self) -> list[str]:
        return natural_key_fields(self.model)

    @property
    def columns(self) -> list[Column]:
        meta = self.model._meta
        fields = [f for f in meta.local_fields if f.serialize and not f.primary_key]
        fields += [f for f in meta.many_to_many if f.serialize and f.remote_field.through._meta.auto_created]
        by_name = {f.name: f for f in fields}
        order = [*self.primary_key]
        order += [f.name for f in fields if f.name not in order and f.name not in TRAILING]
        order += [name for name in TRAILING if name in by_name]
        return [Column(name, by_name[name]) for name in order]

    def rows(self) -> list[dict]:
        """Every record of the model as a row of JSON values, foreign keys as the target's key, sorted by key."""
        columns = self.columns
        lookups = [f"{c.name}__{c.key_of}" if c.key_of and not c.field.many_to_many else c.name for c in columns]
        plain = [(c, lookup) for c, lookup in zip(columns, lookups, strict=True) if not c.field.many_to_many]
        values = self.model._default_manager.values_list("pk", *[lookup for _, lookup in plain])
        rows = {pk: {c.name: value for (c, _), value in zip(plain, rest, strict=True)} for pk, *rest in values}
        for column in columns:
            if column.field.many_to_many:
                for row in rows.values():
                    row[column.name] = []
                through = self.model._default_manager.filter(**{f"{column.name}__isnull": False})
                for pk, key in through.values_list("pk", f"{column.name}__{column.key_of}"):
                    rows[pk][column.name].append(key)
                for row in rows.values():
                    row[column.name].sort()
        ordered = [{c.name: json_value(row[c.name]) for c in columns} for row in rows.values()]
        return sorted(ordered, key=lambda row: tuple(row[name] for name in self.primary_key))

    def defaults(self) -> dict:
        """Each column's value in a record that never set it: what a package written before the column existed
        means (a field added since)."""
        return {c.name: [] if c.field.many_to_many else json_value(c.field.get_default()) for c in self.columns}

    def table_schema(self, resources: list["Resource"]) -> dict:
        """The Frictionless Table Schema of the resource's CSV file."""
        names = {r.model: r.name for r in resources}
        schema = {"fields": [column_schema(c) for c in self.columns], "missingValues": [""]}
        schema["primaryKey"] = self.primary_key
        foreign_keys = []
        for column in self.columns:
            if column.field.many_to_one:
                target = names[column.field.related_model]
                foreign_keys.append(
                    {
                        "fields": column.name,
                        # An empty resource name refers to the resource itself (a state succeeding another).
                        "reference": {"resource": "" if target == self.name else target, "fields": column.key_of},
                    }
                )
        if foreign_keys:
            schema["foreignKeys"] = foreign_keys
        return schema


def resources() -> list[Resource]:
    """The package's resources, one per dataset model, each after the resources it refers to."""
    return [Resource(model) for model in dataset_models()]


# Table Schema types by Django field class; the first the field is an instance of wins.
FIELD_TYPES = [
    (models.BooleanField, "boolean"),
    (models.DateTimeField, "datetime"),
    (models.DateField, "date"),
    (models.IntegerField, "integer"),
    (models.JSONField, "array"),
]


def column_schema(column: Column) -> dict:
    """A column's Table Schema field: type, description (the model's help text) and constraints."""
    model_field = column.field
    if model_field.many_to_many:
        kind = "array"
    else:
        kind = next((name for cls, name in FIELD_TYPES if isinstance(model_field, cls)), "string")
    description = str(model_field.help_text) or f"The {model_field.verbose_name}."
    described = {"name": column.name, "type": kind, "description": description}
    if model_field.is_relation:
        described["description"] += f" Given by its key ({column.key_of})" + (
            ", a list." if model_field.many_to_many else "."
        )
    constraints = {}
    if not model_field.many_to_many and not model_field.blank and not model_field.null:
        constraints["required"] = True
    if model_field.choices and not model_field.is_relation:
        constraints["enum"] = [str(value) for value, _ in model_field.flatchoices if value != ""]
    if kind == "string" and getattr(model_field, "max_length", None) and not model_field.is_relation:
        constraints["maxLength"] = model_field.max_length
    if isinstance(model_field, models.PositiveIntegerField):
        constraints["minimum"] = 0
    if constraints:
        described["constraints"] = constraints
    return described


CHANGES_SCHEMA = {
    "fields": [
        {"name": "resource", "type": "string", "description": "The resource the record belongs to.",
         "constraints": {"required": True}},
        {"name": "key", "type": "string", "description": "The record's key in this release (for a deleted record, "
         "its key in the previous release).", "constraints": {"required": True}},
        {"name": "old_key", "type": "string", "description": "For a renamed record, its key in the previous release."},
        {"name": "action", "type": "string", "description": "What happened to the record since the previous release.",
         "constraints": {"required": True, "enum": list(ReleaseChangeAction.values)}},
    ],
    "missingValues": [""],
    "primaryKey": ["resource", "key", "action"],
}  # fmt: skip


# --- Writing --------------------------------------------------------------------------------------------------------


def json_value(value):
    """A value as the JSON files hold it: dates in ISO 8601, times in UTC to the millisecond with 'Z'."""
    if isinstance(value, datetime.datetime):
        value = value.astimezone(datetime.UTC).replace(microsecond=value.microsecond // 1000 * 1000, tzinfo=None)
        text = value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
        return text + "Z"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def csv_value(value) -> str:
    """A value as the CSV files hold it: empty for null, lists as JSON arrays, booleans as true/false."""
    value = json_value(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def json_file(rows: list[dict]) -> bytes:
    rows = [{name: json_value(value) for name, value in row.items()} for row in rows]
    return (json.dumps(rows, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def csv_file(names: list[str], rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([csv_value(row[name]) for name in names])
    return out.getvalue().encode("utf-8")


@dataclass
class Snapshot:
    """The dataset's rows, by resource name, as read in one transaction."""

    rows: dict[str, list[dict]]

    @classmethod
    def of_database(cls) -> "Snapshot":
        return cls({resource.name: resource.rows() for resource in resources()})

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.rows.items()}


@dataclass
class Package:
    """A written package: its files by name (the descriptor included) and the descriptor itself."""

    descriptor: dict
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.descriptor["version"]

    def data_files(self) -> dict[str, bytes]:
        """Every file but the descriptor (which also holds the creation time): what makes two releases equal."""
        return {name: data for name, data in self.files.items() if name != DESCRIPTOR}

    def json_rows(self, resource_name: str) -> list[dict]:
        data = self.files.get(f"{resource_name}.json")
        return [] if data is None else json.loads(data)

    def zip(self) -> bytes:
        """The whole package as one zip, the same bytes for the same files."""
        out = io.BytesIO()
        folder = f"{self.descriptor['name']}-{self.version}"
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(self.files):
                info = zipfile.ZipInfo(f"{folder}/{name}", date_time=ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, self.files[name])
        return out.getvalue()

    def write(self, directory: Path) -> list[Path]:
        """Write the files into ``directory``, first removing the files of a package already there."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        old = directory / DESCRIPTOR
        if old.is_file():
            for resource in json.loads(old.read_text(encoding="utf-8")).get("resources", []):
                (directory / resource["path"]).unlink(missing_ok=True)
        written = []
        for name, data in self.files.items():
            path = directory / name
            path.write_bytes(data)
            written.append(path)
        return written


def file_entry(name: str, path: str, data: bytes, **properties) -> dict:
    return {
        "name": name,
        "path": path,
        **properties,
        "bytes": len(data),
        "hash": f"sha256:{hashlib.sha256(data).hexdigest()}",
    }


def build(snapshot: Snapshot, changes: list[dict], metadata: dict) -> Package:
    """The package of ``snapshot``: a CSV and a JSON file per resource, the changes, and ``datapackage.json``.

    ``metadata`` holds the descriptor's own properties (name, title, version, created, licenses, contributors...).
    """
    package = Package(descriptor={})
    entries = []
    all_resources = resources()
    tables = [
        (r.name, [c.name for c in r.columns], r.table_schema(all_resources), r.model._meta.verbose_name_plural)
        for r in all_resources
    ]
    tables.append((CHANGES, [f["name"] for f in CHANGES_SCHEMA["fields"]], CHANGES_SCHEMA, "changes"))
    for name, columns, schema, title in tables:
        rows = changes if name == CHANGES else snapshot.rows.get(name, [])
        csv_data, json_data = csv_file(columns, rows), json_file(rows)
        package.files[f"{name}.csv"] = csv_data
        package.files[f"{name}.json"] = json_data
        description = (
            "What changed since the previous release: records created, updated, renamed and deleted."
            if name == CHANGES
            else f"The dataset's {title}, one row per record, sorted by key."
        )
        entries.append(
            file_entry(
                name,
                f"{name}.csv",
                csv_data,
                type="table",
                title=str(title).capitalize(),
                description=description,
                format="csv",
                mediatype="text/csv",
                encoding="utf-8",
                schema=schema,
            )
        )
        # Frictionless reads a JSON file as a table only without checking its size; as a plain JSON resource its
        # hash and size are checked. Its rows are those of the CSV file, typed (the tests compare them).
        entries.append(
            file_entry(
                f"{name}-json",
                f"{name}.json",
                json_data,
                type="json",
                title=f"{str(title).capitalize()} (JSON)",
                description=f"The rows of {name}.csv as a JSON array of objects, with the same fields.",
                format="json",
                mediatype="application/json",
                encoding="utf-8",
            )
        )
    package.descriptor = {**metadata, "resources": entries}
    package.files[DESCRIPTOR] = (json.dumps(package.descriptor, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return package


# --- Reading --------------------------------------------------------------------------------------------------------


def read(directory: Path) -> Package:
    """The package in ``directory``, every file checked against the size and SHA-256 its descriptor gives."""
    directory = Path(directory)
    path = directory / DESCRIPTOR
    if not path.is_file():
        raise PackageError(f"{path} not found: the dataset's package starts with its {DESCRIPTOR}.")
    descriptor_data = path.read_bytes()
    try:
        descriptor = json.loads(descriptor_data)
        entries = descriptor["resources"]
        descriptor["version"]
    except (ValueError, KeyError, TypeError) as error:
        raise PackageError(f"{path} is not a data package descriptor with a version ({error}).") from None
    package = Package(descriptor=descriptor, files={DESCRIPTOR: descriptor_data})
    for entry in entries:
        file_path = directory / entry["path"]
        if "/" in entry["path"] or not file_path.is_file():
            raise PackageError(f"{file_path} is missing (named by {path}).")
        data = file_path.read_bytes()
        digest = f"sha256:{hashlib.sha256(data).hexdigest()}"
        if digest != entry.get("hash") or len(data) != entry.get("bytes"):
            raise PackageError(
                f"{file_path} is not the file {path} describes (SHA-256 {digest}, {len(data)} bytes; expected "
                f"{entry.get('hash')}, {entry.get('bytes')} bytes). Write packages with `manage.py release`."
            )
        package.files[entry["path"]] = data
    return package
