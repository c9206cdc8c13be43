"""Every admin address that names a record answers a malformed or unknown key with a 404 (or the admin's own
"doesn't exist" redirect), never a 500: ``/admin/events/statement/abc/history/``, ``.../53/change/history/``."""

import re

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, resolve

from apps.core.admin import CuratedAdmin
from tests.conftest import shared_sample_dataset

sample_dataset = pytest.fixture(shared_sample_dataset, name="sample_dataset")

# What a mistyped or truncated address puts where a record's key goes: not a number, a path, a number nobody has.
BAD_KEYS = ["abc", "53/change", "999999"]
# A path converter (<path:object_id>, <uuid:token>) or an unnamed regex group (simple_history's version pages).
PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>|\(\[\^/\]\+\)")


def _patterns(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.name


def _record_addresses() -> list[tuple[str, str, bool]]:
    """Every admin URL pattern with a record's key in it (the catch-all and the app index excepted), as a template,
    and whether the desk's own admin (``CuratedAdmin``, with simple_history's pages) serves it."""
    found = []
    for model, model_admin in admin.site._registry.items():
        prefix = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for route, name in _patterns(model_admin.get_urls()):
            if not PARAMETER.search(route) or "uuid:" in route:
                continue
            template = PARAMETER.sub("{}", route).replace("^", "").replace("$", "")
            # The unnamed catch-all (<path:object_id>/) redirects to the change page.
            name = name or f"{model._meta.app_label}_{model._meta.model_name}_redirect"
            found.append((name, prefix + template, isinstance(model_admin, CuratedAdmin)))
    return sorted(found)


ADDRESSES = _record_addresses()


def test_the_addresses_include_the_history_and_reader_pages():
    """The list is built from the URL patterns, so a new page with a key in its address is checked without a change
    here; these are the pages that answered 500."""
    names = {name for name, _, _ in ADDRESSES}
    assert {"events_statement_history", "events_statement_simple_history", "sources_source_reader"} <= names
    assert len(ADDRESSES) > 60


@pytest.mark.parametrize(("name", "template", "curated"), ADDRESSES, ids=[name for name, _, _ in ADDRESSES])
def test_a_bad_key_in_an_admin_address_is_never_a_server_error(name, template, curated, sample_dataset, admin_client):
    """The desk's history and reader pages answer 404; Django's own pages (change, delete, and every page of the
    admins the desk does not define) redirect with their "doesn't exist" message."""
    for key in BAD_KEYS:
        url = template.format(*[key] * template.count("{}"))
        response = admin_client.get(url)
        assert response.status_code < 500, url
        page = resolve(url).url_name == name  # "53/change" is no version number: simple_history's pattern skips it
        if curated and page and ("history" in name or name.endswith(("_reader", "_cite", "_decide"))):
            assert response.status_code == 404, url
