"""``runserver`` with a queue worker in a thread of the serving process, so that the README's one command also runs
the background work a developer starts at the desk (large CSV checks and imports). Production runs ``db_worker``."""

from django.conf import settings
from django.contrib.staticfiles.management.commands import runserver

from apps.queue.worker import start_in_thread


class Command(runserver.Command):
    """Django's development server (with static files), and a worker of the task queue beside it."""

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--no-worker",
            action="store_false",
            dest="worker",
            help="Run no queue worker in the server's process (when a db_worker runs beside it).",
        )

    def inner_run(self, *args, **options) -> None:
        # In the process that serves (the autoreloader's child): a reload ends it, and its task is taken up again by
        # the next one's worker once the lease runs out, as after any killed worker.
        if options["worker"] and settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
            start_in_thread()
            self.stdout.write("A queue worker runs in this process (--no-worker to leave it to db_worker).")
        super().inner_run(*args, **options)
