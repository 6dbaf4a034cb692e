"""Tokens, callers and rows for the API tests."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone

from customers.models import UsageSnapshot
from insights import experiments
from integrations.choices import Scope
from integrations.services import create_token
from tests.factories import make_customer, make_feedback, make_launch, make_theme

ALL_SCOPES = tuple(Scope.values)


@pytest.fixture
def owner(django_user_model):
    """The owner of the tokens: a superuser, so only the token's scopes decide (model permissions are tested apart)."""
    return django_user_model.objects.create_superuser(username="integration-owner", password="x")


@pytest.fixture
def make_key(owner):
    """``make_key(scopes)`` → the key of a new token of ``owner`` (or of ``owner=``) with those scopes."""

    def make(scopes=ALL_SCOPES, *, owner=owner, name="Test integration") -> str:
        return create_token(name=name, owner=owner, scopes=scopes).key

    return make


def call(client, method: str, url: str, *, key: str | None = None, body=None, raw: bytes | None = None, **extra):
    """One API request with ``Authorization: Bearer <key>`` when a key is given; a JSON body when one is given."""
    if key is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    if raw is not None or body is not None:
        extra["data"] = raw if raw is not None else json.dumps(body)
        extra["content_type"] = extra.pop("content_type", "application/json")
    return getattr(client, method.lower())(url, **extra)


@pytest.fixture
def api_rows():
    """One row of each resource, so every detail route has something to find."""
    customer = make_customer()
    UsageSnapshot.objects.create(customer=customer, taken_on=date(2026, 11, 30), active_users=12)
    feedback = make_feedback(customer=customer)
    theme = make_theme()
    make_launch()
    experiment = experiments.create_experiment(  # a running experiment: its assignment route has one to assign in
        key="checkout-copy",
        name="Checkout copy",
        variants=[
            {"key": "control", "name": "Control", "share": 50, "is_control": True},
            {"key": "short", "name": "Short copy", "share": 50},
        ],
        metrics=[{"name": "sent a report", "kind": "proportion", "event": "report_sent"}],
        planned_end_at=timezone.now() + timedelta(days=30),
    )
    experiments.start_experiment(experiment=experiment)
    return {"customer": customer, "feedback": feedback, "theme": theme}
