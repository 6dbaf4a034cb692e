"""A bad body is a 4xx that names the problem, on every endpoint that takes one: never a 500."""

from __future__ import annotations

import io

import pytest
from rest_framework.exceptions import ParseError

from integrations.parsers import JSONParser, RequestTooLarge, storable_problems
from tests.integrations.conftest import call
from tests.integrations.routes import case_id, cases, detail_kwargs, token_routes

pytestmark = pytest.mark.django_db

PROBE = "tests.integrations.probe_urls"
URL = "/api/groups/"


@pytest.fixture
def small_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    return 1000


@pytest.mark.urls(PROBE)
def test_given_a_body_past_the_limit_then_413_naming_the_limit(client, make_key, small_limit):
    response = call(client, "post", URL, key=make_key(), body={"name": "x" * 2000})

    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is larger than 1,000 bytes, the most this API accepts."}


@pytest.mark.urls(PROBE)
def test_given_a_body_past_djangos_default_limit_then_413(client, make_key):
    response = call(client, "post", URL, key=make_key(), raw=b'{"name": "' + b"x" * 2_700_000 + b'"}')

    assert response.status_code == 413


def test_given_a_stream_with_no_length_past_the_limit_then_it_is_refused_once_read(rf, small_limit):
    body = b"[" + b"1," * 600 + b"1]"
    request = rf.post(URL, data=b"", content_type="application/json")
    request.META.pop("CONTENT_LENGTH", None)  # a chunked body: no length to go by

    with pytest.raises(RequestTooLarge):
        JSONParser().parse(io.BytesIO(body), parser_context={"request": request, "encoding": "utf-8"})


@pytest.mark.urls(PROBE)
@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (b'{"name": "caf\xe9"}', "The body is not valid UTF-8: byte 0xe9 at position 13."),
        (b'{"name": "x",}', "The body is not valid JSON: Expecting property name enclosed in double quotes"),
        (b'{"name": ', "The body is not valid JSON: Expecting value at line 1, column 10."),
        (b'{"name": NaN}', "The body is not valid JSON: NaN is not a JSON number."),
        (b"[" * 100_000 + b"]" * 100_000, "The body is nested deeper than 32 levels."),
        (b'{"name": 1' + b"0" * 5000 + b"}", "The body is not valid JSON: Exceeds the limit (4300 digits)"),
    ],
    ids=["invalid UTF-8", "trailing comma", "cut short", "NaN", "nested 100,000 deep", "5,000-digit number"],
)
def test_given_a_body_that_is_not_json_then_400_saying_what_is_wrong(client, make_key, raw, detail):
    response = call(client, "post", URL, key=make_key(), raw=raw)

    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)


@pytest.mark.urls(PROBE)
@pytest.mark.parametrize(
    ("raw", "errors"),
    [
        (b'{"name": "a\\u0000b"}', {"name": ["Contains a NUL character (\\u0000), which cannot be stored."]}),
        (
            b'{"name": "x", "payload": {"lines": ["ok", "\\ud800"]}}',
            {"payload.lines[1]": ["Contains a lone surrogate (\\ud800-\\udfff), which is not a character."]},
        ),
        (b'{"name": "x", "payload": {"size": 1e999}}', {"payload.size": ["Is too large a number."]}),
        (
            b'{"name": "x", "payload": {"k\\u0000": 1}}',
            {"payload": ["A key contains a NUL character (\\u0000), which cannot be stored."]},
        ),
    ],
    ids=["NUL", "lone surrogate", "infinite number", "NUL in a key"],
)
def test_given_a_value_postgresql_cannot_store_then_400_naming_the_field(client, make_key, raw, errors):
    response = call(client, "post", URL, key=make_key(), raw=raw)

    assert response.status_code == 400
    assert response.json() == errors


@pytest.mark.urls(PROBE)
def test_given_a_form_body_then_415_saying_json_is_expected(client, make_key):
    form = "application/x-www-form-urlencoded"

    response = call(client, "post", URL, key=make_key(), raw=b"name=x", content_type=form)

    assert response.status_code == 415
    assert "application/x-www-form-urlencoded" in response.json()["detail"]


@pytest.mark.urls(PROBE)
def test_given_a_good_body_then_it_goes_through(client, make_key):
    response = call(client, "post", URL, key=make_key(), body={"name": "Café ☕", "payload": {"a": [1, 2.5, None]}})

    assert response.status_code == 201
    assert response.json()["name"] == "Café ☕"


def test_given_nesting_at_the_limit_then_it_is_refused_one_level_past_it():
    assert storable_problems({"a": [[[]]]}) == {}
    deep = []
    for _ in range(40):
        deep = [deep]

    assert list(storable_problems(deep).values()) == [["Is nested deeper than 32 levels."]]


def test_given_an_unknown_charset_then_a_parse_error(rf):
    with pytest.raises(ParseError, match="charset 'klingon' is unknown"):
        JSONParser().parse(io.BytesIO(b"{}"), parser_context={"request": rf.post(URL), "encoding": "klingon"})


# --- Every write endpoint of the API ----------------------------------------------------------------------------

OVERSIZE = 32 * 1024 * 1024  # past every endpoint's limit (Django's 2.5 MB; ingestion's batches take more)
BAD_BODIES = {
    "invalid UTF-8": (b'{"x": "\xff"}', 400, "UTF-8"),
    "malformed JSON": (b'{"x": ', 400, "not valid JSON"),
    "oversize": (b'{"x": "' + b"x" * OVERSIZE + b'"}', 413, "larger than"),
}


@pytest.mark.parametrize(("route", "method"), cases(token_routes(), ("post", "put", "patch")), ids=case_id)
@pytest.mark.parametrize("kind", list(BAD_BODIES))
def test_given_a_bad_body_on_any_write_endpoint_then_a_4xx_naming_the_problem(
    route, method, kind, client, make_key, api_rows
):
    raw, status, words = BAD_BODIES[kind]

    response = call(client, method, route.url(**detail_kwargs(route)), key=make_key(), raw=raw)

    assert response.status_code == status, response.content[:300]
    assert words.lower() in response.content.decode().lower()
