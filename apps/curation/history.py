"""History of fixture loads: the one write path django-simple-history leaves out.

simple_history records every ``save()`` and ``delete()`` (admin, API, management commands, CSV import), with the
request's user when there is a request. It skips *raw* saves, which is how ``loaddata`` (and so ``load_dataset``)
writes. Without a record of the loaded version, a curator's first edit of a loaded record could not be diffed
against it nor reverted to it, so a load is recorded too: one history row per record whose loaded state differs
from its latest history row, with no user and the reason below. Loading the same fixtures twice records nothing
the second time. Each recorded load is announced with simple_history's ``post_create_historical_record`` signal,
as any other version is (the changes feed listens to it).

Bulk ``QuerySet.update()``/``bulk_create()`` send no signals; no curation path uses them, and any
future one must go through ``simple_history.utils.bulk_create_with_history``/``bulk_update_with_history``.
"""

from django.db.models.signals import post_save
from simple_history.signals import post_create_historical_record
from simple_history.utils import get_history_manager_for_model

LOAD_REASON = "Loaded from the fixtures"


def record_fixture_load(sender, instance, created, raw, using, **kwargs) -> None:
    """post_save receiver: record a raw (fixture) save unless it leaves the record as its history last saw it."""
    if not raw:
        return
    history = get_history_manager_for_model(instance).db_manager(using)
    fields = [field.attname for field in history.model.tracked_fields]
    latest = history.filter(**{instance._meta.pk.attname: instance.pk}).order_by("-history_date", "-pk").first()
    if latest is not None and all(getattr(latest, name) == getattr(instance, name) for name in fields):
        return
    (version,) = history.bulk_history_create([instance], update=latest is not None, default_change_reason=LOAD_REASON)
    # bulk_history_create sends no signal; its receivers (the change log, apps.changes) must hear of this version too.
    post_create_historical_record.send(
        sender=history.model,
        instance=instance,
        history_instance=version,
        history_date=version.history_date,
        history_user=None,
        history_change_reason=version.history_change_reason,
        using=using,
    )


def connect_fixture_load_history(models) -> None:
    """Connect the receiver for every model that keeps history."""
    for model in models:
        # simple_history marks the models it tracks; their historical models are not tracked themselves.
        if hasattr(model._meta, "simple_history_manager_attribute"):
            post_save.connect(record_fixture_load, sender=model, dispatch_uid=f"fixture-history-{model._meta.label}")
