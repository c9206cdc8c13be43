"""The change log, written in one place: whenever django-simple-history records a version of a dataset record.

Every write path already leaves a history record (admin, API, management commands, CSV import, reverts, and fixture
loads through ``apps.curation.history``), so hooking simple_history's ``post_create_historical_record`` signal puts
every create, update and delete of the API's resources in the log, in the same transaction as the change itself:
a rolled-back change leaves no entry, and a committed one cannot lose its entry.

- A resource's own version is logged under its resource with its action; an update that changed the natural key
  (a slug rename) carries the previous key, read from the previous history record.
- A version of a dependent row (a citation, an event's participant) is an update of the record it belongs to. Its
  many-to-many links (depositaries, joint states, mentions) are recorded by simple_history as versions of the record.
- Records embed brief copies of others (a membership shows its state's code and name, a statement the event it
  answers). When an update changes what such a brief shows (a state renamed), every record embedding it is logged as
  updated too, so a mirror refetches it. A delete can only remove many-to-many links (every foreign key between
  records is PROTECT); the records that held one are found before the delete (``pre_delete``) and logged after it.

**Commit order.** The id is the feed's cursor, so ids must be assigned in the order transactions commit: a reader
that has seen id 11 must never later find a committed id 10. On PostgreSQL a sequence hands out ids at insert time,
so two writers could commit out of order; each transaction therefore takes the writers' turn (a transaction-level
advisory lock, ``apps.core.data_version.take_writers_turn``, which the data version's bump takes too) before its
first log entry and holds it until it commits or rolls back. Writers of the dataset take turns from their first
logged change to their commit (curated data is written rarely; readers never wait). SQLite serialises writers by
itself (``transaction_mode: IMMEDIATE`` in the settings), so its ids are in commit order already. The guarantee: once
a client has read an entry, every entry committed later has a larger id, so ``?after=`` never skips one.
"""

from dataclasses import dataclass
from functools import cache
from importlib import import_module

from django.apps import apps
from django.db import transaction
from django.db.models import CASCADE
from django.db.models.signals import pre_delete
from django.utils import timezone
from simple_history.signals import post_create_historical_record

from apps.core.data_version import take_writers_turn
from apps.core.registry import dataset_app_configs, dataset_models
from apps.events.api.serializers import EventBriefSerializer
from apps.sources.api.serializers import SourceBriefSerializer
from apps.treaties.api.serializers import StateBriefSerializer, TreatyBriefSerializer

from .models import Change, ChangeAction

# Rows per query when the log is reconciled with the tables (log_existing_records).
BATCH = 5000


@dataclass(frozen=True)
class Resource:
    """A resource of the API: its name (the path under /api/), its key field, and its detail view."""

    name: str
    key_field: str
    view_name: str


@cache
def resources() -> dict[str, Resource]:
    """The API's resources by model label, from the routes each dataset app's API registers (apps/*/api/urls.py)."""
    found = {}
    for config in dataset_app_configs():
        for prefix, viewset, basename in import_module(f"{config.name}.api.urls").routes:
            found[viewset.queryset.model._meta.label_lower] = Resource(
                prefix, viewset.lookup_field, f"{basename}-detail"
            )
    return found


@cache
def parts() -> dict[str, str]:
    """Dataset rows that belong to a resource's record (citations, participants), by model label: the name of the
    foreign key to that record, the one deleted with it (CASCADE)."""
    found = {}
    for model in dataset_models():
        if model._meta.label_lower in resources():
            continue
        for field in model._meta.get_fields():
            if (
                getattr(field, "many_to_one", False)
                and field.remote_field.on_delete is CASCADE
                and field.related_model._meta.label_lower in resources()
            ):
                found[model._meta.label_lower] = field.name
    return found


def resource_named(name: str) -> Resource:
    return next(resource for resource in resources().values() if resource.name == name)


# Records whose brief is embedded in others: the fields the brief shows (from its serializer), and where it is
# embedded, as (model label of the embedding record, lookup from it to this record, whether the link is many-to-many).
EMBEDDED = {
    "sources.source": (
        SourceBriefSerializer,
        [(label, "citations__source", False) for label in ("treaties.treaty", "treaties.membership")]
        + [(label, "citations__source", False) for label in ("events.event", "events.statement")],
    ),
    "treaties.state": (
        StateBriefSerializer,
        [
            ("treaties.state", "successor_of", False),
            ("treaties.treaty", "depositaries", True),
            ("treaties.membership", "state", False),
            ("events.event", "participants__state", False),
            ("events.statement", "on_behalf_of", False),
            ("events.statement", "joint_with", True),
            ("events.statement", "mentions", True),
        ],
    ),
    "treaties.treaty": (
        TreatyBriefSerializer,
        [(label, "treaty", False) for label in ("treaties.membership", "events.event", "events.statement")],
    ),
    "events.event": (EventBriefSerializer, [("events.statement", "responds_to", False)]),
}
ACTIONS = {"+": ChangeAction.CREATED, "~": ChangeAction.UPDATED, "-": ChangeAction.DELETED}


def log_version(sender, instance, history_instance, **kwargs) -> None:
    """post_create_historical_record receiver: append the change this history record describes to the log."""
    label = instance._meta.label_lower
    if label in resources():
        resource = resources()[label]
        action = ACTIONS[history_instance.history_type]
        key = getattr(history_instance, resource.key_field)
        old_key = ""
        if action == ChangeAction.UPDATED:
            previous = previous_version(history_instance)
            if previous is not None and getattr(previous, resource.key_field) != key:
                old_key = getattr(previous, resource.key_field)
    elif label in parts():
        record = getattr(instance, parts()[label])
        resource = resources()[record._meta.label_lower]
        action, key, old_key = ChangeAction.UPDATED, getattr(record, resource.key_field), ""
    else:
        return
    changes = [
        Change(resource=resource.name, key=key, old_key=old_key, action=action, at=history_instance.history_date)
    ]
    if label in EMBEDDED and action != ChangeAction.CREATED:
        if action == ChangeAction.DELETED:
            embedding = getattr(instance, "_embedded_in", [])
        elif brief_changed(label, history_instance):
            embedding = embedded_in(instance, many_to_many_only=False)
        else:
            embedding = []
        changes += [
            Change(resource=name, key=embedding_key, action=ChangeAction.UPDATED, at=history_instance.history_date)
            for name, embedding_key in embedding
        ]
    append(history_instance._state.db, changes)


def brief_changed(label: str, version) -> bool:
    """Whether this version changed a field the record's brief shows (compared with the version before it)."""
    previous = previous_version(version)
    fields = [name for name in EMBEDDED[label][0].Meta.fields if name != "url"]
    return previous is None or any(getattr(previous, name) != getattr(version, name) for name in fields)


def embedded_in(record, *, many_to_many_only: bool) -> list[tuple[str, str]]:
    """(resource, key) of every record embedding ``record``'s brief, in a stable order."""
    found = []
    for label, lookup, many_to_many in EMBEDDED[record._meta.label_lower][1]:
        if many_to_many_only and not many_to_many:
            continue
        resource = resources()[label]
        keys = (
            apps.get_model(label)
            ._default_manager.using(record._state.db)
            .filter(**{lookup: record})
            .order_by(resource.key_field)
            .values_list(resource.key_field, flat=True)
            .distinct()
        )
        found += [(resource.name, key) for key in keys]
    return list(dict.fromkeys(found))


def remember_embedding(sender, instance, **kwargs) -> None:
    """pre_delete receiver: the records whose many-to-many links the delete is about to remove silently."""
    if instance._meta.label_lower in EMBEDDED:
        instance._embedded_in = embedded_in(instance, many_to_many_only=True)


def previous_version(version):
    """The record's history record before ``version`` (by history id: a record's versions are written one at a time,
    its row locked, so their ids follow each other; two versions may share a ``history_date``)."""
    pk_name = version.instance_type._meta.pk.attname
    return (
        type(version)
        ._default_manager.using(version._state.db)
        .filter(**{pk_name: getattr(version, pk_name)}, history_id__lt=version.history_id)
        .order_by("-history_id")
        .first()
    )


def append(using: str, changes: list[Change]) -> None:
    """Write entries in order, taking the writers' turn first (see the module's docstring)."""
    with transaction.atomic(using=using):
        take_writers_turn(using)
        # One by one: bulk_create does not promise ids in list order on every database.
        for change in changes:
            change.save(using=using)


def connect_change_log() -> None:
    post_create_historical_record.connect(log_version, dispatch_uid="treatyapi-change-log")
    pre_delete.connect(remember_embedding, dispatch_uid="treatyapi-change-log-embedding")


def log_existing_records(get_model=apps.get_model, using: str = "default") -> int:
    """Make the log tell what the tables hold: log as created every record a mirror replaying the log would lack,
    and as deleted every key it would keep that no record has. These are the records written before the log existed
    (a database upgraded to it) and the rows of paths that keep no history (the synthetic generator's bulk inserts
    and its ``--flush``).

    Creations go in dependency order (sources and states before the records citing or naming them), dated by each
    record's ``created_at``; deletions in the reverse order, dated now. Running it again adds nothing. ``get_model``
    lets a migration pass its historical models. Returns the number of entries written.
    """
    change_model = get_model("changes", "Change")
    entries = change_model._default_manager.using(using)
    # A migration's historical models lack the models added after it (their tables do not exist yet, so neither do
    # their records): without this, adding a resource model would break migrate on every new database.
    labels = [
        model._meta.label_lower
        for model in dataset_models()
        if model._meta.label_lower in resources() and _model_or_none(get_model, model._meta.label_lower)
    ]
    written = 0
    with transaction.atomic(using=using):
        take_writers_turn(using)
        mirrored = mirrored_keys(entries)
        stale = {}
        for label in labels:
            resource = resources()[label]
            keys = mirrored.get(resource.name, set())
            records = (
                get_model(label)
                ._default_manager.using(using)
                .order_by("created_at", resource.key_field)
                .values_list(resource.key_field, "created_at")
            )
            present = set()
            created = []
            for key, at in records.iterator(chunk_size=BATCH):
                present.add(key)
                if key not in keys:
                    created.append(change_model(resource=resource.name, key=key, action=ChangeAction.CREATED, at=at))
                if len(created) == BATCH:  # a backfill can be a million entries: written as they come
                    written += bulk_append(entries, created)
                    created = []
            written += bulk_append(entries, created)
            stale[resource.name] = sorted(keys - present)
        now = timezone.now()
        for label in reversed(labels):
            name = resources()[label].name
            gone = [change_model(resource=name, key=key, action=ChangeAction.DELETED, at=now) for key in stale[name]]
            written += bulk_append(entries, gone)
    return written


def _model_or_none(get_model, label: str):
    try:
        return get_model(label)
    except LookupError:
        return None


def mirrored_keys(entries) -> dict[str, set[str]]:
    """The keys of each resource that a mirror holds after applying these log entries from the first."""
    keys: dict[str, set[str]] = {}
    rows = entries.order_by("id").values_list("resource", "key", "old_key", "action")
    for resource, key, old_key, action in rows.iterator(chunk_size=BATCH):
        held = keys.setdefault(resource, set())
        if action == ChangeAction.DELETED:
            held.discard(key)
            continue
        if old_key:
            held.discard(old_key)
        held.add(key)
    return keys


def bulk_append(entries, changes: list) -> int:
    """Insert entries of one reconciliation. It is one commit, so the id order among its entries carries no meaning
    and bulk_create's is good enough."""
    entries.bulk_create(changes, batch_size=BATCH)
    return len(changes)
