"""Put the records that existed before the change log into it, so a mirror replaying the feed from the start ends
with every record, not only those changed since the upgrade. A new database has none; running it twice adds nothing."""

from django.db import migrations


def log_existing_records(apps, schema_editor):
    from apps.changes.log import log_existing_records

    log_existing_records(apps.get_model, schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("changes", "0001_initial"),
        ("events", "0008_merge_20261201_0752"),
        ("sources", "0003_source_library"),
        ("treaties", "0003_citation_selectors"),
    ]

    operations = [migrations.RunPython(log_existing_records, migrations.RunPython.noop)]
