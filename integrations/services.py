"""Writes of the integrations app: creating and revoking API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone

from integrations.choices import Scope
from integrations.models import TOKEN_PREFIX_LENGTH, ApiToken

KEY_PREFIX = "fbh"


def hash_key(key: str) -> str:
    """The SHA-256 hex digest of a key (keys are long and random, so a fast hash is the right one)."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    key: str  # shown once to the person who created it; only its hash is stored


def create_token(*, name: str, owner, scopes: list[str]) -> NewToken:
    """A new token for ``owner`` with ``scopes``; the returned key is the only copy of the secret."""
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown or not scopes:
        raise ValidationError({"scopes": f"Choose one or more of {', '.join(Scope.values)}; unknown: {unknown}."})
    prefix = secrets.token_hex(TOKEN_PREFIX_LENGTH // 2)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        name=name, owner=owner, scopes=sorted(set(scopes)), prefix=prefix, key_hash=hash_key(key)
    )
    return NewToken(token=token, key=key)


def revoke_token(*, token: ApiToken) -> None:
    """The token stops opening the API at once."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
