"""The dataset's on-disk form: one JSON file per model, written so that an export is byte-for-byte reproducible.

Records carry natural keys only (slugs, codes), never row numbers, so a fixture file diffs cleanly when a curator
changes one record, and loads into any database regardless of its sequences.
"""

import datetime
import json
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

# Dependency order: a model's file comes after every file it refers to, so loading in this order resolves each
# natural foreign key to a record already present (State.successor_of, within one file, is resolved by loaddata's
# forward-reference handling).
DATASET_MODELS = (
    "sources.source",
    "sources.paragraphdecision",
    "treaties.state",
    "treaties.treaty",
    "treaties.treatycitation",
    "treaties.membership",
    "treaties.membershipcitation",
    "events.event",
    "events.eventparticipant",
    "events.eventcitation",
    "events.statement",
    "events.statementcitation",
)


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
    """All records of ``model`` as indented JSON, sorted by natural key, with many-to-many key lists sorted too."""
    objects = sorted(model._default_manager.all(), key=lambda obj: obj.natural_key())
    records = serializers.serialize("python", objects, use_natural_foreign_keys=True, use_natural_primary_keys=True)
    # Only auto-created many-to-many tables (depositaries, joint_with) are serialized as key lists; their order in
    # the database is insertion order, which would make two equal datasets export differently.
    m2m_fields = [field.name for field in model._meta.many_to_many if field.remote_field.through._meta.auto_created]
    for record in records:
        for name in m2m_fields:
            record["fields"][name] = sorted(record["fields"][name])
    return json.dumps(records, indent=2, ensure_ascii=False, cls=FixtureJSONEncoder) + "\n"


def export_dataset(directory: Path) -> list[Path]:
    """Write one fixture file per dataset model into ``directory``; return the paths written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for label in DATASET_MODELS:
        path = fixture_path(directory, label)
        path.write_text(serialize_model(apps.get_model(label)), encoding="utf-8")
        written.append(path)
    return written
