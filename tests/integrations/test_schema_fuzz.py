"""Schemathesis over the project's own OpenAPI schema: no 5xx, and every response as the schema says.

The schema is read from the running app (``/api/schema/``), so every endpoint there when the suite runs is fuzzed,
the other engineers' included. Each operation gets a bounded, derandomised set of generated requests (valid and
invalid ones), sent in-process to the WSGI app with a token holding every scope, inside the test's transaction.
A 5xx is reported with the request and the server's traceback.
"""

from __future__ import annotations

import importlib.util
import traceback

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from integrations.choices import Scope
from integrations.services import create_token

pytestmark = pytest.mark.django_db

SCHEMA_URL = "/api/schema/?format=json"
EXAMPLES = 15  # per operation and mode (valid, invalid): ~30 operations x 30 requests, well under a minute
CHECKS = (not_a_server_error, response_schema_conformance, content_type_conformance)


@pytest.fixture
def wsgi_app():
    """The project's WSGI app, run in this test's thread and transaction (as Django's test client does it)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def server_errors():
    """Tracebacks of the exceptions views raised, by request (a 5xx names its cause)."""
    seen: list[str] = []

    def record(sender, request=None, **kwargs):
        where = f"{request.method} {request.get_full_path()}" if request is not None else "?"
        seen.append(f"{where}\n{traceback.format_exc()}")

    signals.got_request_exception.connect(record)
    yield seen
    signals.got_request_exception.disconnect(record)


@pytest.fixture
def unthrottled(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "100000/min"}}


@pytest.mark.slow
def test_given_the_api_schema_then_generated_requests_get_no_5xx_and_conform(
    wsgi_app, server_errors, unthrottled, django_user_model, api_rows
):
    if importlib.util.find_spec("feedbackhub.api_urls") is None:
        pytest.skip("feedbackhub.api_urls has not landed yet")
    owner = django_user_model.objects.create_superuser(username="fuzz", password="x")
    headers = {"Authorization": f"Bearer {create_token(name='fuzz', owner=owner, scopes=Scope.values).key}"}
    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, wsgi_app, headers=headers)
    failures: dict[str, str] = {}
    operations = 0

    for operation, mode in [(result.ok(), mode) for result in schema.get_all_operations() for mode in GenerationMode]:
        operations += 1

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as error:  # every operation is fuzzed; all failures reported at the end
            failures[f"{operation.label} ({mode} data)"] = f"{error}\n" + "\n".join(server_errors[-1:])

    assert operations > 0
    assert failures == {}, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
