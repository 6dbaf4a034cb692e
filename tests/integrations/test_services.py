"""Tokens are created with a key shown once and stored only as its hash; revoking stops them at once."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from integrations.models import ApiToken
from integrations.services import KEY_PATTERN, create_token, parse_key, revoke_token, revoke_tokens

pytestmark = pytest.mark.django_db


def test_given_a_new_token_then_the_key_is_returned_and_only_its_hash_is_stored(owner):
    new = create_token(name="Zendesk", owner=owner, scopes=["ingest", "read", "read"])

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM integrations_apitoken")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    secret = new.key.split("_", 2)[2]

    assert KEY_PATTERN.fullmatch(new.key)
    assert secret not in stored and new.key not in stored
    assert new.token.key_hash == hashlib.sha256(new.key.encode()).hexdigest()
    assert new.token.prefix == parse_key(new.key)
    assert new.token.scopes == ["ingest", "read"]
    assert new.key not in repr(new) and new.key not in str(new.token)


@pytest.mark.parametrize(
    ("scopes", "field"), [([], "scopes"), (["read", "admin"], "scopes")], ids=["no scope", "unknown scope"]
)
def test_given_bad_scopes_then_no_token(owner, scopes, field):
    with pytest.raises(ValidationError) as refused:
        create_token(name="x", owner=owner, scopes=scopes)

    assert field in refused.value.message_dict
    assert not ApiToken.objects.exists()


def test_given_an_inactive_owner_then_no_token(owner):
    owner.is_active = False

    with pytest.raises(ValidationError, match="inactive"):
        create_token(name="x", owner=owner, scopes=["read"])


def test_given_a_name_too_long_then_a_validation_error_not_a_database_error(owner):
    with pytest.raises(ValidationError) as refused:
        create_token(name="x" * 101, owner=owner, scopes=["read"])

    assert "name" in refused.value.message_dict


def test_given_scopes_written_around_the_service_then_the_database_refuses_them(owner):
    with pytest.raises(IntegrityError, match="apitoken_scopes_known"), transaction.atomic():
        ApiToken.objects.create(name="x", owner=owner, scopes=["root"], prefix="abcdef01", key_hash="0" * 64)


def test_given_a_prefix_that_collides_then_another_is_drawn(owner, monkeypatch):
    first = create_token(name="a", owner=owner, scopes=["read"])
    prefixes = iter([first.token.prefix, "0badcafe"])
    monkeypatch.setattr("integrations.services.secrets.token_hex", lambda n: next(prefixes))

    second = create_token(name="b", owner=owner, scopes=["read"])

    assert second.token.prefix == "0badcafe"


def test_given_tokens_revoked_then_they_are_inactive_and_revoking_again_changes_nothing(owner):
    one = create_token(name="a", owner=owner, scopes=["read"]).token
    two = create_token(name="b", owner=owner, scopes=["read"]).token
    revoke_token(token=one)
    when = ApiToken.objects.get(pk=one.pk).revoked_at

    again = revoke_tokens(tokens=ApiToken.objects.all())

    assert not one.is_active
    assert again == 1  # only the second was still active
    assert ApiToken.objects.get(pk=one.pk).revoked_at == when
    assert not ApiToken.objects.get(pk=two.pk).is_active


@pytest.mark.parametrize(
    "key",
    ["fbh_0123abcd", "fbh_0123ABCD_" + "a" * 43, "xyz_0123abcd_" + "a" * 43, "fbh_0123abcd_" + "a" * 43 + "\n", ""],
)
def test_given_a_malformed_key_then_it_has_no_prefix(key):
    assert parse_key(key) is None
