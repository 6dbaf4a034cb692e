"""Rotating a capture key's signing secret from its admin page: GET asks, POST rotates through
``capture.rotate_secret``, logs it, and shows the new secret that once; tokens signed with the old one are refused."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse

from integrations import capture
from integrations.models import CaptureKey
from tests.factories import make_customer
from tests.integrations.test_capture import FEEDBACK, ORIGIN, post, token

pytestmark = pytest.mark.django_db

ROTATE = "admin:integrations_capturekey_rotate_secret"
CHANGE_PAGE = "admin:integrations_capturekey_change"


@pytest.fixture
def key():
    make_customer(name="Acme Bank", crm_id="0015g00000ACME")
    return capture.create_capture_key(name="Le Chat web", product="le_chat", allowed_origins=[ORIGIN])


def test_given_a_rotation_then_the_old_secret_s_tokens_get_401_and_the_new_one_s_are_accepted(
    client, admin_client, key
):
    old_token = token(key)
    assert post(client, key, {**FEEDBACK, "identity": old_token}).status_code == 202

    response = admin_client.post(reverse(ROTATE, args=[key.pk]))

    key.refresh_from_db()
    refused = post(client, key, {**FEEDBACK, "identity": old_token})
    accepted = post(client, key, {**FEEDBACK, "identity": token(key)})
    assert response.status_code == 200
    assert refused.status_code == 401
    assert accepted.status_code == 202


def test_given_a_rotation_then_the_new_secret_is_shown_once_and_the_change_is_logged(admin_client, admin_user, key):
    old = key.signing_secret
    asked = admin_client.get(reverse(ROTATE, args=[key.pk]))
    key.refresh_from_db()
    assert key.signing_secret == old  # a GET only asks
    assert "refused from now on" in asked.content.decode()

    response = admin_client.post(reverse(ROTATE, args=[key.pk]))

    key.refresh_from_db()
    page = response.content.decode()
    assert key.signing_secret != old and len(key.signing_secret) >= 40
    assert key.signing_secret in page and old not in page
    assert "refused from now on" in page and "no-store" in response["Cache-Control"]
    later = admin_client.get(reverse(CHANGE_PAGE, args=[key.pk])).content.decode()
    assert key.signing_secret not in later and key.signing_secret[:4] + "…" in later
    assert "Rotate signing secret" in later  # the button on the key's page
    entry = LogEntry.objects.get(object_id=str(key.pk))
    assert (entry.action_flag, entry.change_message, entry.user_id) == (
        CHANGE,
        "Signing secret rotated.",
        admin_user.pk,
    )
    history = admin_client.get(reverse("admin:integrations_capturekey_history", args=[key.pk])).content.decode()
    assert key.signing_secret not in history


def test_given_a_user_who_may_only_view_keys_then_they_cannot_rotate(client, django_user_model, key):
    viewer = django_user_model.objects.create_user(username="viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_capturekey"))
    client.force_login(viewer)
    old = key.signing_secret

    asked = client.get(reverse(ROTATE, args=[key.pk]))
    posted = client.post(reverse(ROTATE, args=[key.pk]))
    page = client.get(reverse(CHANGE_PAGE, args=[key.pk])).content.decode()

    assert (asked.status_code, posted.status_code) == (403, 403)
    assert CaptureKey.objects.get(pk=key.pk).signing_secret == old
    assert not LogEntry.objects.exists()
    assert "Rotate signing secret" not in page  # no button for them


def test_given_an_unknown_key_then_404(admin_client):
    assert admin_client.post(reverse(ROTATE, args=[999_999])).status_code == 404
