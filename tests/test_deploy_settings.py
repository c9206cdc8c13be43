"""Production settings: `check --deploy` is clean, CORS lets any origin read and none write, no browsable API."""

import subprocess
import sys

import pytest
from rest_framework.test import APIClient

from tests.test_settings import PROJECT, _env

PRODUCTION = {
    "SECRET_KEY": "k3Jq9-a-production-length-secret-key-with-enough-entropy-Zx81!pQ-7Lm2@vT",
    "ALLOWED_HOSTS": "treaties.example.org",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_COOKIES": "1",
}


def _run(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT,
        env=_env(DJANGO_SETTINGS_MODULE="treatyapi.settings", **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT,
        env=_env(**PRODUCTION),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(("debug", "browsable"), [("0", False), ("1", True)])
def test_the_browsable_api_is_for_development_only(debug, browsable):
    code = (
        "import django; django.setup(); from rest_framework.settings import api_settings; "
        "print(sorted(r.format for r in api_settings.DEFAULT_RENDERER_CLASSES))"
    )
    result = _run(code, **PRODUCTION, DEBUG=debug)
    assert result.returncode == 0, result.stderr
    assert ("'api'" in result.stdout) is browsable


def test_anonymous_cross_origin_gets_are_allowed_and_expose_the_etag(open_skies):
    client = APIClient()
    for _ in range(2):  # a cache miss, then a hit: both carry the CORS headers
        response = client.get("/api/events/us-withdrawal-notice/", HTTP_ORIGIN="https://research.example.net")
        assert response.status_code == 200
        assert response["Access-Control-Allow-Origin"] == "*"
        assert "etag" in response["Access-Control-Expose-Headers"].lower()
        assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_cross_origin_writes_are_not_allowed_by_preflight(open_skies, method):
    response = APIClient().options(
        "/api/events/us-withdrawal-notice/",
        HTTP_ORIGIN="https://elsewhere.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, if-match",
    )
    assert method not in response.get("Access-Control-Allow-Methods", "")
    assert "authorization" not in response.get("Access-Control-Allow-Headers", "")


def test_the_admin_is_not_cross_origin(db):
    response = APIClient().get("/admin/login/", HTTP_ORIGIN="https://elsewhere.example.com")
    assert "Access-Control-Allow-Origin" not in response


def test_a_gunicorn_worker_imports_the_views_then_freezes_them_out_of_the_collectors_sight():
    """gunicorn.conf.py's worker hook: what lives as long as the worker is not walked by every full collection."""
    code = (
        "import gc, runpy, sys, django; django.setup();"
        "conf = runpy.run_path('gunicorn.conf.py'); before = gc.get_freeze_count(); conf['settled']();"
        "print(before, gc.get_freeze_count(), 'apps.events.api.views' in sys.modules)"
    )
    result = _run(code, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    before, frozen, views_imported = result.stdout.split()
    assert (int(before), views_imported) == (0, "True")
    # Django, DRF and the project's modules: tens of thousands of objects.
    assert int(frozen) > 50_000
