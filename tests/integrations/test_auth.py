"""Every API endpoint, found through the URL resolver: anonymous → 401, a bad or revoked token → 401 and no data,
a token without the endpoint's scope → 403, with it → through (2xx for reads). Admin users read the docs by session.
"""

from __future__ import annotations

import importlib.util
import json

import pytest
from django.contrib.auth.models import Permission

from integrations.choices import Scope
from integrations.models import ApiToken
from integrations.services import revoke_token
from tests.integrations.conftest import ALL_SCOPES, call
from tests.integrations.routes import case_id, cases, detail_kwargs, token_routes

pytestmark = pytest.mark.django_db

ROUTES = token_routes()
PROBE = "tests.integrations.probe_urls"


def bad_keys(make_key, django_user_model) -> dict[str, str]:
    """Keys that must not open the API, by what is wrong with them."""
    good = make_key(ALL_SCOPES)
    revoked = make_key(ALL_SCOPES, name="revoked")
    revoke_token(token=ApiToken.objects.get(name="revoked"))
    idle = django_user_model.objects.create_superuser(username="left-the-company", password="x")
    of_inactive = make_key(ALL_SCOPES, owner=idle, name="inactive owner")
    idle.is_active = False
    idle.save()
    prefix = good.split("_")[1]
    return {
        "garbage": "not-a-token",
        "unknown prefix": f"fbh_{'0' * 8}_{good[13:]}",
        "wrong secret": f"fbh_{prefix}_{'A' * 43}",
        "revoked": revoked,
        "owner inactive": of_inactive,
    }


def test_given_the_project_urls_then_the_api_routes_are_found_by_the_walk():
    if importlib.util.find_spec("feedbackhub.api_urls") is None:
        pytest.skip("feedbackhub.api_urls has not landed yet")

    assert ROUTES, "no token-authenticated route under /api/: is feedbackhub.api_urls included in feedbackhub.urls?"


def test_given_the_ingest_endpoint_then_it_needs_the_ingest_scope_not_write():
    ingest = [route for route in ROUTES if route.url() == "/api/feedback/ingest/"]
    if not ingest:
        pytest.skip("POST /api/feedback/ingest/ has not landed yet")

    assert ingest[0].scope("post") == Scope.INGEST


@pytest.mark.parametrize(("route", "method"), cases(ROUTES), ids=case_id)
def test_given_an_endpoint_then_only_a_token_with_its_scope_gets_through(
    route, method, client, make_key, django_user_model, api_rows
):
    url = route.url(**detail_kwargs(route))
    needed = route.scope(method)
    body = {} if method in {"post", "put", "patch"} else None
    seen = {}

    seen["anonymous"] = call(client, method, url, body=body).status_code
    for kind, key in bad_keys(make_key, django_user_model).items():
        response = call(client, method, url, key=key, body=body)
        seen[kind] = response.status_code
        assert set(response.json()) == {"detail"}, f"{kind}: an error, never data"
        assert response["WWW-Authenticate"].startswith("Bearer")
    without = call(client, method, url, key=make_key([s for s in ALL_SCOPES if s != needed]), body=body)
    seen["without the scope"] = without.status_code
    assert set(without.json()) == {"detail"}, "without the scope: an error, never data"
    with_scope = call(client, method, url, key=make_key([needed]), body=body)

    assert seen == {
        "anonymous": 401,
        "garbage": 401,
        "unknown prefix": 401,
        "wrong secret": 401,
        "revoked": 401,
        "owner inactive": 401,
        "without the scope": 403,
    }
    if method == "get":
        assert with_scope.status_code == 200, with_scope.content[:500]
    else:  # a write with an empty body may be refused as invalid (400) or conflict (409), but not for its token
        assert with_scope.status_code not in {401, 403} and with_scope.status_code < 500, with_scope.content[:500]


@pytest.mark.parametrize(("route", "method"), cases(ROUTES, ("get",)), ids=case_id)
def test_given_a_token_whose_owner_may_not_view_then_reading_is_refused(
    route, method, client, make_key, django_user_model, api_rows
):
    clerk = django_user_model.objects.create_user(username="clerk", password="x")

    response = call(client, method, route.url(**detail_kwargs(route)), key=make_key(ALL_SCOPES, owner=clerk))

    assert response.status_code in {403, 404}, "a token never reads more than its owner could"


# --- The machinery, on a probe API of its own ---------------------------------------------------------------------


@pytest.mark.urls(PROBE)
@pytest.mark.parametrize(
    ("method", "url", "needed"),
    [
        ("get", "/api/groups/", Scope.READ),
        ("post", "/api/groups/", Scope.WRITE),
        ("delete", "/api/groups/{id}/", Scope.WRITE),
        ("post", "/api/probe-ingest/", Scope.INGEST),
    ],
)
def test_given_a_probe_endpoint_then_each_scope_opens_only_its_methods(client, make_key, method, url, needed):
    from django.contrib.auth.models import Group

    url = url.format(id=Group.objects.create(name="Support").pk)
    body = {"name": "New"} if method == "post" else None
    others = [scope for scope in ALL_SCOPES if scope != needed]

    refused = call(client, method, url, key=make_key(others), body=body)
    allowed = call(client, method, url, key=make_key([needed]), body=body)

    assert refused.status_code == 403
    assert f"lacks the '{needed}' scope" in refused.json()["detail"]
    assert allowed.status_code in {200, 201, 202, 204}


@pytest.mark.urls(PROBE)
def test_given_keys_whose_secret_holds_underscores_and_dashes_then_each_opens_the_api(client, make_key):
    keys = [make_key([Scope.READ]) for _ in range(30)]  # ~1 in 2 secrets holds an "_" (url-safe base64)

    statuses = {key: call(client, "get", "/api/groups/", key=key).status_code for key in keys}

    assert any("_" in key.split("_", 2)[2] for key in keys)
    assert set(statuses.values()) == {200}


@pytest.mark.urls(PROBE)
@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer a b", "Bearer fbh_zzzzzzzz_" + "a" * 43, "Bearer fbh_\u00e9\u00e9_x", "Bearer fbh_1_2\x00"],
)
def test_given_a_malformed_authorization_header_then_401_never_500(client, header):
    response = client.get("/api/groups/", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401


@pytest.mark.urls(PROBE)
def test_given_a_token_used_then_its_last_use_is_recorded_at_most_once_a_minute(client, make_key):
    key = make_key([Scope.READ])

    call(client, "get", "/api/groups/", key=key)
    first = ApiToken.objects.get().last_used_at
    call(client, "get", "/api/groups/", key=key)

    assert first is not None
    assert ApiToken.objects.get().last_used_at == first


@pytest.mark.urls(PROBE)
def test_given_a_staff_session_then_it_reads_the_api_without_a_token(client, django_user_model):
    staff = django_user_model.objects.create_user(username="pm", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_group"))
    client.force_login(staff)

    assert client.get("/api/groups/").status_code == 200


# --- Docs and schema ---------------------------------------------------------------------------------------------

DOCS = ["/api/schema/", "/api/docs/"]


def docs_landed() -> None:
    if importlib.util.find_spec("feedbackhub.api_urls") is None:
        pytest.skip("feedbackhub.api_urls has not landed yet")


@pytest.mark.parametrize("url", DOCS)
def test_given_an_admin_user_session_then_the_docs_and_schema_open(client, django_user_model, url):
    docs_landed()
    staff = django_user_model.objects.create_user(username="pm", password="x", is_staff=True)
    client.force_login(staff)

    response = client.get(url)

    assert response.status_code == 200
    if url.endswith("schema/"):
        schema = json.loads(client.get(url, {"format": "json"}).content)
        assert any(path.startswith("/api/") for path in schema["paths"])


@pytest.mark.parametrize("url", DOCS)
def test_given_no_session_and_no_token_then_the_docs_and_schema_are_refused(client, url):
    docs_landed()

    assert client.get(url).status_code == 401


def test_given_a_token_then_the_schema_opens_for_its_integration(client, make_key):
    docs_landed()

    assert call(client, "get", "/api/schema/", key=make_key([Scope.READ])).status_code == 200
