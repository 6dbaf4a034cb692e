"""Writes of the integrations app: creating and revoking API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from integrations.choices import Scope
from integrations.models import TOKEN_PREFIX_LENGTH, ApiToken

KEY_PREFIX = "fbh"
SECRET_BYTES = 32  # 256 random bits: a plain SHA-256 of the key is then as good as a slow password hash
# fbh_<8 hex>_<43 url-safe base64 chars>; the secret's alphabet includes "_", so a key is split at most twice
KEY_PATTERN = re.compile(
    rf"{KEY_PREFIX}_(?P<prefix>[0-9a-f]{{{TOKEN_PREFIX_LENGTH}}})_(?P<secret>[A-Za-z0-9_-]{{20,100}})"
)
PREFIX_ATTEMPTS = 5  # a new prefix collides with an old one about once in 4 billion per token: retry, never fail


def hash_key(key: str) -> str:
    """The SHA-256 hex digest of a key (keys are long and random, so a fast hash is the right one)."""
    return hashlib.sha256(key.encode()).hexdigest()


def parse_key(key: str) -> str | None:
    """The prefix of a well-formed key (``fbh_<prefix>_<secret>``), or None for anything else."""
    match = KEY_PATTERN.fullmatch(key)
    return match["prefix"] if match else None


@dataclass(frozen=True)
class NewToken:
    """A token just created, with the only copy of its key."""

    token: ApiToken
    key: str = field(repr=False)  # shown once to the person who created it; never logged, only its hash is stored


def create_token(*, name: str, owner, scopes: Iterable[str]) -> NewToken:
    """A new token for ``owner`` with ``scopes``; the returned key is the only copy of the secret."""
    scopes = sorted(set(scopes))
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown or not scopes:
        raise ValidationError({"scopes": f"Choose one or more of {', '.join(Scope.values)}; unknown: {unknown}."})
    if not owner.is_active:
        raise ValidationError({"owner": "The owner is inactive: their token would not open the API."})
    for attempt in range(PREFIX_ATTEMPTS):
        prefix = secrets.token_hex(TOKEN_PREFIX_LENGTH // 2)
        key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
        token = ApiToken(name=name, owner=owner, scopes=scopes, prefix=prefix, key_hash=hash_key(key))
        token.full_clean(exclude=["prefix"])  # name length, scope choices; the prefix is unique by the index below
        try:
            with transaction.atomic():
                token.save()
        except IntegrityError:
            if attempt == PREFIX_ATTEMPTS - 1:
                raise
            continue
        return NewToken(token=token, key=key)
    raise AssertionError("unreachable")  # pragma: no cover


def revoke_tokens(*, tokens: QuerySet[ApiToken]) -> int:
    """The tokens stop opening the API at once; returns how many were still active (revoking twice is harmless)."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def revoke_token(*, token: ApiToken) -> None:
    """The token stops opening the API at once."""
    revoke_tokens(tokens=ApiToken.objects.filter(pk=token.pk))
    token.refresh_from_db(fields=["revoked_at"])
