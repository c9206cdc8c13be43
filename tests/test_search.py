"""Full-text search (``q``) on events, statements and sources: words match by stem, "phrases", prefixes, OR and
exclusions; the most relevant first (a title match above a description match) unless ``ordering`` is given; a
query that cannot run is a 400 naming ``q``, never a 500."""

import datetime

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.db import connection, transaction
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.core.search import SearchSyntaxError, parse
from apps.events.api.views import DATE_ORDER
from apps.events.models import Event, Statement
from apps.sources.models import Source
from tests.conftest import new_event, new_source, new_statement


def found(client, resource: str, q: str, **params) -> list[str]:
    response = client.get(f"/api/{resource}/", {"q": q, "page_size": 500, **params})
    assert response.status_code == 200, response.content[:500]
    return [item["slug"] for item in response.json()["results"]]


# --- what matches -------------------------------------------------------------------------------------------------

FORMS = {
    "withdrawal": "Announced withdrawal",
    "withdrawing": "A withdrawing party",
    "withdraws": "It withdraws",
    "withdrew": "It withdrew",
    "withdrawn": "Forces withdrawn",
    "unrelated": "An inspection flight",
}


@pytest.fixture
def forms(make_event):
    return {form: make_event(slug=f"form-{form}", title=title).slug for form, title in FORMS.items()}


@pytest.mark.parametrize("q", ["withdraw", "withdrawal", "WITHDRAWING"])
def test_a_word_finds_the_forms_sharing_its_stem(client, forms, q):
    """Regular forms share a stem (withdraw, withdrawal, withdrawing, withdraws); irregular ones (withdrew, withdrawn)
    do not, on either database's English stemmer."""
    assert set(found(client, "events", q)) == {forms["withdrawal"], forms["withdrawing"], forms["withdraws"]}


def test_a_prefix_finds_every_word_starting_with_it(client, forms):
    assert set(found(client, "events", "withdr*")) == set(forms.values()) - {forms["unrelated"]}
    assert found(client, "events", "withdrew") == [forms["withdrew"]]


def test_a_phrase_needs_its_words_together_and_in_order(client, make_event):
    together = make_event(title="Open Skies consultative commission").slug
    apart = make_event(title="Skies over an open field").slug
    assert set(found(client, "events", "open skies")) == {together, apart}
    assert found(client, "events", '"open skies"') == [together]
    assert found(client, "events", '"skies open"') == []
    # Words joined by punctuation are a phrase too, as a slug is written.
    assert found(client, "events", "open-skies") == [together]


def test_punctuation_inside_a_word_separates_it_on_both_databases(client, make_event):
    """PostgreSQL's parser keeps "U.S." and "e-mail" whole; searched text is split at punctuation, as SQLite's
    tokenizer and the query's words are, so a title is found by its own words."""
    notice = make_event(title="U.S. gives notice by e-mail").slug
    assert found(client, "events", '"U.S. gives notice"') == [notice]
    assert found(client, "events", "e-mail") == [notice]
    assert found(client, "events", "us gives") == []


def test_or_matches_either_side_and_a_minus_leaves_out(client, make_event):
    inspection = make_event(title="Inspection in Vienna").slug
    flight = make_event(title="Observation flight over Vienna").slug
    meeting = make_event(title="Meeting in Geneva").slug
    assert set(found(client, "events", "inspection OR geneva")) == {inspection, meeting}
    assert set(found(client, "events", "vienna")) == {inspection, flight}
    assert found(client, "events", "vienna -inspection") == [flight]
    assert found(client, "events", "vienna NOT inspection") == [flight]
    assert found(client, "events", 'vienna -"observation flight"') == [inspection]


def test_case_and_accents_do_not_matter(client, make_event):
    geneva = make_event(title="Talks in Genève").slug
    assert found(client, "events", "GENEVE") == [geneva]
    assert found(client, "events", "genève") == [geneva]


@pytest.mark.parametrize(
    ("resource", "fields"),
    [
        ("events", {"title": "Overflight", "description": "Overflight", "location": "Overflight"}),
        ("statements", {"speaker": "Overflight", "text": "Overflight", "speaker_title": "Overflight"}),
        ("sources", {"title": "Overflight", "author": "Overflight", "publisher": "Overflight"}),
    ],
)
def test_each_declared_field_is_searched(client, make_event, make_statement, make_source, resource, fields):
    make = {"events": make_event, "statements": make_statement, "sources": make_source}[resource]
    slugs = {
        name: make(slug=f"by-{name.replace('_', '-')}", **{name: f"{value} word"}).slug
        for name, value in fields.items()
    }
    make(slug="elsewhere")
    assert set(found(client, resource, "overflight")) == set(slugs.values())
    # The slug is searched too, with the least weight.
    assert found(client, resource, "elsewhere") == ["elsewhere"]


# --- in what order --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "heavier", "lighter"),
    [
        ("events", "title", "description"),
        ("statements", "speaker", "text"),
        ("sources", "title", "author"),
    ],
)
def test_a_match_in_the_heavier_field_comes_first(
    client, make_event, make_statement, make_source, resource, heavier, lighter
):
    """Created first, dated earlier and keyed first, the lighter match would lead the list order: relevance puts
    the heavier field's match first."""
    make = {"events": make_event, "statements": make_statement, "sources": make_source}[resource]
    same = {heavier: "Plain words here", lighter: "Plain words here"}
    light = make(slug="a-light", **(same | {lighter: "Plain quota words"}))
    heavy = make(slug="b-heavy", **(same | {heavier: "Plain quota words"}))
    assert found(client, resource, "quota") == [heavy.slug, light.slug]


def test_ordering_wins_over_relevance(client, make_event):
    late = make_event(slug="late", title="Quota", date=datetime.date(2021, 1, 1)).slug
    early = make_event(slug="early", title="Words", description="quota", date=datetime.date(2020, 1, 1)).slug
    assert found(client, "events", "quota") == [late, early]
    assert found(client, "events", "quota", ordering="date") == [early, late]
    assert found(client, "events", "quota", ordering="-slug") == [late, early]


def test_equally_relevant_matches_keep_the_list_order_on_every_page(client, make_event):
    slugs = [
        make_event(slug=f"quota-{n:02}", title="Quota", date=datetime.date(2020, 1, 1 + n % 5)).slug for n in range(11)
    ]
    expected = sorted(slugs, key=lambda slug: (1 + int(slug[-2:]) % 5, slug))
    paged = []
    for page in (1, 2, 3):
        paged += found(client, "events", "quota", page_size=4, page=page)
    assert paged == expected


def test_equally_relevant_sources_keep_their_list_order_on_every_page(client, make_source):
    """Sources are ordered by their model's default ordering (slug), which breaks the rank's ties as the events'
    explicit order does."""
    slugs = [make_source(slug=f"quota-{n:02}", title="Quota report").slug for n in (7, 3, 9, 1, 5, 8, 2)]
    paged = []
    for page in (1, 2, 3):
        paged += found(client, "sources", "quota", page_size=3, page=page)
    assert paged == sorted(slugs)


@pytest.mark.parametrize("ordering", [None, "-date"])
def test_a_search_pages_count_comes_with_it_and_agrees_with_every_page(client, make_event, ordering):
    """A search reads its page and its count in one query (``DeepPagePaginator.read_counted``): the count and the
    pages are those of the whole list, CSV pages included, a page past the end is the usual 404 and no match is an
    empty first page."""
    for n in range(7):
        make_event(
            slug=f"quota-{n}",
            title="Quota" if n % 2 else "Other",
            description="quota",
            date=datetime.date(2020, 1, 1 + n),
        )
    params = {"q": "quota"} | ({"ordering": ordering} if ordering else {})
    whole = client.get("/api/events/", {**params, "page_size": 500}).json()
    assert whole["count"] == 7
    pages = [client.get("/api/events/", {**params, "page_size": 3, "page": page}).json() for page in (1, 2, 3)]
    assert [page["count"] for page in pages] == [7, 7, 7]
    assert [item["slug"] for page in pages for item in page["results"]] == [item["slug"] for item in whole["results"]]
    assert pages[2]["next"] is None and pages[1]["next"] is not None
    csv = client.get("/api/events/", {**params, "page_size": 3, "page": 3, "format": "csv"})
    assert [line.split(",")[0] for line in csv.content.decode().splitlines()[1:]] == [whole["results"][6]["slug"]]
    past = client.get("/api/events/", {**params, "page_size": 3, "page": 4})
    assert past.status_code == 404
    assert past.json()["detail"] == "There is no page 4; the last page is 3 at page_size 3."
    assert client.get("/api/events/", {"q": "nowhere"}).json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


def test_only_a_full_text_search_reads_its_count_with_its_page(client, make_event):
    """A blank ``q`` (no search), or the treaties' ``q`` (a text filter, not the search index), count as every list
    does; so does a page number whose offset PostgreSQL could not take: each page past the end is the usual 404."""
    make_event(slug="quota-1", title="Quota")
    with CaptureQueriesContext(connection) as captured:
        blank = client.get("/api/events/", {"q": " "})
        treaties = client.get("/api/treaties/", {"q": "open"})
    assert blank.status_code == 200 and blank.json()["count"] >= 1
    assert treaties.status_code == 200
    assert not [query for query in captured.captured_queries if "OVER ()" in query["sql"]]
    for page in (10**15, 2**62, 10**30):
        past = client.get("/api/events/", {"q": "quota", "page": page})
        assert past.status_code == 404, past.content[:300]
        assert past.json()["detail"] == f"There is no page {page}; the last page is 1 at page_size 50."


# --- a search alone, from its search table -------------------------------------------------------------------------

DATES = [None, datetime.date(2020, 1, 1), datetime.date(2020, 1, 2), datetime.date(2021, 6, 1)]
WORDS = ["quota", "flight", "quota flight", "flight flight quota", "other"]


ORDERS = {
    "list": None,  # the list's own: DATE_ORDER for events and statements, Meta.ordering for sources
    "descending": [F("date").desc(nulls_last=True), "-slug"],
    "by name": ["-date", "slug"],
}


def read_both_ways(model, q: str, bottom: int, top: int, order: str = "list"):
    """A page of a search and its count as the list's search gives them, read from the search table alone
    (``ranked_keys``) and through the records' table."""
    listed = model.objects.order_by(*DATE_ORDER) if model is not Source else model.objects.all()
    if ORDERS[order] and model is not Source:
        listed = model.objects.order_by(*ORDERS[order])
    searched = model.search_index.matching(listed, parse(q))
    alone = model.search_index.ranked_keys(searched, bottom, top)
    count = searched.count()
    return alone, [(key, count) for key in searched.values_list("pk", flat=True)[bottom:top]]


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    records=st.lists(
        st.tuples(st.sampled_from(DATES), st.sampled_from(WORDS), st.sampled_from(WORDS)), min_size=1, max_size=9
    ),
    q=st.sampled_from(["quota", "flight", "quota flight", "quota OR flight", "flight -quota", "flig*"]),
    page=st.integers(min_value=0, max_value=3),
    order=st.sampled_from(list(ORDERS)),
)
def test_a_search_read_from_its_search_table_alone_is_the_search_through_the_records(db, records, q, page, order):
    """On PostgreSQL a search with no other condition is ranked, ordered and counted in its search table, from its
    copies of the records' list-order columns: the same keys in the same order, the same count, on every page, with
    ties of rank and of date (unknown dates last). SQLite reads every search through the records' table."""
    with transaction.atomic():
        for n, (date, title, description) in enumerate(records):
            dated = {"date": date, "date_precision": "day" if date else ""}
            new_event(cite=False, slug=f"e-{n}", title=title, description=description, **dated)
            new_statement(cite=False, slug=f"s-{n}", speaker=title, text=description, **dated)
            new_source(slug=f"r-{(n * 7) % 10}-{n}", title=title, author=description)
        for model in (Event, Statement, Source):
            alone, joined = read_both_ways(model, q, page * 2, page * 2 + 2, order)
            if connection.vendor == "postgresql":
                assert alone == joined, (model, records, q, page, order)
                # Any other condition is the records' table's to apply.
                narrowed = model.search_index.matching(model.objects.filter(slug__gt="e-1"), parse(q))
                assert model.search_index.ranked_keys(narrowed, 0, 10) is None
            else:
                assert alone is None
        transaction.set_rollback(True)


def test_a_search_without_an_order_is_not_read_from_its_search_table_alone(db):
    """No order to copy (a queryset whose order was cleared): the records' table answers."""
    searched = Event.search_index.matching(Event.objects.order_by(*DATE_ORDER), parse("quota")).order_by()
    assert Event.search_index.ranked_keys(searched, 0, 10) is None


@pytest.mark.parametrize(
    ("params", "alone"),
    [
        ({}, True),
        ({"page": 2, "page_size": 1}, True),
        ({"type": "meeting"}, False),
        ({"date_after": "2000-01-01"}, False),
        ({"ordering": "-date"}, False),
    ],
)
def test_only_a_search_with_no_other_condition_is_read_from_its_search_table_alone(client, make_event, params, alone):
    """Another filter, or an order other than relevance then the list order, is read through the records' table."""
    for n in range(3):
        make_event(slug=f"quota-{n}", title="Quota", type="meeting")
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/events/", {"q": "quota", **params})
    assert response.status_code == 200
    assert response.json()["count"] == 3
    counted = [query["sql"] for query in captured.captured_queries if "OVER ()" in query["sql"]]
    if connection.vendor != "postgresql":
        assert counted == []
        return
    (sql,) = counted
    assert sql.startswith('SELECT "id", COUNT(*) OVER ()') is alone, sql
    assert ('"events_event"' in sql) is not alone, sql


def test_a_changed_date_reorders_a_search_at_once(client, curator_api, write, open_skies):
    """The search table's copy of the date is rewritten with the record, by every write path (``copies_hold_the_
    tables`` in test_search_index.py holds each path to it): equally relevant matches follow the new date."""
    source = open_skies["sources"]["tass"].slug
    slugs = []
    for n, date in enumerate(["2020-01-01", "2020-02-01"]):
        body = {"slug": f"quota-{n}", "type": "meeting", "title": "Quota talks", "date": date}
        body["date_precision"] = "day"
        body["citations"] = [{"source": source, "quote": "Quota talks began."}]
        slugs.append(write(curator_api, "post", "/api/events/", body, expect=201))
    assert found(client, "events", "quota") == ["quota-0", "quota-1"]
    url = "/api/events/quota-0/"
    write(
        curator_api, "patch", url, {"date": "2020-03-01", "date_precision": "day"}, expect=200, etag=slugs[0]["ETag"]
    )
    for alias in django_settings.CACHES:
        caches[alias].clear()
    assert found(client, "events", "quota") == ["quota-1", "quota-0"]


# --- what is refused ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ('"open skies', 'A phrase opened with " is not closed'),
        ("OR", "'OR' needs a word or a phrase on each side"),
        ("inf OR", "'OR' needs a word or a phrase on each side"),
        ("OR inf", "'OR' needs a word or a phrase on each side"),
        ("inf OR OR skies", "'OR' needs a word or a phrase on each side"),
        ("-inf", "'-inf' only leaves out; give a word to find beside it"),
        ("inf OR -skies", "'-skies' only leaves out"),
        ("inf NOT", "'NOT' must be followed by a word or a phrase"),
        ("NOT OR inf", "'NOT' must be followed by a word or a phrase to leave out, not 'OR'"),
        ("!!! *", "Give at least one word to search for"),
    ],
)
@pytest.mark.parametrize("resource", ["events", "statements", "sources"])
def test_a_query_that_cannot_run_is_a_400_naming_q(db, client, resource, q, message):
    response = client.get(f"/api/{resource}/", {"q": q})
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["parameter"] == "q"
    assert error["message"].startswith(message), error["message"]


# Pieces of the FTS5 and tsquery syntaxes (and of neither), so that random text reaches their parsers' corners.
PIECES = [
    *"ab \"*-():^+~'\\.,;!&|<>{}[]%_$@#\t\x1a",
    *["OR", "AND", "NOT", "NEAR", "NEAR(", "or", " ", "  ", "title:", "rank", "é", "ß", "İ", "\u0301", "日本", "٣"],
    *["withdraw", "skies", "1992", "<->", ":*", "!!", "''", '""', '-"', '*"', '\\"'],
]


@settings(
    max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.lists(st.sampled_from(PIECES), min_size=1, max_size=12).map("".join))
def test_any_text_is_answered_never_with_a_500(open_skies, text):
    """Whatever ``q`` holds, the database never sees a query it cannot parse: 200, or a 400 naming q."""
    # Hundreds of anonymous requests: each example starts with no request counted against the rate limit.
    for alias in django_settings.CACHES:
        caches[alias].clear()
    client = Client()
    try:
        # Blank is no filter at all, as for every parameter.
        expected = 200 if not text.strip() or parse(text) else 400
    except SearchSyntaxError:
        expected = 400
    for resource in ("events", "statements", "sources"):
        response = client.get(f"/api/{resource}/", {"q": text})
        assert response.status_code == expected, (text, response.content[:300])
        if expected == 400:
            assert response.json()["errors"][0]["parameter"] == "q"
