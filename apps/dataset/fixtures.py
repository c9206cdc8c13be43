"""The dataset's on-disk form: one JSON file per model, written so that an export is byte-for-byte reproducible.

Records carry natural keys only (slugs, codes), never row numbers, so a fixture file diffs cleanly when a curator
changes one record, and loads into any database regardless of its sequences. A field holding its model default (an
empty note, no treaty, an empty list) is left out of its record, and loading gives it that default again: a field
added to a model changes no fixture file until a record gives it a value.
"""

import datetime
import json
from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.encoding import is_protected_type

from apps.core.registry import dataset_models


def dataset_labels() -> list[str]:
    """One fixture file per dataset model, named by its label, in dependency order: a model's file comes after every
    file it refers to, so loading in this order resolves each natural foreign key to a record already present
    (State.successor_of, within one file, is resolved by loaddata's forward-reference handling)."""
    return [model._meta.label_lower for model in dataset_models()]


class FixtureJSONEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder, with times truncated to the millisecond before they are written.

    DjangoJSONEncoder keeps milliseconds and writes ".000" for a time less than a millisecond past the second; that
    reloads as a whole second, which it then writes with no fraction, so an export, load and export would differ.
    Truncating first makes the written form depend only on what the file can hold.
    """

    def default(self, o):
        if isinstance(o, datetime.datetime):
            o = o.replace(microsecond=o.microsecond // 1000 * 1000)
        return super().default(o)


def default_fixtures_dir() -> Path:
    return Path(settings.BASE_DIR) / "fixtures"


def fixture_path(directory: Path, label: str) -> Path:
    return Path(directory) / f"{label}.json"


def serialize_model(model: type[models.Model]) -> str:
    """All records of ``model`` as indented JSON, sorted by natural key, with many-to-many key lists sorted too, and
    fields at their default left out."""
    objects = sorted(model._default_manager.all(), key=lambda obj: obj.natural_key())
    records = serializers.serialize("python", objects, use_natural_foreign_keys=True, use_natural_primary_keys=True)
    # Only auto-created many-to-many tables (depositaries, joint_with) are serialized as key lists; their order in
    # the database is insertion order, which would make two equal datasets export differently.
    m2m_fields = [field.name for field in model._meta.many_to_many if field.remote_field.through._meta.auto_created]
    defaults = serialized_defaults(model)
    for record in records:
        for name in m2m_fields:
            record["fields"][name] = sorted(record["fields"][name])
        record["fields"] = {
            name: value for name, value in record["fields"].items() if name not in defaults or value != defaults[name]
        }
    return json.dumps(records, indent=2, ensure_ascii=False, cls=FixtureJSONEncoder) + "\n"


def serialized_defaults(model: type[models.Model]) -> dict:
    """Each field's default as Django's serializer writes it (a callable default that is not constant, such as a
    creation time, is not a default here)."""
    blank = model()
    defaults = {}
    for field in model._meta.local_fields:
        if not field.serialize or field.primary_key:
            continue
        if field.remote_field:
            if field.get_default() is None:
                defaults[field.name] = None
            continue
        value = field.value_from_object(blank)
        again = field.value_from_object(model())
        if value == again:
            defaults[field.name] = value if is_protected_type(value) else field.value_to_string(blank)
    for field in model._meta.many_to_many:
        if field.serialize and field.remote_field.through._meta.auto_created:
            defaults[field.name] = []
    return defaults


def export_dataset(directory: Path) -> list[Path]:
    """Write one fixture file per dataset model into ``directory``; return the paths written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for model in dataset_models():
        path = fixture_path(directory, model._meta.label_lower)
        path.write_text(serialize_model(model), encoding="utf-8")
        written.append(path)
    return written
