"""Every admin page of every dataset model opens for curators and reviewers, within a bounded number of queries."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.core.registry import dataset_app_labels
from apps.events.models import EventCitation
from apps.sources.models import Citation
from tests.conftest import shared_sample_dataset

# The tests here change the sample only in the database (rolled back after each): it is built once for the module.
sample_dataset = pytest.fixture(shared_sample_dataset, name="sample_dataset")

# Per page (the most any page ran when written was 12; then 16, a statement's history, which reads its versions and its
# citations' history to show their changes); changelists are also checked not to grow with their rows.
MAX_QUERIES = 16
# A changelist with "show counts" on runs one count per filter on top, and Django builds every filter again for each
# count, so a filter reading its choices from the database (treaty, state, source) costs one query per filter: 39 for
# statements (7 filters, 3 of them such) since the "By source" filter, 28 before.
MAX_FACET_QUERIES = 40

MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label in dataset_app_labels()),
    key=lambda m: m._meta.label,
)


def _cites(model) -> bool:
    """Whether ``model`` is a cited record (its citations reached as ``.citations``)."""
    return any(getattr(field.related_model, "cited_field", None) for field in model._meta.related_objects)


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_dataset_model_is_in_the_admin():
    """No model of the dataset is missing from the admin, and no historical model clutters it."""
    models = {model for label in dataset_app_labels() for model in apps.get_app_config(label).get_models()}
    assert set(MODELS) == models
    assert not any(model._meta.app_label == "history" for model in admin.site._registry)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_every_editable_field_is_on_the_admin_form(model, curator_client):
    """A field added to a model shows up on its admin form (or the admin says it is read-only there)."""
    response = curator_client.get(_url(model, "add"))
    form_fields = set(response.context["adminform"].form.fields)
    readonly = set(admin.site._registry[model].get_readonly_fields(response.wsgi_request))
    editable = {field.name for field in [*model._meta.fields, *model._meta.many_to_many] if field.editable}
    # Through-model relations (Event.states, X.sources) are edited as inlines, not as form fields.
    inline_edited = {
        field.name for field in model._meta.many_to_many if not field.remote_field.through._meta.auto_created
    }
    assert editable - {"id"} - inline_edited <= form_fields | readonly


@pytest.mark.parametrize("role", ["curator", "reviewer"])
@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_admin_pages_open(role, model, sample_dataset, request, django_assert_max_num_queries):
    """Changelist, each filter choice, a search, the date drill-down, add, change, history and a past version open."""
    client = request.getfixturevalue(f"{role}_client")
    obj = model.objects.order_by("pk").first()
    changelist = _url(model, "changelist")

    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(changelist)
    assert response.status_code == 200
    assert response.context["cl"].result_count == model.objects.count()

    with django_assert_max_num_queries(MAX_FACET_QUERIES):
        assert client.get(changelist, {"_facets": "True"}).status_code == 200

    cl = response.context["cl"]
    for spec in cl.filter_specs:
        for choice in [c for c in spec.choices(cl) if not c["selected"]][:3]:
            with django_assert_max_num_queries(MAX_QUERIES):
                filtered = client.get(changelist + choice["query_string"])
            assert filtered.status_code == 200, choice["query_string"]

    for term in [str(obj).split()[0], "no-such-record"]:
        with django_assert_max_num_queries(MAX_QUERIES):
            searched = client.get(changelist, {"q": term})
        assert searched.status_code == 200
    assert searched.context["cl"].result_count == 0

    model_admin = admin.site._registry[model]
    if model_admin.date_hierarchy:
        drilled = client.get(changelist, {f"{model_admin.date_hierarchy}__year": "2020"})
        assert drilled.status_code == 200

    with django_assert_max_num_queries(MAX_QUERIES):
        add = client.get(_url(model, "add"))
    assert add.status_code == (200 if role == "curator" else 403)

    with django_assert_max_num_queries(MAX_QUERIES):
        change = client.get(_url(model, "change", obj.pk))
    assert change.status_code == 200
    assert (b'name="_save"' in change.content) is (role == "curator")

    with django_assert_max_num_queries(MAX_QUERIES):
        history = client.get(_url(model, "history", obj.pk))
    assert history.status_code == 200

    version = obj.history.latest()
    with django_assert_max_num_queries(MAX_QUERIES):
        past = client.get(_url(model, "simple_history", obj.pk, version.history_id))
    assert past.status_code == 200
    assert (b"Revert" in past.content) is (role == "curator")


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_changelist_queries_do_not_grow_with_rows(model, sample_dataset, make_event, make_statement, curator_client):
    """Adding rows to a changelist adds no queries: related objects and citation counts come in the page query."""

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert curator_client.get(_url(model, "changelist")).status_code == 200
        return len(queries)

    before = count_queries()
    for _ in range(3):
        make_event(treaty=sample_dataset["treaty"], type="meeting")
        make_statement(treaty=sample_dataset["treaty"], on_behalf_of=sample_dataset["states"][1])
    assert count_queries() == before


def test_no_bulk_delete_action(sample_dataset, curator_client):
    """The changelist offers no "delete selected" action on any model."""
    for model in MODELS:
        response = curator_client.get(_url(model, "changelist"))
        actions = response.context["action_form"].fields["action"].choices if response.context["action_form"] else []
        assert "delete_selected" not in dict(actions), model


def test_reviewer_cannot_save(sample_dataset, reviewer_client):
    """A reviewer's POST to a change page is refused."""
    event = sample_dataset["events"][0]
    response = reviewer_client.post(_url(type(event), "change", event.pk), {"title": "Changed"})
    assert response.status_code == 403


def test_curator_deletes_only_citations_and_never_the_last(sample_dataset, make_source, curator_client):
    """Curators may delete a citation that is not its record's last, and nothing else."""
    event = sample_dataset["events"][0]
    only = event.citations.get()
    assert curator_client.get(_url(EventCitation, "delete", only.pk)).status_code == 403
    second = EventCitation.objects.create(event=event, source=make_source(), quote="Also reported.")
    assert curator_client.get(_url(EventCitation, "delete", second.pk)).status_code == 200
    assert curator_client.post(_url(EventCitation, "delete", second.pk), {"post": "yes"}).status_code == 302
    assert event.citations.count() == 1
    for obj in [event, sample_dataset["treaty"], sample_dataset["source"], sample_dataset["states"][0]]:
        assert curator_client.get(_url(type(obj), "delete", obj.pk)).status_code == 403, obj


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_each_list_filter_has_its_own_title(model, sample_dataset, curator_client):
    """No two filters of a list share a title (statement citations had two "By stance")."""
    titles = [str(spec.title) for spec in curator_client.get(_url(model, "changelist")).context["cl"].filter_specs]
    assert len(titles) == len(set(titles)), titles


@pytest.mark.parametrize(
    "model", [m for m in MODELS if _cites(m) or issubclass(m, Citation)], ids=lambda model: model._meta.label
)
def test_records_and_citations_are_filtered_by_source(model, sample_dataset, make_source, curator_client):
    """Every cited record's list and every citation list has a "By source" filter offering the sources cited there;
    choosing one lists what cites it."""
    record_model = model._meta.get_field(model.cited_field).related_model if issubclass(model, Citation) else model
    record = record_model.objects.order_by("pk").first()
    other = make_source(slug="tass-2020", title="Russia regrets the exit")
    record.citations.create(source=other, quote="Another report.")
    make_source(slug="never-cited", title="Nobody cites this")
    changelist = _url(model, "changelist")
    cl = curator_client.get(changelist).context["cl"]
    (spec,) = [spec for spec in cl.filter_specs if spec.title == "source"]
    choices = {choice["display"]: choice for choice in spec.choices(cl) if not choice["selected"]}
    assert {"U.S. to exit Open Skies", "Russia regrets the exit"} <= set(choices)
    assert "Nobody cites this" not in choices
    listed = curator_client.get(changelist + choices["Russia regrets the exit"]["query_string"]).context["cl"]
    expected = record.citations.filter(source=other) if issubclass(model, Citation) else [record]
    assert [obj.pk for obj in listed.result_list] == [obj.pk for obj in expected]
