"""Drop the participants' trigger-maintained copy of the event order (migration 0006).

The copy made adding any column to events_event fail on SQLite (a table rebuild trips over the triggers that name
it), and kept a second copy of each event's date and slug behind the ORM's back. The state filters now read a
state's participations from an index on the real columns (state, role, event).

Reversing this migration recreates the copy and its triggers with 0006's own operation.
"""

import importlib

from django.db import migrations, models

order_triggers = importlib.import_module("apps.events.migrations.0006_participant_event_order").EventOrderTriggers


class DropEventOrderTriggers(order_triggers):
    """0006's triggers, dropped going forwards and created going backwards."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        super().database_backwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        super().database_forwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return "Drop the triggers copying each event's date and slug onto its participants"


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0006_participant_event_order"),
    ]

    operations = [
        # Before any table rebuild: SQLite cannot rebuild a table that a trigger names.
        DropEventOrderTriggers(),
        migrations.RemoveIndex(model_name="eventparticipant", name="participant_state_event_order"),
        migrations.AlterModelOptions(
            name="eventparticipant",
            options={"ordering": ["event_id", "role", "state"]},
        ),
        migrations.RemoveField(model_name="eventparticipant", name="event_date"),
        migrations.RemoveField(model_name="eventparticipant", name="event_slug"),
        migrations.AddIndex(
            model_name="eventparticipant",
            index=models.Index(fields=["state", "role", "event"], name="participant_state_role_event"),
        ),
    ]
