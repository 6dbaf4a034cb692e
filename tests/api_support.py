"""Helpers for the API tests: clients that call with a token or a session, and the people who hold them."""

from __future__ import annotations

from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from feedbackhub.roles import SALES_CS
from integrations.services import create_token

READ_WRITE = ("read", "write")


def token_client(user, scopes=READ_WRITE) -> APIClient:
    """A client calling as ``user`` through a new API token with ``scopes``."""
    key = create_token(name=f"test token of {user.username}", owner=user, scopes=list(scopes)).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def session_client(user) -> APIClient:
    """A client calling as ``user`` through a logged-in session (an admin user in the browsable docs)."""
    client = APIClient()
    client.force_login(user)
    return client


def make_user(django_user_model, username: str, *, groups=(), superuser: bool = False):
    """A staff user in ``groups`` (role names), or a superuser."""
    if superuser:
        return django_user_model.objects.create_superuser(username=username, password="pw", email=f"{username}@x.io")
    person = django_user_model.objects.create_user(username=username, password="pw", is_staff=True)
    person.groups.add(*Group.objects.filter(name__in=groups))
    return person


def sales_user(django_user_model, username: str = "marcus"):
    return make_user(django_user_model, username, groups=[SALES_CS])


def all_pages(client: APIClient, url: str, params: dict | None = None) -> list[dict]:
    """Every row of a list, following ``next`` to the end."""
    rows, response = [], client.get(url, params or {})
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        rows.extend(body["results"])
        if not body["next"]:
            return rows
        response = client.get(body["next"])


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]
