"""The admin forms report each model rule on the field it concerns, and refuse uncited records."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.events.models import Event, Statement
from apps.treaties.models import Membership


def _errors(response) -> dict:
    assert response.status_code == 200, "expected the form back with errors"
    return response.context["adminform"].form.errors


def _inline_errors(response, prefix: str) -> list[str]:
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.prefix == prefix:
            return [*inline.formset.non_form_errors(), *(e for form in inline.formset.errors for e in form.values())]
    raise AssertionError(f"no inline {prefix}")


@pytest.fixture
def event_add(sample_dataset, curator_client, admin_form_data):
    """POST data for the event add page, filled in as a curator would, with one citation."""
    url = reverse("admin:events_event_add")
    data = admin_form_data(curator_client.get(url))
    data |= {
        "slug": "us-withdrawal-effective",
        "type": "withdrawal_effective",
        "title": "U.S. withdrawal from Open Skies takes effect",
        "treaty": str(sample_dataset["treaty"].pk),
        "date": "2020-11-22",
        "date_precision": "day",
        "citations-0-source": str(sample_dataset["source"].pk),
        "citations-0-quote": "The withdrawal took effect on Nov. 22.",
        "citations-0-stance": "supports",
    }
    return url, data


def test_event_with_citation_is_added(event_add, curator_client, curator):
    """An event added with its citation is saved with both, and its history names the curator."""
    url, data = event_add
    response = curator_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    event = Event.objects.get(slug="us-withdrawal-effective")
    assert event.citations.get().quote == "The withdrawal took effect on Nov. 22."
    assert event.history.get().history_user == curator
    assert event.citations.get().history.get().history_user == curator


def test_day_on_month_precision_date_is_a_date_error(event_add, curator_client):
    """A month-precision date that is not the 1st is reported on the date field."""
    url, data = event_add
    errors = _errors(curator_client.post(url, data | {"date_precision": "month"}))
    assert list(errors) == ["date"]
    assert "must be the 1st of its month" in errors["date"][0]


def test_duplicate_slug_is_a_slug_error(event_add, sample_dataset, curator_client):
    """A slug already taken is reported on the slug field."""
    url, data = event_add
    errors = _errors(curator_client.post(url, data | {"slug": sample_dataset["events"][0].slug}))
    assert list(errors) == ["slug"]
    assert "already exists" in errors["slug"][0]


def test_treaty_act_without_treaty_is_a_treaty_error(event_add, curator_client):
    """A withdrawal with no treaty is reported on the treaty field."""
    url, data = event_add
    errors = _errors(curator_client.post(url, data | {"treaty": ""}))
    assert list(errors) == ["treaty"]


def test_event_without_citation_is_refused(event_add, curator_client):
    """Saving an event with its citation row left empty is refused, on the citation row."""
    url, data = event_add
    data |= {"citations-0-source": "", "citations-0-quote": ""}
    response = curator_client.post(url, data)
    assert response.status_code == 200
    assert _inline_errors(response, "citations")
    assert not Event.objects.filter(slug="us-withdrawal-effective").exists()


def test_deleting_the_last_citation_is_refused(sample_dataset, curator_client, admin_form_data):
    """Ticking "delete" on an event's only citation is refused with a message saying why."""
    event = sample_dataset["events"][0]
    url = reverse("admin:events_event_change", args=[event.pk])
    data = admin_form_data(curator_client.get(url)) | {"citations-0-DELETE": "on"}
    response = curator_client.post(url, data)
    assert response.status_code == 200
    assert any(
        "needs at least one citation that supports it" in str(error) for error in _inline_errors(response, "citations")
    )
    assert event.citations.count() == 1


def test_unchanged_change_form_saves(sample_dataset, curator_client, admin_form_data):
    """Every change page posts back as rendered without errors (the helper and the forms agree)."""
    for obj in [
        sample_dataset["events"][0],
        sample_dataset["statements"][0],
        sample_dataset["treaty"],
        *sample_dataset["treaty"].memberships.all(),
    ]:
        url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
        response = curator_client.post(url, admin_form_data(curator_client.get(url)))
        assert response.status_code == 302, (obj, response.context and response.context["adminform"].form.errors)


def test_withdrawal_effective_before_notice_is_a_left_on_error(sample_dataset, curator_client, admin_form_data):
    """A membership whose withdrawal takes effect before its notice is reported on left_on."""
    membership = Membership.objects.get(state__code="USA")
    url = reverse("admin:treaties_membership_change", args=[membership.pk])
    data = admin_form_data(curator_client.get(url)) | {
        "status": "withdrawn",
        "withdrawal_notified_on": "2020-05-22",
        "withdrawal_notified_on_precision": "day",
        "left_on": "2020-05-01",
        "left_on_precision": "day",
    }
    errors = _errors(curator_client.post(url, data))
    assert list(errors) == ["left_on"]
    assert errors["left_on"] == ["A withdrawal cannot take effect before it was notified."]
    membership.refresh_from_db()
    assert membership.left_on is None


def test_statement_answering_another_treatys_event_is_a_responds_to_error(
    sample_dataset, make_treaty, curator_client, admin_form_data
):
    """A statement about one treaty responding to another treaty's event is reported on responds_to."""
    statement = sample_dataset["statements"][0]
    url = reverse("admin:events_statement_change", args=[statement.pk])
    data = admin_form_data(curator_client.get(url)) | {"treaty": str(make_treaty(slug="inf").pk)}
    errors = _errors(curator_client.post(url, data))
    assert list(errors) == ["responds_to"]
    assert Statement.objects.get(pk=statement.pk).treaty == sample_dataset["treaty"]


def test_treaty_page_links_to_adding_its_records(sample_dataset, curator_client):
    """The treaty page lists its memberships and events and links to adding more, prefilled with the treaty."""
    treaty = sample_dataset["treaty"]
    response = curator_client.get(reverse("admin:treaties_treaty_change", args=[treaty.pk]))
    content = response.content.decode()
    assert f"{reverse('admin:events_event_add')}?treaty={treaty.pk}" in content
    for event in sample_dataset["events"]:
        assert event.slug in content
    assert "open-skies-usa" in content
    assert datetime.date(2020, 5, 1).strftime("%-d %B %Y") in content


def test_only_a_contradicting_citation_is_refused(event_add, curator_client):
    """A new event whose only citation contradicts it is refused: every record rests on a supporting passage."""
    url, data = event_add
    data |= {"citations-0-stance": "contradicts", "citations-0-note": "Reports a different date."}
    response = curator_client.post(url, data)
    assert any(
        "needs at least one citation that supports it" in str(error) for error in _inline_errors(response, "citations")
    )
    assert not Event.objects.filter(slug="us-withdrawal-effective").exists()


def test_contradicting_citation_needs_a_note(event_add, curator_client):
    """A contradicting citation without a note is reported on its note field."""
    url, data = event_add
    data |= {
        "citations-TOTAL_FORMS": "2",
        "citations-1-source": data["citations-0-source"],
        "citations-1-quote": "The withdrawal took effect in December.",
        "citations-1-stance": "contradicts",
    }
    response = curator_client.post(url, data)
    inline = next(i for i in response.context["inline_admin_formsets"] if i.formset.prefix == "citations")
    assert list(inline.formset.forms[1].errors) == ["note"]


def test_last_supporting_citation_cannot_turn_contradicting(sample_dataset, curator_client, admin_form_data):
    """On a citation's own page, the record's only supporting citation cannot be marked contradicting."""
    citation = sample_dataset["events"][0].citations.get()
    url = reverse("admin:events_eventcitation_change", args=[citation.pk])
    data = admin_form_data(curator_client.get(url)) | {"stance": "contradicts", "note": "Wrong date."}
    errors = _errors(curator_client.post(url, data))
    assert list(errors) == ["stance"]


def test_treaty_without_citation_is_refused(curator_client, admin_form_data):
    """A treaty, like every cited record, is added with a supporting citation or not at all."""
    url = reverse("admin:treaties_treaty_add")
    data = admin_form_data(curator_client.get(url)) | {
        "slug": "inf",
        "name": "Intermediate-Range Nuclear Forces Treaty",
        "kind": "bilateral",
        "domain": "arms_control",
        "status": "terminated",
    }
    response = curator_client.post(url, data)
    assert response.status_code == 200
    assert _inline_errors(response, "citations")


def test_source_address_without_scheme_is_taken_as_https(sample_dataset, curator_client, admin_form_data):
    """A curator pasting "www.example.org/…" gets an https address, not the http Django 5 would assume."""
    source = sample_dataset["source"]
    url = reverse("admin:sources_source_change", args=[source.pk])
    data = admin_form_data(curator_client.get(url)) | {"url": "www.example.org/open-skies"}
    response = curator_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    source.refresh_from_db()
    assert source.url == "https://www.example.org/open-skies"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2020", "“2020” is a year: enter 2020-01-01 (1 January) and choose the precision Year."),
        ("2020-03", "“2020-03” is a month: enter 2020-03-01 (1 March) and choose the precision Month."),
        ("March 2020", "“March 2020” is a month: enter 2020-03-01 (1 March) and choose the precision Month."),
        ("22 Nov", "Enter the date as YYYY-MM-DD (2020-11-22); for a month or a year, its first day"),
    ],
)
def test_a_year_or_month_typed_as_a_date_says_how_to_enter_it(event_add, curator_client, typed, message):
    """A date typed as a year or a month is answered with what to enter instead (its first day and a precision),
    not Django's bare "Enter a valid date."."""
    url, data = event_add
    errors = _errors(curator_client.post(url, data | {"date": typed}))
    assert list(errors) == ["date"]
    assert errors["date"][0].startswith(message), errors["date"][0]


def test_every_partial_date_on_every_form_says_how_to_enter_a_year(sample_dataset, curator_client):
    """The help is the admin's for every partial date (a membership's three, a source's publication date), not one
    form's."""
    for model_name, fields in [
        ("treaties_membership", ["joined_on", "withdrawal_notified_on", "left_on"]),
        ("sources_source", ["published_on"]),
        ("events_statement", ["date"]),
    ]:
        form = curator_client.get(reverse(f"admin:{model_name}_add")).context["adminform"].form
        for name in fields:
            assert form.fields[name].clean("2020-01-01") == datetime.date(2020, 1, 1)
            with pytest.raises(ValidationError, match="is a year: enter 2020-01-01"):
                form.fields[name].clean("2020")


def test_the_locator_is_shown_derived_and_cannot_be_typed(
    sample_dataset, make_source, curator_client, admin_form_data
):
    """A citation's locator is derived from where its quote stands in the source's text: the record's form and the
    citation's own page show it as text, with no box to type another that the save would silently replace."""
    source = make_source(text="Headline.\nThe U.S. left on Sunday.\n")
    event = sample_dataset["events"][0]
    citation = event.citations.create(source=source, quote="The U.S. left on Sunday.", locator="para. 9")
    citation.full_clean()
    citation.save()
    assert citation.locator == "para. 2"
    for url in [
        reverse("admin:events_event_change", args=[event.pk]),
        reverse("admin:events_eventcitation_change", args=[citation.pk]),
    ]:
        page = curator_client.get(url)
        assert b"locator" in page.content
        assert not re.search(rb'name="[^"]*locator"', page.content), url
        assert b"para. 2" in page.content
    # A locator posted anyway is not taken.
    url = reverse("admin:events_event_change", args=[event.pk])
    data = admin_form_data(curator_client.get(url))
    assert curator_client.post(url, data | {"citations-1-locator": "para. 7"}).status_code == 302
    citation.refresh_from_db()
    assert citation.locator == "para. 2"
