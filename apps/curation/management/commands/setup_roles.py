"""``manage.py setup_roles``: re-sync the curators and reviewers groups with their roles."""

from django.core.management.base import BaseCommand

from apps.curation.roles import sync_roles


class Command(BaseCommand):
    """Create or update the curators and reviewers groups; safe to run any number of times."""

    help = "Create or update the 'curators' and 'reviewers' groups with exactly their roles' permissions."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default", help="Database to set the roles up in.")

    def handle(self, *args, database: str, **options):
        for role, count in sync_roles(using=database).items():
            self.stdout.write(f"{role}: {count} permissions")
