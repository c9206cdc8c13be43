"""The two roles of the curation desk, as Django groups: curators edit, reviewers look.

- ``curators`` add, change and view every record of the dataset, read every record's history and revert it (the
  change permission of the historical model), import and export CSV; the only thing they delete is a citation.
- ``reviewers`` view every record and its history, and may export; nothing else.

``sync_roles`` sets each group's permissions to exactly this, so it is idempotent and removes anything granted by
hand. It runs after every ``migrate`` (see ``CurationConfig.ready``) and as ``manage.py setup_roles``. A member
also needs ``is_staff`` to reach the admin at all; that is a property of the user, not of the group.
"""

from django.apps import apps as global_apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS

from apps.core.registry import dataset_app_labels
from apps.sources.models import Citation

CURATORS = "curators"
REVIEWERS = "reviewers"

# Where django-simple-history keeps the historical models of the dataset models.
HISTORY_APP = "history"


def role_permissions(app_configs=None) -> dict[str, set[tuple[str, str]]]:
    """Each role's permissions as (app_label, codename) pairs."""
    app_configs = app_configs or global_apps
    roles: dict[str, set[tuple[str, str]]] = {CURATORS: set(), REVIEWERS: set()}
    for label in dataset_app_labels():
        for model in app_configs.get_app_config(label).get_models():
            name = model._meta.model_name
            roles[REVIEWERS].add((label, f"view_{name}"))
            roles[CURATORS].update({(label, f"view_{name}"), (label, f"add_{name}"), (label, f"change_{name}")})
            if issubclass(model, Citation):
                roles[CURATORS].add((label, f"delete_{name}"))
    for model in app_configs.get_app_config(HISTORY_APP).get_models():
        name = model._meta.model_name
        roles[REVIEWERS].add((HISTORY_APP, f"view_{name}"))
        # Changing a historical record is how simple_history names "revert to this version".
        roles[CURATORS].update({(HISTORY_APP, f"view_{name}"), (HISTORY_APP, f"change_{name}")})
    return roles


def sync_roles(using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Create the groups if missing and set their permissions to exactly the role's; returns permission counts."""
    counts = {}
    for role, wanted in role_permissions().items():
        group, _ = Group.objects.using(using).get_or_create(name=role)
        permissions = [
            permission
            for permission in Permission.objects.using(using).select_related("content_type")
            if (permission.content_type.app_label, permission.codename) in wanted
        ]
        missing = wanted - {(p.content_type.app_label, p.codename) for p in permissions}
        if missing:
            raise LookupError(f"Permissions missing for role {role}: {sorted(missing)}; run migrate first.")
        group.permissions.set(permissions)
        counts[role] = len(permissions)
    return counts


def sync_roles_after_migrate(sender, using=DEFAULT_DB_ALIAS, plan=None, **kwargs) -> None:
    """post_migrate receiver: keep the roles in step with the models after each migrate."""
    ContentType.objects.clear_cache()
    # A migrate that unapplies the dataset apps leaves nothing to grant; skip rather than fail.
    labels = [*dataset_app_labels(), HISTORY_APP]
    if Permission.objects.using(using).filter(content_type__app_label__in=labels).values(
        "content_type__app_label"
    ).distinct().count() < len(labels):
        return
    sync_roles(using=using)
