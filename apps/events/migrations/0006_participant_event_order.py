"""Copy each event's list order (date, slug) onto its participants, kept in sync by database triggers.

The state filters used to walk the events in list order and test each for a participant of the state: 170 ms for a
page at a million events on PostgreSQL, and several hundred for a deep page. With the event's date and slug on the
participant, an index (state, event_date, event_slug, ...) gives a state's events in list order directly.

The copy is made by triggers, so that it holds whatever writes the rows: model saves, admin inlines, the API's
writes, loaddata (which saves raw), the synthetic generator's COPY, or plain SQL. On an insert or update of a
participant the database copies its event's date and slug (whatever the statement said); on an insert of an event
(a participant may come first when foreign keys are checked at commit, as loaddata does) or a change of its date or
slug, the database rewrites them on the event's participants. PostgreSQL and SQLite get the same four rules in their
own dialects.

On SQLite, a later migration that rebuilds either table (SQLite's way of altering most columns) drops its triggers:
such a migration must create them again (see SQLITE_TRIGGERS). tests/test_participant_event_order.py fails if the
copy stops following the events.
"""

from django.db import migrations, models
from django.db.migrations.operations.base import Operation

POSTGRESQL_TRIGGERS = """
CREATE FUNCTION participant_copy_event_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT "date", slug INTO NEW.event_date, NEW.event_slug FROM events_event WHERE id = NEW.event_id;
    RETURN NEW;
END;
$$;
CREATE TRIGGER participant_event_order BEFORE INSERT OR UPDATE ON events_eventparticipant
    FOR EACH ROW EXECUTE FUNCTION participant_copy_event_order();

CREATE FUNCTION event_push_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE events_eventparticipant SET event_date = NEW."date", event_slug = NEW.slug
    WHERE event_id = NEW.id AND (event_date IS DISTINCT FROM NEW."date" OR event_slug IS DISTINCT FROM NEW.slug);
    RETURN NULL;
END;
$$;
CREATE TRIGGER event_order_insert AFTER INSERT ON events_event
    FOR EACH ROW EXECUTE FUNCTION event_push_order();
CREATE TRIGGER event_order_update AFTER UPDATE OF "date", slug ON events_event
    FOR EACH ROW WHEN (OLD."date" IS DISTINCT FROM NEW."date" OR OLD.slug IS DISTINCT FROM NEW.slug)
    EXECUTE FUNCTION event_push_order();

UPDATE events_eventparticipant AS p SET event_date = e."date", event_slug = e.slug
    FROM events_event AS e WHERE e.id = p.event_id;
"""

POSTGRESQL_DROP = """
DROP TRIGGER event_order_update ON events_event;
DROP TRIGGER event_order_insert ON events_event;
DROP FUNCTION event_push_order();
DROP TRIGGER participant_event_order ON events_eventparticipant;
DROP FUNCTION participant_copy_event_order();
"""

# SQLite has no trigger functions, and an AFTER trigger cannot change NEW: the participant rules update the row just
# written. Recursive triggers are off by default, and each rule also checks that the copy differs before writing.
_COPY_TO_PARTICIPANT = """
    UPDATE events_eventparticipant
    SET event_date = (SELECT "date" FROM events_event WHERE id = NEW.event_id),
        event_slug = (SELECT slug FROM events_event WHERE id = NEW.event_id)
    WHERE id = NEW.id;
"""
_COPY_FROM_EVENT = """
    UPDATE events_eventparticipant SET event_date = NEW."date", event_slug = NEW.slug WHERE event_id = NEW.id;
"""
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER participant_event_order_insert AFTER INSERT ON events_eventparticipant BEGIN "
    f"{_COPY_TO_PARTICIPANT} END",
    "CREATE TRIGGER participant_event_order_update AFTER UPDATE ON events_eventparticipant "
    'WHEN NEW.event_date IS NOT (SELECT "date" FROM events_event WHERE id = NEW.event_id) '
    "OR NEW.event_slug IS NOT (SELECT slug FROM events_event WHERE id = NEW.event_id) "
    f"BEGIN {_COPY_TO_PARTICIPANT} END",
    f"CREATE TRIGGER event_order_insert AFTER INSERT ON events_event BEGIN {_COPY_FROM_EVENT} END",
    'CREATE TRIGGER event_order_update AFTER UPDATE OF "date", slug ON events_event '
    f'WHEN OLD."date" IS NOT NEW."date" OR OLD.slug IS NOT NEW.slug BEGIN {_COPY_FROM_EVENT} END',
    # Correlated subqueries rather than UPDATE ... FROM, which needs SQLite 3.33 (Django supports 3.31).
    'UPDATE events_eventparticipant SET event_date = (SELECT "date" FROM events_event WHERE id = event_id), '
    "event_slug = (SELECT slug FROM events_event WHERE id = event_id)",
]
SQLITE_DROP = [
    "DROP TRIGGER event_order_update",
    "DROP TRIGGER event_order_insert",
    "DROP TRIGGER participant_event_order_update",
    "DROP TRIGGER participant_event_order_insert",
]


class EventOrderTriggers(Operation):
    """Create (or drop) the triggers keeping participants' copy of the event order, and fill the copy."""

    reduces_to_sql = True
    reversible = True

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._run(schema_editor, POSTGRESQL_TRIGGERS, SQLITE_TRIGGERS)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._run(schema_editor, POSTGRESQL_DROP, SQLITE_DROP)

    @staticmethod
    def _run(schema_editor, postgresql: str, sqlite: list[str]) -> None:
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(postgresql, params=None)
        elif vendor == "sqlite":
            for statement in sqlite:
                schema_editor.execute(statement, params=None)
        else:
            raise NotImplementedError(f"No event-order triggers written for {vendor}.")

    def describe(self):
        return "Copy each event's date and slug onto its participants, by triggers"


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0005_statement_mentions"),
        ("treaties", "0002_typed_partial_date_checks"),
    ]

    operations = [
        migrations.AddField(
            model_name="eventparticipant",
            name="event_date",
            field=models.DateField(
                blank=True,
                editable=False,
                serialize=False,
                help_text="The event's date, copied by the database (list order).",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="eventparticipant",
            name="event_slug",
            field=models.CharField(
                blank=True,
                editable=False,
                serialize=False,
                help_text="The event's slug, copied by the database.",
                max_length=150,
                null=True,
            ),
        ),
        EventOrderTriggers(),
        migrations.AlterModelOptions(
            name="eventparticipant",
            options={"ordering": ["event_date", "event_slug", "role", "state"]},
        ),
        migrations.RemoveIndex(model_name="eventparticipant", name="participant_state_role_event"),
        migrations.AddIndex(
            model_name="eventparticipant",
            index=models.Index(
                fields=["state", "event_date", "event_slug", "event", "role"], name="participant_state_event_order"
            ),
        ),
    ]
