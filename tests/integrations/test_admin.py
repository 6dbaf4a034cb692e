"""The token admin: created with name, owner and scopes; the key shown on the next page once, never again."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.urls import reverse

from feedbackhub.roles import SALES_CS
from integrations.models import ApiToken
from integrations.services import create_token, hash_key, parse_key

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.integrations.probe_urls")]  # the admin and a probe API

ADD = "admin:integrations_apitoken_add"
LIST = "admin:integrations_apitoken_changelist"


@pytest.fixture
def admin_user(client, django_user_model):
    user = django_user_model.objects.create_superuser(username="admin", password="x")
    client.force_login(user)
    return user


def key_on(page: str) -> str:
    """The key the page shows (the value of its read-only key field)."""
    start = page.index('value="fbh_') + len('value="')
    return page[start : page.index('"', start)]


def test_given_an_admin_creating_a_token_then_the_next_page_shows_the_key_once_and_only_its_hash_is_kept(
    client, admin_user
):
    response = client.post(reverse(ADD), {"name": "Zendesk prod", "owner": admin_user.pk, "scopes": ["read", "ingest"]})

    page = response.content.decode()
    key = key_on(page)
    token = ApiToken.objects.get()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "shown this once" in page
    assert (token.name, token.owner, token.scopes) == ("Zendesk prod", admin_user, ["ingest", "read"])
    assert token.key_hash == hash_key(key) and token.prefix == parse_key(key)
    later = [
        client.get(reverse(LIST)).content.decode(),
        client.get(reverse("admin:integrations_apitoken_change", args=[token.pk])).content.decode(),
        client.get(reverse("admin:index")).content.decode(),  # where a flashed message would show
        " ".join(session.session_data for session in Session.objects.all()),
        str(response.cookies) + str(client.cookies),  # a flashed message would ride in a cookie
    ]
    secret = key.split("_", 2)[2]
    assert not any(secret in text for text in later)
    assert f"fbh_{token.prefix}_" in later[0]  # the list names the token by its prefix


def test_given_the_new_key_then_it_opens_the_api(client, admin_user):
    page = client.post(reverse(ADD), {"name": "CRM", "owner": admin_user.pk, "scopes": ["read"]}).content.decode()
    client.logout()

    response = client.get("/api/groups/", HTTP_AUTHORIZATION=f"Bearer {key_on(page)}")

    assert response.status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


def test_given_no_scope_chosen_then_the_form_says_so_and_no_token_is_made(client, admin_user):
    response = client.post(reverse(ADD), {"name": "CRM", "owner": admin_user.pk})

    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_given_a_token_then_its_page_changes_nothing_and_shows_no_secret(client, admin_user):
    new = create_token(name="Slack", owner=admin_user, scopes=["read"])
    url = reverse("admin:integrations_apitoken_change", args=[new.token.pk])

    page = client.get(url).content.decode()
    posted = client.post(url, {"name": "Renamed", "owner": admin_user.pk, "scopes": ["read", "write"]})

    assert new.token.key_hash not in page and new.key.split("_", 2)[2] not in page
    assert 'name="name"' not in page  # read-only: no input to edit
    assert posted.status_code == 403
    assert ApiToken.objects.get().name == "Slack"


def test_given_the_revoke_action_on_the_list_then_the_tokens_stop_opening_the_api(client, admin_user):
    keys = [create_token(name=f"t{n}", owner=admin_user, scopes=["read"]).key for n in range(2)]

    client.post(
        reverse(LIST),
        {"action": "revoke_selected", "_selected_action": list(ApiToken.objects.values_list("pk", flat=True))},
    )
    client.logout()

    assert not ApiToken.objects.filter(revoked_at__isnull=True).exists()
    assert all(client.get("/api/groups/", HTTP_AUTHORIZATION=f"Bearer {k}").status_code == 401 for k in keys)


def test_given_the_revoke_button_on_a_token_then_get_asks_and_post_revokes(client, admin_user):
    token = create_token(name="GitHub", owner=admin_user, scopes=["read"]).token
    url = reverse("admin:integrations_apitoken_revoke", args=[token.pk])

    asked = client.get(url)
    token.refresh_from_db()
    still_active = token.is_active
    done = client.post(url)
    token.refresh_from_db()

    assert asked.status_code == 200 and "Revoke the token" in asked.content.decode()
    assert still_active
    assert done.status_code == 302 and not token.is_active
    assert url in client.get(reverse("admin:integrations_apitoken_change", args=[token.pk])).content.decode()


def test_given_an_admin_who_is_not_a_superuser_then_they_may_make_tokens_only_for_themselves(client, django_user_model):
    boss = django_user_model.objects.create_superuser(username="boss", password="x")
    ops = django_user_model.objects.create_user(username="ops", password="x", is_staff=True)
    ops.user_permissions.add(*Permission.objects.filter(codename__in=["add_apitoken", "view_apitoken"]))
    client.force_login(ops)

    form = client.get(reverse(ADD)).content.decode()
    response = client.post(reverse(ADD), {"name": "Borrowed", "owner": boss.pk, "scopes": ["read"]})

    assert f'value="{boss.pk}"' not in form
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_given_the_sidebar_then_administrators_see_api_tokens_and_sales_do_not(client, admin_user, django_user_model):
    sales = django_user_model.objects.create_user(username="sales", password="x", is_staff=True)
    sales.groups.add(Group.objects.get(name=SALES_CS))
    admin_page = client.get(reverse("admin:index")).content.decode()
    client.force_login(sales)
    sales_page = client.get(reverse("admin:index")).content.decode()

    assert reverse(LIST) in admin_page
    assert reverse(LIST) not in sales_page
