"""How integrations authenticate (``Authorization: Bearer fbh_…``) and what their token's scopes let them do.

A bad, unknown or revoked token is a 401, never data; a good token without the scope an endpoint needs is a 403.
The token's owner is ``request.user``, so the owner's own permissions and row scoping apply as well.
"""

from __future__ import annotations

import hmac

from django.utils import timezone
from rest_framework import authentication, exceptions, permissions

from integrations.choices import Scope
from integrations.models import ApiToken
from integrations.services import KEY_PREFIX, hash_key

LAST_USED_EVERY = 60  # seconds: last_used_at is written at most this often per token


class TokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer fbh_<prefix>_<secret>``: one indexed lookup by prefix, a constant-time hash compare."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send one token: 'Authorization: Bearer fbh_…'.")
        try:
            key = header[1].decode()
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed("The token is not valid text.") from error
        parts = key.split("_")
        if len(parts) != 3 or parts[0] != KEY_PREFIX:
            raise exceptions.AuthenticationFailed("Invalid token.")
        token = ApiToken.objects.select_related("owner").filter(prefix=parts[1]).first()
        if token is None or not hmac.compare_digest(token.key_hash, hash_key(key)):
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.is_active:
            raise exceptions.AuthenticationFailed("This token was revoked.")
        if not token.owner.is_active:
            raise exceptions.AuthenticationFailed("This token's owner is inactive.")
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > LAST_USED_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.owner, token

    def authenticate_header(self, request) -> str:
        return self.keyword  # makes DRF answer 401 (with WWW-Authenticate), not 403, to a missing or bad token


class HasScope(permissions.BasePermission):
    """Token requests need the view's ``required_scope`` (default: read for safe methods, write otherwise).

    Session requests (an admin user in the browsable docs) have no token: their Django permissions decide.
    """

    message = "This token lacks the scope this endpoint needs."

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        needed = getattr(view, "required_scope", None) or (
            Scope.READ if request.method in permissions.SAFE_METHODS else Scope.WRITE
        )
        if needed not in token.scopes:
            self.message = f"This token lacks the '{needed}' scope (it has: {', '.join(token.scopes) or 'none'})."
            return False
        return True
