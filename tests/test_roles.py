"""The curators and reviewers groups exist after migrate, with exactly their roles' permissions."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse

from apps.core.registry import dataset_app_labels
from apps.curation.roles import CURATORS, HISTORY_APP, REVIEWERS


def _codenames(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return set(group.permissions.values_list("codename", flat=True))


@pytest.mark.django_db
def test_curators_add_and_change_everything_and_delete_only_citations():
    """Curators may add, change and view every record, revert history, and delete citations only."""
    codenames = _codenames(CURATORS)
    assert {"add_event", "change_event", "view_event", "view_historicalevent", "change_historicalevent"} <= codenames
    assert {"add_source", "change_state", "change_treaty", "add_membership", "change_statement"} <= codenames
    deletes = {codename for codename in codenames if codename.startswith("delete_")}
    assert deletes == {
        "delete_eventcitation",
        "delete_statementcitation",
        "delete_membershipcitation",
        "delete_treatycitation",
    }


@pytest.mark.django_db
def test_reviewers_only_view():
    """Reviewers view every dataset model and its history, and nothing else."""
    codenames = _codenames(REVIEWERS)
    assert all(codename.startswith("view_") for codename in codenames)
    expected = Permission.objects.filter(
        content_type__app_label__in=[*dataset_app_labels(), HISTORY_APP], codename__startswith="view_"
    )
    assert codenames == set(expected.values_list("codename", flat=True))


@pytest.mark.django_db
def test_setup_roles_is_idempotent_and_removes_extra_permissions():
    """Running setup_roles again changes nothing, and takes back a permission granted by hand."""
    before = {name: _codenames(name) for name in [CURATORS, REVIEWERS]}
    Group.objects.get(name=REVIEWERS).permissions.add(Permission.objects.get(codename="delete_event"))
    out = StringIO()
    call_command("setup_roles", stdout=out)
    call_command("setup_roles", stdout=out)
    assert {name: _codenames(name) for name in [CURATORS, REVIEWERS]} == before
    assert Group.objects.filter(name__in=[CURATORS, REVIEWERS]).count() == 2
    assert "curators:" in out.getvalue()


@pytest.mark.parametrize(("role", "can_import"), [("curator", True), ("reviewer", False)])
def test_csv_import_is_for_curators_and_export_for_both(role, can_import, sample_dataset, request):
    """Only curators may import CSV; reviewers may export."""
    client = request.getfixturevalue(f"{role}_client")
    for name in ["event", "statement"]:
        assert client.get(reverse(f"admin:events_{name}_import")).status_code == (200 if can_import else 403)
        assert client.get(reverse(f"admin:events_{name}_export")).status_code == 200
