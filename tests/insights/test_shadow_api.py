"""POST /api/experiments/{key}/shadow/: a product's shadow observations, one or a batch, stored once, all or nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from insights.models import ShadowObservation
from tests.api_support import token_client
from tests.insights.test_shadow import shadow_experiment

pytestmark = pytest.mark.django_db

URL = "/api/experiments/new-ranker/shadow/"


@pytest.fixture
def api(django_user_model):
    """An ingest token of a user allowed to add shadow observations (and nothing else)."""
    user = django_user_model.objects.create_user(username="product", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_shadowobservation"))
    return token_client(user, scopes=("ingest",))


def observation(subject="req-1", **fields) -> dict:
    return {"variant": "v2", "subject": subject, "live": {"top": "a"}, "shadow": {"top": "b"}, **fields}


def test_given_a_batch_then_it_is_stored_and_a_resend_adds_nothing(api):
    shadow_experiment("new-ranker")
    batch = {"items": [observation("req-1"), observation("req-2")]}

    first = api.post(URL, batch, format="json")
    again = api.post(URL, batch, format="json")

    assert first.status_code == 201, first.content
    assert first.json() == {"created": 2, "duplicate": 0, "subjects": ["req-1", "req-2"]}
    assert again.status_code == 200 and again.json() == {"created": 0, "duplicate": 2, "subjects": []}
    assert ShadowObservation.objects.count() == 2


def test_given_one_observation_then_201(api):
    shadow_experiment("new-ranker")
    response = api.post(URL, observation(), format="json")
    assert response.status_code == 201 and response.json()["created"] == 1


@pytest.mark.parametrize(
    ("item", "errors"),
    [
        (
            observation(variant="live"),
            {"items[1]": ["variant 'live' is not a shadow variant of this experiment (v2)."]},
        ),
        (observation(subject=7), {"items[1].subject": ["Not a valid string."]}),
        (observation(live=["a"]), {"items[1].live": ["Must be an object of field → value."]}),
        (observation(extra=1), {"items[1].extra": ["Unknown field."]}),
        (
            {"variant": "v2"},
            {f"items[1].{name}": ["This field is required."] for name in ("subject", "live", "shadow")},
        ),
    ],
)
def test_given_one_bad_observation_then_400_naming_it_and_nothing_is_written(api, item, errors):
    shadow_experiment("new-ranker")
    response = api.post(URL, [observation("req-1"), item], format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert not ShadowObservation.objects.exists()


def test_given_an_unknown_or_a_stopped_experiment_then_404_or_400_saying_why(api):
    assert api.post(URL, observation(), format="json").status_code == 404
    from insights import experiments

    experiments.stop_experiment(experiment=shadow_experiment("new-ranker"))
    stopped = api.post(URL, observation(), format="json")
    assert stopped.status_code == 400
    assert stopped.json() == {"experiment": ["new-ranker is stopped: only a running experiment records."]}


def test_given_a_token_without_the_permission_or_the_scope_then_403(django_user_model):
    shadow_experiment("new-ranker")
    nobody = django_user_model.objects.create_user(username="nobody", password="pw", is_staff=True)
    assert token_client(nobody, scopes=("ingest",)).post(URL, observation(), format="json").status_code == 403
    allowed = django_user_model.objects.create_user(username="reader", password="pw", is_staff=True)
    allowed.user_permissions.add(Permission.objects.get(codename="add_shadowobservation"))
    assert token_client(allowed, scopes=("read",)).post(URL, observation(), format="json").status_code == 403
    assert not ShadowObservation.objects.exists()
